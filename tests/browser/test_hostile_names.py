"""Names are data, never markup: a rider called <script> or <img onerror> shows as text."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.browser.conftest import Person, board_data, driver_of

SCRIPT_NAME = "<script>window.__pwned = 'script'</script>"
IMG_NAME = "<img src=x onerror=\"window.__pwned='img'\"> Smith"


@pytest.mark.browser
def test_hostile_rider_names_show_as_text_on_the_board_and_the_drivers_page(
    open_browser: Callable[..., Person], dispatcher: Person, demo_database: Path, service_day: str
) -> None:
    data = board_data(dispatcher, service_day, "morning")
    route = data["routes"][0]
    riders = [s["rider"] for s in route["stops"] if s["kind"] == "pickup"]
    assert len(riders) >= 1
    targets = {riders[0]["id"]: SCRIPT_NAME}
    if len(riders) > 1:
        targets[riders[1]["id"]] = IMG_NAME
    with sqlite3.connect(demo_database) as db:
        for person_id, name in targets.items():
            db.execute("UPDATE person SET name = ? WHERE id = ?", (name, person_id))

    board = dispatcher.new_page()
    board.goto(f"/board?date={service_day}&half=morning")
    board.wait_for_function("window.board && window.board.socket && window.board.socket.connected")
    car = board.locator(f'.car[data-vehicle-id="{route["vehicle"]["id"]}"]')
    car.locator(".stop").first.wait_for()
    # textContent, not innerText: cars off screen are not laid out (content-visibility:
    # auto), and innerText of an element not laid out is empty.
    listed = car.text_content() or ""
    for name in targets.values():
        assert name in listed, f"{name!r} is not shown as text"
    assert board.locator("#car-list script").count() == 0
    assert board.locator("#car-list img").count() == 0
    board.locator(".leaflet-overlay-pane path").first.wait_for(state="attached")
    assert board.evaluate("window.__pwned") is None

    username = driver_of(open_browser, route, service_day, "morning")
    driver = open_browser(username, phone=True)
    page = driver.new_page()
    page.goto(f"/driver?date={service_day}&half=morning")
    page.locator(".stop").first.wait_for()
    shown = page.locator("#route").inner_text()
    first_names = [name.split()[0] for name in targets.values()]
    for first in first_names:
        assert first in shown, f"{first!r} is not shown as text on the driver's page"
    assert page.locator("#route script").count() == 0
    assert page.locator("#route img").count() == 0
    assert page.evaluate("window.__pwned") is None
    assert dispatcher.page_errors == [] and driver.page_errors == []
