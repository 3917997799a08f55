"""One OR-Tools pickup-and-delivery model over a sub-problem, as plain data in and out.

This is the only module that imports OR-Tools (pinned exactly in pyproject: its API has
moved between releases). :class:`SubTask` is picklable so it can be solved in a worker
process that the caller may kill (OR-Tools can overrun its time limit); no OR-Tools object
leaves :func:`solve_task`.

The model follows ARCHITECTURE-NOTES §3 and §10: travel and time as registered matrices,
not Python callbacks; both stops of a rider or neither (disjunction of cardinality 2);
the ride limit stated natively per pair; and a warm start from the routes the caller
already has, so there is no first-solution phase to overrun.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from ortools.constraint_solver import pywrapcp, routing_enums_pb2

FIRST = routing_enums_pb2.FirstSolutionStrategy
META = routing_enums_pb2.LocalSearchMetaheuristic
_STATUS = routing_enums_pb2.RoutingSearchStatus
_SOLVED = {_STATUS.ROUTING_SUCCESS, _STATUS.ROUTING_PARTIAL_SUCCESS_LOCAL_OPTIMUM_NOT_REACHED,
           _STATUS.ROUTING_OPTIMAL}
HORIZON = 48 * 3600


@dataclass
class SubTask:
    """A sub-problem in local numbers: nodes ``0 .. 2k-1`` are k (pick-up, drop-off) pairs,
    then one start and one end node per vehicle. ``initial`` are the routes to start from
    (lists of pair nodes per vehicle)."""

    travel: list[list[int]]  # seconds between local nodes
    service: list[int]
    lo: list[int]
    hi: list[int]
    seats: list[int]
    chairs: list[int]
    limits: list[int | None]  # per pair: ride limit (start to start), or None
    pinned: list[int | None]  # per pair: the only vehicle allowed, or None
    shifts: list[tuple[int, int]]
    capacity: list[int]
    chair_capacity: list[int]
    initial: list[list[int]]
    penalty: int
    vehicle_cost: int = 0
    #: per pair: the vehicle it had in the previous plan (-1: one outside this model), or
    #: None; serving it with another vehicle costs ``change_cost`` (stability)
    home: list[int | None] | None = None
    change_cost: int = 0
    #: per pair: its pick-up time in the previous plan, or None
    was: list[int | None] | None = None
    #: "lns" engine: at most this many riders with a ``home`` not kept (served by another
    #: car, or picked up more than ``steady_s`` from ``was``), or None for no cap
    away_cap: int | None = None
    steady_s: int = 0
    time_limit_s: float = 5.0
    solution_limit: int | None = None
    first_solution: str = "PARALLEL_CHEAPEST_INSERTION"
    metaheuristic: str = "GUIDED_LOCAL_SEARCH"
    #: ``time.monotonic()`` by which the search must end (the clock is the machine's, the
    #: same in every process): a worker that took its time to start loses that time from
    #: the search, not from the caller's limit. None: ``time_limit_s`` from the start.
    deadline: float | None = None
    #: "ortools" (this module) or "lns" (routing.lns, ruin and recreate)
    engine: str = "ortools"
    #: the random seed of the "lns" engine
    seed: int = 0

    def ends_at(self, now: float) -> float:
        """When a task handed over at ``now`` must be done."""
        return self.deadline if self.deadline is not None else now + self.time_limit_s


@dataclass
class SubResult:
    routes: list[list[int]] | None
    objective: int | None
    seconds: float


def solve_task(task: SubTask) -> SubResult:
    """Improve ``task.initial`` (or build from nothing if OR-Tools refuses it)."""
    if task.engine == "lns":
        from routing.lns import solve_lns

        return solve_lns(task)
    began = time.monotonic()
    pairs, m = len(task.limits), len(task.shifts)
    stops = 2 * pairs
    size = stops + 2 * m
    manager = pywrapcp.RoutingIndexManager(size, m, list(range(stops, stops + m)),
                                           list(range(stops + m, stops + 2 * m)))
    routing = pywrapcp.RoutingModel(manager)
    solver = routing.solver()
    if task.change_cost and task.home and any(h is not None for h in task.home):
        # One cost matrix per vehicle: arriving at a rider's pick-up in another car than
        # the one it had costs the change on top of the driving.
        for v in range(m):
            cost = [row[:] for row in task.travel]
            for k, h in enumerate(task.home):
                if h is not None and h != v:
                    for row in cost:
                        row[2 * k] += task.change_cost
            routing.SetArcCostEvaluatorOfVehicle(routing.RegisterTransitMatrix(cost), v)
    else:
        routing.SetArcCostEvaluatorOfAllVehicles(routing.RegisterTransitMatrix(task.travel))
    if task.vehicle_cost:
        routing.SetFixedCostOfAllVehicles(task.vehicle_cost)
    busy = [[task.service[a] + task.travel[a][b] for b in range(size)] for a in range(size)]
    routing.AddDimension(routing.RegisterTransitMatrix(busy), HORIZON, HORIZON, False, "time")
    clock = routing.GetDimensionOrDie("time")
    for name, load, capacity in (("seats", task.seats, task.capacity),
                                 ("wheelchair", task.chairs, task.chair_capacity)):
        if any(load):
            demand = routing.RegisterUnaryTransitVector(load)
            routing.AddDimensionWithVehicleCapacity(demand, 0, capacity, True, name)
    for v, (begin, finish) in enumerate(task.shifts):
        clock.CumulVar(routing.Start(v)).SetRange(begin, finish)
        clock.CumulVar(routing.End(v)).SetRange(begin, finish)
    limits = []  # the limit functions must outlive the search
    for k in range(pairs):
        p, d = manager.NodeToIndex(2 * k), manager.NodeToIndex(2 * k + 1)
        for index, node in ((p, 2 * k), (d, 2 * k + 1)):
            clock.CumulVar(index).SetRange(task.lo[node], task.hi[node])
        routing.AddPickupAndDelivery(p, d)
        solver.Add(routing.VehicleVar(p) == routing.VehicleVar(d))
        solver.Add(clock.CumulVar(p) <= clock.CumulVar(d))
        routing.AddDisjunction([p, d], task.penalty, 2)
        solver.Add(routing.ActiveVar(p) == routing.ActiveVar(d))
        if task.pinned[k] is not None:
            for index in (p, d):
                routing.VehicleVar(index).SetValues([-1, task.pinned[k]])
        limit = task.limits[k]
        if limit is not None:
            limits.append(lambda _p, _d, limit=limit: limit)
            clock.SetPickupToDeliveryLimitFunctionForPair(limits[-1], k)

    search = pywrapcp.DefaultRoutingSearchParameters()
    search.first_solution_strategy = FIRST.Value.Value(task.first_solution)
    search.local_search_metaheuristic = META.Value.Value(task.metaheuristic)
    if task.solution_limit is not None:
        search.solution_limit = task.solution_limit
    ends = task.ends_at(began)
    search.time_limit.FromMilliseconds(max(50, int((ends - began) * 1000)))
    routing.CloseModelWithParameters(search)
    left = ends - time.monotonic()
    search.time_limit.FromMilliseconds(max(50, int(left * 1000)))

    start = None
    if any(task.initial):
        start = routing.ReadAssignmentFromRoutes(task.initial, True)
    if start is not None:
        solution = routing.SolveFromAssignmentWithParameters(start, search)
    else:
        solution = routing.SolveWithParameters(search)
    if solution is None or routing.status() not in _SOLVED:
        return SubResult(None, None, time.monotonic() - began)
    routes = []
    for v in range(m):
        index, seq = solution.Value(routing.NextVar(routing.Start(v))), []
        while not routing.IsEnd(index):
            seq.append(manager.IndexToNode(index))
            index = solution.Value(routing.NextVar(index))
        routes.append(seq)
    return SubResult(routes, solution.ObjectiveValue(), time.monotonic() - began)
