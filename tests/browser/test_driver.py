"""The driver's route on a phone: their own stops only, riders by first name."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, Person, board_data, driver_of, wait_until_live


@pytest.mark.browser
def test_a_driver_on_a_phone_sees_only_their_route_with_first_names(
    open_browser: Callable[..., Person], dispatcher: Person, service_day: str
) -> None:
    morning = board_data(dispatcher, service_day, "morning")
    # Not the first route: another test marks a rider of that one picked up.
    username = driver_of(open_browser, morning["routes"][-1], service_day, "morning")
    driver = open_browser(username, phone=True)
    page = driver.new_page()
    page.goto("/driver")
    wait_until_live(page, "driverPage")

    # With no day asked for, the page shows the planned day.
    expect(page.locator("#driver-page")).to_have_attribute("data-date", service_day)
    half = str(page.locator("#driver-page").get_attribute("data-half"))
    data = board_data(dispatcher, service_day, half)
    me = driver.get_json("/api/v1/session")["user"]
    mine = [r for r in data["routes"] if r["driver"] and r["driver"]["id"] == me["id"]]
    assert len(mine) == 1, f"{username} drives {len(mine)} routes on {service_day} {half}"
    route = mine[0]

    # Their stops, in order, and nobody else's.
    cards = page.locator("#route .stop[data-stop-id]")
    expect(cards).to_have_count(len(route["stops"]))
    assert [int(i) for i in cards.evaluate_all("cs => cs.map(c => c.dataset.stopId)")] == [
        s["id"] for s in route["stops"]
    ]
    expect(page.locator("#route h2").first).to_have_text(route["vehicle"]["name"])

    # Riders by first name; no full name of any rider in the plan is on the page.
    for stop in route["stops"]:
        first = stop["rider"]["name"].split()[0]
        card = page.locator(f'#route .stop[data-stop-id="{stop["id"]}"]')
        expect(card.locator(".stop-card-rider")).to_have_text(first)
    text = page.locator("body").inner_text()
    full_names = {s["rider"]["name"] for r in data["routes"] for s in r["stops"] if " " in s["rider"]["name"]}
    assert full_names, "the demo riders have no surnames to hide"
    assert [name for name in full_names if name in text] == []

    # Made for the phone: nothing sticks out sideways.
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]

    # The board is not theirs, neither the page nor its data.
    assert driver.api.get("/api/v1/board").status == 403
    page.goto("/board")
    expect(page).to_have_url(re.compile(r"/driver$"))
    assert driver.page_errors == []
