"""The running half-day, by hand: what a dispatcher does to the plan in force.

Move a rider to another car (with a preview of the new times and of any window
or ride-time limit it breaks), take a car out of service and re-plan its
remaining riders onto the other cars, mark a rider late, add a one-off ride for
someone who phones in, publish or discard a draft plan after comparing it with
the plan in force, read the day's timeline, and print route sheets.

Hand edits never call the solver: a rider is put into an existing route at the
best place for them (fewest broken limits, then least extra driving), and the
other cars keep their riders and their order. That is what "touch only what you
must" asks of a re-plan in flight, and it takes milliseconds, so it runs inside
the request. Every route touched gets its version bumped; a dispatcher who sends
the version they saw is refused (Conflict) when someone changed the route since.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from dispatch.errors import Conflict, InvalidInput, NotFound
from dispatch.events import BOARD_ROOM, PendingNotices, driver_room, rider_room
from dispatch.models import (
    Booking,
    Event,
    Half,
    Person,
    Place,
    PlaceKind,
    Plan,
    PlanStatus,
    Route,
    Stop,
    StopKind,
    StopStatus,
    UnassignedRide,
    Vehicle,
)
from dispatch.services import booking as booking_service
from dispatch.services.booking import weekday_name
from dispatch.services.planning import current_plan, plan_routes, ride_request, travel_for
from dispatch.settings import Settings
from routing import problem as rp
from routing.clock import format_hm

DAY_S = 86400
#: A shared position older than this is not trusted over the plan.
POSITION_FRESH_S = 600
#: How many of the nearest cars are tried when placing a rider (keeps a 300-car day fast).
NEAREST_CARS = 30
REASONS = {
    "breakdown": "broke down",
    "no_driver": "has no driver",
    "off_road": "was taken off the road",
}


# -- time ---------------------------------------------------------------------------------


def now_on(service_date: dt.date, now: dt.datetime | None = None) -> int | None:
    """Seconds since midnight of `service_date` now: None before the day, a full day after it."""
    now = now or dt.datetime.now()
    if service_date > now.date():
        return None
    if service_date < now.date():
        return DAY_S
    return now.hour * 3600 + now.minute * 60 + now.second


def _words_time(seconds: int) -> str:
    return format_hm(max(0, min(seconds, DAY_S - 1)))


def _minutes(seconds: int) -> int:
    return max(1, round(seconds / 60))


# -- a car's sequence, timed --------------------------------------------------------------


@dataclass
class Item:
    """One stop of a car's sequence under edit."""

    kind: StopKind
    booking: Booking
    lat: float
    lon: float
    place_id: int | None
    lo: int  # earliest start of service
    hi: int  # latest start of service (beyond it the stop is late)
    max_ride_s: int | None
    stop: Stop | None = None  # the stored stop; None for a new one
    done: bool = False  # picked up / dropped off / no-show: keeps its recorded times
    pt: int = -1  # index into the chain's travel matrix


@dataclass
class Timed:
    arrive_s: int
    start_s: int
    depart_s: int
    load: int


@dataclass
class Timing:
    leave_s: int
    times: list[Timed]
    end_s: int
    drive_s: int
    distance_m: int
    problems: list[dict[str, Any]]

    @property
    def score(self) -> tuple[int, int, int]:
        return (
            len(self.problems),
            sum(int(p.get("over_s", 0)) for p in self.problems),
            self.drive_s,
        )


@dataclass
class Chain:
    """One car's route being edited: its stops in order and where it starts and ends."""

    vehicle: Vehicle
    route: Route | None  # None: an idle car that would get a new route
    items: list[Item]
    start: tuple[float, float]
    end: tuple[float, float] | None
    shift: tuple[int, int]
    first_free: int = 0  # stops before this index are done or passed: nothing goes before them
    leave_fixed: bool = False  # the car has left already
    timing: Timing | None = None
    touched: bool = False


@dataclass
class Context:
    """What every hand edit needs: the settings, the travel model and the clock."""

    settings: Settings
    half: Half
    now_s: int | None
    requests: dict[int, rp.Request] = field(default_factory=dict)

    def request(self, booking: Booking) -> rp.Request:
        if booking.id not in self.requests:
            self.requests[booking.id] = ride_request(booking, self.settings, travel_for(self.settings))
        return self.requests[booking.id]


def _window(window: rp.TimeWindow | None) -> tuple[int, int]:
    return (0, DAY_S - 1) if window is None else (window.start_s, window.end_s)


def _item(ctx: Context, booking: Booking, kind: StopKind, stop: Stop | None = None) -> Item:
    req = ctx.request(booking)
    if kind == StopKind.PICKUP:
        lo, hi = _window(req.pickup_window)
        place = stop.place if stop is not None and stop.place is not None else booking.from_place
    else:
        lo, hi = _window(req.dropoff_window)
        place = stop.place if stop is not None and stop.place is not None else booking.to_place
    return Item(
        kind=kind,
        booking=booking,
        lat=place.lat,
        lon=place.lon,
        place_id=place.id,
        lo=lo,
        hi=hi,
        max_ride_s=req.max_ride_s,
        stop=stop,
        done=stop is not None and stop.status != StopStatus.PLANNED,
    )


def _chain(ctx: Context, vehicle: Vehicle, route: Route | None, bookings: dict[int, Booking]) -> Chain:
    shift = ctx.settings.shift_s(ctx.half.value)
    base = (vehicle.base.lat, vehicle.base.lon)
    if route is None:
        return Chain(vehicle, None, [], base, None if ctx.half == Half.MORNING else base, shift)
    items: list[Item] = []
    for stop in route.stops:
        booking = bookings.get(stop.booking_id or -1)
        if booking is None:  # a booking deleted since the plan: keep the stop as it is
            continue
        items.append(_item(ctx, booking, stop.kind, stop))
    start = (route.start_lat, route.start_lon) if route.start_lat is not None else base
    end = (route.end_lat, route.end_lon) if route.end_lat is not None else None
    chain = Chain(vehicle, route, items, start, end, shift)  # type: ignore[arg-type]
    first_free = 0
    for i, item in enumerate(items):
        passed = ctx.now_s is not None and item.stop is not None and item.stop.start_s <= ctx.now_s
        if item.done or passed:
            first_free = i + 1
    chain.first_free = first_free
    chain.leave_fixed = first_free > 0 or (ctx.now_s is not None and route.start_s <= ctx.now_s)
    return chain


class Travel:
    """Travel times between the points of a few chains, computed once per edit."""

    def __init__(self, settings: Settings, points: Sequence[tuple[float, float]]) -> None:
        self.index: dict[tuple[float, float], int] = {}
        unique: list[tuple[float, float]] = []
        for p in points:
            if p not in self.index:
                self.index[p] = len(unique)
                unique.append(p)
        matrices = travel_for(settings).matrices([rp.Point(lat=a, lon=b) for a, b in unique])
        self.D: list[list[int]] = matrices.durations.tolist()
        self.M: list[list[int]] = matrices.distances.tolist()

    def at(self, point: tuple[float, float]) -> int:
        return self.index[point]


