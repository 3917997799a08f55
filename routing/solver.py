"""Solve a :class:`~routing.problem.Problem` into a checked :class:`~routing.plan.Plan`.

The pipeline: number the stops (:class:`~routing.network.Network`); screen out requests
no car could serve even alone, with a reason; build an OR-Tools pickup-and-delivery
model for the rest and search within the time limit; take only the sequence of stops
out of OR-Tools and time it exactly ourselves; fall back to greedy insertion if OR-Tools
finds nothing; check the plan independently and return it.

This is the only module that imports OR-Tools (pinned exactly in pyproject: its API has
moved between releases), and no OR-Tools object leaves :func:`solve`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from routing.check import check_plan
from routing.clock import HORIZON_S, format_hm, format_minutes
from routing.network import Network
from routing.plan import Plan, Unassigned, summarise
from routing.problem import Problem

_FIRST = routing_enums_pb2.FirstSolutionStrategy
_META = routing_enums_pb2.LocalSearchMetaheuristic
_STATUS = routing_enums_pb2.RoutingSearchStatus
_SOLVED = {_STATUS.ROUTING_SUCCESS, _STATUS.ROUTING_PARTIAL_SUCCESS_LOCAL_OPTIMUM_NOT_REACHED,
           _STATUS.ROUTING_OPTIMAL}
_PROGRESS_EVERY_S = 1.0


@dataclass(frozen=True)
class SolveParams:
    """How hard to search.

    ``time_limit_s`` bounds the whole call (model building included). ``solution_limit``
    stops the search after that many solutions: with it (and a generous time limit) a
    solve is deterministic, which is what tests want. Strategy names are OR-Tools'
    ``FirstSolutionStrategy`` and ``LocalSearchMetaheuristic`` names.
    """

    time_limit_s: float = 10.0
    solution_limit: int | None = None
    first_solution: str = "PARALLEL_CHEAPEST_INSERTION"
    metaheuristic: str = "GUIDED_LOCAL_SEARCH"

    def __post_init__(self) -> None:
        if not self.time_limit_s > 0:
            raise ValueError(f"time_limit_s must be positive, got {self.time_limit_s}")
        if self.solution_limit is not None and self.solution_limit < 1:
            raise ValueError(f"solution_limit must be at least 1, got {self.solution_limit}")
        if self.first_solution not in _FIRST.Value.keys():
            raise ValueError(f"unknown first_solution strategy {self.first_solution!r}")
        if self.metaheuristic not in _META.Value.keys():
            raise ValueError(f"unknown metaheuristic {self.metaheuristic!r}")


@dataclass(frozen=True)
class SolveProgress:
    """A progress report: riders placed so far out of all requests, best driving time found
    (None before the first solution), and the clock."""

    placed: int
    requests: int
    best_drive_s: int | None
    elapsed_s: float
    time_left_s: float


ProgressCallback = Callable[[SolveProgress], None]
#: The parameters ``solve`` uses when given none (immutable, so safe as a default).
DEFAULT_PARAMS = SolveParams()


def _no_progress(_: SolveProgress) -> None:
    """The default progress hook: does nothing."""


def solve(problem: Problem, params: SolveParams = DEFAULT_PARAMS,
          progress: ProgressCallback | None = None) -> Plan:
    """The plan that serves the most requests, then drives the least, found within the time limit.

    Never raises for an unservable request: it is listed in ``plan.unassigned`` with the
    reason. Raises :class:`~routing.check.PlanViolation` only if the plan it built breaks a
    constraint, which is a bug.
    """
    report = progress or _no_progress
    began = time.monotonic()
    deadline = began + params.time_limit_s
    net = Network(problem)
    reasons = {i: why for i in range(net.n_requests) if (why := _screen(net, i)) is not None}
    todo = [i for i in range(net.n_requests) if i not in reasons]

    seqs: dict[int, list[int]] = {}
    if todo:
        found = _search(net, todo, params, began, deadline, report)
        if found is not None:
            seqs = found
    for v in list(seqs):
        seqs[v] = _repair(net, v, seqs[v])
    placed = {node // 2 for seq in seqs.values() for node in seq}
    missing = [i for i in todo if i not in placed]
    if missing:
        # Cheap and exact: catches what OR-Tools dropped or never reached (e.g. it found no
        # solution before the deadline). Allowed a little past the deadline so that a plan
        # exists even when the search used up all the time.
        grace = max(deadline, time.monotonic() + 0.05 * params.time_limit_s)
        late = _insert_greedily(net, seqs, missing, grace)
        for i in missing:
            if i in late:
                reasons[i] = "not placed within the time limit"
            elif not any(2 * i in seq for seq in seqs.values()):
                reasons[i] = _fleet_full(net, i)

    routes = []
    for v in sorted(seqs):
        if seqs[v]:
            timing = net.schedule(v, seqs[v])
            assert timing is not None  # _repair and _insert_greedily only keep timed sequences
            routes.append(net.route(v, seqs[v], timing))
    unassigned = tuple(Unassigned(problem.requests[i].id, reasons[i]) for i in sorted(reasons))
    elapsed = time.monotonic() - began
    plan = Plan(routes=tuple(routes), unassigned=unassigned,
                summary=summarise(tuple(routes), unassigned, net.n_requests, elapsed))
    check_plan(problem, plan)
    report(SolveProgress(placed=plan.summary.served, requests=net.n_requests,
                         best_drive_s=plan.summary.drive_s, elapsed_s=elapsed,
                         time_left_s=max(0.0, deadline - time.monotonic())))
    return plan


# --- screening --------------------------------------------------------------------------


def _screen(net: Network, i: int) -> str | None:
    """Why no car could serve request i even on its own, or None if some car could."""
    r = net.problem.requests[i]
    p, d = 2 * i, 2 * i + 1
    vehicles = range(net.n_vehicles)
    roomy = [v for v in vehicles if net.problem.vehicles[v].seats >= r.seats]
    if not roomy:
        return f"no car has room for {r.seats} seat{'s' if r.seats != 1 else ''}"
    able = [v for v in roomy if net.problem.vehicles[v].wheelchair >= r.wheelchair]
    if not able:
        if r.wheelchair == 1:
            return "no car has wheelchair space"
        return f"no car has {r.wheelchair} wheelchair spaces"
    lo_p, hi_p, lo_d, hi_d = net.lo[p], net.hi[p], net.lo[d], net.hi[d]
    covering = [v for v in able if net.shift(v)[0] <= hi_p and net.shift(v)[1] >= lo_p]
    if not covering:
        return f"no car's shift covers the pick-up window {format_hm(lo_p)}-{format_hm(hi_p)}"
    direct = net.durations[p][d]
    if r.max_ride_s is not None and direct > r.max_ride_s:
        return (f"the direct drive ({format_minutes(direct)}) already breaks the ride limit "
                f"({format_minutes(r.max_ride_s)})")
    at_pickup = {v: max(net.shift(v)[0] + net.durations[net.start(v)][p], lo_p) for v in covering}
    reach = [v for v in covering if at_pickup[v] <= hi_p]
    if not reach:
        return f"no car can reach the pick-up before {format_hm(hi_p)}"
    if not any(max(at_pickup[v] + net.service[p] + direct, lo_d) <= hi_d for v in reach):
        return f"no car can reach the drop-off before {format_hm(hi_d)}"
    if any(net.schedule(v, [p, d]) is not None for v in reach):
        return None
    if r.max_ride_s is not None and lo_d - (hi_p + net.service[p]) > r.max_ride_s:
        return (f"its windows force a ride longer than the limit "
                f"({format_minutes(r.max_ride_s)})")
    return "no car can make this ride and still reach the end of its route within its shift"


def _fleet_full(net: Network, i: int) -> str:
    r = net.problem.requests[i]
    windows = [w for w in (r.pickup_window, r.dropoff_window) if w is not None]
    if not windows:
        return "the fleet was full"
    return (f"the fleet was full between {format_hm(windows[0].start_s)} "
            f"and {format_hm(windows[-1].end_s)}")


# --- OR-Tools ---------------------------------------------------------------------------


def _search(net: Network, todo: Sequence[int], params: SolveParams, began: float,
            deadline: float, report: ProgressCallback) -> dict[int, list[int]] | None:
    """Stop sequences per vehicle (Network node numbers) from OR-Tools, or None if it found none."""
    m = net.n_vehicles
    # Model nodes: the pick-ups and drop-offs still to place, then starts, then ends.
    nodes = [n for i in todo for n in (2 * i, 2 * i + 1)]
    nodes += [net.start(v) for v in range(m)] + [net.end(v) for v in range(m)]
    size, stops = len(nodes), 2 * len(todo)
    manager = pywrapcp.RoutingIndexManager(size, m, list(range(stops, stops + m)),
                                           list(range(stops + m, stops + 2 * m)))
    routing = pywrapcp.RoutingModel(manager)
    solver = routing.solver()

    drive = [[net.durations[a][b] for b in nodes] for a in nodes]
    busy = [[net.service[a] + net.durations[a][b] for b in nodes] for a in nodes]
    routing.SetArcCostEvaluatorOfAllVehicles(routing.RegisterTransitMatrix(drive))
    # Dropping a rider must cost more than any change in driving can save, so that the
    # objective is "most riders served" first and "least driving" second.
    penalty = (size + 1) * max(1, max(max(row) for row in drive)) + 1

    routing.AddDimension(routing.RegisterTransitMatrix(busy), HORIZON_S, HORIZON_S, False, "time")
    clock = routing.GetDimensionOrDie("time")
    for name, load, capacity in (
        ("seats", net.seats, [v.seats for v in net.problem.vehicles]),
        ("wheelchair", net.wheelchair, [v.wheelchair for v in net.problem.vehicles]),
    ):
        if any(load[n] for n in nodes):
            demand = routing.RegisterUnaryTransitVector([load[n] for n in nodes])
            routing.AddDimensionWithVehicleCapacity(demand, 0, capacity, True, name)

    for v in range(m):
        shift_start, shift_end = net.shift(v)
        clock.CumulVar(routing.Start(v)).SetRange(shift_start, shift_end)
        clock.CumulVar(routing.End(v)).SetRange(shift_start, shift_end)
    limits = []  # the limit functions must outlive the search
    for pair, i in enumerate(todo):
        p, d = manager.NodeToIndex(2 * pair), manager.NodeToIndex(2 * pair + 1)
        for index, node in ((p, 2 * i), (d, 2 * i + 1)):
            clock.CumulVar(index).SetRange(net.lo[node], net.hi[node])
        routing.AddPickupAndDelivery(p, d)
        solver.Add(routing.VehicleVar(p) == routing.VehicleVar(d))
        solver.Add(clock.CumulVar(p) <= clock.CumulVar(d))
        # Both stops or neither: cardinality 2, since the default of 1 would allow just one.
        routing.AddDisjunction([p, d], penalty, 2)
        solver.Add(routing.ActiveVar(p) == routing.ActiveVar(d))
        limit = net.ride_limit(i)
        if limit is not None:
            # Native pick-up-to-delivery limit on the service starts; a solver.Add on the
            # cumuls states the same thing but propagates far worse (ARCHITECTURE-NOTES §10).
            limits.append(lambda _p, _d, limit=limit: limit)
            clock.SetPickupToDeliveryLimitFunctionForPair(limits[-1], pair)

    search = pywrapcp.DefaultRoutingSearchParameters()
    search.first_solution_strategy = _FIRST.Value.Value(params.first_solution)
    search.local_search_metaheuristic = _META.Value.Value(params.metaheuristic)
    if params.solution_limit is not None:
        search.solution_limit = params.solution_limit
    search.time_limit.FromMilliseconds(max(100, int((deadline - time.monotonic()) * 1000)))
    routing.CloseModelWithParameters(search)
    # Closing a pickup-and-delivery model can take seconds; the search gets what is left,
    # less a reserve for timing, checking and writing the plan.
    reserve = min(1.0, 0.05 * params.time_limit_s)
    search.time_limit.FromMilliseconds(
        max(100, int((deadline - reserve - time.monotonic()) * 1000)))

    best = [None]  # best objective so far
    last_report = [0.0]
    cost = routing.CostVar()

    def on_solution() -> None:
        objective = cost.Value()
        if best[0] is None or objective < best[0]:
            best[0] = objective
        now = time.monotonic()
        if now - last_report[0] >= _PROGRESS_EVERY_S:
            last_report[0] = now
            dropped, driving = divmod(best[0], 2 * penalty)
            report(SolveProgress(placed=len(todo) - dropped, requests=net.n_requests,
                                 best_drive_s=driving, elapsed_s=now - began,
                                 time_left_s=max(0.0, deadline - now)))

    routing.AddAtSolutionCallback(on_solution)
    solution = routing.SolveWithParameters(search)
    if solution is None or routing.status() not in _SOLVED:
        return None
    seqs: dict[int, list[int]] = {}
    for v in range(m):
        index, seq = solution.Value(routing.NextVar(routing.Start(v))), []
        while not routing.IsEnd(index):
            seq.append(nodes[manager.IndexToNode(index)])
            index = solution.Value(routing.NextVar(index))
        seqs[v] = seq
    return seqs


# --- exact timing, repair and greedy insertion -------------------------------------------


def _sound(net: Network, v: int, seq: Sequence[int]) -> bool:
    """Each pick-up precedes its own drop-off, seats fit and an exact timing exists."""
    seen: set[int] = set()
    for node in seq:
        if node in seen or (node % 2 == 1 and node - 1 not in seen):
            return False
        seen.add(node)
    if any(node % 2 == 0 and node + 1 not in seen for node in seen):
        return False
    return net.fits(v, seq) and net.schedule(v, seq) is not None


def _repair(net: Network, v: int, seq: list[int]) -> list[int]:
    """``seq`` if sound, else with as few requests removed as this greedy finds.

    OR-Tools cut off by its time limit has returned routes that break its own ride limits;
    such a route is trimmed here and the riders removed get another chance by insertion.
    """
    while seq and not _sound(net, v, seq):
        requests = list(dict.fromkeys(node // 2 for node in seq))
        for i in requests:
            shorter = [n for n in seq if n // 2 != i]
            if _sound(net, v, shorter):
                return shorter
        seq = [n for n in seq if n // 2 != requests[0]]
    return seq


def _insert_greedily(net: Network, seqs: dict[int, list[int]], todo: Sequence[int],
                     until: float) -> set[int]:
    """Insert each request where it adds least driving and stays feasible; the ones not
    tried before ``until`` are returned."""
    late: set[int] = set()
    for i in sorted(todo, key=lambda i: (net.lo[2 * i], net.hi[2 * i + 1], i)):
        if time.monotonic() > until:
            late.add(i)
            continue
        p, d = 2 * i, 2 * i + 1
        options = []
        for v in range(net.n_vehicles):
            seq = seqs.get(v, [])
            base = net.drive(v, seq)[0]
            for a in range(len(seq) + 1):
                for b in range(a, len(seq) + 1):
                    new = [*seq[:a], p, *seq[a:b], d, *seq[b:]]
                    options.append((net.drive(v, new)[0] - base, v, new))
        options.sort(key=lambda option: (option[0], option[1]))
        for _, v, new in options:
            if net.fits(v, new) and not net.quick_reject(v, new) and net.schedule(v, new):
                seqs[v] = new
                break
    return late

