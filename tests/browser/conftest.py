"""A real server and headless Chromium for the browser tests.

One Montgomery demo is loaded and one `carpool serve` runs per test session;
each test opens its own browser contexts (a context is one person's browser:
its own cookies, its own window size). Nothing leaves the machine: map tiles
are switched off and every request to another origin is aborted.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import (
    APIRequestContext,
    Browser,
    BrowserContext,
    Page,
    Playwright,
    Route,
    sync_playwright,
)

from dispatch.services.demo import next_service_day

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "browser-tests-only"
DRIVERS = [f"driver-{n}" for n in range(1, 13)]
RIDERS = [f"rider-{n}" for n in range(1, 61)]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1400, "height": 900}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
#: The solver's limit on the served app, so that planning from the board is quick.
SOLVER_TIME_LIMIT_S = 4


def _carpool_command() -> str:
    beside_python = Path(sys.executable).with_name("carpool")
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which("carpool")
    if found is None:
        pytest.fail("the `carpool` console script is not installed (pip install -e .)")
    return found


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _server_env() -> dict[str, str]:
    # The engineer's own CARPOOL_* settings (a Redis URL, another database)
    # must not leak into the server under test.
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARPOOL_")}
    env.update(
        CARPOOL_MAP_TILE_URL="",  # no tiles: this machine has no internet
        CARPOOL_REDIS_URL="",
        CARPOOL_SECRET_KEY="browser-tests-secret-key",
        CARPOOL_SOLVER_TIME_LIMIT_S=str(SOLVER_TIME_LIMIT_S),
        # Every test context logs in from 127.0.0.1; the login limit is tested elsewhere.
        CARPOOL_LOGIN_RATE_LIMIT="1000 per minute",
        # The server stands on the planned morning, so drivers see their riders
        # (names and homes are shown only on the day, while the route runs).
        CARPOOL_CLOCK_AT=f"{next_service_day(dt.date.today())}T07:00:00",
        CARPOOL_DRIVER_REVEAL_LEAD_S="7200",
        PYTHONUNBUFFERED="1",
    )
    return env


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _wait_healthy(base_url: str, proc: subprocess.Popen[bytes], log: Path, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    last = "no answer"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"`carpool serve` exited with {proc.returncode}:\n{_tail(log)}")
        try:
            with urllib.request.urlopen(base_url + "/healthz", timeout=2) as res:
                body = json.loads(res.read())
                if res.status == 200 and body.get("status") == "ok":
                    return
                last = f"{res.status} {body}"
        except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
            last = str(exc)
        time.sleep(0.2)
    pytest.fail(f"the server did not become healthy in {timeout_s} s ({last}):\n{_tail(log)}")


@pytest.fixture(scope="session")
def service_day() -> str:
    """The day the demo is planned for: the next weekday, the board's default day (a
    weekend day would carry few riders or none)."""
    return next_service_day(dt.date.today()).isoformat()


@pytest.fixture(scope="session")
def base_url(tmp_path_factory: pytest.TempPathFactory, service_day: str) -> Iterator[str]:
    """The Montgomery demo, planned for tomorrow, served on a free local port."""
    workdir = tmp_path_factory.mktemp("carpool-browser")
    database = f"sqlite:///{workdir / 'demo.db'}"
    _DEMO_FILES["database"] = workdir / "demo.db"
    carpool = _carpool_command()
    env = _server_env()

    demo_log = workdir / "demo.log"
    with open(demo_log, "wb") as out:
        demo = subprocess.run(
            [carpool, "demo", "--no-serve", "--database", database, "--demo-password", PASSWORD,
             "--time-limit", "2", "--riders", "60", "--cars", "12", "--date", service_day],
            cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, timeout=180, check=False,
        )  # fmt: skip
    if demo.returncode != 0:
        pytest.fail(f"`carpool demo` failed with {demo.returncode}:\n{_tail(demo_log)}")

    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    serve_log = workdir / "serve.log"
    with open(serve_log, "wb") as out:
        proc = subprocess.Popen(
            [carpool, "serve", "--database", database, "--host", "127.0.0.1", "--port", str(port)],
            cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        _wait_healthy(url, proc, serve_log)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


_DEMO_FILES: dict[str, Path] = {}


@pytest.fixture(scope="session")
def demo_database(base_url: str) -> Path:
    """The served demo's SQLite file, for tests that set up data the UI cannot."""
    return _DEMO_FILES["database"]


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    # Debian's Chromium: Playwright's own download is not available here.
    browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@dataclass
