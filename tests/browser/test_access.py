"""Who may see what: logged-out visitors and the live link."""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, Person


@pytest.mark.browser
def test_a_logged_out_visitor_to_the_board_is_sent_to_log_in_first(
    open_browser: Callable[..., Person],
) -> None:
    visitor = open_browser(None)
    page = visitor.new_page()
    page.goto("/board")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    expect(page.locator("#car-list")).to_have_count(0)

    # After logging in they are back where they wanted to go.
    page.get_by_label("User name").fill("dispatcher")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/board\??$"))
    expect(page.locator("#car-list")).to_be_visible()
    assert visitor.page_errors == []


@pytest.mark.browser
def test_the_live_link_refuses_a_browser_that_is_not_logged_in(
    open_browser: Callable[..., Person],
) -> None:
    visitor = open_browser(None)
    page = visitor.new_page()
    page.goto("/login")
    page.add_script_tag(url="/static/vendor/socket.io/socket.io.min.js")
    outcome = page.evaluate(
        """() => new Promise((resolve) => {
            const socket = io({reconnection: false});
            socket.on("connect", () => resolve("connected"));
            socket.on("connect_error", (err) => {
                socket.close();
                resolve("refused: " + err.message);
            });
            setTimeout(() => resolve("no answer"), 8000);
        })"""
    )
    # The reason given is not checked: the server sends a generic one (see the report).
    assert outcome.startswith("refused: "), outcome


@pytest.mark.browser
def test_a_socketio_client_without_a_login_is_refused(base_url: str) -> None:
    # python-socketio's Client needs requests (polling) or websocket-client.
    has_requests = importlib.util.find_spec("requests") is not None
    if not has_requests and importlib.util.find_spec("websocket") is None:
        pytest.skip("python-socketio's Client has no transport here (install requests)")
    import socketio

    transports = ["polling"] if has_requests else ["websocket"]
    client = socketio.Client(reconnection=False)
    try:
        with pytest.raises(socketio.exceptions.ConnectionError):
            client.connect(base_url, transports=transports, wait_timeout=5)
    finally:
        client.disconnect()
