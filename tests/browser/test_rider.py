"""The rider's page: when and where the car comes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import RIDERS, Person, board_data, plain_text, shown_clock


def a_rider_with_a_car(open_browser: Callable[..., Person], day: str) -> tuple[Person, dict[str, Any]]:
    """The first demo rider who has a car on `day`, and that trip (nearly every rider has one)."""
    for username in RIDERS:
        rider = open_browser(username, phone=True)
        for trip in rider.get_json(f"/api/v1/rider/trips?date={day}")["trips"]:
            if "pickup" in trip:
                return rider, trip
    raise AssertionError(f"no demo rider has a car on {day}")


@pytest.mark.browser
def test_a_rider_sees_when_and_where_the_car_comes(
    open_browser: Callable[..., Person], dispatcher: Person, service_day: str
) -> None:
    rider, trip = a_rider_with_a_car(open_browser, service_day)
    # What the dispatcher planned for this booking, from the board.
    routes = board_data(dispatcher, service_day, trip["half"])["routes"]
    found = [(route, stop) for route in routes for stop in route["stops"] if stop["booking_id"] == trip["booking_id"]]
    pickup = next(stop for _route, stop in found if stop["kind"] == "pickup")
    dropoff = next(stop for _route, stop in found if stop["kind"] == "dropoff")
    car = found[0][0]["vehicle"]["name"]

    page = rider.new_page()
    page.goto("/rider")
    expect(page.locator("#rider-page")).to_have_attribute("data-date", service_day)
    item = page.locator(f'#trips .trip[data-booking-id="{trip["booking_id"]}"]')
    expect(item).to_have_count(1)
    when_and_where = f"{shown_clock(pickup['start'])} at {pickup['place']['name']}"
    expect(item.locator(".trip-main")).to_have_text(when_and_where)
    text = plain_text(item.inner_text())
    assert f"Your car: {car}" in text
    assert f"Drops you at {dropoff['place']['name']}" in text
    assert rider.page_errors == []