def _points(chain: Chain) -> list[tuple[float, float]]:
    out = [chain.start] + [(i.lat, i.lon) for i in chain.items]
    if chain.end is not None:
        out.append(chain.end)
    return out


def _schedule(ctx: Context, chain: Chain, items: Sequence[Item], travel: Travel, leave_s: int) -> Timing:
    service = int(ctx.settings.SERVICE_S)
    D, M = travel.D, travel.M
    last = travel.at(chain.start)
    t = leave_s
    load = chairs = 0
    drive = dist = 0
    times: list[Timed] = []
    for item in items:
        here = item.pt
        drive += D[last][here]
        dist += M[last][here]
        if item.done and item.stop is not None:
            arrive, start, depart = item.stop.arrive_s, item.stop.start_s, item.stop.depart_s
        else:
            if ctx.now_s is not None and chain.leave_fixed and t < ctx.now_s:
                t = ctx.now_s  # the car cannot be anywhere sooner than now
            arrive = t + D[last][here]
            start = max(arrive, item.lo)
            depart = start + service
        sign = 1 if item.kind == StopKind.PICKUP else -1
        if not (item.kind == StopKind.PICKUP and item.stop is not None and item.stop.status == StopStatus.NO_SHOW):
            load += sign * item.booking.seats
            chairs += sign * item.booking.wheelchair
        times.append(Timed(arrive, start, depart, max(load, 0)))
        t = depart
        last = here
    end_s = t
    if chain.end is not None:
        end = travel.at(chain.end)
        drive += D[last][end]
        dist += M[last][end]
        end_s = t + D[last][end]
    timing = Timing(leave_s, times, end_s, drive, dist, [])
    timing.problems = _problems(chain, items, timing)
    return timing


def _problems(chain: Chain, items: Sequence[Item], timing: Timing) -> list[dict[str, Any]]:
    """What the timing breaks, in words a volunteer understands."""
    out: list[dict[str, Any]] = []
    picked: dict[int, int] = {}
    over_seats = False
    for item, when in zip(items, timing.times, strict=True):
        name = item.booking.rider.name
        if item.done:
            if item.kind == StopKind.PICKUP:
                picked[item.booking.id] = when.depart_s
            continue
        late = when.start_s - item.hi
        if late > 0:
            what = "be picked up" if item.kind == StopKind.PICKUP else "arrive"
            limit = "the latest pick-up" if item.kind == StopKind.PICKUP else "their arrive-by time"
            out.append({
                "kind": "late", "booking_id": item.booking.id, "rider": name, "over_s": late,
                "text": f"{name} would {what} at {_words_time(when.start_s)}, "
                        f"{_minutes(late)} min after {limit} {_words_time(item.hi)}",
            })  # fmt: skip
        if item.kind == StopKind.PICKUP:
            picked[item.booking.id] = when.depart_s
        elif item.booking.id in picked and item.max_ride_s is not None:
            ride = when.start_s - picked[item.booking.id]
            if ride > item.max_ride_s:
                out.append({
                    "kind": "ride", "booking_id": item.booking.id, "rider": name,
                    "over_s": ride - item.max_ride_s,
                    "text": f"{name} would ride {_minutes(ride)} min; the limit is "
                            f"{_minutes(item.max_ride_s)} min",
                })  # fmt: skip
        if when.load > chain.vehicle.seats and not over_seats:
            over_seats = True
            out.append({
                "kind": "seats", "rider": name, "over_s": 0,
                "text": f"{chain.vehicle.name} would carry {when.load} riders "
                        f"with {chain.vehicle.seats} seats",
            })  # fmt: skip
    chairs = 0
    for item in items:
        chairs += item.booking.wheelchair if item.kind == StopKind.PICKUP else -item.booking.wheelchair
        if chairs > chain.vehicle.wheelchair:
            out.append({
                "kind": "wheelchair", "rider": item.booking.rider.name, "over_s": 0,
                "text": f"{chain.vehicle.name} has no room for a wheelchair",
            })  # fmt: skip
            break
    if timing.end_s > chain.shift[1] and items:
        out.append({
            "kind": "shift", "rider": None, "over_s": timing.end_s - chain.shift[1],
            "text": f"{chain.vehicle.name} would finish at {_words_time(timing.end_s)}, after its "
                    f"driver's time ends at {_words_time(chain.shift[1])}",
        })  # fmt: skip
    return out


def _time(ctx: Context, chain: Chain, items: Sequence[Item], travel: Travel) -> Timing:
    """The best timing of `items` on the chain's car: leave so as not to wait, not be late."""
    if chain.leave_fixed and chain.route is not None:
        return _schedule(ctx, chain, items, travel, chain.route.start_s)
    first = next((i for i in items if not i.done), None)
    if first is None:
        leave = chain.route.start_s if chain.route is not None else chain.shift[0]
        return _schedule(ctx, chain, items, travel, leave)
    # Leave so as to reach the first stop as its window opens, then try earlier if late.
    leave = max(chain.shift[0], first.lo - travel.D[travel.at(chain.start)][first.pt])
    if ctx.now_s is not None:
        leave = max(leave, ctx.now_s)
    best = _schedule(ctx, chain, items, travel, leave)
    worst_late = max((int(p["over_s"]) for p in best.problems if p["kind"] == "late"), default=0)
    if worst_late:
        earliest = chain.shift[0] if ctx.now_s is None else max(chain.shift[0], ctx.now_s)
        earlier = _schedule(ctx, chain, items, travel, max(earliest, leave - worst_late))
        if earlier.score < best.score:
            best = earlier
    return best


@dataclass
class Insertion:
    chain: Chain
    items: list[Item]
    timing: Timing
    added_drive_s: int


def _best_insertion(
    ctx: Context, chain: Chain, pickup: Item, dropoff: Item, travel: Travel, *, pickup_done: bool = False
) -> Insertion | None:
    """The best place in `chain` for a rider's pick-up and drop-off (a drop-off alone if
    the rider is already aboard, `pickup_done`)."""
    base = chain.items
    before = chain.timing or _time(ctx, chain, base, travel)
    chain.timing = before
    if chain.vehicle.seats < pickup.booking.seats or chain.vehicle.wheelchair < pickup.booking.wheelchair:
        return None
    best: Insertion | None = None
    n = len(base)
    lo = chain.first_free
    for i in range(lo, n + 1):
        for j in range(i, n + 1):
            seq = base[:i] + [pickup] + base[i:j] + [dropoff] + base[j:]
            timing = _time(ctx, chain, seq, travel)
            if best is None or timing.score < best.timing.score:
                best = Insertion(chain, seq, timing, timing.drive_s - before.drive_s)
    return best


