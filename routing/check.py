"""An independent check of a plan against its problem.

It shares nothing with the solver but the travel model: it recomputes each leg's
travel, each arrival and each load from the stops as written, and compares. A
solver can return a plan that breaks its own constraints (OR-Tools has, when cut
off by its time limit), so :func:`routing.solver.solve` runs this on every plan.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from routing.clock import format_hms, format_minutes
from routing.plan import Plan, Route
from routing.problem import Point, Problem, Request
from routing.travel import travel_matrices


class PlanViolation(AssertionError):
    """The plan breaks the problem's constraints; ``violations`` lists each breach."""

    def __init__(self, violations: Sequence[str]):
        self.violations: tuple[str, ...] = tuple(violations)
        super().__init__(f"{len(self.violations)} violation(s): " + "; ".join(self.violations))


def check_plan(problem: Problem, plan: Plan) -> None:
    """Raise :class:`PlanViolation` unless ``plan`` keeps every constraint of ``problem``."""
    violations = plan_violations(problem, plan)
    if violations:
        raise PlanViolation(violations)


def plan_violations(problem: Problem, plan: Plan) -> list[str]:
    """Every breach found, in words; empty when the plan is sound."""
    out: list[str] = []
    requests = {r.id: r for r in problem.requests}
    vehicles = {v.id: v for v in problem.vehicles}

    served = Counter(s.request for route in plan.routes for s in route.stops if s.kind == "dropoff")
    dropped = Counter(u.request for u in plan.unassigned)
    for rid in sorted((set(served) | set(dropped)) - set(requests)):
        out.append(f"request {rid}: not in the problem")
    for rid in requests:
        times = served[rid] + dropped[rid]
        if times == 0:
            out.append(f"request {rid}: neither served nor listed as unassigned")
        elif served[rid] > 1:
            out.append(f"request {rid}: served {served[rid]} times")
        elif dropped[rid] > 1:
            out.append(f"request {rid}: listed as unassigned {dropped[rid]} times")
        elif served[rid] and dropped[rid]:
            out.append(f"request {rid}: both served and listed as unassigned")

    used = Counter(route.vehicle for route in plan.routes)
    for vid, count in used.items():
        if vid not in vehicles:
            out.append(f"route of {vid}: no such vehicle")
        elif count > 1:
            out.append(f"vehicle {vid}: has {count} routes")
    for route in plan.routes:
        if route.vehicle in vehicles:
            out += _route_violations(problem, route, requests)

    s = plan.summary
    expected = (len(problem.requests), sum(served.values()),
                sum(r.drive_s for r in plan.routes), sum(r.distance_m for r in plan.routes))
    if (s.requests, s.served, s.drive_s, s.distance_m) != expected:
        out.append(f"summary: (requests, served, drive_s, distance_m) should be {expected}, "
                   f"is {(s.requests, s.served, s.drive_s, s.distance_m)}")
    return out


