"""Planning: turn a day's bookings into a routing problem, and store the plan the solver makes.

The routing package knows nothing of bookings or the database; this module is
the translation both ways. Request ids are "b<booking id>" and vehicle ids
"v<vehicle id>", so the solver's answer maps straight back to rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, aliased, selectinload

from dispatch.errors import InvalidInput
from dispatch.events import BOARD_ROOM, PendingNotices, driver_room, rider_room
from dispatch.models import (
    Booking,
    Event,
    Half,
    Person,
    Place,
    Plan,
    PlanStatus,
    Route,
    Stop,
    StopKind,
    TimeKind,
    UnassignedRide,
    Vehicle,
)
from dispatch.services.booking import bookings_on
from dispatch.settings import Settings
from routing import plan as rplan
from routing import problem as rp
from routing.travel import HaversineProvider

ProgressHook = Callable[..., None]


def request_id(booking_id: int) -> str:
    return f"b{booking_id}"


def vehicle_key(vehicle_id: int) -> str:
    return f"v{vehicle_id}"


def _id_from_key(key: str) -> int:
    return int(key[1:])


@dataclass(frozen=True)
class PlanningInput:
    """The routing problem for a date and half-day, with the rows it was built from."""

    service_date: dt.date
    half: Half
    problem: rp.Problem
    bookings: dict[int, Booking]
    vehicles: dict[int, Vehicle]


def _point(lat: float, lon: float) -> rp.Point:
    return rp.Point(lat=lat, lon=lon)


def travel_for(settings: Settings) -> HaversineProvider:
    """The travel model every plan and every hand edit of a plan uses."""
    return HaversineProvider(circuity=settings.TRAVEL_CIRCUITY, speed_kmh=settings.TRAVEL_SPEED_KMH)


def ride_request(booking: Booking, settings: Settings, travel: HaversineProvider) -> rp.Request:
    """The routing request for one booking: its windows and its ride-time limit.

    Morning rides must arrive by their time (and may arrive up to ARRIVE_EARLY_S
    sooner); evening rides are picked up after their time, within PICKUP_WAIT_S.
    """
    service = int(settings.SERVICE_S)
    pickup = _point(booking.from_place.lat, booking.from_place.lon)
    dropoff = _point(booking.to_place.lat, booking.to_place.lon)
    direct_s = int(travel.matrices([pickup, dropoff]).durations[0, 1])
    max_ride = max(
        int(settings.MAX_RIDE_S),
        int(settings.MAX_RIDE_FACTOR * direct_s) + int(settings.MAX_RIDE_EXTRA_S),
    )
    t = booking.time_s
    if booking.time_kind == TimeKind.ARRIVE_BY:
        dropoff_window: rp.TimeWindow | None = rp.TimeWindow(max(0, t - int(settings.ARRIVE_EARLY_S)), t)
        pickup_window = rp.TimeWindow(
            max(0, t - int(settings.ARRIVE_EARLY_S) - max_ride - service),
            max(0, t - direct_s - service),
        )
    else:
        pickup_window = rp.TimeWindow(t, min(86399, t + int(settings.PICKUP_WAIT_S)))
        dropoff_window = None
    return rp.Request(
        id=request_id(booking.id),
        seats=booking.seats,
        pickup=pickup,
        dropoff=dropoff,
        pickup_window=pickup_window,
        dropoff_window=dropoff_window,
        max_ride_s=max_ride,
        wheelchair=booking.wheelchair,
    )


def build_problem(
    session: Session, service_date: dt.date, half: Half | str, settings: Settings
) -> PlanningInput:
    """The routing problem for every ride wanted on `service_date`, `half`.

    Morning rides must arrive by their time (and may arrive up to ARRIVE_EARLY_S
    sooner); evening rides are picked up after their time, within PICKUP_WAIT_S.
    Every rider's time in the car is capped: MAX_RIDE_S, or MAX_RIDE_FACTOR x the
    direct drive + MAX_RIDE_EXTRA_S when that is longer, so a long trip is not
    made impossible by a cap meant for short ones.
    """
    half = Half(half)
    bookings = bookings_on(session, service_date, half)
    vehicles = list(
        session.scalars(
            select(Vehicle)
            .where(Vehicle.in_service.is_(True))
            .where(Vehicle.driver_id.is_not(None))
            .options(selectinload(Vehicle.base), selectinload(Vehicle.driver))
            .order_by(Vehicle.id)
        )
    )
    travel = travel_for(settings)
    shift_start, shift_end = settings.shift_s(half.value)
    service = int(settings.SERVICE_S)
    requests = [ride_request(booking, settings, travel) for booking in bookings]

    routing_vehicles = []
    for vehicle in vehicles:
        base = _point(vehicle.base.lat, vehicle.base.lon)
        routing_vehicles.append(
            rp.Vehicle(
                id=vehicle_key(vehicle.id),
                seats=vehicle.seats,
                start=base,
                # Mornings end wherever the last rider is dropped (the driver goes
                # on to their own work); evenings end back at the car's base.
                end=None if half == Half.MORNING else base,
                shift=rp.TimeWindow(shift_start, shift_end),
                wheelchair=vehicle.wheelchair,
            )
        )

    problem = rp.Problem(
        name=f"{service_date.isoformat()} {half.value}",
        travel=rp.TravelModel(
            model="haversine",
            circuity=settings.TRAVEL_CIRCUITY,
            speed_kmh=settings.TRAVEL_SPEED_KMH,
        ),
        service_s=service,
        vehicles=tuple(routing_vehicles),
        requests=tuple(requests),
    )
    return PlanningInput(
        service_date=service_date,
        half=half,
        problem=problem,
        bookings={b.id: b for b in bookings},
        vehicles={v.id: v for v in vehicles},
    )


def store_plan(
    session: Session,
    planning: PlanningInput,
    result: rplan.Plan,
    *,
    created_by_id: int | None,
    notices: PendingNotices,
    draft: bool = False,
) -> Plan:
    """Store the solver's plan as the one in force for its date and half-day.

    The plan it replaces is kept, marked superseded. Notices for the board,
    the drivers and the riders are queued on `notices`, to be sent after commit.
    With `draft`, the plan is stored for the dispatcher to compare and then
    publish or discard (dispatch.services.dispatching); drivers hear nothing yet,
    and an older draft of the same half-day is discarded.
    """
    if draft:
        session.execute(
            update(Plan)
            .where(Plan.service_date == planning.service_date)
            .where(Plan.half == planning.half)
            .where(Plan.status == PlanStatus.DRAFT)
            .values(status=PlanStatus.DISCARDED)
        )
    else:
        _supersede(session, planning.service_date, planning.half)
    summary = result.summary
    plan = Plan(
        service_date=planning.service_date,
        half=planning.half,
        status=PlanStatus.DRAFT if draft else PlanStatus.PUBLISHED,
        requests=summary.requests,
        served=summary.served,
        drive_s=summary.drive_s,
        distance_m=summary.distance_m,
        solve_s=summary.solve_s,
        created_by_id=created_by_id,
    )
    session.add(plan)
    problem_vehicles = {v.id: v for v in planning.problem.vehicles}
    for rroute in result.routes:
        vehicle = planning.vehicles[_id_from_key(rroute.vehicle)]
        rvehicle = problem_vehicles[rroute.vehicle]
        route = Route(
            vehicle_id=vehicle.id,
            driver_id=vehicle.driver_id,
            start_lat=rvehicle.start.lat,
            start_lon=rvehicle.start.lon,
            start_s=rroute.start_s,
            end_lat=rvehicle.end.lat if rvehicle.end else None,
            end_lon=rvehicle.end.lon if rvehicle.end else None,
            end_s=rroute.end_s,
            drive_s=rroute.drive_s,
            distance_m=rroute.distance_m,
        )
        for seq, rstop in enumerate(rroute.stops, start=1):
            booking = planning.bookings[_id_from_key(rstop.request)]
            is_pickup = rstop.kind == "pickup"
            route.stops.append(
                Stop(
                    seq=seq,
                    kind=StopKind.PICKUP if is_pickup else StopKind.DROPOFF,
                    booking_id=booking.id,
                    rider_id=booking.rider_id,
                    place_id=booking.from_place_id if is_pickup else booking.to_place_id,
                    arrive_s=rstop.arrive_s,
                    start_s=rstop.start_s,
                    depart_s=rstop.depart_s,
                    load=rstop.load,
                )
            )
        plan.routes.append(route)
    for left_out in result.unassigned:
        plan.unassigned.append(
            UnassignedRide(booking_id=_id_from_key(left_out.request), reason=left_out.reason)
        )
    session.flush()
    date = planning.service_date.isoformat()
    session.add(
        Event(
            actor_id=created_by_id,
            kind="plan_drafted" if draft else "plan_published",
            plan_id=plan.id,
            data={
                "date": date,
                "half": planning.half.value,
                "requests": summary.requests,
                "served": summary.served,
                "drive_s": summary.drive_s,
            },
        )
    )
    if draft:
        # Only the board hears of a draft; drivers and riders wait for the publish.
        notices.add("plan_drafted", {"plan_id": plan.id, "date": date, "half": planning.half.value}, [BOARD_ROOM])
        return plan
    rooms = [BOARD_ROOM]
    rooms += sorted({driver_room(r.driver_id) for r in plan.routes if r.driver_id})
    rooms += sorted({rider_room(b.rider_id) for b in planning.bookings.values()})
    notices.add(
        "plan_published",
        {"plan_id": plan.id, "date": planning.service_date.isoformat(), "half": planning.half.value},
        rooms,
    )
    return plan


def _supersede(session: Session, service_date: dt.date, half: Half) -> None:
    session.execute(
        update(Plan)
        .where(Plan.service_date == service_date)
        .where(Plan.half == half)
        .where(Plan.status == PlanStatus.PUBLISHED)
        .values(status=PlanStatus.SUPERSEDED)
    )


def parse_half(text: str) -> Half:
    try:
        return Half(text)
    except ValueError:
        raise InvalidInput({"half": "must be morning or evening"}) from None


def current_plan(session: Session, service_date: dt.date, half: Half | str) -> Plan | None:
    """The published plan for this date and half-day, if any."""
    return session.scalar(
        select(Plan)
        .where(Plan.service_date == service_date)
        .where(Plan.half == Half(half))
        .where(Plan.status == PlanStatus.PUBLISHED)
        .order_by(Plan.id.desc())
        .limit(1)
    )


def plan_to_follow(session: Session, service_date: dt.date, half: Half | str) -> rplan.Plan | None:
    """The plan riders last heard of for this half-day, for a new plan to keep their cars
    and times: the plan in force for the date itself (planning it again), else the one for
    the same weekday a week before. None when there is neither."""
    for day in (service_date, service_date - dt.timedelta(days=7)):
        plan = current_plan(session, day, half)
        if plan is not None:
            return routing_plan(session, plan)
    return None


def routing_plan(session: Session, plan: Plan) -> rplan.Plan:
    """A stored plan back in the solver's terms (the inverse of :func:`store_plan`); stops
    whose booking is gone are left out."""
    routes = []
    for route in session.scalars(
        select(Route).where(Route.plan_id == plan.id).options(selectinload(Route.stops))
    ):
        stops = tuple(
            rplan.Stop(
                kind="pickup" if stop.kind == StopKind.PICKUP else "dropoff",
                request=request_id(stop.booking_id),
                arrive_s=stop.arrive_s,
                start_s=stop.start_s,
                depart_s=stop.depart_s,
                load=stop.load,
            )
            for stop in route.stops
            if stop.booking_id is not None
        )
        if stops:
            routes.append(
                rplan.Route(
                    vehicle=vehicle_key(route.vehicle_id), stops=stops, drive_s=route.drive_s,
                    distance_m=route.distance_m, start_s=route.start_s, end_s=route.end_s,
                )
            )
    summary = rplan.Summary(requests=plan.requests, served=plan.served, drive_s=plan.drive_s,
                            distance_m=plan.distance_m, solve_s=plan.solve_s)
    return rplan.Plan(routes=tuple(routes), unassigned=(), summary=summary)


def plan_routes(session: Session, plan: Plan) -> list[Route]:
    """The plan's routes with their cars, drivers, stops, places and riders loaded."""
    return list(
        session.scalars(
            select(Route)
            .where(Route.plan_id == plan.id)
            .options(
                selectinload(Route.vehicle),
                selectinload(Route.driver),
                selectinload(Route.stops).selectinload(Stop.place),
                selectinload(Route.stops).selectinload(Stop.rider),
            )
            .order_by(Route.id)
        )
    )


