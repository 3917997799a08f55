"""Every endpoint and every Socket.IO room against every role: allowed or refused.

The table below is the access policy written out by hand. The test fails if the
app has an endpoint the table does not list (a new endpoint must say who may use
it), or if any role gets in where the table says no, or is kept out where it says yes.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask

from dispatch.events import BOARD_ROOM, driver_room, rider_room
from tests.web.conftest import ApiClient
from web.extensions import socketio

ANON, RIDER, DRIVER, DISPATCHER, ADMIN = "anonymous", "rider-1", "driver-1", "dispatcher", "admin"
EVERYONE = {ANON, RIDER, DRIVER, DISPATCHER, ADMIN}
LOGGED_IN = EVERYONE - {ANON}
STAFF = {DISPATCHER, ADMIN}

# (method, endpoint) -> who may use it.
POLICY: dict[tuple[str, str], set[str]] = {
    ("GET", "pages.home"): LOGGED_IN,  # visitors are sent to log in
    ("GET", "pages.healthz"): EVERYONE,
    ("GET", "auth.login"): EVERYONE,
    ("POST", "auth.login"): EVERYONE,
    ("POST", "auth.logout"): EVERYONE,
    ("GET", "auth.accept_invite"): EVERYONE,
    ("POST", "auth.accept_invite"): EVERYONE,
    ("GET", "board.board"): STAFF,
    ("GET", "driver.route"): {DRIVER},
    ("GET", "rider.home"): {RIDER},
    ("GET", "admin.home"): {ADMIN},
    ("POST", "api.session_create"): EVERYONE,
    ("GET", "api.session_show"): LOGGED_IN,
    ("DELETE", "api.session_delete"): EVERYONE,
    ("GET", "api.board"): STAFF,
    ("POST", "api.plan_create"): STAFF,
    ("GET", "api.job_show"): STAFF,
    ("GET", "api.driver_route"): {DRIVER},
    ("POST", "api.stop_status"): {DRIVER} | STAFF,
    ("GET", "api.places"): LOGGED_IN,
    ("GET", "api.rider_bookings"): {RIDER},
    ("POST", "api.rider_booking_create"): {RIDER} | STAFF,
    ("POST", "api.booking_skip"): {RIDER} | STAFF,
    ("DELETE", "api.booking_unskip"): {RIDER} | STAFF,
    ("DELETE", "api.booking_end"): {RIDER} | STAFF,
    ("GET", "api.rider_trips"): {RIDER},
    ("GET", "api.booking_show"): {RIDER} | STAFF,
    ("POST", "accounts_api.invite_create"): {ADMIN},
    ("POST", "accounts_api.rider_create"): STAFF,
    ("GET", "accounts_api.rider_list"): STAFF,
    ("DELETE", "accounts_api.rider_delete"): STAFF,
    ("DELETE", "accounts_api.me_delete"): {RIDER},
    ("DELETE", "accounts_api.sessions_delete"): LOGGED_IN,
    ("GET", "accounts_api.audit_list"): {ADMIN},
    ("GET", "openapi"): EVERYONE,
    ("GET", "openapi_apidoc"): EVERYONE,
}
# The live board's own endpoints (web/api_dispatch.py): dispatchers and admins only.
DISPATCH_ENDPOINTS = [
    ("GET", "live"), ("GET", "timeline"), ("POST", "move_preview"), ("POST", "move_create"),
    ("POST", "vehicle_out"), ("POST", "vehicle_in"), ("POST", "stop_late"), ("POST", "ride_create"),
    ("POST", "draft_create"), ("GET", "plan_compare"), ("POST", "plan_publish"),
    ("POST", "plan_discard"), ("GET", "route_sheets"), ("GET", "route_sheets_page"),
]  # fmt: skip
POLICY.update({(method, f"dispatch_api.{name}"): STAFF for method, name in DISPATCH_ENDPOINTS})
# Endpoints outside this test's reach: the static files.
IGNORED = {"static"}


def _routes(app: Flask) -> dict[tuple[str, str], str]:
    found = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint in IGNORED:
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            path = re.sub(
                r"<(?:int:)?(\w+)>",
                lambda m: "2026-12-04" if m.group(1) in ("day",) else ("tok" if m.group(1) == "token" else "1"),
                rule.rule,
            )
            found[(method, rule.endpoint)] = path
    return found


def test_every_endpoint_is_in_the_policy(app: Flask) -> None:
    assert set(_routes(app)) == set(POLICY)


def _client(app: Flask, login: Callable[[str], ApiClient], who: str) -> ApiClient:
    if who == ANON:
        api = ApiClient(app.test_client())
        with api.client.session_transaction():
            pass
        return api
    return login(who)


def _page_refused(response) -> bool:  # type: ignore[no-untyped-def]
    """A page refuses with 403, by sending a visitor to log in, or a user back home ("/")."""
    if response.status_code == 403:
        return True
    if response.status_code == 302:
        target = response.headers["Location"].split("?")[0]
        return target.endswith("/login") or target.endswith("/") and target.count("/") <= 3
    return False


@pytest.mark.parametrize("who", sorted(EVERYONE))
def test_each_role_gets_exactly_what_the_policy_allows(app: Flask, login: Callable[[str], ApiClient], who: str) -> None:
    api = _client(app, login, who)
    if who != ANON:
        # A real CSRF token, so a refusal can only come from the access check.
        api.csrf = api.get("/api/v1/session").get_json()["csrf_token"]
    wrong = []
    for (method, endpoint), path in sorted(_routes(app).items()):
        if endpoint in ("api.session_delete", "auth.logout", "accounts_api.sessions_delete", "accounts_api.me_delete"):
            continue  # these end the session; checked on their own below
        allowed = who in POLICY[(method, endpoint)]
        kwargs = {"json": {}} if method in ("POST", "DELETE") and path.startswith("/api/") else {}
        if method == "GET":
            response = api.get(path)
        elif method == "POST":
            response = (
                api.post(path, **kwargs)
                if path.startswith("/api/")
                else api.client.post(path, data={"csrf_token": api.csrf or ""})
            )
        else:
            response = api.delete(path)
        if path.startswith("/api/"):
            refused = response.status_code in (401, 403)
        elif endpoint == "auth.login" and who != ANON:
            refused = response.status_code == 403  # a logged-in user is simply sent home
        else:
            refused = _page_refused(response)
        if allowed == refused:
            verdict = "allow" if allowed else "refuse"
            wrong.append(f"{method} {path} ({endpoint}) as {who}: {response.status_code}, policy says {verdict}")
    assert wrong == []


@pytest.mark.parametrize("who", sorted(LOGGED_IN))
def test_ending_a_session_is_open_to_everyone_and_deleting_oneself_only_to_riders(
    app: Flask, login: Callable[[str], ApiClient], who: str
) -> None:
    api = login(who)
    assert api.delete("/api/v1/me").status_code == (200 if who == RIDER else 403)


@pytest.mark.parametrize(
    ("who", "rooms"),
    [(DISPATCHER, {"board"}), (ADMIN, {"board"}), (DRIVER, {"driver"}), (RIDER, {"rider"})],
)
def test_socket_rooms_follow_the_role(
    app: Flask, login: Callable[[str], ApiClient], people: dict[str, int], who: str, rooms: set[str]
) -> None:
    client = socketio.test_client(app, flask_test_client=login(who).client)
    assert client.is_connected()
    publisher = app.extensions["carpool.publisher"]
    targets = {
        "board": BOARD_ROOM,
        "driver": driver_room(people["driver-1"]),
        "other driver": driver_room(people["driver-2"]),
        "rider": rider_room(people["rider-1"]),
        "other rider": rider_room(people["rider-2"]),
    }
    for label, room in targets.items():
        publisher.publish("probe", {"label": label}, [room])
    heard = {m["args"][0]["label"] for m in client.get_received() if m["name"] == "probe"}
    assert heard == rooms


def test_clients_cannot_choose_their_rooms(
    app: Flask, login: Callable[[str], ApiClient], people: dict[str, int]
) -> None:
    client = socketio.test_client(app, flask_test_client=login(DRIVER).client)
    client.emit("join", {"room": BOARD_ROOM})
    client.emit("join_room", BOARD_ROOM)
    app.extensions["carpool.publisher"].publish("probe", {"label": "board"}, [BOARD_ROOM])
    assert [m for m in client.get_received() if m["name"] == "probe"] == []


def test_anonymous_socket_connections_are_refused(app: Flask) -> None:
    client = socketio.test_client(app, flask_test_client=app.test_client())
    assert not client.is_connected()
