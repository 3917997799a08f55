"""The dispatcher endpoints over HTTP: access, validation, versions, the job for drafts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask

from dispatch.services.solving import make_plan
from tests.conftest import SERVICE_DAY
from tests.web.conftest import ApiClient

DAY = SERVICE_DAY.isoformat()


def _plan(app: Flask) -> int:
    return make_plan(app.extensions["carpool.sessions"], SERVICE_DAY, "morning",
                     app.extensions["carpool.settings"], time_limit_s=2).plan_id  # fmt: skip


def _board(client: ApiClient) -> dict[str, Any]:
    data: dict[str, Any] = client.get(f"/api/v1/board?date={DAY}&half=morning").get_json()
    return data


def test_only_dispatchers_may_use_the_dispatcher_endpoints(login: Callable[[str], ApiClient], app: Flask) -> None:
    driver = login("driver-1")
    assert driver.get(f"/api/v1/live?date={DAY}&half=morning").status_code == 403
    assert driver.post("/api/v1/moves", json={"plan_id": 1, "booking_id": 1}).status_code == 403
    anonymous = app.test_client()
    assert anonymous.get(f"/api/v1/timeline?date={DAY}&half=morning").status_code == 401
    assert anonymous.get("/board/route-sheets").status_code == 302


def test_a_move_is_previewed_saved_and_a_stale_version_is_refused(
    login: Callable[[str], ApiClient], app: Flask
) -> None:
    plan_id = _plan(app)
    alice, bob = login("dispatcher"), login("admin")
    board = _board(alice)
    source = next(r for r in board["routes"] if r["stops"])
    target = next(v for v in board["vehicles"] if v["id"] != source["vehicle"]["id"])
    booking = source["stops"][0]["booking_id"]
    seen = {str(r["id"]): r["version"] for r in board["routes"]}
    body = {"plan_id": plan_id, "booking_id": booking, "to_vehicle_id": target["id"], "versions": seen}

    preview = alice.post("/api/v1/moves/preview", json=body)
    assert preview.status_code == 200, preview.get_json()
    assert preview.get_json()["preview"]["to"]["vehicle"]["id"] == target["id"]
    assert _board(alice)["routes"] == board["routes"]  # nothing saved

    saved = bob.post("/api/v1/moves", json=body)
    assert saved.status_code == 200, saved.get_json()
    back = dict(body, to_vehicle_id=source["vehicle"]["id"])
    stale = alice.post("/api/v1/moves", json=back)
    assert stale.status_code == 409
    assert "changed by someone else" in stale.get_json()["error"]
    timeline = alice.get(f"/api/v1/timeline?date={DAY}&half=morning").get_json()["events"]
    assert [e["by"] for e in timeline if e["kind"] == "rider_moved"] == ["Ada Admin"]


def test_bad_input_reads_as_plain_field_errors(login: Callable[[str], ApiClient], app: Flask) -> None:
    _plan(app)
    client = login("dispatcher")
    res = client.post("/api/v1/vehicles/1/out-of-service", json={"date": DAY, "half": "noon", "reason": "x"})
    assert res.status_code == 422
    assert {"half", "reason"} <= set(res.get_json()["fields"])
    res = client.post("/api/v1/moves", json={"plan_id": 1, "booking_id": 1, "surprise": True})
    assert res.status_code == 422
    assert client.post("/api/v1/moves/preview", json={"plan_id": 99999, "booking_id": 1}).status_code == 404
    no_csrf = app.test_client()
    no_csrf.post("/api/v1/session", json={"username": "dispatcher", "password": "correct horse battery"})
    assert no_csrf.post("/api/v1/stops/1/late", json={"minutes": 5}).status_code == 400


def test_out_of_service_and_back(login: Callable[[str], ApiClient], app: Flask) -> None:
    _plan(app)
    client = login("dispatcher")
    board = _board(client)
    route = next(r for r in board["routes"] if r["stops"])
    res = client.post(f"/api/v1/vehicles/{route['vehicle']['id']}/out-of-service",
                      json={"date": DAY, "half": "morning", "reason": "breakdown"})  # fmt: skip
    assert res.status_code == 200, res.get_json()
    replan = res.get_json()["replan"]
    assert replan["seconds"] < 5
    assert len(replan["moved"]) + len(replan["unplaced"]) == len({s["booking_id"] for s in route["stops"]})
    live = client.get(f"/api/v1/live?date={DAY}&half=morning").get_json()
    car = next(v for v in live["vehicles"] if v["id"] == route["vehicle"]["id"])
    assert (car["in_service"], car["out_of_service_reason"]) == (False, "broke down")
    again = client.post(f"/api/v1/vehicles/{route['vehicle']['id']}/out-of-service",
                        json={"date": DAY, "half": "morning", "reason": "breakdown"})  # fmt: skip
    assert again.status_code == 409
    assert client.post(f"/api/v1/vehicles/{route['vehicle']['id']}/in-service", json={}).status_code == 200


def test_drafts_start_a_job_that_makes_a_draft(login: Callable[[str], ApiClient], app: Flask) -> None:
    class Recorder:
        submitted: list[int] = []

        def submit(self, job_id: int) -> None:
            self.submitted.append(job_id)

    app.extensions["carpool.jobs"] = Recorder()
    client = login("dispatcher")
    res = client.post("/api/v1/drafts", json={"date": DAY, "half": "morning", "time_limit_s": 2})
    assert res.status_code == 202
    job = res.get_json()["job"]
    assert job["params"]["draft"] is True
    assert Recorder.submitted == [job["id"]]
    assert client.post("/api/v1/drafts", json={"date": DAY, "half": "morning"}).status_code == 409
