"""Someone with no phone and no account calls in: the dispatcher adds them and books their ride."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Person, open_board


@pytest.mark.browser
def test_a_dispatcher_adds_a_new_rider_who_phoned_and_books_them(dispatcher: Person, service_day: str) -> None:
    # Stations from the place search (homes are never offered there).
    work = dispatcher.get_json("/api/v1/places?q=Dispatch station")["places"][0]
    station = dispatcher.get_json("/api/v1/places?q=Pick-up station")["places"][0]
    board = open_board(dispatcher, service_day, "evening")

    board.locator("#add-ride-button").click()
    board.locator("#ride-rider").fill("Idessa Callahan")
    board.locator("#ride-rider-results button.new-rider").click()
    expect(board.locator("#ride-rider-chosen")).to_have_text("Idessa Callahan (new rider)")
    board.locator("#ride-from").fill(work["name"][:6])
    board.locator("#ride-from-results button", has_text=work["name"]).first.click()
    board.locator("#ride-to").fill(station["name"][:6])
    board.locator("#ride-to-results button", has_text=station["name"]).first.click()
    board.locator("#ride-time").fill("17:00")
    board.locator("#ride-save").click()
    expect(board.locator("#board-notice")).to_contain_text("Ride booked for Idessa Callahan")

    riders = dispatcher.get_json("/api/v1/riders?q=Idessa")["riders"]
    assert [r["name"] for r in riders] == ["Idessa Callahan"]
    assert dispatcher.page_errors == []
