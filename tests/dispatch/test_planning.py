"""From bookings to a stored plan, through the real solver."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from dispatch.events import BOARD_ROOM, driver_room
from dispatch.models import Event, Plan, PlanStatus, Stop, StopKind, Vehicle
from dispatch.services.planning import build_problem
from dispatch.services.solving import make_plan
from dispatch.settings import Settings
from routing.solver import SolveParams, solve
from tests.conftest import SERVICE_DAY, World

SETTINGS = Settings()


def test_problem_has_a_request_per_wanted_ride_and_a_vehicle_per_car(world: World) -> None:
    planning = build_problem(world.session, SERVICE_DAY, "morning", SETTINGS)
    problem = planning.problem
    assert len(problem.requests) == 3
    assert len(problem.vehicles) == 2
    first = problem.requests[0]
    # rider-1 must arrive by 07:30, and may arrive up to 30 minutes early.
    assert first.dropoff_window is not None
    assert (first.dropoff_window.start_s, first.dropoff_window.end_s) == (7 * 3600, 7 * 3600 + 1800)
    # Morning routes end at the last drop-off.
    assert all(v.end is None for v in problem.vehicles)
    evening = build_problem(world.session, SERVICE_DAY, "evening", SETTINGS).problem
    assert [r.pickup_window.start_s for r in evening.requests if r.pickup_window] == [16 * 3600 + 1800]
    assert all(v.end is not None for v in evening.vehicles)


def test_make_plan_stores_routes_that_carry_every_rider_on_time(world: World, factory: sessionmaker[Session]) -> None:
    outcome = make_plan(factory, SERVICE_DAY, "morning", SETTINGS, time_limit_s=2)
    with factory() as session:
        plan = session.get(Plan, outcome.plan_id)
        assert plan is not None
        assert (plan.requests, plan.served, plan.status) == (3, 3, PlanStatus.PUBLISHED)
        stops = session.scalars(select(Stop).join(Stop.route).where(Stop.route.has(plan_id=plan.id))).all()
        assert len(stops) == 6
        by_rider: dict[str, dict[StopKind, Stop]] = {}
        for stop in stops:
            assert stop.rider is not None
            by_rider.setdefault(stop.rider.username, {})[stop.kind] = stop
        deadlines = {"rider-1": 7 * 3600 + 1800, "rider-2": 7 * 3600 + 2700, "rider-3": 8 * 3600}
        for username, deadline in deadlines.items():
            pickup, dropoff = by_rider[username][StopKind.PICKUP], by_rider[username][StopKind.DROPOFF]
            assert pickup.route_id == dropoff.route_id
            assert pickup.start_s < dropoff.start_s <= deadline
        assert sum(r.drive_s for r in plan.routes) == plan.drive_s
        events = session.scalars(select(Event).where(Event.plan_id == plan.id)).all()
        assert [e.kind for e in events] == ["plan_published"]
    notice = outcome.notices.notices[0]
    assert notice.name == "plan_published"
    assert BOARD_ROOM in notice.rooms


def test_a_new_plan_supersedes_the_old_one(world: World, factory: sessionmaker[Session]) -> None:
    first = make_plan(factory, SERVICE_DAY, "morning", SETTINGS, time_limit_s=1)
    second = make_plan(factory, SERVICE_DAY, "morning", SETTINGS, time_limit_s=1)
    with factory() as session:
        assert session.get(Plan, first.plan_id).status == PlanStatus.SUPERSEDED  # type: ignore[union-attr]
        assert session.get(Plan, second.plan_id).status == PlanStatus.PUBLISHED  # type: ignore[union-attr]


def test_a_ride_no_car_can_take_is_stored_unassigned_with_its_reason(
    world: World, factory: sessionmaker[Session]
) -> None:
    rider = world.people["rider-2"]
    world.booking(rider, "holt-street", "court-square", time="08:15", weekdays="fri", wheelchair=1)
    world.session.commit()
    outcome = make_plan(factory, SERVICE_DAY, "morning", SETTINGS, time_limit_s=1)
    with factory() as session:
        plan = session.get(Plan, outcome.plan_id)
        assert plan is not None
        assert (plan.requests, plan.served) == (4, 3)
        [left_out] = plan.unassigned
        assert left_out.booking is not None and left_out.booking.wheelchair == 1
        assert "wheelchair" in left_out.reason


def test_cars_out_of_service_are_not_planned(world: World, factory: sessionmaker[Session]) -> None:
    car_id = _set_in_service(factory, "Car 1", False)
    outcome = make_plan(factory, SERVICE_DAY, "morning", SETTINGS, time_limit_s=1)
    with factory() as session:
        plan = session.get(Plan, outcome.plan_id)
        assert plan is not None
        assert {r.vehicle_id for r in plan.routes} - {car_id} == {r.vehicle_id for r in plan.routes}
        assert plan.served == 3
    driver_rooms = {room for n in outcome.notices.notices for room in n.rooms if room.startswith("driver:")}
    assert driver_rooms == {driver_room(world.people["driver-2"].id)}


def test_next_week_riders_keep_the_car_and_time_they_had(world: World, factory: sessionmaker[Session]) -> None:
    # Last week Car 1 was off the road, so Car 2 carried everyone. Back this week, Car 1
    # would take riders in a fresh plan; planned from last week's, everyone keeps Car 2.
    car_1_id = _set_in_service(factory, "Car 1", False)
    last_week = make_plan(factory, SERVICE_DAY, "morning", SETTINGS, time_limit_s=2)
    _set_in_service(factory, "Car 1", True)
    with factory() as session:
        fresh = solve(build_problem(session, NEXT_WEEK, "morning", SETTINGS).problem, SolveParams(time_limit_s=2))
    assert any(r.vehicle == f"v{car_1_id}" for r in fresh.routes)  # a fresh plan would move riders
    this_week = make_plan(factory, NEXT_WEEK, "morning", SETTINGS, time_limit_s=2)
    with factory() as session:
        before, after = (_pickups(session, outcome.plan_id) for outcome in (last_week, this_week))
    assert len(after) == 3
    assert {rider: car for rider, (car, _) in after.items()} == {rider: car for rider, (car, _) in before.items()}
    assert all(abs(after[rider][1] - before[rider][1]) <= 5 * 60 for rider in after)


NEXT_WEEK = SERVICE_DAY + dt.timedelta(days=7)


def _pickups(session: Session, plan_id: int) -> dict[int, tuple[int, int]]:
    """rider -> (car, pick-up time) in a stored plan."""
    stops = session.scalars(select(Stop).join(Stop.route).where(Stop.route.has(plan_id=plan_id))).all()
    return {s.rider_id: (s.route.vehicle_id, s.start_s) for s in stops if s.kind == StopKind.PICKUP and s.rider_id}


def _set_in_service(factory: sessionmaker[Session], name: str, in_service: bool) -> int:
    """Put the car called `name` on or off the road; its id."""
    with factory() as session:
        car = session.scalar(select(Vehicle).where(Vehicle.name == name))
        assert car is not None
        car.in_service = in_service
        session.commit()
        return car.id