def _place_points(items: Iterable[Item]) -> list[tuple[float, float]]:
    return [(i.lat, i.lon) for i in items]


def _index(travel: Travel, chains: Iterable[Chain], extra: Iterable[Item]) -> None:
    for chain in chains:
        for item in chain.items:
            item.pt = travel.at((item.lat, item.lon))
    for item in extra:
        item.pt = travel.at((item.lat, item.lon))


def _nearest(chains: Sequence[Chain], lat: float, lon: float, k: int) -> list[Chain]:
    def gap(chain: Chain) -> float:
        points = _points(chain)
        return min((p[0] - lat) ** 2 + ((p[1] - lon) * math.cos(math.radians(lat))) ** 2 for p in points)

    return sorted(chains, key=gap)[:k]


# -- loading a plan for editing -----------------------------------------------------------


@dataclass
class Day:
    """The plan in force with its routes and bookings, ready to edit."""

    plan: Plan
    routes: list[Route]
    bookings: dict[int, Booking]
    vehicles: dict[int, Vehicle]

    def route_of_vehicle(self, vehicle_id: int) -> Route | None:
        return next((r for r in self.routes if r.vehicle_id == vehicle_id), None)

    def stops_of(self, booking_id: int) -> list[Stop]:
        return [s for r in self.routes for s in r.stops if s.booking_id == booking_id]


def load_day(session: Session, plan: Plan) -> Day:
    routes = plan_routes(session, plan)
    ids = {s.booking_id for r in routes for s in r.stops if s.booking_id}
    ids |= {u.booking_id for u in plan.unassigned if u.booking_id}
    bookings = (
        {
            b.id: b
            for b in session.scalars(
                select(Booking)
                .where(Booking.id.in_(ids))
                .options(
                    selectinload(Booking.from_place),
                    selectinload(Booking.to_place),
                    selectinload(Booking.rider),
                )
            )
        }
        if ids
        else {}
    )
    vehicles = {
        v.id: v
        for v in session.scalars(select(Vehicle).options(selectinload(Vehicle.base), selectinload(Vehicle.driver)))
    }
    return Day(plan, routes, bookings, vehicles)


def _plan_in_force(session: Session, service_date: dt.date, half: Half | str) -> Plan:
    plan = current_plan(session, service_date, half)
    if plan is None:
        raise NotFound(f"there is no published plan for {service_date.isoformat()} {Half(half).value}")
    return plan


def _plan(session: Session, plan_id: int) -> Plan:
    plan = session.get(Plan, plan_id)
    if plan is None:
        raise NotFound("no such plan")
    return plan


def _check_versions(routes: Iterable[Route], seen: dict[int, int] | None) -> None:
    if not seen:
        return
    for route in routes:
        if route.id in seen and seen[route.id] != route.version:
            raise Conflict(
                f"{route.vehicle.name}'s route was changed by someone else a moment ago; look at it again and retry"
            )


# -- storing an edited chain --------------------------------------------------------------


def _store(session: Session, plan: Plan, chains: Sequence[Chain], ctx: Context) -> list[Route]:
    """Write the touched chains back: stops in their new order and times, routes re-timed
    and their versions bumped. Returns the routes written."""
    touched = [c for c in chains if c.touched]
    # First park every stop of a touched route on a seq of its own, so that moving stops
    # between routes never collides with the (route, seq) unique constraint.
    parked = 0
    for chain in touched:
        if chain.route is None:
            continue
        for stored in session.scalars(select(Stop).where(Stop.route_id == chain.route.id)):
            parked += 1
            stored.seq = -parked
    session.flush()
    written: list[Route] = []
    for chain in touched:
        timing = chain.timing
        assert timing is not None
        route = chain.route
        if route is None:
            route = Route(
                plan_id=plan.id,
                vehicle_id=chain.vehicle.id,
                driver_id=chain.vehicle.driver_id,
                start_lat=chain.start[0],
                start_lon=chain.start[1],
                end_lat=chain.end[0] if chain.end else None,
                end_lon=chain.end[1] if chain.end else None,
                start_s=timing.leave_s,
                end_s=timing.end_s,
                drive_s=timing.drive_s,
                distance_m=timing.distance_m,
                version=1,
            )
            session.add(route)
            session.flush()
            chain.route = route
        else:
            route.version += 1
        route.start_s = timing.leave_s
        route.end_s = timing.end_s
        route.drive_s = timing.drive_s
        route.distance_m = timing.distance_m
        for seq, (item, when) in enumerate(zip(chain.items, timing.times, strict=True), start=1):
            stop = item.stop
            if stop is None:
                stop = Stop(
                    kind=item.kind,
                    booking_id=item.booking.id,
                    rider_id=item.booking.rider_id,
                    place_id=item.place_id,
                    status=StopStatus.PLANNED,
                    seq=-(parked + seq),
                    arrive_s=when.arrive_s,
                    start_s=when.start_s,
                    depart_s=when.depart_s,
                    load=when.load,
                )
                session.add(stop)
                item.stop = stop
            stop.route = route
            stop.seq = seq
            if not item.done:
                stop.arrive_s, stop.start_s, stop.depart_s = when.arrive_s, when.start_s, when.depart_s
                stop.load = when.load
        written.append(route)
    session.flush()
    for route in written:
        session.expire(route, ["stops"])
    _retotal(session, plan)
    return written


def _retotal(session: Session, plan: Plan) -> None:
    routes = list(session.scalars(select(Route).where(Route.plan_id == plan.id)))
    plan.drive_s = sum(r.drive_s for r in routes)
    plan.distance_m = sum(r.distance_m for r in routes)
    plan.served = len(
        set(
            session.scalars(
                select(Stop.booking_id)
                .join(Stop.route)
                .where(Route.plan_id == plan.id)
                .where(Stop.kind == StopKind.DROPOFF)
            )
        )
    )
    session.flush()


def _route_view(chain: Chain, moved: int | None = None) -> dict[str, Any]:
    timing = chain.timing
    assert timing is not None
    return {
        "vehicle": {"id": chain.vehicle.id, "name": chain.vehicle.name},
        "route_id": chain.route.id if chain.route else None,
        "version": chain.route.version if chain.route else None,
        "leave": _words_time(timing.leave_s),
        "finish": _words_time(timing.end_s),
        "drive_s": timing.drive_s,
        "stops": [
            {
                "stop_id": item.stop.id if item.stop is not None else None,
                "kind": item.kind.value,
                "rider": item.booking.rider.name,
                "place": next(
                    (p.name for p in (item.booking.from_place, item.booking.to_place) if p.id == item.place_id),
                    "where the car stopped",
                ),
                "time": _words_time(when.start_s),
                "before": _words_time(item.stop.start_s) if item.stop is not None and item.stop.id else None,
                "moved": item.booking.id == moved,
                "status": item.stop.status.value if item.stop is not None else "planned",
            }
            for item, when in zip(chain.items, timing.times, strict=True)
        ],
        "problems": timing.problems,
    }


