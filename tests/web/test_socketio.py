"""Live updates: who may connect, and who hears what."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from flask import Flask
from flask_socketio import SocketIOTestClient

from tests.conftest import SERVICE_DAY
from tests.web.conftest import ApiClient
from web.extensions import socketio

DAY = SERVICE_DAY.isoformat()


def _socket(app: Flask, api: ApiClient) -> SocketIOTestClient:
    client = socketio.test_client(app, flask_test_client=api.client)
    assert client.is_connected()
    return client


def _wait_for(client: SocketIOTestClient, name: str, timeout: float = 60) -> list[dict]:
    seen: list[dict] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        seen += [m for m in client.get_received() if m["name"] == name]
        if seen:
            return seen
        time.sleep(0.2)
    raise AssertionError(f"no {name!r} event in {timeout} s")


def test_a_visitor_who_is_not_logged_in_is_refused(app: Flask) -> None:
    client = socketio.test_client(app, flask_test_client=app.test_client())
    assert not client.is_connected()


def test_the_board_hears_progress_then_the_finished_plan(app: Flask, login: Callable[[str], ApiClient]) -> None:
    dispatcher = login("dispatcher")
    board = _socket(app, dispatcher)
    response = dispatcher.post("/api/v1/plans", json={"date": DAY, "half": "morning", "time_limit_s": 1})
    assert response.status_code == 202
    received: list[dict] = []
    deadline = time.monotonic() + 60
    while not any(m["name"] == "job_finished" for m in received):
        assert time.monotonic() < deadline, "no job_finished event in 60 s"
        received += board.get_received()
        time.sleep(0.2)
    names = [m["name"] for m in received]
    assert "solve_progress" in names
    assert names.index("solve_progress") < names.index("job_finished")
    finished = received[names.index("job_finished")]["args"][0]
    assert finished["status"] == "done"
    published = [m["args"][0] for m in received if m["name"] == "plan_published"]
    assert [p["plan_id"] for p in published] == [finished["plan_id"]]
    progress = [m["args"][0] for m in received if m["name"] == "solve_progress"]
    assert progress[-1]["requests"] == 3


def test_a_stop_update_reaches_the_board_and_that_driver_only(app: Flask, login: Callable[[str], ApiClient]) -> None:
    dispatcher = login("dispatcher")
    response = dispatcher.post("/api/v1/plans", json={"date": DAY, "half": "morning", "time_limit_s": 1})
    job_id = response.get_json()["job"]["id"]
    deadline = time.monotonic() + 60
    while dispatcher.get(f"/api/v1/jobs/{job_id}").get_json()["job"]["status"] not in ("done", "failed"):
        assert time.monotonic() < deadline
        time.sleep(0.2)
    board = dispatcher.get(f"/api/v1/board?date={DAY}&half=morning").get_json()
    route = board["routes"][0]
    driver_name = route["driver"]["name"]
    usernames = {"Rufus Lewis": "driver-1", "Jo Ann Robinson": "driver-2"}
    mine = login(usernames[driver_name])
    theirs = login("driver-2" if usernames[driver_name] == "driver-1" else "driver-1")

    board_socket = _socket(app, dispatcher)
    my_socket = _socket(app, mine)
    their_socket = _socket(app, theirs)
    for client in (board_socket, my_socket, their_socket):
        client.get_received()

    stop_id = route["stops"][0]["id"]
    assert mine.post(f"/api/v1/stops/{stop_id}/status", json={"status": "picked_up"}).status_code == 200
    for client in (board_socket, my_socket):
        [event] = [m for m in client.get_received() if m["name"] == "stop_updated"]
        assert event["args"][0]["stop_id"] == stop_id
        assert event["args"][0]["status"] == "picked_up"
    assert [m for m in their_socket.get_received() if m["name"] == "stop_updated"] == []


@pytest.mark.parametrize("username", ["driver-1", "rider-1"])
def test_drivers_and_riders_do_not_hear_the_board(app: Flask, login: Callable[[str], ApiClient], username: str) -> None:
    listener = _socket(app, login(username))
    dispatcher = login("dispatcher")
    dispatcher.post("/api/v1/plans", json={"date": DAY, "half": "evening", "time_limit_s": 1})
    board = _socket(app, dispatcher)
    _wait_for(board, "job_finished")
    names = {m["name"] for m in listener.get_received()}
    assert "solve_progress" not in names
    assert "job_finished" not in names
