"""Running a morning live from the board, in a real browser: moves, cars off the road,
drafts, marks, phoned-in rides, the timeline, route sheets and reconnecting."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import (
    Person,
    assert_not_reloaded,
    board_data,
    driver_of,
    mark_no_reload,
    open_board,
    wait_until_live,
)


def _csrf(person: Person) -> str:
    token: str = person.get_json("/api/v1/session")["csrf_token"]
    return token


def _post(person: Person, path: str, body: dict[str, Any]) -> Any:
    return person.api.post(path, data=body, headers={"X-CSRFToken": _csrf(person)})


def _seconds(hhmmss: str) -> int:
    h, m, *rest = (int(p) for p in hhmmss.split(":"))
    return h * 3600 + m * 60 + (rest[0] if rest else 0)


def _movable(route: dict[str, Any]) -> dict[str, Any]:
    return next(s for s in route["stops"] if s["kind"] == "pickup" and s["status"] == "planned")


@pytest.mark.browser
def test_one_dispatcher_moves_a_rider_and_the_other_sees_it_live(
    open_browser: Callable[..., Person], service_day: str
) -> None:
    half = "morning"
    first, second = open_browser("dispatcher"), open_browser("dispatcher")
    data = board_data(first, service_day, half)
    source, target = data["routes"][2], data["routes"][3]
    stop = _movable(source)
    booking = stop["booking_id"]
    watcher = open_board(second, service_day, half)
    mark_no_reload(watcher)
    driver = open_browser(driver_of(open_browser, target, service_day, half), phone=True)
    phone = driver.new_page()
    phone.goto(f"/driver?date={service_day}&half={half}")
    wait_until_live(phone, "driverPage")
    phone.wait_for_function("() => window.driverPage.route !== null")
    stops_before = phone.locator("#route .stop[data-stop-id]").count()

    board = open_board(first, service_day, half)
    # The keyboard way: "Change", choose the car, see the new times, save.
    board.locator(f'#car-list .stop[data-stop-id="{stop["id"]}"] .stop-change').click()
    panel = board.locator("#rider-panel")
    expect(panel).to_be_visible()
    board.locator("#move-target").select_option(str(target["vehicle"]["id"]))
    preview = board.locator("#move-preview")
    expect(preview).to_contain_text(f"{target['vehicle']['name']}: leaves")
    expect(preview.locator(".preview-stop.moved")).to_have_count(2)
    expect(preview.locator(".problems, .ok-move")).to_have_count(1)
    board.locator("#move-save").click()
    expect(board.locator("#board-notice")).to_contain_text(f"moved to {target['vehicle']['name']}")

    # The other dispatcher's board shows it within a second or so, with no reload...
    moved = watcher.locator(
        f'#car-list .car[data-vehicle-id="{target["vehicle"]["id"]}"] .stop[data-booking-id="{booking}"]'
    )
    expect(moved).to_have_count(2, timeout=3_000)
    expect(
        watcher.locator(
            f'#car-list .car[data-vehicle-id="{source["vehicle"]["id"]}"] .stop[data-booking-id="{booking}"]'
        )
    ).to_have_count(0)
    assert_not_reloaded(watcher)
    # ...and so does the receiving driver's phone.
    expect(phone.locator("#route .stop[data-stop-id]")).to_have_count(stops_before + 2, timeout=5_000)
    expect(phone.locator("#driver-notice")).to_contain_text("Your route changed")

    # The watcher's board was refreshed; a script still holding the old versions is refused.
    stale = {str(r["id"]): r["version"] for r in data["routes"]}
    res = _post(second, "/api/v1/moves", {"plan_id": data["plan"]["id"], "booking_id": booking,
                                          "to_vehicle_id": source["vehicle"]["id"], "versions": stale})  # fmt: skip
    assert res.status == 409, res.text()
    assert "changed by someone else" in res.json()["error"]

    # The timeline says who did it.
    expect(watcher.locator("#timeline")).to_contain_text(
        f"moved from {source['vehicle']['name']} to {target['vehicle']['name']}"
    )
    assert first.page_errors == [] and second.page_errors == [] and driver.page_errors == []


@pytest.mark.browser
def test_dragging_a_rider_onto_another_car_previews_then_moves(dispatcher: Person, service_day: str) -> None:
    half = "morning"
    data = board_data(dispatcher, service_day, half)
    source, target = data["routes"][4], data["routes"][5]
    stop = _movable(source)
    board = open_board(dispatcher, service_day, half)
    item = board.locator(f'#car-list .stop[data-stop-id="{stop["id"]}"]')
    car = board.locator(f'#car-list .car[data-vehicle-id="{target["vehicle"]["id"]}"]')
    # HTML5 drag and drop, event by event (as the browser sends them when a mouse drags).
    transfer = board.evaluate_handle("() => new DataTransfer()")
    item.dispatch_event("dragstart", {"dataTransfer": transfer})
    car.dispatch_event("dragover", {"dataTransfer": transfer})
    car.dispatch_event("drop", {"dataTransfer": transfer})
    item.dispatch_event("dragend", {"dataTransfer": transfer})
    expect(board.locator("#rider-panel")).to_be_visible()
    expect(board.locator("#move-target")).to_have_value(str(target["vehicle"]["id"]))
    expect(board.locator("#move-preview")).to_contain_text(f"{target['vehicle']['name']}: leaves")
    board.locator("#move-save").click()
    expect(car.locator(f'.stop[data-booking-id="{stop["booking_id"]}"]')).to_have_count(2)
    assert dispatcher.page_errors == []


@pytest.mark.browser
def test_a_car_taken_off_the_road_has_its_riders_replanned_within_seconds(
    open_browser: Callable[..., Person], dispatcher: Person, service_day: str
) -> None:
    half = "morning"
    data = board_data(dispatcher, service_day, half)
    broken = data["routes"][1]
    riders = {s["booking_id"] for s in broken["stops"]}
    assert riders
    driver = open_browser(driver_of(open_browser, broken, service_day, half), phone=True)
    phone = driver.new_page()
    phone.goto(f"/driver?date={service_day}&half={half}")
    wait_until_live(phone, "driverPage")
    expect(phone.locator("#route .stop[data-stop-id]")).to_have_count(len(broken["stops"]))

    board = open_board(dispatcher, service_day, half)
    mark_no_reload(board)
    car = board.locator(f'#car-list .car[data-vehicle-id="{broken["vehicle"]["id"]}"]')
    car.locator(".car-out-button").click()
    board.locator("#oos-reason").select_option("breakdown")
    began = time.perf_counter()
    board.locator("#oos-confirm").click()
    expect(board.locator("#board-notice")).to_contain_text("Car taken off the road", timeout=5_000)
    expect(car.locator(".car-status")).to_have_text("Out of service (broke down)")
    elapsed = time.perf_counter() - began
    assert elapsed < 5, f"re-planning took {elapsed:.1f} s"
    expect(car.locator(".stop")).to_have_count(0)

    after = board_data(dispatcher, service_day, half)
    placed = {
        s["booking_id"] for r in after["routes"] if r["vehicle"]["id"] != broken["vehicle"]["id"] for s in r["stops"]
    }
    waiting = {u["booking_id"] for u in after["unassigned"]}
    assert riders <= placed | waiting
    assert len(riders & placed) >= len(riders) // 2, "most riders should find another car"
    # The broken car's driver sees their route emptied, without reloading.
    expect(phone.locator("#route .stop[data-stop-id]")).to_have_count(0, timeout=5_000)
    assert_not_reloaded(board)
    expect(board.locator("#timeline")).to_contain_text("out of service (broke down)")
    assert dispatcher.page_errors == [] and driver.page_errors == []


@pytest.mark.browser
def test_a_draft_plan_is_compared_with_the_plan_in_force_and_thrown_away(dispatcher: Person, service_day: str) -> None:
    board = open_board(dispatcher, service_day, "evening")
    in_force = board.evaluate("() => window.board.data.plan.id")
    board.locator("#plan-button").click()
    expect(board.locator("#progress")).to_contain_text("Planning")
    draft = board.locator("#draft")
    expect(draft).to_be_visible(timeout=60_000)
    expect(board.locator("#progress")).to_contain_text("New plan ready")
    expect(board.locator("#compare-served-old")).to_contain_text(" of ")
    expect(board.locator("#compare-served-new")).to_contain_text(" of ")
    expect(board.locator("#draft-changed-count")).to_contain_text("change car")
    # Nothing changed for the drivers yet.
    assert board.evaluate("() => window.board.data.plan.id") == in_force
    board.locator("#discard-button").click()
    expect(draft).to_be_hidden()
    expect(board.locator("#progress")).to_contain_text("thrown away")
    assert board.evaluate("() => window.board.data.plan.id") == in_force
    assert dispatcher.page_errors == []


@pytest.mark.browser
def test_marks_a_phoned_in_ride_route_sheets_and_car_status(dispatcher: Person, service_day: str) -> None:
    half = "morning"
    data = board_data(dispatcher, service_day, half)
    route = data["routes"][6]
    stop = _movable(route)
    board = open_board(dispatcher, service_day, half)

    # Every car has a status in words and a marker where the plan has it now.
    expect(board.locator("#car-list .car .car-status")).to_have_count(board.locator("#car-list .car").count())
    status = board.locator(f'#car-list .car[data-vehicle-id="{route["vehicle"]["id"]}"] .car-status')
    expect(status).to_have_text(re.compile(r"^(Waiting to start \(leaves .+\)|On time|Late by \d+ min|Done)$"))
    now_s = board.evaluate("() => window.board.live.now_s")
    if now_s is None or now_s < _seconds(route["start"]["time"]):
        expect(status).to_contain_text("Waiting to start")
    elif now_s > _seconds(stop["start"]) + 120:
        expect(status).to_contain_text("Late by")
    expect(board.locator("#map path.car-marker")).to_have_count(len(data["routes"]))
    expect(board.locator("#now-half")).to_have_text("Morning")
    expect(board.locator("#clock")).not_to_be_empty()

    # A rider phones: they will be 10 minutes late.
    board.locator(f'#car-list .stop[data-stop-id="{stop["id"]}"] .stop-change').click()
    board.locator("#late-minutes").fill("10")
    board.locator("#mark-late").click()
    expect(board.locator(f'#car-list .stop[data-stop-id="{stop["id"]}"] .late-mark')).to_have_text("Late 10 min")
    expect(board.locator("#timeline")).to_contain_text("will be 10 min late")

    # Someone phones for a ride: the same pickers as the rider's booking form.
    rider = data["routes"][0]["stops"][0]["rider"]["name"]
    station = next(
        s["place"]
        for r in data["routes"]
        for s in r["stops"]
        if s["kind"] == "pickup" and s["place"]["kind"] == "pickup"
    )
    work = next(s["place"] for r in data["routes"] for s in r["stops"] if s["kind"] == "dropoff")
    board.locator("#add-ride-button").click()
    board.locator("#ride-rider").fill(rider.split()[0])
    board.locator("#ride-rider-results button", has_text=rider).first.click()
    board.locator("#ride-from").fill(station["name"][:6])
    board.locator("#ride-from-results button", has_text=station["name"]).first.click()
    board.locator("#ride-to").fill(work["name"][:6])
    board.locator("#ride-to-results button", has_text=work["name"]).first.click()
    board.locator("#ride-time").fill("08:30")
    board.locator("#ride-save").click()
    expect(board.locator("#board-notice")).to_contain_text(f"Ride booked for {rider}")
    expect(board.locator("#timeline")).to_contain_text(f"One-off ride for {rider}")

    # Printable route sheets: one page per car on the road.
    sheets = dispatcher.new_page()
    sheets.goto(f"/board/route-sheets?date={service_day}&half={half}")
    now = board_data(dispatcher, service_day, half)
    expect(sheets.locator(".sheet")).to_have_count(sum(1 for r in now["routes"] if r["stops"]))
    assert sheets.evaluate("() => getComputedStyle(document.querySelector('.sheet')).breakAfter") == "page"
    assert dispatcher.page_errors == []


@pytest.mark.browser
def test_a_board_that_lost_its_connection_catches_up_without_a_reload(
    open_browser: Callable[..., Person], service_day: str
) -> None:
    half = "morning"
    me, other = open_browser("dispatcher"), open_browser("dispatcher")
    board = open_board(me, service_day, half)
    mark_no_reload(board)
    board.evaluate("() => window.board.socket.io.engine.close()")  # the network drops
    expect(board.locator("#connection")).to_have_text("Connection lost, reconnecting...")
    board.evaluate("() => window.board.socket.disconnect()")  # and stays down for a while

    data = board_data(other, service_day, half)
    route = data["routes"][7]
    stop = _movable(route)
    res = _post(other, f"/api/v1/stops/{stop['id']}/status", {"status": "no_show"})
    assert res.ok, res.text()
    on_board = board.locator(f'#car-list .stop[data-stop-id="{stop["id"]}"]')
    expect(on_board).to_have_attribute("data-status", "planned")

    board.evaluate("() => window.board.socket.connect()")
    expect(board.locator("#connection")).to_have_text("Live")
    expect(on_board).to_have_attribute("data-status", "no_show")
    assert_not_reloaded(board)

    # An error in plain words: moving a rider into a car that is not there.
    res = _post(
        other,
        "/api/v1/moves/preview",
        {"plan_id": data["plan"]["id"], "booking_id": stop["booking_id"], "to_vehicle_id": 999999},
    )
    assert res.status in (404, 422)
    assert me.page_errors == []