def _notify_routes(
    notices: PendingNotices, plan: Plan, routes: Iterable[Route], riders: Iterable[int], kind: str
) -> None:
    routes = list(routes)
    data = {
        "plan_id": plan.id,
        "date": plan.service_date.isoformat(),
        "half": plan.half.value,
        "route_ids": sorted(r.id for r in routes),
        "kind": kind,
    }
    rooms = [BOARD_ROOM] + sorted({driver_room(r.driver_id) for r in routes if r.driver_id})
    notices.add("routes_changed", data, rooms)
    for rider_id in sorted(set(riders)):
        # The rider's page listens for stop_updated; it is a notice to re-fetch.
        notices.add("stop_updated", {"plan_id": plan.id, "kind": kind}, [rider_room(rider_id)])


# -- moving a rider -----------------------------------------------------------------------


@dataclass
class MoveOutcome:
    booking_id: int
    from_route: dict[str, Any] | None
    to_route: dict[str, Any] | None
    problems: list[dict[str, Any]]
    routes: list[Route] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "booking_id": self.booking_id,
            "from": self.from_route,
            "to": self.to_route,
            "problems": self.problems,
        }


def _move(
    session: Session,
    settings: Settings,
    plan: Plan,
    booking_id: int,
    to_vehicle_id: int | None,
    now_s: int | None,
) -> tuple[Day, Context, list[Chain], MoveOutcome]:
    day = load_day(session, plan)
    booking = day.bookings.get(booking_id)
    if booking is None:
        raise NotFound("that rider is not in this plan")
    ctx = Context(settings, plan.half, now_s)
    stops = day.stops_of(booking_id)
    if any(s.status != StopStatus.PLANNED for s in stops):
        raise InvalidInput({"booking_id": (
            f"{booking.rider.name} is already picked up (or marked); "
            "to move riders out of a car on the road, mark the car out of service"
        )})  # fmt: skip
    source_route = stops[0].route if stops else None
    if to_vehicle_id is not None and source_route is not None and source_route.vehicle_id == to_vehicle_id:
        raise InvalidInput({"to_vehicle_id": f"{booking.rider.name} is already in {source_route.vehicle.name}"})
    target_vehicle = day.vehicles.get(to_vehicle_id) if to_vehicle_id is not None else None
    if to_vehicle_id is not None:
        if target_vehicle is None:
            raise NotFound("no such car")
        if not target_vehicle.in_service:
            raise InvalidInput({"to_vehicle_id": f"{target_vehicle.name} is out of service"})
        if target_vehicle.driver_id is None:
            raise InvalidInput({"to_vehicle_id": f"{target_vehicle.name} has no driver"})
    chains: list[Chain] = []
    source: Chain | None = None
    if source_route is not None:
        source = _chain(ctx, day.vehicles[source_route.vehicle_id], source_route, day.bookings)
        chains.append(source)
    target: Chain | None = None
    if target_vehicle is not None:
        target = _chain(ctx, target_vehicle, day.route_of_vehicle(target_vehicle.id), day.bookings)
        chains.append(target)
    pickup = next(
        (i for i in (source.items if source else []) if i.booking.id == booking_id and i.kind == StopKind.PICKUP), None
    )
    dropoff = next(
        (i for i in (source.items if source else []) if i.booking.id == booking_id and i.kind == StopKind.DROPOFF), None
    )
    pickup = pickup or _item(ctx, booking, StopKind.PICKUP)
    dropoff = dropoff or _item(ctx, booking, StopKind.DROPOFF)
    travel = Travel(settings, [p for c in chains for p in _points(c)] + _place_points([pickup, dropoff]))
    _index(travel, chains, [pickup, dropoff])
    from_view = to_view = None
    if source is not None:
        source.items = [i for i in source.items if i.booking.id != booking_id]
        source.timing = _time(ctx, source, source.items, travel)
        source.touched = True
        from_view = _route_view(source)
    problems: list[dict[str, Any]] = []
    if target is not None:
        found = _best_insertion(ctx, target, pickup, dropoff, travel)
        if found is None:
            raise InvalidInput({"to_vehicle_id": f"{target.vehicle.name} has no room for {booking.rider.name}"})
        target.items, target.timing, target.touched = found.items, found.timing, True
        to_view = _route_view(target, moved=booking_id)
        problems = found.timing.problems
    return day, ctx, chains, MoveOutcome(booking_id, from_view, to_view, problems)


def preview_move(
    session: Session, settings: Settings, plan_id: int, booking_id: int, to_vehicle_id: int | None,
    *, now_s: int | None = None,
) -> MoveOutcome:  # fmt: skip
    """What moving a rider to another car (or out of every car) would do, without saving:
    both cars' new times, and every window or ride-time limit it would break."""
    plan = _plan(session, plan_id)
    _, _, _, outcome = _move(session, settings, plan, booking_id, to_vehicle_id, now_s)
    return outcome


def move_rider(
    session: Session,
    settings: Settings,
    plan_id: int,
    booking_id: int,
    to_vehicle_id: int | None,
    actor: Person,
    notices: PendingNotices,
    *,
    versions: dict[int, int] | None = None,
    now_s: int | None = None,
) -> MoveOutcome:
    """Move a rider to another car (None: out of every car) and save it.

    `versions` are the route versions the dispatcher saw; a route changed since is a
    Conflict. A move that breaks a limit is saved all the same (the dispatcher saw the
    preview and decided); the broken limits are returned and logged.
    """
    plan = _plan(session, plan_id)
    if plan.status != PlanStatus.PUBLISHED:
        raise Conflict("this plan is no longer the one in force; reload the board")
    day, ctx, chains, outcome = _move(session, settings, plan, booking_id, to_vehicle_id, now_s)
    _check_versions([c.route for c in chains if c.route is not None], versions)
    booking = day.bookings[booking_id]
    if to_vehicle_id is None:
        for stop in day.stops_of(booking_id):
            session.delete(stop)
        session.flush()
    else:
        for unassigned in list(plan.unassigned):
            if unassigned.booking_id == booking_id:
                plan.unassigned.remove(unassigned)
    routes = _store(session, plan, chains, ctx)
    if to_vehicle_id is None:
        plan.unassigned.append(UnassignedRide(booking_id=booking_id, reason="taken out of the car by a dispatcher"))
        session.flush()
    # The stored stops now exist: refresh the views so they carry ids and versions.
    outcome.from_route = (
        _route_view(chains[0]) if chains and chains[0].route is not None and outcome.from_route else outcome.from_route
    )
    for chain in chains:
        if outcome.to_route is not None and chain.vehicle.id == to_vehicle_id:
            outcome.to_route = _route_view(chain, moved=booking_id)
    session.add(Event(
        actor_id=actor.id, kind="rider_moved", plan_id=plan.id,
        data={
            "booking_id": booking_id, "rider_id": booking.rider_id, "rider": booking.rider.name,
            "from": outcome.from_route["vehicle"]["name"] if outcome.from_route else None,
            "to": outcome.to_route["vehicle"]["name"] if outcome.to_route else None,
            "problems": [p["text"] for p in outcome.problems],
        },
    ))  # fmt: skip
    session.flush()
    outcome.routes = routes
    _notify_routes(notices, plan, routes, [booking.rider_id], "rider_moved")
    return outcome


