"""Accounts, invitations, logging out everywhere, rate limits, deleting a rider, forgetting homes."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import sqlalchemy as sa
from flask import Flask

from dispatch.models import AuditEntry, Plan, Stop
from dispatch.services.privacy import forget_old_homes
from tests.conftest import PASSWORD, SERVICE_DAY
from tests.web.conftest import ApiClient
from tests.web.test_api import _plan


def test_an_admin_invites_a_dispatcher_who_joins_once(app: Flask, login: Callable[[str], ApiClient]) -> None:
    assert login("dispatcher").post("/api/v1/invites", json={"role": "dispatcher"}).status_code == 403
    response = login("admin").post("/api/v1/invites", json={"role": "dispatcher"})
    assert response.status_code == 201
    path = "/invite/" + response.get_json()["token"]

    client = app.test_client()
    page = client.get(path)
    assert page.status_code == 200 and "Join as dispatcher" in page.get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)  # type: ignore[union-attr]
    bad = client.post(path, data={"csrf_token": token, "name": "Rufus", "username": "rufus", "password": "short"})
    assert bad.status_code == 422 and "password" in bad.get_data(as_text=True)
    done = client.post(path, data={"csrf_token": token, "name": "Rufus Lewis", "username": "rufus",
                                   "password": "transport-committee"})  # fmt: skip
    assert done.status_code == 302
    api = ApiClient(app.test_client())
    assert api.login("rufus", "transport-committee").get_json()["user"]["role"] == "dispatcher"
    assert app.test_client().get(path).status_code == 404  # used up


def test_a_dispatcher_adds_a_rider_who_phones_in_and_books_for_them(login: Callable[[str], ApiClient]) -> None:
    dispatcher = login("dispatcher")
    response = dispatcher.post("/api/v1/riders", json={"name": "Idessa Williams", "phone": "555-0101"})
    assert response.status_code == 201
    rider = response.get_json()["rider"]
    assert [r["id"] for r in dispatcher.get("/api/v1/riders?q=idessa").get_json()["riders"]] == [rider["id"]]
    places = {p["name"]: p["id"] for p in dispatcher.get("/api/v1/places").get_json()["places"]}
    booked = dispatcher.post("/api/v1/rider/bookings", json={
        "rider_id": rider["id"], "from_place_id": places["Holt Street"], "to_place_id": places["Court Square"],
        "half": "morning", "weekdays": ["mon", "tue"], "time_kind": "arrive_by", "time": "07:00"})  # fmt: skip
    assert booked.status_code == 201
    # No password: the phone-in rider cannot log in.
    assert (
        ApiClient(login("dispatcher").client.application.test_client()).login(rider["username"], "").status_code == 422
    )


def test_logging_out_everywhere_ends_every_session(app: Flask, login: Callable[[str], ApiClient]) -> None:
    phone, laptop = login("driver-1"), login("driver-1")
    assert laptop.get("/api/v1/session").status_code == 200
    assert phone.delete("/api/v1/sessions").status_code == 200
    assert laptop.get("/api/v1/session").status_code == 401
    assert phone.get("/api/v1/session").status_code == 401
    assert login("driver-1").get("/api/v1/session").status_code == 200  # a new login works


def test_login_attempts_are_rate_limited(app: Flask) -> None:
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    api = ApiClient(app.test_client())
    codes = [api.login("dispatcher", "guess " + str(i)).status_code for i in range(5)]
    assert codes[:3] == [401, 401, 401]
    assert codes[3:] == [429, 429]
    assert "too many" in api.login("dispatcher").get_json()["error"]


def test_session_cookie_is_httponly_and_samesite(app: Flask) -> None:
    response = app.test_client().post("/api/v1/session", json={"username": "rider-1", "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def _database_text(app: Flask) -> str:
    """Every value in every table, as one string, to search for what must be gone."""
    engine = app.extensions["carpool.engine"]
    chunks = []
    with engine.connect() as conn:
        for table in sa.inspect(conn).get_table_names():
            for row in conn.execute(sa.text(f'SELECT * FROM "{table}"')):
                chunks.append(" | ".join(str(v) for v in row))
    return "\n".join(chunks)


def test_a_rider_who_asks_to_be_deleted_leaves_nothing_personal(
    app: Flask, login: Callable[[str], ApiClient], people: dict[str, int]
) -> None:
    _plan(login("dispatcher"))
    rider = login("rider-3")  # Claudette King, picked up at her home (32.3600, -86.3250)
    rider.post(f"/api/v1/rider/bookings/{rider.get('/api/v1/rider/bookings').get_json()['bookings'][0]['id']}/skips",
               json={"date": (SERVICE_DAY + dt.timedelta(days=3)).isoformat()})  # fmt: skip
    before = _database_text(app)
    assert "Claudette King" in before and "32.36" in before
    assert rider.delete("/api/v1/me").status_code == 200
    after = _database_text(app)
    for trace in ("Claudette", "rider-3", "32.36,", "-86.325", "Home R3"):
        assert trace not in after, trace
    assert rider.get("/api/v1/session").status_code == 401
    with app.extensions["carpool.sessions"]() as session:
        entry = session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "delete")).one()
        assert entry.subject_id == people["rider-3"]
        plan = session.scalars(sa.select(Plan)).one()
        assert plan.served == 3  # the plan's history stays, without her
        assert session.scalar(sa.select(sa.func.count()).select_from(Stop).where(Stop.rider_id.is_(None))) == 2


def test_staff_may_delete_a_rider_but_riders_only_themselves(
    login: Callable[[str], ApiClient], people: dict[str, int]
) -> None:
    assert login("rider-1").delete(f"/api/v1/riders/{people['rider-2']}").status_code == 403
    assert login("dispatcher").delete(f"/api/v1/riders/{people['driver-1']}").status_code == 404
    assert login("dispatcher").delete(f"/api/v1/riders/{people['rider-2']}").status_code == 200
    assert login("dispatcher").get("/api/v1/riders?q=georgia").get_json()["riders"] == []


def test_old_plans_forget_homes_but_keep_stations(app: Flask, login: Callable[[str], ApiClient]) -> None:
    _plan(login("dispatcher"))
    with app.extensions["carpool.sessions"]() as session:
        counts = forget_old_homes(session, SERVICE_DAY)  # nothing is older than the day itself
        assert (counts.stops, counts.routes) == (0, 0)
        counts = forget_old_homes(session, SERVICE_DAY + dt.timedelta(days=1))
        session.commit()
        assert counts.stops == 1  # rider-3's home pick-up; stations stay
        stops = session.scalars(sa.select(Stop)).all()
        assert sum(1 for s in stops if s.place_id is None) == 1
        assert all(s.place is None or s.place.kind.value != "home" for s in stops)
        assert session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "purge")).one()


def test_looking_at_the_board_is_audited(app: Flask, login: Callable[[str], ApiClient], people: dict[str, int]) -> None:
    login("dispatcher").get(f"/api/v1/board?date={SERVICE_DAY}&half=morning")
    entries = login("admin").get("/api/v1/audit").get_json()["entries"]
    assert any(e["action"] == "view" and e["actor"] == "dispatcher" for e in entries)
    assert login("dispatcher").get("/api/v1/audit").status_code == 403


def test_session_cookie_is_secure_over_https(app: Flask) -> None:
    client = app.test_client()
    response = client.post("/api/v1/session", json={"username": "rider-1", "password": PASSWORD},
                           base_url="https://carpool.example")  # fmt: skip
    assert "Secure" in response.headers["Set-Cookie"]
    plain = app.test_client().post("/api/v1/session", json={"username": "rider-1", "password": PASSWORD})
    assert "Secure" not in plain.headers["Set-Cookie"]


def test_the_logout_form_can_end_every_session(app: Flask, login: Callable[[str], ApiClient]) -> None:
    phone, laptop = login("rider-1"), login("rider-1")
    response = laptop.client.post("/logout", data={"csrf_token": laptop.csrf, "everywhere": "1"})
    assert response.status_code == 302
    assert phone.get("/api/v1/session").status_code == 401


def test_a_driver_asking_for_another_cars_route_gets_nothing(
    app: Flask, login: Callable[[str], ApiClient], people: dict[str, int]
) -> None:
    from web.extensions import socketio

    dispatcher = login("dispatcher")
    _plan(dispatcher)
    board = dispatcher.get(f"/api/v1/board?date={SERVICE_DAY}&half=morning").get_json()
    [route] = board["routes"]  # three riders fit in one car
    owner = "driver-1" if route["driver"]["id"] == people["driver-1"] else "driver-2"
    outsider = login("driver-2" if owner == "driver-1" else "driver-1")
    leaked = route["stops"][0]["rider"]["name"]
    answers = [
        outsider.get(f"/api/v1/board?date={SERVICE_DAY}&half=morning"),
        outsider.get(f"/api/v1/driver/route?date={SERVICE_DAY}&half=morning"),
        outsider.post(f"/api/v1/stops/{route['stops'][0]['id']}/status", json={"status": "picked_up"}),
        outsider.get("/api/v1/route-sheets"),
        outsider.get(f"/api/v1/bookings/{route['stops'][0]['booking_id']}"),
    ]
    assert [a.status_code for a in answers] == [403, 200, 404, 403, 403]
    assert answers[1].get_json()["route"] is None
    for answer in answers:
        assert leaked not in answer.get_data(as_text=True)
    page = outsider.get("/board")
    assert page.status_code == 302 and leaked not in page.get_data(as_text=True)
    listener = socketio.test_client(app, flask_test_client=outsider.client)
    app.extensions["carpool.publisher"].publish("probe", {}, [f"driver:{route['driver']['id']}"])
    assert [m for m in listener.get_received() if m["name"] == "probe"] == []
