"""The dispatcher's hand edits on a real database and a plan made by the real solver."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from dispatch.errors import Conflict, InvalidInput
from dispatch.events import BOARD_ROOM, PendingNotices, driver_room, rider_room
from dispatch.models import (
    Event,
    Plan,
    PlanStatus,
    Route,
    Stop,
    StopKind,
    StopStatus,
    UnassignedRide,
    Vehicle,
)
from dispatch.services import dispatching
from dispatch.services.solving import make_plan
from dispatch.settings import Settings
from tests.conftest import SERVICE_DAY, World

SETTINGS = Settings()


def _plan(factory: sessionmaker[Session], draft: bool = False) -> int:
    return make_plan(factory, SERVICE_DAY, "morning", SETTINGS, time_limit_s=2, draft=draft).plan_id


def _routes(session: Session, plan_id: int) -> dict[str, Route]:
    """Vehicle name -> route, fresh from the database."""
    session.expire_all()
    plan = session.get(Plan, plan_id)
    assert plan is not None
    return {r.vehicle.name: r for r in plan.routes}


def _rider_car(session: Session, plan_id: int, username: str) -> str | None:
    for name, route in _routes(session, plan_id).items():
        if any(s.rider and s.rider.username == username for s in route.stops):
            return name
    return None


def test_moving_a_rider_previews_new_times_then_saves_and_bumps_both_versions(
    world: World, factory: sessionmaker[Session]
) -> None:
    plan_id = _plan(factory)
    s = world.session
    rider = world.people["rider-1"]
    car = _rider_car(s, plan_id, "rider-1")
    assert car is not None
    other = "Car 2" if car == "Car 1" else "Car 1"
    target = world.vehicles["car-2" if other == "Car 2" else "car-1"]
    booking_id = next(st.booking_id for st in _routes(s, plan_id)[car].stops if st.rider_id == rider.id)
    assert booking_id is not None

    preview = dispatching.preview_move(s, SETTINGS, plan_id, booking_id, target.id)
    assert preview.to_route is not None and preview.to_route["vehicle"]["name"] == other
    moved = [st for st in preview.to_route["stops"] if st["moved"]]
    assert [st["kind"] for st in moved] == ["pickup", "dropoff"]
    assert all(st["time"] for st in moved)
    assert preview.problems == []  # the small world has room and time for it
    s.rollback()
    # A preview saves nothing.
    assert _rider_car(s, plan_id, "rider-1") == car

    routes = _routes(s, plan_id)
    seen = {r.id: r.version for r in routes.values()}
    notices = PendingNotices()
    dispatcher = world.people["dispatcher"]
    dispatching.move_rider(s, SETTINGS, plan_id, booking_id, target.id, dispatcher, notices, versions=seen)
    s.commit()
    assert _rider_car(s, plan_id, "rider-1") == other
    after = _routes(s, plan_id)
    for name in (car, other):
        if name in after and name in routes:
            assert after[name].version == seen[routes[name].id] + 1
    target_route = after[other]
    assert [st.seq for st in target_route.stops] == list(range(1, len(target_route.stops) + 1))
    times = [st.start_s for st in target_route.stops]
    assert times == sorted(times)
    # Both drivers and the rider are told; the board too.
    rooms = {room for n in notices.notices for room in n.rooms}
    assert {BOARD_ROOM, driver_room(target.driver_id or 0), rider_room(rider.id)} <= rooms
    event = s.scalars(select(Event).where(Event.kind == "rider_moved")).one()
    assert event.data["to"] == other

    # The other dispatcher still holds the old versions: refused, never silently lost.
    back = world.vehicles["car-1" if other == "Car 2" else "car-2"]
    with pytest.raises(Conflict):
        dispatching.move_rider(s, SETTINGS, plan_id, booking_id, back.id, dispatcher, PendingNotices(), versions=seen)
    s.rollback()


def test_a_move_that_comes_too_late_shows_the_broken_window(world: World, factory: sessionmaker[Session]) -> None:
    plan_id = _plan(factory)
    s = world.session
    routes = _routes(s, plan_id)
    stop = next(st for r in routes.values() for st in r.stops if st.rider and st.rider.username == "rider-1")
    car = stop.route.vehicle
    target = next(v for v in world.vehicles.values() if v.id != car.id)
    # At 07:40 rider-1 (arrive by 07:30) can no longer be on time in another car.
    preview = dispatching.preview_move(s, SETTINGS, plan_id, stop.booking_id or 0, target.id, now_s=7 * 3600 + 2400)
    kinds = {p["kind"] for p in preview.problems}
    assert "late" in kinds
    assert any("Mary Fair would" in p["text"] and "min after" in p["text"] for p in preview.problems)


def test_a_rider_already_picked_up_cannot_be_moved_by_hand(world: World, factory: sessionmaker[Session]) -> None:
    plan_id = _plan(factory)
    s = world.session
    stop = next(st for r in _routes(s, plan_id).values() for st in r.stops if st.kind == StopKind.PICKUP)
    stop.status = StopStatus.PICKED_UP
    s.commit()
    other = next(v for v in world.vehicles.values() if v.id != stop.route.vehicle_id)
    with pytest.raises(InvalidInput):
        dispatching.preview_move(s, SETTINGS, plan_id, stop.booking_id or 0, other.id)


def test_out_of_service_replans_remaining_riders_and_keeps_what_is_done(
    world: World, factory: sessionmaker[Session]
) -> None:
    plan_id = _plan(factory)
    s = world.session
    routes = _routes(s, plan_id)
    # The busiest car breaks down after its first pick-up.
    broken_route = max(routes.values(), key=lambda r: len(r.stops))
    broken = broken_route.vehicle
    first = broken_route.stops[0]
    assert first.kind == StopKind.PICKUP
    first.status = StopStatus.PICKED_UP
    s.commit()
    riders_in_car = {st.booking_id for st in broken_route.stops}
    now_s = first.depart_s + 60

    notices = PendingNotices()
    began = time.perf_counter()
    outcome = dispatching.take_out_of_service(
        s, SETTINGS, broken.id, SERVICE_DAY, "morning", "breakdown", world.people["dispatcher"], notices, now_s=now_s
    )
    s.commit()
    assert time.perf_counter() - began < 5
    assert s.get(Vehicle, broken.id).in_service is False  # type: ignore[union-attr]

    after = _routes(s, plan_id)
    kept = after[broken.name]
    # The pick-up already made stays, done, in the broken car; nothing else is left there.
    assert [(st.id, st.status) for st in kept.stops] == [(first.id, StopStatus.PICKED_UP)]
    # Every other rider of that car is now in another car, or left out with a reason.
    placed = {st.booking_id for r in after.values() if r.vehicle_id != broken.id for st in r.stops}
    left_out = {u.booking_id for u in s.scalars(select(UnassignedRide).where(UnassignedRide.plan_id == plan_id))}
    assert riders_in_car <= placed | left_out
    # The rider aboard is fetched from where the car stopped, by another car.
    aboard = first.booking_id
    assert any(m["booking_id"] == aboard and m["aboard"] for m in outcome.moved)
    rescue = next(st for r in after.values() if r.vehicle_id != broken.id for st in r.stops
                  if st.booking_id == aboard and st.kind == StopKind.PICKUP)  # fmt: skip
    assert rescue.place is not None and rescue.place.name.startswith(f"Where {broken.name} stopped")
    assert rescue.start_s >= now_s
    names = [n.name for n in notices.notices]
    assert "vehicle_updated" in names and "routes_changed" in names
    changed = next(n for n in notices.notices if n.name == "routes_changed")
    assert driver_room(broken.driver_id or 0) in changed.rooms
    timeline = dispatching.timeline(s, SERVICE_DAY, "morning")
    assert any(e["kind"] == "vehicle_out_of_service" and "broke down" in e["text"] for e in timeline)


def test_a_draft_is_compared_then_published_or_discarded(world: World, factory: sessionmaker[Session]) -> None:
    in_force = _plan(factory)
    draft_id = _plan(factory, draft=True)  # from the board: a draft, not yet in force
    s = world.session
    assert s.get(Plan, in_force).status == PlanStatus.PUBLISHED  # type: ignore[union-attr]
    draft = s.get(Plan, draft_id)
    assert draft is not None and draft.status == PlanStatus.DRAFT
    compared = dispatching.compare_plans(s, draft, s.get(Plan, in_force))
    assert compared["draft"]["served"] == 3 and compared["in_force"]["served"] == 3
    assert isinstance(compared["changed"], list)

    notices = PendingNotices()
    dispatching.publish_draft(s, draft_id, world.people["dispatcher"], notices)
    s.commit()
    s.expire_all()
    assert s.get(Plan, draft_id).status == PlanStatus.PUBLISHED  # type: ignore[union-attr]
    assert s.get(Plan, in_force).status == PlanStatus.SUPERSEDED  # type: ignore[union-attr]
    assert notices.notices[0].name == "plan_published"
    assert (
        driver_room(world.people["driver-1"].id) in notices.notices[0].rooms
        or driver_room(world.people["driver-2"].id) in notices.notices[0].rooms
    )
    with pytest.raises(Conflict):
        dispatching.publish_draft(s, draft_id, world.people["dispatcher"], PendingNotices())

    s.rollback()  # on SQLite an open transaction holds the write lock the planner needs
    second = _plan(factory, draft=True)
    dispatching.discard_draft(s, second, world.people["dispatcher"], PendingNotices())
    s.commit()
    assert s.get(Plan, second).status == PlanStatus.DISCARDED  # type: ignore[union-attr]


def test_a_phoned_in_ride_goes_into_the_best_car(world: World, factory: sessionmaker[Session]) -> None:
    plan_id = _plan(factory)
    s = world.session
    rider = world.people["rider-2"]
    notices = PendingNotices()
    result = dispatching.add_one_off_ride(
        s, SETTINGS,
        dispatching.OneOffRide(
            rider_id=rider.id, from_place_id=world.places["holt-street"].id,
            to_place_id=world.places["posey-lot"].id, service_date=SERVICE_DAY, half="morning",
            time_kind="arrive_by", time_s=8 * 3600 + 15 * 60,
        ),
        world.people["dispatcher"], notices,
    )  # fmt: skip
    s.commit()
    assert result["placed"] and result["vehicle"] in ("Car 1", "Car 2")
    stops = s.scalars(select(Stop).where(Stop.booking_id == result["booking_id"])).all()
    assert sorted(st.kind.value for st in stops) == ["dropoff", "pickup"]
    assert s.get(Plan, plan_id).requests == 4  # type: ignore[union-attr]
    # It is for that day only.
    import datetime as dt

    from dispatch.services.booking import bookings_on

    assert result["booking_id"] not in {b.id for b in bookings_on(s, SERVICE_DAY + dt.timedelta(days=7), "morning")}


def test_late_marks_route_sheets_and_positions(world: World, factory: sessionmaker[Session]) -> None:
    plan_id = _plan(factory)
    s = world.session
    route = next(r for r in _routes(s, plan_id).values() if r.stops)
    pickup = next(st for st in route.stops if st.kind == StopKind.PICKUP)
    notices = PendingNotices()
    dispatching.mark_late(s, pickup.id, 10, world.people["dispatcher"], notices)
    s.commit()
    plan = s.get(Plan, plan_id)
    assert plan is not None
    assert dispatching.late_marks(s, plan) == {pickup.id: 10}
    assert any("10 min late" in e["text"] for e in dispatching.timeline(s, SERVICE_DAY, "morning"))

    sheets = dispatching.route_sheets(s, SERVICE_DAY, "morning")
    assert {sh["vehicle"] for sh in sheets} == {r.vehicle.name for r in plan.routes if r.stops}
    sheet = next(sh for sh in sheets if sh["vehicle"] == route.vehicle.name)
    assert len(sheet["stops"]) == len(route.stops)
    assert all(" " not in st["rider"] for st in sheet["stops"])  # first names only

    # Before the start the car is at its start; at a stop it is at that stop.
    assert dispatching.planned_position(route, 0) == (route.start_lat, route.start_lon)
    first = route.stops[0]
    assert first.place is not None
    assert dispatching.planned_position(route, first.arrive_s) == (first.place.lat, first.place.lon)