# -- a car out of service -----------------------------------------------------------------


@dataclass
class ReplanOutcome:
    vehicle_id: int
    moved: list[dict[str, Any]]
    unplaced: list[dict[str, Any]]
    seconds: float
    routes: list[Route] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "vehicle_id": self.vehicle_id,
            "moved": self.moved,
            "unplaced": self.unplaced,
            "seconds": round(self.seconds, 3),
            "route_ids": sorted(r.id for r in self.routes),
        }


def planned_position(route: Route, at_s: int) -> tuple[float, float] | None:
    """Where the plan has the car at `at_s`: on a straight line between its stops."""
    points: list[tuple[int, tuple[float, float]]] = []
    if route.start_lat is not None and route.start_lon is not None:
        points.append((route.start_s, (route.start_lat, route.start_lon)))
    for stop in route.stops:
        if stop.place is None:
            continue
        where = (stop.place.lat, stop.place.lon)
        points += [(stop.arrive_s, where), (stop.depart_s, where)]
    if route.end_lat is not None and route.end_lon is not None:
        points.append((route.end_s, (route.end_lat, route.end_lon)))
    if not points:
        return None
    if at_s <= points[0][0]:
        return points[0][1]
    for (t0, p0), (t1, p1) in zip(points, points[1:], strict=False):
        if t0 <= at_s <= t1:
            f = 0.0 if t1 == t0 else (at_s - t0) / (t1 - t0)
            return (p0[0] + f * (p1[0] - p0[0]), p0[1] + f * (p1[1] - p0[1]))
    return points[-1][1]


def car_position(
    vehicle: Vehicle, route: Route | None, at_s: int, now: dt.datetime | None = None
) -> tuple[float, float]:
    """The driver's shared position if fresh, else the planned one, else the car's base."""
    now = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    if (
        vehicle.last_lat is not None
        and vehicle.last_lon is not None
        and vehicle.last_seen_at is not None
        and (now - vehicle.last_seen_at).total_seconds() <= POSITION_FRESH_S
    ):
        return (vehicle.last_lat, vehicle.last_lon)
    if route is not None:
        where = planned_position(route, at_s)
        if where is not None:
            return where
    return (vehicle.base.lat, vehicle.base.lon)


def take_out_of_service(
    session: Session,
    settings: Settings,
    vehicle_id: int,
    service_date: dt.date,
    half: Half | str,
    reason: str,
    actor: Person,
    notices: PendingNotices,
    *,
    now_s: int | None = None,
    note: str | None = None,
) -> ReplanOutcome:
    """Take a car off the road and re-plan its remaining riders onto the other cars.

    Riders it already dropped off stay done; riders aboard are fetched from where the car
    stopped (first, before anyone else); riders still waiting go to the car that can take
    them best without breaking a limit, or, failing that, are left for the dispatcher with
    a reason. Other cars keep their riders and their order.
    """
    began = time.perf_counter()
    if reason not in REASONS:
        raise InvalidInput({"reason": "must be one of " + ", ".join(REASONS)})
    half = Half(half)
    vehicle = session.get(Vehicle, vehicle_id)
    if vehicle is None:
        raise NotFound("no such car")
    if not vehicle.in_service:
        raise Conflict(f"{vehicle.name} is already out of service")
    vehicle.in_service = False
    vehicle.out_of_service_reason = (REASONS[reason] + (f": {note}" if note else ""))[:200]
    plan = current_plan(session, service_date, half)
    outcome = ReplanOutcome(vehicle_id, [], [], 0.0)
    routes: list[Route] = []
    if plan is not None:
        routes = _replan_without(session, settings, plan, vehicle, outcome, now_s)
    outcome.seconds = time.perf_counter() - began
    session.add(Event(
        actor_id=actor.id, kind="vehicle_out_of_service", plan_id=plan.id if plan else None,
        data={
            "vehicle_id": vehicle.id, "vehicle": vehicle.name, "reason": vehicle.out_of_service_reason,
            "date": service_date.isoformat(), "half": half.value,
            "moved": len(outcome.moved), "unplaced": len(outcome.unplaced),
            "seconds": round(outcome.seconds, 3),
        },
    ))  # fmt: skip
    session.flush()
    outcome.routes = routes
    rooms = [BOARD_ROOM] + ([driver_room(vehicle.driver_id)] if vehicle.driver_id else [])
    notices.add("vehicle_updated", {"vehicle_id": vehicle.id, "in_service": False}, rooms)
    if plan is not None:
        riders = [m["rider_id"] for m in outcome.moved] + [u["rider_id"] for u in outcome.unplaced]
        _notify_routes(notices, plan, routes, riders, "vehicle_out_of_service")
    return outcome