class Person:
    """One person's browser: a context with its own cookies, and what went wrong in it."""

    username: str
    context: BrowserContext
    base_url: str
    page_errors: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)

    def new_page(self) -> Page:
        page = self.context.new_page()
        page.on("pageerror", lambda exc: self.page_errors.append(f"{page.url}: {exc}"))
        return page

    @property
    def api(self) -> APIRequestContext:
        """Requests that share this browser's login cookie."""
        return self.context.request

    def get_json(self, path: str) -> Any:
        res = self.api.get(path)
        assert res.ok, f"GET {path} as {self.username}: {res.status} {res.text()}"
        return res.json()


@pytest.fixture
def open_browser(browser: Browser, base_url: str) -> Iterator[Callable[..., Person]]:
    """open_browser("dispatcher") is a logged-in browser; open_browser(None) a logged-out one.

    `phone=True` gives a 390x844 touch screen. Logging in goes through the
    API (the login form has a test of its own).
    """
    opened: list[Person] = []
    origin = urlsplit(base_url)

    def open_(username: str | None, *, phone: bool = False) -> Person:
        context = browser.new_context(
            base_url=base_url,
            viewport=PHONE if phone else DESKTOP,
            is_mobile=phone,
            has_touch=phone,
            locale="en-US",
        )
        context.set_default_timeout(10_000)
        person = Person(username or "(logged out)", context, base_url)

        def only_the_app(route: Route) -> None:
            url = urlsplit(route.request.url)
            if (url.scheme, url.netloc) == (origin.scheme, origin.netloc):
                route.continue_()
            else:
                person.blocked.append(route.request.url)
                route.abort()

        context.route("**/*", only_the_app)
        opened.append(person)
        if username is not None:
            res = context.request.post("/api/v1/session", data={"username": username, "password": PASSWORD})
            assert res.ok, f"logging in as {username}: {res.status} {res.text()}"
        return person

    yield open_
    for person in opened:
        person.context.close()


@pytest.fixture
def dispatcher(open_browser: Callable[..., Person]) -> Person:
    return open_browser("dispatcher")


def board_data(dispatcher: Person, day: str, half: str) -> dict[str, Any]:
    """The dispatcher's view of a half-day, straight from the API."""
    data: dict[str, Any] = dispatcher.get_json(f"/api/v1/board?date={day}&half={half}")
    return data


def driver_of(open_browser: Callable[..., Person], route: dict[str, Any], day: str, half: str) -> str:
    """The username of the driver of `route` (asking each demo driver for their route)."""
    # driver-N drives "Car N", so try that one first.
    number = route["vehicle"]["name"].rsplit(" ", 1)[-1]
    candidates = sorted(DRIVERS, key=lambda name: name != f"driver-{number}")
    for username in candidates:
        someone = open_browser(username)
        mine = someone.get_json(f"/api/v1/driver/route?date={day}&half={half}")["route"]
        if mine is not None and mine["id"] == route["id"]:
            return username
    raise AssertionError(f"no demo driver has route {route['id']} ({route['vehicle']['name']})")


def wait_until_live(page: Page, name: str) -> None:
    """Wait for the page's Socket.IO link and its first load (`name`: board or driverPage)."""
    page.wait_for_function(f"() => window.{name} && window.{name}.socket && window.{name}.socket.connected")


def mark_no_reload(page: Page) -> None:
    """Set a flag that a reload would wipe out; see `assert_not_reloaded`."""
    page.evaluate("() => { window.__notReloaded = true; }")


def assert_not_reloaded(page: Page) -> None:
    assert page.evaluate("() => window.__notReloaded === true"), "the page was reloaded"


def shown_clock(hhmmss: str) -> str:
    """A service-day time the way the pages show it in en-US: "6:41 AM"."""
    hours, minutes = (int(part) for part in hhmmss.split(":")[:2])
    return f"{hours % 12 or 12}:{minutes:02d} {'AM' if hours < 12 else 'PM'}"


def plain_text(text: str) -> str:
    """Page text with the narrow and no-break spaces Intl puts before AM/PM made plain."""
    return text.replace("\u202f", " ").replace("\xa0", " ")


def open_board(dispatcher: Person, day: str, half: str) -> Page:
    """The dispatcher's board for a half-day, live and loaded."""
    page = dispatcher.new_page()
    page.goto(f"/board?date={day}&half={half}")
    wait_until_live(page, "board")
    page.wait_for_function("() => window.board.data !== null && window.board.live !== null")
    return page
