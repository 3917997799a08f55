"""Two web workers sharing Redis as the Socket.IO message queue: a change made
through one reaches a board connected to the other (the scale-out seam)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import socketio as socketio_client

from tests.conftest import PASSWORD, SERVICE_DAY, build_small_world

REDIS_URL = os.environ.get("CARPOOL_TEST_REDIS_URL")
pytestmark = pytest.mark.skipif(not REDIS_URL, reason="CARPOOL_TEST_REDIS_URL is not set")
REPO = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def two_workers(tmp_path: Path) -> Iterator[tuple[str, str, str]]:
    from dispatch.db import make_engine, make_session_factory
    from dispatch.migrate import upgrade

    url = f"sqlite:///{tmp_path}/shared.db"
    upgrade(url)
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        build_small_world(session)
        session.commit()
    engine.dispose()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARPOOL_")}
    env.update(CARPOOL_REDIS_URL=str(REDIS_URL), CARPOOL_SECRET_KEY="shared-by-both-workers",
               CARPOOL_LOGIN_RATE_LIMIT="1000 per minute", CARPOOL_MAP_TILE_URL="")  # fmt: skip
    carpool = str(Path(sys.executable).with_name("carpool"))
    procs, urls, logs = [], [], []
    for _ in range(2):
        port = _free_port()
        log = open(tmp_path / f"worker-{port}.log", "wb")  # noqa: SIM115 - closed after the process
        logs.append(log)
        procs.append(subprocess.Popen([carpool, "serve", "--database", url, "--port", str(port)],
                                      cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT))  # fmt: skip
        urls.append(f"http://127.0.0.1:{port}")
    try:
        for base in urls:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if requests.get(base + "/healthz", timeout=2).ok:
                        break
                except requests.ConnectionError:
                    pass
                assert time.monotonic() < deadline, f"{base} did not start"
                time.sleep(0.2)
        yield urls[0], urls[1], url
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(10)
        for log in logs:
            log.close()


def _login(base: str, username: str) -> tuple[requests.Session, str]:
    session = requests.Session()
    response = session.post(base + "/api/v1/session", json={"username": username, "password": PASSWORD})
    assert response.ok, response.text
    return session, response.json()["csrf_token"]


def test_a_change_on_one_worker_reaches_a_board_on_the_other(two_workers: tuple[str, str, str]) -> None:
    from dispatch.db import make_engine, make_session_factory
    from dispatch.services.solving import make_plan
    from dispatch.settings import Settings

    first, second, database_url = two_workers
    engine = make_engine(database_url)
    make_plan(make_session_factory(engine), SERVICE_DAY, "morning", Settings(), time_limit_s=1)
    engine.dispose()

    board_http, _ = _login(second, "dispatcher")
    heard: list[dict] = []
    board = socketio_client.Client(reconnection=False)
    board.on("stop_updated", lambda data: heard.append(data))
    cookie = "; ".join(f"{c.name}={c.value}" for c in board_http.cookies)
    # The same browser, as far as the session knows: Flask-Login binds a session to its user agent.
    headers = {"Cookie": cookie, "User-Agent": str(board_http.headers["User-Agent"])}
    board.connect(second, headers=headers, transports=["websocket"], wait_timeout=10)
    try:
        dispatcher, csrf = _login(first, "dispatcher")
        route = dispatcher.get(f"{first}/api/v1/board?date={SERVICE_DAY}&half=morning").json()["routes"][0]
        stop_id = route["stops"][0]["id"]
        response = dispatcher.post(
            f"{first}/api/v1/stops/{stop_id}/status", json={"status": "picked_up"}, headers={"X-CSRFToken": csrf}
        )
        assert response.ok, response.text
        deadline = time.monotonic() + 10
        while not heard and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        board.disconnect()
    assert [h["stop_id"] for h in heard] == [stop_id]