def _replan_without(
    session: Session, settings: Settings, plan: Plan, vehicle: Vehicle, outcome: ReplanOutcome, now_s: int | None
) -> list[Route]:
    day = load_day(session, plan)
    broken_route = day.route_of_vehicle(vehicle.id)
    if broken_route is None:
        return []
    ctx = Context(settings, plan.half, now_s)
    broken = _chain(ctx, vehicle, broken_route, day.bookings)
    aboard: list[Booking] = []
    waiting: list[Booking] = []
    picked = {i.booking.id for i in broken.items if i.kind == StopKind.PICKUP and i.stop is not None
              and i.stop.status == StopStatus.PICKED_UP}  # fmt: skip
    for item in broken.items:
        if item.done or item.kind != StopKind.DROPOFF:
            continue
        (aboard if item.booking.id in picked else waiting).append(item.booking)
    if not aboard and not waiting:
        return []
    at_s = now_s if now_s is not None else broken_route.start_s
    where = car_position(vehicle, broken_route, at_s)
    stranded_place: Place | None = None
    if aboard:
        stranded_place = Place(
            name=f"Where {vehicle.name} stopped ({_words_time(at_s)})", kind=PlaceKind.OTHER,
            lat=round(where[0], 6), lon=round(where[1], 6),
        )  # fmt: skip
        session.add(stranded_place)
        session.flush()

    others: list[Chain] = []
    used = {r.vehicle_id for r in day.routes}
    for route in day.routes:
        car = day.vehicles[route.vehicle_id]
        if car.id != vehicle.id and car.in_service:
            others.append(_chain(ctx, car, route, day.bookings))
    for car in day.vehicles.values():
        if car.id not in used and car.in_service and car.driver_id is not None:
            others.append(_chain(ctx, car, None, day.bookings))
    if now_s is not None:
        for chain in others:
            if chain.route is None and now_s > chain.shift[0]:
                # An idle car starts from its base now, not at the start of the shift.
                chain.shift = (now_s, chain.shift[1])

    # The broken car's route keeps only what is done.
    old_items = {i.booking.id: i for i in broken.items if not i.done and i.kind == StopKind.DROPOFF}
    old_pickups = {i.booking.id: i for i in broken.items if not i.done and i.kind == StopKind.PICKUP}
    broken.items = [i for i in broken.items if i.done]
    broken.touched = True

    todo: list[tuple[Booking, Item, Item]] = []
    for booking in aboard:
        new_pickup = _item(ctx, booking, StopKind.PICKUP)
        assert stranded_place is not None
        new_pickup.lat, new_pickup.lon, new_pickup.place_id = stranded_place.lat, stranded_place.lon, stranded_place.id
        start = at_s
        new_pickup.lo, new_pickup.hi = start, min(DAY_S - 1, start + int(settings.PICKUP_WAIT_S))
        todo.append((booking, new_pickup, old_items[booking.id]))
    def planned_pickup_s(booking: Booking) -> int:
        item = old_pickups.get(booking.id)
        return item.stop.start_s if item is not None and item.stop is not None else 0

    for booking in sorted(waiting, key=planned_pickup_s):
        todo.append(
            (booking, old_pickups.get(booking.id) or _item(ctx, booking, StopKind.PICKUP), old_items[booking.id])
        )

    points = [p for c in others + [broken] for p in _points(c)]
    points += _place_points(i for _, p, d in todo for i in (p, d))
    travel = Travel(settings, points)
    _index(travel, others + [broken], [i for _, p, d in todo for i in (p, d)])
    broken.timing = _time(ctx, broken, broken.items, travel)

    for booking, pickup, dropoff in todo:
        is_aboard = booking in aboard
        best: Insertion | None = None
        for chain in _nearest(others, pickup.lat, pickup.lon, NEAREST_CARS):
            found = _best_insertion(ctx, chain, pickup, dropoff, travel)
            if found is not None and (
                best is None
                or (found.timing.score[0], found.added_drive_s) < (best.timing.score[0], best.added_drive_s)
            ):
                best = found
        if best is None or (best.timing.problems and not is_aboard):
            outcome.unplaced.append({
                "booking_id": booking.id, "rider_id": booking.rider_id, "rider": booking.rider.name,
                "reason": f"no other car can take them on time after {vehicle.name} went out of service",
            })  # fmt: skip
            continue
        best.chain.items, best.chain.timing, best.chain.touched = best.items, best.timing, True
        outcome.moved.append({
            "booking_id": booking.id, "rider_id": booking.rider_id, "rider": booking.rider.name,
            "to": best.chain.vehicle.name, "aboard": is_aboard,
            "problems": [p["text"] for p in best.timing.problems],
        })  # fmt: skip

    # Stops of riders who could not be placed leave the broken car's route.
    for entry in outcome.unplaced:
        for stop in day.stops_of(entry["booking_id"]):
            if stop.status == StopStatus.PLANNED:
                session.delete(stop)
        plan.unassigned.append(UnassignedRide(booking_id=entry["booking_id"], reason=entry["reason"]))
    session.flush()
    return _store(session, plan, others + [broken], ctx)


def put_back_in_service(session: Session, vehicle_id: int, actor: Person, notices: PendingNotices) -> Vehicle:
    """The car is back: it can be planned again (its old riders stay where they went)."""
    vehicle = session.get(Vehicle, vehicle_id)
    if vehicle is None:
        raise NotFound("no such car")
    vehicle.in_service = True
    vehicle.out_of_service_reason = None
    session.add(
        Event(actor_id=actor.id, kind="vehicle_in_service", data={"vehicle_id": vehicle.id, "vehicle": vehicle.name})
    )
    session.flush()
    rooms = [BOARD_ROOM] + ([driver_room(vehicle.driver_id)] if vehicle.driver_id else [])
    notices.add("vehicle_updated", {"vehicle_id": vehicle.id, "in_service": True}, rooms)
    return vehicle


# -- marks: a rider running late ----------------------------------------------------------


def mark_late(session: Session, stop_id: int, minutes: int, actor: Person, notices: PendingNotices) -> Stop:
    """Note that a rider phoned to say they will be late; the driver and the board see it."""
    stop = session.get(Stop, stop_id)
    if stop is None:
        raise NotFound("no such stop")
    if stop.kind != StopKind.PICKUP:
        raise InvalidInput({"stop_id": "only a pick-up can be late"})
    if not 0 <= minutes <= 240:
        raise InvalidInput({"minutes": "must be between 0 and 240"})
    route = stop.route
    route.version += 1
    session.add(Event(
        actor_id=actor.id, kind="rider_late", plan_id=route.plan_id,
        data={"stop_id": stop.id, "route_id": route.id, "rider_id": stop.rider_id,
              "rider": stop.rider.name if stop.rider else None, "minutes": minutes,
              "vehicle": route.vehicle.name},
    ))  # fmt: skip
    session.flush()
    rooms = [BOARD_ROOM] + ([driver_room(route.driver_id)] if route.driver_id else [])
    notices.add("stop_updated", {"plan_id": route.plan_id, "route_id": route.id, "stop_id": stop.id,
                                 "status": stop.status.value}, rooms)  # fmt: skip
    return stop


def late_marks(session: Session, plan: Plan) -> dict[int, int]:
    """Stop id -> minutes late, as last reported (0 clears it)."""
    marks: dict[int, int] = {}
    for event in session.scalars(
        select(Event).where(Event.plan_id == plan.id).where(Event.kind == "rider_late").order_by(Event.id)
    ):
        marks[int(event.data["stop_id"])] = int(event.data["minutes"])
    return {k: v for k, v in marks.items() if v}


# -- a one-off ride for someone who phones in ---------------------------------------------


@dataclass(frozen=True)
class OneOffRide:
    rider_id: int
    from_place_id: int
    to_place_id: int
    service_date: dt.date
    half: str
    time_kind: str
    time_s: int
    seats: int = 1
    wheelchair: int = 0