def _route_violations(problem: Problem, route: Route, requests: dict[str, Request]) -> list[str]:
    out: list[str] = []
    vehicle = problem.vehicle(route.vehicle)
    where = f"route of {vehicle.id}"
    if not route.stops:
        out.append(f"{where}: has no stops (empty routes are left out)")
    if any(s.request not in requests for s in route.stops):
        return out + [f"{where}: serves a request that is not in the problem"]

    points: list[Point] = [vehicle.start]
    for stop in route.stops:
        r = requests[stop.request]
        points.append(r.pickup if stop.kind == "pickup" else r.dropoff)
    points.append(vehicle.end if vehicle.end is not None else vehicle.start)
    matrices = travel_matrices(problem, points)
    leg_s = [int(matrices.durations[i, i + 1]) for i in range(len(points) - 1)]
    leg_m = [int(matrices.distances[i, i + 1]) for i in range(len(points) - 1)]
    if vehicle.end is None:  # an open route ends at its last stop
        leg_s[-1] = leg_m[-1] = 0

    if vehicle.shift is not None and route.start_s < vehicle.shift.start_s:
        out.append(f"{where}: leaves at {format_hms(route.start_s)}, "
                   f"before its shift starts at {format_hms(vehicle.shift.start_s)}")
    # Riders on board at the start (a re-plan in flight) ride from when they were picked up.
    onboard = [requests[rid] for rid in vehicle.onboard if rid in requests]
    seats = sum(r.seats for r in onboard)
    chairs = sum(r.wheelchair for r in onboard)
    picked: dict[str, int] = {  # request -> end of service at pick-up
        r.id: route.start_s if r.picked_up_s is None else r.picked_up_s for r in onboard}
    dropped: set[str] = set()
    others = {rid: v.id for v in problem.vehicles if v.id != vehicle.id for rid in v.onboard}
    for stop in route.stops:
        if stop.request in others:
            out.append(f"{where}: serves {stop.request}, who is on board {others[stop.request]}")
        elif stop.kind == "pickup" and stop.request in vehicle.onboard:
            out.append(f"{where}: picks up {stop.request}, who is already on board")
    depart = route.start_s
    for i, stop in enumerate(route.stops):
        r = requests[stop.request]
        at = f"{where}, stop {i + 1} ({stop.kind} {r.id})"
        if stop.arrive_s != depart + leg_s[i]:
            out.append(f"{at}: arrives at {format_hms(stop.arrive_s)}, but leaving the previous "
                       f"place at {format_hms(depart)} it arrives at "
                       f"{format_hms(depart + leg_s[i])}")
        if stop.start_s < stop.arrive_s:
            out.append(f"{at}: starts service at {format_hms(stop.start_s)}, before it arrives")
        if stop.kind == "pickup":
            service = problem.pickup_service_s(r)
            window = r.pickup_window
            if r.id in picked or r.id in dropped:
                out.append(f"{at}: picked up twice or after its drop-off")
            picked[r.id] = stop.start_s + service
            seats += r.seats
            chairs += r.wheelchair
        else:
            service = problem.dropoff_service_s(r)
            window = r.dropoff_window
            if r.id not in picked:
                out.append(f"{at}: dropped off without being picked up first in this route")
            elif r.max_ride_s is not None and stop.start_s - picked[r.id] > r.max_ride_s:
                ride = stop.start_s - picked[r.id]
                out.append(f"{at}: ride of {format_minutes(ride)} ({ride} s) exceeds "
                           f"the limit of {format_minutes(r.max_ride_s)} ({r.max_ride_s} s)")
            if r.id in dropped:
                out.append(f"{at}: dropped off twice")
            dropped.add(r.id)
            seats -= r.seats
            chairs -= r.wheelchair
        if stop.depart_s != stop.start_s + service:
            out.append(f"{at}: departs at {format_hms(stop.depart_s)}, but service of {service} s "
                       f"from {format_hms(stop.start_s)} ends at "
                       f"{format_hms(stop.start_s + service)}")
        if window is not None and not window.start_s <= stop.start_s <= window.end_s:
            out.append(f"{at}: service starts at {format_hms(stop.start_s)}, outside its window "
                       f"{format_hms(window.start_s)}-{format_hms(window.end_s)}")
        if stop.load != seats:
            out.append(f"{at}: load is given as {stop.load}, but {seats} seats are taken")
        if seats > vehicle.seats:
            out.append(f"{at}: {seats} seats taken in a car with {vehicle.seats}")
        if chairs > vehicle.wheelchair:
            out.append(f"{at}: {chairs} wheelchair spaces taken in a car with {vehicle.wheelchair}")
        depart = stop.depart_s
    for rid in sorted(set(picked) - dropped):
        out.append(f"{where}: request {rid} is picked up but never dropped off")

    end = depart + leg_s[-1]
    if route.end_s != end:
        out.append(f"{where}: ends at {format_hms(route.end_s)}, but the last leg gets there "
                   f"at {format_hms(end)}")
    if vehicle.shift is not None and route.end_s > vehicle.shift.end_s:
        out.append(f"{where}: ends at {format_hms(route.end_s)}, after its shift ends "
                   f"at {format_hms(vehicle.shift.end_s)}")
    if route.drive_s != sum(leg_s):
        out.append(f"{where}: drive_s is {route.drive_s}, the legs add up to {sum(leg_s)}")
    if route.distance_m != sum(leg_m):
        out.append(f"{where}: distance_m is {route.distance_m}, the legs add up to {sum(leg_m)}")
    return out
