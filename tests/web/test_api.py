"""The JSON API as each kind of user meets it."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable

from flask import Flask

from tests.conftest import SERVICE_DAY
from tests.web.conftest import ApiClient

DAY = SERVICE_DAY.isoformat()


def _plan(dispatcher: ApiClient, half: str = "morning") -> dict:
    response = dispatcher.post("/api/v1/plans", json={"date": DAY, "half": half, "time_limit_s": 1})
    assert response.status_code == 202, response.get_json()
    job_id = response.get_json()["job"]["id"]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job = dispatcher.get(f"/api/v1/jobs/{job_id}").get_json()["job"]
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.2)
    raise AssertionError("the plan job did not finish in 60 s")


def test_health(app: Flask) -> None:
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["status"] == "ok"


def test_login_with_a_bad_password_is_refused(app: Flask) -> None:
    api = ApiClient(app.test_client())
    response = api.login("dispatcher", "wrong password")
    assert response.status_code == 401
    assert "error" in response.get_json()
    assert api.get("/api/v1/board").status_code == 401


def test_login_sets_a_session_and_logout_ends_it(login: Callable[[str], ApiClient]) -> None:
    api = login("dispatcher")
    assert api.get("/api/v1/session").get_json()["user"]["role"] == "dispatcher"
    assert api.delete("/api/v1/session").status_code == 200
    assert api.get("/api/v1/session").status_code == 401


def test_bad_login_body_names_the_fields(app: Flask) -> None:
    response = app.test_client().post("/api/v1/session", json={"username": ""})
    assert response.status_code == 422
    assert set(response.get_json()["fields"]) == {"username", "password"}


def test_state_changes_need_the_csrf_token(login: Callable[[str], ApiClient]) -> None:
    api = login("dispatcher")
    api.csrf = None
    response = api.post("/api/v1/plans", json={"date": DAY, "half": "morning"})
    assert response.status_code == 400
    assert "CSRF" in response.get_json()["error"]


def test_the_board_is_for_dispatchers_only(login: Callable[[str], ApiClient]) -> None:
    assert login("driver-1").get("/api/v1/board").status_code == 403
    assert login("rider-1").get("/api/v1/board").status_code == 403
    board = login("dispatcher").get(f"/api/v1/board?date={DAY}&half=morning").get_json()
    assert board["plan"] is None
    assert [v["name"] for v in board["vehicles"]] == ["Car 1", "Car 2"]


def test_planning_from_the_api_makes_a_plan_the_board_shows(login: Callable[[str], ApiClient]) -> None:
    dispatcher = login("dispatcher")
    job = _plan(dispatcher)
    assert job["status"] == "done", job
    assert job["progress"]["requests"] == 3
    board = dispatcher.get(f"/api/v1/board?date={DAY}&half=morning").get_json()
    assert board["plan"]["id"] == job["plan_id"]
    assert board["plan"]["served"] == 3
    riders = sorted(s["rider"]["name"] for r in board["routes"] for s in r["stops"] if s["kind"] == "pickup")
    assert riders == ["Claudette King", "Georgia Gilmore", "Mary Fair"]


def test_bad_plan_request_names_the_fields(login: Callable[[str], ApiClient]) -> None:
    response = login("dispatcher").post("/api/v1/plans", json={"date": "2026-13-01", "half": "noon"})
    assert response.status_code == 422
    assert set(response.get_json()["fields"]) == {"date", "half"}


def _driver_routes(login: Callable[[str], ApiClient]) -> dict[str, dict | None]:
    return {
        username: login(username).get(f"/api/v1/driver/route?date={DAY}&half=morning").get_json()["route"]
        for username in ("driver-1", "driver-2")
    }


def test_a_driver_sees_riders_and_homes_only_on_the_day_while_the_route_runs(
    app: Flask, login: Callable[[str], ApiClient]
) -> None:
    _plan(login("dispatcher"))
    app.config["CLOCK"] = lambda: dt.datetime.combine(SERVICE_DAY - dt.timedelta(days=1), dt.time(18, 0))
    before = {u: r for u, r in _driver_routes(login).items() if r}
    [route] = before.values()
    assert route["riders_shown"] is False
    assert all(s["rider"] is None for s in route["stops"])
    homes = [s["place"] for s in route["stops"] if s["place"]["kind"] == "home"]
    assert homes and all(h["lat"] is None and h["id"] is None for h in homes)

    app.config["CLOCK"] = lambda: dt.datetime.combine(SERVICE_DAY, dt.time(7, 15))
    during = {u: r for u, r in _driver_routes(login).items() if r}
    [route] = during.values()
    assert route["riders_shown"] is True
    assert {s["rider"]["name"] for s in route["stops"]} == {"Mary", "Georgia", "Claudette"}
    assert all(s["place"]["lat"] is not None for s in route["stops"])

    app.config["CLOCK"] = lambda: dt.datetime.combine(SERVICE_DAY, dt.time(11, 0))
    [route] = [r for r in _driver_routes(login).values() if r]
    assert route["riders_shown"] is False


def test_a_driver_marks_their_own_stops_and_no_one_elses(login: Callable[[str], ApiClient]) -> None:
    _plan(login("dispatcher"))
    routes = _driver_routes(login)
    mine_username, mine = next((u, r) for u, r in routes.items() if r)
    other_username = "driver-2" if mine_username == "driver-1" else "driver-1"
    me = login(mine_username)
    first = mine["stops"][0]
    response = me.post(f"/api/v1/stops/{first['id']}/status", json={"status": "picked_up"})
    assert response.status_code == 200
    assert response.get_json()["stop"]["status"] == "picked_up"

    # Another driver can neither mark nor learn of this stop.
    other = login(other_username)
    response = other.post(f"/api/v1/stops/{first['id']}/status", json={"status": "no_show"})
    assert response.status_code == 404
    assert "stop" not in response.get_json()

    bad = me.post(f"/api/v1/stops/{first['id']}/status", json={"status": "teleported"})
    assert bad.status_code == 422
    assert "status" in bad.get_json()["fields"]


def test_a_rider_books_skips_and_sees_their_trip(login: Callable[[str], ApiClient], people: dict[str, int]) -> None:
    rider = login("rider-2")
    places = {p["name"]: p["id"] for p in rider.get("/api/v1/places?q=").get_json()["places"]}
    assert "Home R3" not in places  # somebody else's home is never listed
    response = rider.post(
        "/api/v1/rider/bookings",
        json={"from_place_id": places["Mt Zion"], "to_place_id": places["Court Square"], "half": "morning",
              "weekdays": ["sat"], "time_kind": "arrive_by", "time": "09:00", "valid_from": DAY},
    )  # fmt: skip
    assert response.status_code == 201, response.get_json()
    booking = response.get_json()["booking"]
    assert booking["weekdays"] == ["sat"]
    assert booking["rider"]["id"] == people["rider-2"]

    skipped = rider.post(f"/api/v1/rider/bookings/{booking['id']}/skips", json={"date": "2026-12-05"})
    assert skipped.get_json()["booking"]["skipped"] == ["2026-12-05"]
    # Another rider cannot touch it.
    assert (
        login("rider-1").post(f"/api/v1/rider/bookings/{booking['id']}/skips", json={"date": "2026-12-12"}).status_code
        == 404
    )

    _plan(login("dispatcher"))
    trips = rider.get(f"/api/v1/rider/trips?date={DAY}").get_json()["trips"]
    [trip] = [t for t in trips if t["half"] == "morning"]
    assert trip["pickup"]["place"]["name"] == "Mt Zion"
    assert trip["pickup"]["time"] < "07:45"


def test_a_bad_booking_names_each_field_and_stores_nothing(login: Callable[[str], ApiClient]) -> None:
    rider = login("rider-1")
    before = rider.get("/api/v1/rider/bookings").get_json()["bookings"]
    response = rider.post(
        "/api/v1/rider/bookings",
        json={"from_place_id": 99999, "to_place_id": 99999, "half": "morning", "weekdays": ["mon"],
              "time_kind": "arrive_by", "time": "7.30"},
    )  # fmt: skip
    assert response.status_code == 422
    fields = response.get_json()["fields"]
    assert "time" in fields
    response = rider.post(
        "/api/v1/rider/bookings",
        json={"from_place_id": 99999, "to_place_id": 99998, "half": "morning", "weekdays": ["mon"],
              "time_kind": "arrive_by", "time": "07:30"},
    )  # fmt: skip
    assert response.status_code == 422
    assert set(response.get_json()["fields"]) == {"from_place_id", "to_place_id"}
    assert rider.get("/api/v1/rider/bookings").get_json()["bookings"] == before


def test_a_dispatcher_books_for_a_rider_who_phones_in(
    login: Callable[[str], ApiClient], people: dict[str, int]
) -> None:
    dispatcher = login("dispatcher")
    places = {p["name"]: p["id"] for p in dispatcher.get("/api/v1/places?q=").get_json()["places"]}
    body = {"from_place_id": places["Holt Street"], "to_place_id": places["Court Square"],
            "half": "evening", "weekdays": ["mon"], "time_kind": "leave_after", "time": "17:00"}  # fmt: skip
    assert dispatcher.post("/api/v1/rider/bookings", json=body).status_code == 422  # whose?
    response = dispatcher.post("/api/v1/rider/bookings", json={**body, "rider_id": people["rider-3"]})
    assert response.status_code == 201
    assert response.get_json()["booking"]["rider"]["id"] == people["rider-3"]


def test_unknown_api_paths_answer_json(app: Flask) -> None:
    response = app.test_client().get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.get_json() == {"error": "not found"}


def test_a_driver_sees_that_a_rider_phoned_to_say_they_are_late(app: Flask, login: Callable[[str], ApiClient]) -> None:
    dispatcher = login("dispatcher")
    _plan(dispatcher)
    app.config["CLOCK"] = lambda: dt.datetime.combine(SERVICE_DAY, dt.time(7, 15))
    username, route = next((u, r) for u, r in _driver_routes(login).items() if r)
    pickup = next(s for s in route["stops"] if s["kind"] == "pickup")
    assert pickup["late_min"] is None
    marked = dispatcher.post(f"/api/v1/stops/{pickup['id']}/late", json={"minutes": 10})
    assert marked.status_code == 200, marked.get_json()
    again = login(username).get(f"/api/v1/driver/route?date={DAY}&half=morning").get_json()["route"]
    assert next(s for s in again["stops"] if s["id"] == pickup["id"])["late_min"] == 10
