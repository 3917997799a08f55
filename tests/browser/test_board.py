"""The dispatcher's board in a real browser: the map, the car list, live updates, planning."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import (
    PASSWORD,
    Person,
    assert_not_reloaded,
    board_data,
    driver_of,
    mark_no_reload,
    open_board,
    wait_until_live,
)


@pytest.mark.browser
def test_dispatcher_logs_in_with_the_form_and_sees_every_car(
    open_browser: Callable[..., Person], service_day: str
) -> None:
    browser = open_browser(None)
    page = browser.new_page()
    page.goto("/login")
    page.get_by_label("User name").fill("dispatcher")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    # The board opens by itself, on the day the demo planned.
    expect(page).to_have_url(re.compile(r"/board$"))
    expect(page.locator("#board-page")).to_have_attribute("data-date", service_day)
    half = page.locator("#board-page").get_attribute("data-half")
    expect(page.locator("#connection")).to_have_text("Live")
    page.wait_for_function("() => window.board && window.board.data !== null")
    data = board_data(browser, service_day, str(half))
    routes = data["routes"]
    assert routes, "the demo plan has no routes"

    # One line per car on the road, drawn over the map, plus its stop markers.
    with_stops = [r for r in routes if r["stops"]]
    overlay = page.locator("#map .leaflet-overlay-pane path")
    lines = page.locator("#map .leaflet-overlay-pane path.route-line")
    expect(lines).to_have_count(len(with_stops))
    stop_markers = sum(len(r["stops"]) for r in routes)
    assert overlay.count() >= len(with_stops) + stop_markers

    # The car list: every car on the road, by name, with its stops.
    for route in routes:
        car = page.locator(f'#car-list .car[data-vehicle-id="{route["vehicle"]["id"]}"]')
        expect(car).to_have_count(1)
        expect(car.locator(".car-name")).to_have_text(route["vehicle"]["name"])
        expect(car.locator(".stop[data-stop-id]")).to_have_count(len(route["stops"]))
    all_cars = {v["id"] for v in data["vehicles"]} | {r["vehicle"]["id"] for r in routes}
    expect(page.locator("#car-list .car")).to_have_count(len(all_cars))
    expect(page.locator("#plan-summary")).to_contain_text(
        f"{data['plan']['served']} of {data['plan']['requests']} riders have a car"
    )

    assert browser.page_errors == []
    assert browser.blocked == [], "the board asked for something outside the app"


@pytest.mark.browser
def test_a_picked_up_rider_shows_on_the_board_without_a_reload(
    open_browser: Callable[..., Person], dispatcher: Person, service_day: str
) -> None:
    half = "morning"
    data = board_data(dispatcher, service_day, half)
    route = data["routes"][0]
    stop = next(s for s in route["stops"] if s["kind"] == "pickup" and s["status"] == "planned")
    picked_before = sum(s["status"] == "picked_up" for r in data["routes"] for s in r["stops"])

    board = open_board(dispatcher, service_day, half)
    on_board = board.locator(f'#car-list .stop[data-stop-id="{stop["id"]}"]')
    expect(on_board).to_have_attribute("data-status", "planned")
    mark_no_reload(board)

    driver = open_browser(driver_of(open_browser, route, service_day, half), phone=True)
    phone = driver.new_page()
    phone.goto(f"/driver?date={service_day}&half={half}")
    wait_until_live(phone, "driverPage")
    card = phone.locator(f'#route .stop[data-stop-id="{stop["id"]}"]')
    card.get_by_role("button", name="Picked up").tap()

    # The driver sees it at once...
    expect(card).to_have_attribute("data-status", "picked_up")
    expect(card.locator(".stop-status")).to_have_text("Picked up")
    # ...and so does the dispatcher, in the list and on the map, with no reload.
    expect(on_board).to_have_attribute("data-status", "picked_up", timeout=5_000)
    expect(on_board.locator(".badge")).to_have_text("Picked up")
    expect(board.locator("#map path.stop-marker.status-picked_up")).to_have_count(picked_before + 1)
    assert_not_reloaded(board)

    assert dispatcher.page_errors == []
    assert driver.page_errors == []


@pytest.mark.browser
def test_the_dispatcher_plans_again_and_watches_the_progress(dispatcher: Person, service_day: str) -> None:
    # The evening, so that the other tests' morning plan stays as the demo made it.
    board = open_board(dispatcher, service_day, "evening")
    old_plan = board.evaluate("() => window.board.data.plan.id")
    mark_no_reload(board)
    board.evaluate(
        """() => {
            const node = document.getElementById("progress");
            window.progressSeen = [];
            new MutationObserver(() => window.progressSeen.push(node.textContent))
                .observe(node, {childList: true, characterData: true, subtree: true});
        }"""
    )

    button = board.locator("#plan-button")
    button.click()
    expect(button).to_be_disabled()
    expect(board.locator("#progress")).to_contain_text("Planning")

    # A plan made from the board is a draft until the dispatcher publishes it.
    expect(board.locator("#draft")).to_be_visible(timeout=60_000)
    board.locator("#publish-button").click()
    board.wait_for_function(
        "old => window.board.data && window.board.data.plan && window.board.data.plan.id !== old",
        arg=old_plan,
        timeout=60_000,
    )
    plan = board.evaluate("() => window.board.data.plan")
    expect(board.locator("#progress")).to_have_text("The new plan is published; drivers and riders see it now.")
    assert plan["status"] == "published"
    expect(button).to_be_enabled()
    seen = board.evaluate("() => window.progressSeen")
    assert any(re.search(r"\d+ of \d+ riders placed", text) for text in seen), seen

    # The new plan is what the board draws.
    routes = board.evaluate("() => window.board.data.routes")
    drawn = board.locator("#map path.route-line")
    expect(drawn).to_have_count(sum(1 for r in routes if r["stops"]))
    served = board_data(dispatcher, service_day, "evening")
    assert {r["id"] for r in routes} == {r["id"] for r in served["routes"]}
    assert_not_reloaded(board)
    assert dispatcher.page_errors == []