def add_one_off_ride(
    session: Session, settings: Settings, ride: OneOffRide, actor: Person, notices: PendingNotices,
    *, now_s: int | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Book a ride for one day only and, if that half-day has a plan, put it in the car that
    takes it best without breaking a limit (else it waits for the dispatcher, with a reason)."""
    booking = booking_service.add_booking(
        session,
        booking_service.BookingRequest(
            rider_id=ride.rider_id, from_place_id=ride.from_place_id, to_place_id=ride.to_place_id,
            half=ride.half, weekdays=(weekday_name(ride.service_date),), time_kind=ride.time_kind,
            time_s=ride.time_s, valid_from=ride.service_date, valid_until=ride.service_date,
            seats=ride.seats, wheelchair=ride.wheelchair,
        ),
    )  # fmt: skip
    session.refresh(booking)
    plan = current_plan(session, ride.service_date, ride.half)
    result: dict[str, Any] = {"booking_id": booking.id, "plan_id": plan.id if plan else None,
                              "vehicle": None, "problems": [], "placed": False}  # fmt: skip
    routes: list[Route] = []
    if plan is not None:
        plan.requests += 1
        day = load_day(session, plan)
        day.bookings[booking.id] = booking
        ctx = Context(settings, plan.half, now_s)
        chains = [_chain(ctx, day.vehicles[r.vehicle_id], r, day.bookings) for r in day.routes
                  if day.vehicles[r.vehicle_id].in_service]  # fmt: skip
        used = {r.vehicle_id for r in day.routes}
        chains += [_chain(ctx, v, None, day.bookings) for v in day.vehicles.values()
                   if v.id not in used and v.in_service and v.driver_id is not None]  # fmt: skip
        pickup, dropoff = _item(ctx, booking, StopKind.PICKUP), _item(ctx, booking, StopKind.DROPOFF)
        near = _nearest(chains, pickup.lat, pickup.lon, NEAREST_CARS) if chains else []
        travel = Travel(settings, [p for c in near for p in _points(c)] + _place_points([pickup, dropoff]))
        _index(travel, near, [pickup, dropoff])
        best: Insertion | None = None
        for chain in near:
            found = _best_insertion(ctx, chain, pickup, dropoff, travel)
            if found is not None and (
                best is None
                or (found.timing.score[0], found.added_drive_s) < (best.timing.score[0], best.added_drive_s)
            ):
                best = found
        if best is not None and not best.timing.problems:
            best.chain.items, best.chain.timing, best.chain.touched = best.items, best.timing, True
            routes = _store(session, plan, [best.chain], ctx)
            result.update(vehicle=best.chain.vehicle.name, placed=True)
        else:
            reason = "phoned in; no car can take them on time, move them by hand"
            plan.unassigned.append(UnassignedRide(booking_id=booking.id, reason=reason))
            result["problems"] = [p["text"] for p in best.timing.problems] if best else []
            session.flush()
    session.add(Event(
        actor_id=actor.id, kind="ride_added", plan_id=plan.id if plan else None,
        data={"booking_id": booking.id, "rider_id": booking.rider_id, "rider": booking.rider.name,
              "from": booking.from_place.name, "to": booking.to_place.name,
              "date": ride.service_date.isoformat(), "half": ride.half, "vehicle": result["vehicle"]},
    ))  # fmt: skip
    session.flush()
    if plan is not None:
        _notify_routes(notices, plan, routes, [booking.rider_id], "ride_added")
    else:
        notices.add("routes_changed", {"plan_id": None, "date": ride.service_date.isoformat(),
                                       "half": ride.half, "route_ids": [], "kind": "ride_added"},
                    [BOARD_ROOM])  # fmt: skip
    return result


# -- drafts: compare, publish, discard ----------------------------------------------------


def latest_draft(session: Session, service_date: dt.date, half: Half | str) -> Plan | None:
    return session.scalar(
        select(Plan)
        .where(Plan.service_date == service_date)
        .where(Plan.half == Half(half))
        .where(Plan.status == PlanStatus.DRAFT)
        .order_by(Plan.id.desc())
        .limit(1)
    )


def _cars_by_booking(session: Session, plan: Plan) -> dict[int, str]:
    rows = session.execute(
        select(Stop.booking_id, Vehicle.name)
        .join(Route, Stop.route_id == Route.id)
        .join(Vehicle, Route.vehicle_id == Vehicle.id)
        .where(Route.plan_id == plan.id)
        .where(Stop.kind == StopKind.DROPOFF)
    )
    return {b: name for b, name in rows if b is not None}


def compare_plans(session: Session, draft: Plan, in_force: Plan | None) -> dict[str, Any]:
    """A draft against the plan in force: riders served, driving, riders whose car changed."""
    new = _cars_by_booking(session, draft)
    old = _cars_by_booking(session, in_force) if in_force else {}
    changed_ids = sorted(b for b in new.keys() & old.keys() if new[b] != old[b])
    ids = set(changed_ids) | (new.keys() - old.keys()) | (old.keys() - new.keys())
    riders = (
        {
            b.id: b.rider.name
            for b in session.scalars(select(Booking).where(Booking.id.in_(ids)).options(selectinload(Booking.rider)))
        }
        if ids
        else {}
    )
    return {
        "draft": {"id": draft.id, "served": draft.served, "requests": draft.requests,
                  "drive_s": draft.drive_s, "distance_m": draft.distance_m,
                  "cars": len(set(new.values()))},
        "in_force": None if in_force is None else {
            "id": in_force.id, "served": in_force.served, "requests": in_force.requests,
            "drive_s": in_force.drive_s, "distance_m": in_force.distance_m,
            "cars": len(set(old.values())),
        },
        "changed": [{"booking_id": b, "rider": riders.get(b), "from": old[b], "to": new[b]} for b in changed_ids],
        "newly_served": sorted(riders.get(b) or "" for b in new.keys() - old.keys()),
        "no_longer_served": sorted(riders.get(b) or "" for b in old.keys() - new.keys()) if in_force else [],
    }  # fmt: skip


def publish_draft(session: Session, plan_id: int, actor: Person, notices: PendingNotices) -> Plan:
    """Make a draft the plan in force; the plan it replaces is kept, superseded."""
    draft = _plan(session, plan_id)
    if draft.status != PlanStatus.DRAFT:
        raise Conflict(f"this plan is {draft.status.value}, not a draft; reload the board")
    old = current_plan(session, draft.service_date, draft.half)
    if old is not None:
        old.status = PlanStatus.SUPERSEDED
        session.flush()
    draft.status = PlanStatus.PUBLISHED
    session.add(Event(actor_id=actor.id, kind="plan_published", plan_id=draft.id, data={
        "date": draft.service_date.isoformat(), "half": draft.half.value, "requests": draft.requests,
        "served": draft.served, "drive_s": draft.drive_s, "from_draft": True,
    }))  # fmt: skip
    session.flush()
    drivers = set(session.scalars(select(Route.driver_id).where(Route.plan_id.in_(
        [draft.id] + ([old.id] if old else [])))))  # fmt: skip
    riders = set(session.scalars(select(Stop.rider_id).join(Stop.route).where(Route.plan_id.in_(
        [draft.id] + ([old.id] if old else [])))))  # fmt: skip
    rooms = [BOARD_ROOM] + sorted(driver_room(d) for d in drivers if d) + sorted(rider_room(r) for r in riders if r)
    notices.add("plan_published", {"plan_id": draft.id, "date": draft.service_date.isoformat(),
                                   "half": draft.half.value}, rooms)  # fmt: skip
    return draft


def discard_draft(session: Session, plan_id: int, actor: Person, notices: PendingNotices) -> Plan:
    draft = _plan(session, plan_id)
    if draft.status != PlanStatus.DRAFT:
        raise Conflict(f"this plan is {draft.status.value}, not a draft; reload the board")
    draft.status = PlanStatus.DISCARDED
    session.add(Event(actor_id=actor.id, kind="plan_discarded", plan_id=draft.id,
                      data={"date": draft.service_date.isoformat(), "half": draft.half.value}))  # fmt: skip
    session.flush()
    notices.add("plan_discarded", {"plan_id": draft.id, "date": draft.service_date.isoformat(),
                                   "half": draft.half.value}, [BOARD_ROOM])  # fmt: skip
    return draft


# -- the timeline and the route sheets ----------------------------------------------------


def _event_text(event: Event) -> str:
    d = event.data or {}
    kind = event.kind
    if kind == "plan_published":
        return f"Plan published: {d.get('served')} of {d.get('requests')} riders have a car"
    if kind == "plan_drafted":
        return f"Draft plan ready: {d.get('served')} of {d.get('requests')} riders have a car"
    if kind == "plan_discarded":
        return "Draft plan thrown away"
    if kind == "rider_moved":
        where = f"to {d['to']}" if d.get("to") else "out of every car"
        text = f"{d.get('rider')} moved {('from ' + d['from'] + ' ') if d.get('from') else ''}{where}"
        if d.get("problems"):
            text += " (" + "; ".join(d["problems"]) + ")"
        return text
    if kind == "vehicle_out_of_service":
        return (
            f"{d.get('vehicle')} out of service ({d.get('reason')}): {d.get('moved')} riders moved "
            f"to other cars, {d.get('unplaced')} left without a car"
        )
    if kind == "vehicle_in_service":
        return f"{d.get('vehicle')} back in service"
    if kind == "rider_late":
        return (
            f"{d.get('rider')} will be {d.get('minutes')} min late ({d.get('vehicle')})"
            if d.get("minutes")
            else f"{d.get('rider')} is on time again"
        )
    if kind == "ride_added":
        car = f", in {d['vehicle']}" if d.get("vehicle") else ", not in a car yet"
        return f"One-off ride for {d.get('rider')}: {d.get('from')} to {d.get('to')}{car}"
    if kind.startswith("stop_"):
        words = {"stop_picked_up": "picked up", "stop_dropped_off": "dropped off",
                 "stop_no_show": "marked no-show", "stop_planned": "set back to planned"}  # fmt: skip
        return f"Stop {d.get('stop_id')} {words.get(kind, kind)}"
    return kind.replace("_", " ")


def timeline(session: Session, service_date: dt.date, half: Half | str) -> list[dict[str, Any]]:
    """The half-day's events, oldest first: who did what, when."""
    half = Half(half)
    plan_ids = list(session.scalars(
        select(Plan.id).where(Plan.service_date == service_date).where(Plan.half == half)))  # fmt: skip
    events = list(session.scalars(
        select(Event).where(Event.plan_id.in_(plan_ids)).order_by(Event.at, Event.id)))  # fmt: skip
    stop_riders: dict[int, str] = {}
    stop_ids = [int(e.data["stop_id"]) for e in events if e.kind.startswith("stop_") and e.data.get("stop_id")]
    if stop_ids:
        for stop in session.scalars(select(Stop).where(Stop.id.in_(stop_ids)).options(selectinload(Stop.rider))):
            stop_riders[stop.id] = stop.rider.name if stop.rider else "a rider"
    actors = {p.id: p.name for p in session.scalars(
        select(Person).where(Person.id.in_({e.actor_id for e in events if e.actor_id})))}  # fmt: skip
    out = []
    for event in events:
        text = _event_text(event)
        if event.kind.startswith("stop_") and event.data.get("stop_id") in stop_riders:
            text = text.replace(f"Stop {event.data['stop_id']}", stop_riders[event.data["stop_id"]])
        out.append({
            "id": event.id, "at": event.at.isoformat(timespec="seconds") + "Z", "kind": event.kind,
            "by": actors.get(event.actor_id) if event.actor_id else None, "text": text,
        })  # fmt: skip
    return out


def route_sheets(session: Session, service_date: dt.date, half: Half | str) -> list[dict[str, Any]]:
    """One sheet per car of the plan in force: what a driver without a phone needs."""
    plan = _plan_in_force(session, service_date, half)
    sheets = []
    for route in plan_routes(session, plan):
        if not route.stops:
            continue
        sheets.append({
            "vehicle": route.vehicle.name,
            "seats": route.vehicle.seats,
            "driver": route.driver.name if route.driver else None,
            "leave": _words_time(route.start_s),
            "finish": _words_time(route.end_s),
            "drive_min": _minutes(route.drive_s),
            "stops": [{
                "time": _words_time(s.start_s),
                "kind": "Pick up" if s.kind == StopKind.PICKUP else "Drop off",
                "rider": s.rider.first_name if s.rider else "",
                "place": s.place.name if s.place else "(address removed)",
                "status": s.status.value,
            } for s in route.stops],
        })  # fmt: skip
    return sheets


def vehicles_json(session: Session) -> list[dict[str, Any]]:
    """Every car with what the board needs beyond the plan: in service or why not, last position."""
    out = []
    for v in session.scalars(select(Vehicle).options(selectinload(Vehicle.driver)).order_by(Vehicle.id)):
        out.append({
            "id": v.id, "name": v.name, "in_service": v.in_service,
            "out_of_service_reason": v.out_of_service_reason,
            "driver": {"id": v.driver.id, "name": v.driver.name} if v.driver else None,
            "last_position": {"lat": v.last_lat, "lon": v.last_lon,
                              "at": v.last_seen_at.isoformat(timespec="seconds") + "Z"}
            if v.last_lat is not None and v.last_lon is not None and v.last_seen_at else None,
        })  # fmt: skip
    return out


__all__ = [
    "OneOffRide",
    "add_one_off_ride",
    "compare_plans",
    "discard_draft",
    "late_marks",
    "latest_draft",
    "mark_late",
    "move_rider",
    "now_on",
    "preview_move",
    "publish_draft",
    "put_back_in_service",
    "route_sheets",
    "take_out_of_service",
    "timeline",
    "vehicles_json",
]