def people_by_id(session: Session, ids: set[int]) -> dict[int, Person]:
    if not ids:
        return {}
    return {p.id: p for p in session.scalars(select(Person).where(Person.id.in_(ids)))}


def board_rows(session: Session, plan: Plan) -> tuple[list[Any], list[Any]]:
    """The plan's routes and stops as plain rows, in two queries.

    The board of a 300-car morning holds thousands of stops; loading them as
    ORM objects took seconds, plain rows take a fraction of that.
    """
    driver = aliased(Person)
    routes = session.execute(
        select(
            Route.id, Route.version, Route.start_lat, Route.start_lon, Route.start_s,
            Route.end_lat, Route.end_lon, Route.end_s, Route.drive_s, Route.distance_m,
            Vehicle.id.label("vehicle_id"), Vehicle.name.label("vehicle_name"),
            Vehicle.seats, Vehicle.wheelchair,
            driver.id.label("driver_id"), driver.name.label("driver_name"),
        )  # fmt: skip
        .join(Vehicle, Vehicle.id == Route.vehicle_id)
        .outerjoin(driver, driver.id == Route.driver_id)
        .where(Route.plan_id == plan.id)
        .order_by(Route.id)
    ).all()
    rider = aliased(Person)
    stops = session.execute(
        select(
            Stop.route_id, Stop.id, Stop.seq, Stop.kind, Stop.booking_id, Stop.arrive_s,
            Stop.start_s, Stop.depart_s, Stop.load, Stop.status,
            Place.id.label("place_id"), Place.name.label("place_name"), Place.kind.label("place_kind"),
            Place.lat, Place.lon, rider.id.label("rider_id"), rider.name.label("rider_name"),
        )  # fmt: skip
        .join(Route, Route.id == Stop.route_id)
        .outerjoin(Place, Place.id == Stop.place_id)
        .outerjoin(rider, rider.id == Stop.rider_id)
        .where(Route.plan_id == plan.id)
        .order_by(Stop.route_id, Stop.seq)
    ).all()
    return list(routes), list(stops)
