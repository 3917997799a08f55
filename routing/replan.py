"""Re-plan in flight: what is done stays done, the rest is re-optimised from where it is.

:func:`replan` takes the plan being driven, the time now, the cars taken out of service
and (optionally) where each car is, and builds the problem of what is left:

- stops whose service has started by ``now_s`` are done and are not touched;
- riders already picked up ride on in their car (``Vehicle.onboard``), their ride limit
  still counted from their pick-up; a car's day starts again at its current place at
  ``now_s`` (or when it finishes the stop it is at);
- riders in a removed car are picked up again where that car is, as soon as another car
  can get there (within ``rescue_window_s``), and taken on to their drop-off;
- everyone not yet picked up, and everyone the old plan left out, is to be placed.

That problem is solved warm-started from the rest of the old plan, re-optimising only the
cars whose routes changed, so the riders of the other cars keep their car and time.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, replace

from routing.plan import Plan, Route, Stop
from routing.problem import Point, Problem, ProblemError, Request, TimeWindow, Vehicle
from routing.solver import SolveParams, SolveProgress, solve

#: Re-plans are for a dispatcher waiting at the board: a few seconds.
REPLAN_PARAMS = SolveParams(time_limit_s=3.0)


@dataclass(frozen=True)
class Replan:
    """``problem`` is what was left to do at ``now_s``; ``plan`` its checked plan (times from
    ``now_s`` on; riders on board appear only at their drop-off). ``done`` holds, per car, the
    stops of the previous plan already made."""

    now_s: int
    problem: Problem
    plan: Plan
    done: Mapping[str, tuple[Stop, ...]]


def replan(problem: Problem, previous: Plan, now_s: int,
           removed_vehicles: Collection[str] = (),
           positions: Mapping[str, Point] | None = None,
           params: SolveParams = REPLAN_PARAMS,
           progress: Callable[[SolveProgress], None] | None = None,
           rescue_window_s: int = 30 * 60) -> Replan:
    """Re-plan ``previous`` (a plan of ``problem``) at ``now_s`` seconds since midnight.

    ``removed_vehicles`` are ids of cars out of service from now on; ``positions`` gives,
    for any car, where it is now (a point in the problem's travel model), otherwise a car
    is taken to be at its last stop. Raises :class:`ProblemError` for an unknown car id.
    """
    positions = positions or {}
    known = {v.id for v in problem.vehicles}
    unknown = sorted((set(removed_vehicles) | set(positions)) - known)
    if unknown:
        raise ProblemError([f"no vehicle {vid!r} in the problem" for vid in unknown])
    requests = {r.id: r for r in problem.requests}
    routes = {r.vehicle: r for r in previous.routes}

    done: dict[str, tuple[Stop, ...]] = {}
    finished: set[str] = set()
    onboard: dict[str, list[str]] = {}
    picked_at: dict[str, int] = {}
    for vid, route in routes.items():
        made = tuple(s for s in route.stops if s.start_s <= now_s)
        done[vid] = made
        for stop in made:
            if stop.kind == "pickup":
                onboard.setdefault(vid, []).append(stop.request)
                picked_at[stop.request] = stop.depart_s
            else:
                finished.add(stop.request)
                if stop.request in onboard.get(vid, []):
                    onboard[vid].remove(stop.request)

    new_requests: list[Request] = []
    vehicles: list[Vehicle] = []
    for vehicle in problem.vehicles:
        planned = routes.get(vehicle.id)
        made = done.get(vehicle.id, ())
        here, free_at = _where(vehicle, planned, made, requests, now_s, positions.get(vehicle.id))
        if vehicle.id in removed_vehicles:
            for rid in onboard.get(vehicle.id, []):  # picked up again where the car is
                r = requests[rid]
                new_requests.append(replace(
                    r, pickup=here, pickup_window=TimeWindow(free_at, free_at + rescue_window_s),
                    pickup_service_s=0,
                    max_ride_s=None if r.max_ride_s is None else max(
                        0, r.max_ride_s - (free_at - picked_at[rid]))))
                finished.add(rid)  # replaced by the rescue request above
            continue
        shift = vehicle.shift
        begin, end = (0, 48 * 3600) if shift is None else (shift.start_s, shift.end_s)
        if made or (planned is not None and planned.start_s <= now_s) or vehicle.id in positions:
            start, begin = here, max(begin, free_at)
        else:
            start, begin = vehicle.start, max(begin, now_s)
        vehicles.append(replace(vehicle, start=start,
                                shift=TimeWindow(begin, max(begin, end)),
                                onboard=tuple(onboard.get(vehicle.id, ()))))

    riding = {rid for ids in onboard.values() for rid in ids}
    rescued = {r.id for r in new_requests}
    left: list[Request] = []
    for r in problem.requests:
        if r.id in rescued:
            continue
        if r.id in riding:
            left.append(replace(r, picked_up_s=picked_at[r.id]))
        elif r.id not in finished:
            left.append(r)
    inflight = replace(problem, name=f"{problem.name} (re-plan at {now_s} s)",
                       vehicles=tuple(vehicles), requests=tuple(left + new_requests))
    remaining = _remaining(previous, now_s)
    plan = solve(inflight, params, progress=progress, previous=remaining)
    stranded = {rid: vid for vid in removed_vehicles for rid in onboard.get(vid, ())}
    if any(u.request in stranded for u in plan.unassigned):
        plan = replace(plan, unassigned=tuple(
            replace(u, reason=f"on board {stranded[u.request]}, which was taken out of "
                              f"service: {u.reason}") if u.request in stranded else u
            for u in plan.unassigned))
    return Replan(now_s=now_s, problem=inflight, plan=plan, done=done)


def _where(vehicle: Vehicle, route: Route | None, made: tuple[Stop, ...],
           requests: Mapping[str, Request], now_s: int, given: Point | None) -> tuple[Point, int]:
    """Where a car's day goes on from, and from when.

    A given position counts from now, or from the end of the stop the car is serving. With
    no position, a car on the road is taken to be committed to its next stop: it goes on
    from there when it arrives, so what the old plan promised stays possible.
    """
    def place(stop: Stop) -> Point:
        r = requests[stop.request]
        return r.pickup if stop.kind == "pickup" else r.dropoff

    serving = made and made[-1].depart_s > now_s
    if given is not None:
        return given, made[-1].depart_s if serving else now_s
    if serving:
        return place(made[-1]), made[-1].depart_s
    ahead = [] if route is None else [s for s in route.stops if s.start_s > now_s]
    on_road = bool(made) or (route is not None and route.start_s <= now_s)
    if on_road and ahead:
        return place(ahead[0]), max(now_s, ahead[0].arrive_s)
    if made:
        return place(made[-1]), now_s
    return vehicle.start, now_s


def _remaining(previous: Plan, now_s: int) -> Plan:
    """The previous plan from ``now_s`` on (its stops not yet started)."""
    routes = tuple(replace(r, stops=tuple(s for s in r.stops if s.start_s > now_s))
                   for r in previous.routes)
    return replace(previous, routes=routes)
