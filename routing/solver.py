"""Solve a :class:`~routing.problem.Problem` into a checked :class:`~routing.plan.Plan`.

The pipeline, built to keep its time limit at any size (ARCHITECTURE-NOTES §3):

1. Number the stops (:class:`~routing.network.Network`, travel held per place).
2. Screen out requests no car could serve even alone, each with its reason.
3. Pool riders who share pick-up, drop-off, windows and limits into one request
   (:mod:`routing.pooling`), so a station-to-station day shrinks to its distinct trips.
4. Build a whole-day plan by cheapest feasible insertion (:mod:`routing.insertion`): a car
   may make several trips in its shift; a plan exists after this step whatever happens.
5. Improve it by decomposition: cars whose routes lie close in place and time are grouped
   (with the riders left out near them), each group is one small OR-Tools model warm-started
   from its routes, solved in worker processes in parallel and killed at their time
   (:mod:`routing.workers`). Groups change from round to round, so what one round could not
   improve across a seam the next one can. A group's answer is kept only if it serves more
   riders, or as many with less driving.
6. Time every route exactly, give each rider left out a reason, estimate the cars missing,
   and check the plan independently (:func:`~routing.check.check_plan`) before returning it.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from routing import compiled
from routing.check import check_plan
from routing.clock import HORIZON_S, format_hm, format_minutes
from routing.insertion import Routes, insert_all, urgency
from routing.network import Network
from routing.ortools_model import FIRST, META, SubResult, SubTask, solve_task
from routing.plan import Plan, Unassigned, summarise
from routing.pooling import pool_requests
from routing.problem import Problem, TimeWindow
from routing.shortfall import estimate_shortfall
from routing.stability import SAME_TIME_S, keeps, pickups
from routing.workers import WorkerPool

_PROGRESS_EVERY_S = 1.0
#: Below this many riders and cars the whole problem is one model, solved in-process.
_SMALL = 60
#: seconds a search in a worker process needs to send its answer back
_HAND_BACK_S = 0.3
#: Up to this many (pooled) requests the whole problem is one model, improved for the
#: whole time (in worker processes, so it can be killed): groups only pay where one model
#: would not fit the time or the memory. By engine, as measured (docs/bench/RESULTS.md).
_WHOLE = {"ortools": 150, "lns": 400}
#: Riders per group of cars when a problem is split, by engine (measured likewise).
_GROUP = {"ortools": 150, "lns": 500}
#: Searches run side by side on one whole model when there are cores for them.
_PORTFOLIO = ("GUIDED_LOCAL_SEARCH", "SIMULATED_ANNEALING", "TABU_SEARCH")
#: A fixed cost per car used, when asked to minimise cars: more than any route's driving.
_VEHICLE_COST = 1_000_000


@dataclass(frozen=True)
class SolveParams:
    """How hard to search.

    ``time_limit_s`` bounds the whole call, wall-clock: the result comes within the limit
    plus 5% (and at most 2 s more on the biggest problems). ``solution_limit`` caps the
    work of each sub-problem (solutions an OR-Tools model may find; 50 ruin-and-recreate
    steps each for the compiled search): with it a solve is deterministic, which is what
    tests want. Strategy names are OR-Tools' ``FirstSolutionStrategy`` and
    ``LocalSearchMetaheuristic`` names. ``workers`` is the number of solver processes
    (default: the cores, at most 4); ``group_riders`` the size of a sub-problem (default by
    engine); ``minimise_vehicles`` puts fewest cars before least driving; ``pool`` merges
    riders who share a trip; ``seed`` fixes how cars are grouped and the search's random
    choices; ``engine`` is what improves the plan (see below).
    """

    time_limit_s: float = 10.0
    solution_limit: int | None = None
    first_solution: str = "PARALLEL_CHEAPEST_INSERTION"
    metaheuristic: str = "GUIDED_LOCAL_SEARCH"
    workers: int | None = None
    group_riders: int | None = None
    minimise_vehicles: bool = False
    pool: bool = True
    seed: int = 0
    #: how sub-problems are improved: "lns" (routing.lns, ruin and recreate), "ortools",
    #: or "auto": "lns" once it is compiled (routing.compiled), "ortools" until then
    engine: str = "auto"

    def __post_init__(self) -> None:
        if not self.time_limit_s > 0:
            raise ValueError(f"time_limit_s must be positive, got {self.time_limit_s}")
        if self.solution_limit is not None and self.solution_limit < 1:
            raise ValueError(f"solution_limit must be at least 1, got {self.solution_limit}")
        if self.first_solution not in FIRST.Value.keys():
            raise ValueError(f"unknown first_solution strategy {self.first_solution!r}")
        if self.metaheuristic not in META.Value.keys():
            raise ValueError(f"unknown metaheuristic {self.metaheuristic!r}")
        if self.workers is not None and self.workers < 1:
            raise ValueError(f"workers must be at least 1, got {self.workers}")
        if self.engine not in ("auto", "lns", "ortools"):
            raise ValueError(f"unknown engine {self.engine!r}")
        if self.group_riders is not None and self.group_riders < 10:
            raise ValueError(f"group_riders must be at least 10, got {self.group_riders}")


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
          progress: ProgressCallback | None = None, previous: Plan | None = None) -> Plan:
    """The plan that serves the most requests, then (optionally uses fewest cars, then)
    drives the least, found within the time limit.

    ``previous`` is an earlier plan for (nearly) the same riders, e.g. last week's same
    weekday: its routes are the starting point and only the cars whose riders changed are
    re-optimised, so regular riders keep their car and their time.

    Never raises for an unservable request: it is listed in ``plan.unassigned`` with the
    reason. Raises :class:`~routing.check.PlanViolation` only if the plan it built breaks a
    constraint, which is a bug.
    """
    began = time.monotonic()
    if previous is None:
        return _Solve(problem, params, progress or _no_progress, began).run(None)
    params = _engine(params)
    report = progress or _no_progress
    free: Plan | None = None
    if params.engine == "lns":
        # Ruin and recreate is held back by narrowed windows (measured at M: +4.8% driving
        # against a fresh solve) and by a cost per car change (it settles where the last
        # plan was). It re-plans with a cap on riders not kept instead (AWAY_SHARE), for
        # 9/10 of the time; if that keeps too few, every kept rider is held to its time for
        # the rest of the time (docs/routing-solver.md, "Stability").
        most = replace(params, time_limit_s=params.time_limit_s * 0.9)
        free = _Solve(problem, most, report, began).run(previous)
        if kept_share(problem, previous, free) >= KEEP_SHARE:
            return free
    steady = _steady(problem, previous)
    held = _Solve(steady, params, report, began)
    held.away_share = 0.0  # held times and every car kept
    plan = held.run(previous)
    if free is not None and plan.summary.served < free.summary.served:
        return free  # nobody left out to keep others' times: a rider carried comes first
    if steady is not problem:
        check_plan(problem, plan)  # steady windows lie inside the real ones: a formality
    return plan


#: Stability: a rider kept from the previous plan is picked up within this much of the
#: time it had, and moving it to another car costs as much as this much more driving (in
#: the OR-Tools model; the compiled search caps the riders not kept instead, and only
#: breaks ties between equal drives by the car a rider had).
STEADY_S = SAME_TIME_S
CHANGE_COST_S = 10 * 60
_TIE_S = 60

#: The compiled search re-plans with at most this share of regular riders not kept (in
#: another car, or picked up more than STEADY_S from last time). Measured at M in 30 s
#: (docs/bench/RESULTS.md): 6% kept 92.1-96.5% and drove +1.6% against a fresh solve over
#: 37 runs (two fresh solves are 1.4% apart on average); 8% kept as little as 90.3% and
#: fell back to held times once; a cost of 10 min per car change instead drove +1.8% and
#: +5.1% from two plans where 6% drove -0.3%, +3.1%.
AWAY_SHARE = 0.06


#: A capped re-plan that keeps fewer than this share of riders' car and time (the cap
#: counts the search's own way; waiting for times may still miss a few) gives way to one
#: that holds every kept rider to its time: the promise is 90%.
KEEP_SHARE = 0.90


def kept_share(problem: Problem, previous: Plan, plan: Plan) -> float:
    """Of the riders ``previous`` picked up at a time their window still allows, the share
    that ``plan`` picks up in the same car within :data:`STEADY_S`."""
    windows = {r.id: r.pickup_window for r in problem.requests}
    was, now = pickups(previous), pickups(plan)
    regular = [rid for rid, (_, t) in was.items() if rid in windows and (
        (w := windows[rid]) is None or w.start_s <= t <= w.end_s)]
    kept = sum(1 for rid in regular if rid in now and keeps(was[rid], now[rid]))
    return kept / len(regular) if regular else 1.0


def _steady(problem: Problem, previous: Plan) -> Problem:
    """``problem`` with each rider the previous plan picked up (in a car still in the
    problem, at a time the rider's window still allows) held to within :data:`STEADY_S` of
    that pick-up time. Regular riders then keep their time by construction; the previous
    routes stay feasible, so nobody is lost by it. Riders whose booking moved, and riders
    of cars taken away, keep their own windows."""
    cars = {v.id for v in problem.vehicles}
    onboard = {rid for v in problem.vehicles for rid in v.onboard}
    was = {s.request: s.start_s for r in previous.routes if r.vehicle in cars
           for s in r.stops if s.kind == "pickup"}
    requests, changed = [], False
    for r in problem.requests:
        t = was.get(r.id)
        if t is None or r.id in onboard:
            requests.append(r)
            continue
        w = r.pickup_window
        lo, hi = (0, HORIZON_S) if w is None else (w.start_s, w.end_s)
        if not lo <= t <= hi:
            requests.append(r)
            continue
        window = TimeWindow(max(lo, t - STEADY_S), min(hi, t + STEADY_S))
        requests.append(replace(r, pickup_window=window))
        changed = True
    return replace(problem, requests=tuple(requests)) if changed else problem


def _engine(params: SolveParams) -> SolveParams:
    """``params`` with "auto" resolved: the compiled search if it is ready, else OR-Tools
    (and the compiling started, so that a later solve has it)."""
    if params.engine == "auto":
        if compiled.ready():
            params = replace(params, engine="lns")
        else:
            compiled.warm_up_in_background()
            params = replace(params, engine="ortools")
    if params.group_riders is None:
        params = replace(params, group_riders=_GROUP[params.engine])
    return params


class _Solve:
    def __init__(self, problem: Problem, params: SolveParams, report: ProgressCallback,
                 began: float):
        params = _engine(params)
        self.problem, self.params, self.report, self.began = problem, params, report, began
        self.deadline = began + params.time_limit_s
        # Leave time to time, explain and check the plan: more on bigger problems.
        n = len(problem.requests)
        self.reserve = min(0.1 * params.time_limit_s, 0.15 + n / 20_000)
        self.last_report = 0.0
        #: riders placed and driving of the best plan so far (what progress reports)
        self.standing: tuple[int, int | None] = (0, None)
        #: riders per request of the network being optimised (pools count their members)
        self.weight: list[int] | None = None
        #: cars whose previous route lost riders (see ``previous``)
        self.trimmed: set[int] = set()
        #: the car each rider had in the previous plan (see ``previous``)
        self.home: dict[int, int] | None = None
        #: the time each of those riders was picked up in it
        self.was: dict[int, int] | None = None
        #: the compiled search's cap on riders not kept, as a share of those with a car
        self.away_share = AWAY_SHARE

    def progress_of(self, routes: Routes) -> None:
        placed = routes.placed()
        if self.weight is not None:
            count = sum(self.weight[i] for i in placed)
        else:
            count = len(placed)
        self.progress(count, routes.total_drive())

    def progress(self, placed: int, drive: int | None, force: bool = False) -> None:
        self.standing = (placed, drive)
        now = time.monotonic()
        if force or now - self.last_report >= _PROGRESS_EVERY_S:
            self.last_report = now
            self.report(SolveProgress(placed=placed, requests=len(self.problem.requests),
                                      best_drive_s=drive, elapsed_s=now - self.began,
                                      time_left_s=max(0.0, self.deadline - now)))

    def run(self, previous: Plan | None) -> Plan:
        problem, params = self.problem, self.params
        net = Network(problem)
        reasons = {i: why for i in range(net.n_requests) if (why := screen(net, i)) is not None}
        todo = [i for i in range(net.n_requests) if i not in reasons]
        initial = None
        wanted: dict[tuple[int, int], int] = {}  # (car, pick-up node) -> last time
        if previous is not None:
            initial, self.trimmed = _from_plan(net, previous)
            self.home = {node // 2: v for v, seq in initial.items() for node in seq}
            wanted = _pickup_times(net, previous)
            self.was = {node // 2: t for (v, node), t in wanted.items()
                        if self.home.get(node // 2) == v}
        pooled = None
        if params.pool and initial is None:
            pooled = pool_requests(net, todo)
        if pooled is not None:
            sub_net = Network(pooled.problem)
            sub_todo = [i for i in range(sub_net.n_requests) if screen(sub_net, i) is None]
            self.weight = [len(m) for m in pooled.members]
            routes = self.optimise(sub_net, sub_todo, None)
            seqs = {v: _repair(net, v, seq) for v, seq in pooled.expand(routes.as_dict()).items()}
            left_pool = set(sub_todo) - routes.placed()
            kept = {node // 2 for seq in seqs.values() for node in seq}
            missing = sorted(i for i in todo if i not in kept)
            del left_pool
            full = Routes(net, seqs, self.vehicle_cost)
            # Riders of a pool that did not fit whole may still fit one by one.
            still = insert_all(full, missing, until=self.deadline - self.reserve)
            routes = full
            left = set(still)
            self.weight = None
        else:
            routes = self.optimise(net, todo, initial)
            left = set(todo) - routes.placed()

        for i in sorted(left):
            if i in routes.untried:
                reasons[i] = "not placed within the time limit"
            else:
                reasons[i] = _fleet_full(net, i)
        routes_out = []
        for v, seq in enumerate(routes.seqs):
            if seq:
                near = {n: t for n in seq if (t := wanted.get((v, n))) is not None}
                # a regular rider keeps last time's pick-up where waiting for it breaks nothing
                timing = net.schedule_near(v, seq, near, STEADY_S) if near \
                    else net.schedule(v, seq)
                assert timing is not None  # every kept sequence has passed the exact test
                routes_out.append(net.route(v, seq, timing))
        unassigned = tuple(Unassigned(problem.requests[i].id, reasons[i]) for i in sorted(reasons))
        # The estimate may take what is left of the limit (not of the reserve, which times
        # and checks the plan); past it, riders are packed coarsely (routing.shortfall).
        shortfall = estimate_shortfall(net, sorted(left), until=self.deadline - 0.5 * self.reserve) \
            if left else ()
        elapsed = time.monotonic() - self.began
        plan = Plan(routes=tuple(routes_out), unassigned=unassigned,
                    summary=summarise(tuple(routes_out), unassigned, net.n_requests, elapsed),
                    shortfall=shortfall)
        check_plan(problem, plan)
        self.progress(plan.summary.served, plan.summary.drive_s, force=True)
        return plan

    def tick(self) -> None:
        """Report the best plan so far again, with the clock moved on (searches in workers
        report only when they finish)."""
        self.progress(*self.standing)

    @property
    def vehicle_cost(self) -> int:
        return _VEHICLE_COST if self.params.minimise_vehicles else 0

    # --- construct and improve ----------------------------------------------------------

    def optimise(self, net: Network, todo: Sequence[int],
                 initial: dict[int, list[int]] | None) -> Routes:
        """Insertion, then rounds of improvement by groups of cars, until the time is up.

        From an ``initial`` plan, only the cars whose routes changed (riders gone, riders
        added) seed the groups, and improvement stops at the first round that finds nothing.
        """
        routes = Routes(net, initial, self.vehicle_cost)
        stop_at = self.deadline - self.reserve
        placed = routes.placed()
        left = insert_all(routes, [i for i in todo if i not in placed], until=stop_at)
        focus = None
        if initial is not None:
            focus = {v for v in range(net.n_vehicles)
                     if routes.seqs[v] != initial.get(v, []) or v in self.trimmed}
            focus |= {-1 - i for i in left}
            if self.params.engine == "lns":
                # Ruin and recreate searches the whole plan; the narrowed windows and the
                # cost of changing a rider's car keep regular riders where they were.
                focus = None
        self.progress_of(routes)
        if not todo:
            return routes
        small = net.n_requests + net.n_vehicles <= _SMALL
        whole = focus is None and (small or net.n_requests <= _WHOLE[self.params.engine])
        rng = random.Random(self.params.seed)
        workers = self.params.workers or min(4, os.cpu_count() or 1)
        deterministic = self.params.solution_limit is not None
        stale = 0
        with WorkerPool(workers) as pool:
            if not small and not deterministic:
                pool.prestart()
            if self.params.minimise_vehicles and not left and self.params.engine != "lns":
                # Fewest cars first: empty the smallest routes while the others can take
                # their riders, in the first part of the time; driving after that.
                until = time.monotonic() + 0.6 * max(0.0, stop_at - time.monotonic())
                left = self.eliminate(net, routes, left, pool, until if not deterministic
                                      else stop_at)
            for round_no in range(1_000_000):
                left_time = stop_at - time.monotonic()
                if left_time < (0.3 if small else 1.0):
                    break
                if focus is not None and not focus:
                    break  # nothing changed: the previous plan stands
                assert self.params.group_riders is not None  # set by _engine()
                groups = _groups(net, routes, left, self.params.group_riders, rng, focus,
                                 whole=whole)
                if not groups:
                    break
                waves = -(-len(groups) // workers)
                # A search must end early enough to hand its answer back before the pool
                # kills it at stop_at (measured at M: the last round's answers were lost
                # in most runs, a quarter of the search).
                room = left_time - _HAND_BACK_S
                if len(groups) == 1 and whole and left_time >= 10.0 and not deterministic:
                    budget = left_time / 2  # then again from the best of the portfolio
                elif len(groups) == 1:
                    budget = room
                else:
                    budget = min(room, max(1.0, min(left_time / waves, 4.0 + 2.0 * round_no)))
                narrowed = [self.narrow(routes, group) for group in groups]
                groups = [group for group, _ in narrowed]
                tasks = [_task(net, routes, group, budget, self.params, cost, self.home,
                               self.was, self.away_share)
                         for group, cost in narrowed]
                if len(groups) == 1 and whole and workers > 1 and not small \
                        and not deterministic:
                    # One model, two cores: a portfolio of searches from the same plan.
                    if self.params.engine == "lns":
                        variants = [replace(tasks[0], seed=tasks[0].seed + 1000 * round_no + w)
                                    for w in range(1, workers)]
                    else:
                        others = [m for m in _PORTFOLIO if m != tasks[0].metaheuristic]
                        variants = [replace(tasks[0], metaheuristic=meta)
                                    for meta in others[:workers - 1]]
                    for variant in variants:
                        groups.append(groups[0])
                        tasks.append(variant)
                improved = [False]

                def take(k: int, result: SubResult | None, groups: list[_Group] = groups,
                         tasks: list[SubTask] = tasks, improved: list[bool] = improved) -> None:
                    if result is not None and result.routes is not None:
                        if _accept(net, routes, groups[k], result.routes, self.vehicle_cost,
                                   self.home, tasks[k].change_cost):
                            improved[0] = True
                            self.progress_of(routes)

                if len(groups) == 1 and (small or deterministic):
                    take(0, solve_task(tasks[0]))  # tiny or deterministic: no process needed
                else:
                    pool.run(tasks, stop_at, take, self.tick)
                placed = routes.placed()
                left = [i for i in left if i not in placed]
                if left:
                    left = insert_all(routes, left, until=stop_at)
                if len(groups) == 1 and (deterministic or small):
                    break  # one model saw everything: another round would repeat it
                stale = 0 if improved[0] else stale + 1
                if deterministic and (stale >= 1 or round_no >= 2):
                    break  # deterministic runs do a fixed, small amount of work
                if focus is not None and stale >= 1:
                    break
        return routes

    def narrow(self, routes: Routes, group: _Group) -> tuple[_Group, int]:
        """The group to model and the cost per car to charge. When minimising cars and every
        rider of the group is placed, the cars it does not use are left out of the model and
        no per-car cost is charged: the number of cars cannot grow, and guided local search
        sees driving only (a cost of a million per car would swamp its penalties)."""
        cost = self.vehicle_cost
        if cost and self.params.engine == "lns":
            return group, cost  # ruin and recreate empties cars itself, and may swap them
        if cost:
            placed = {n // 2 for v in group.vehicles for n in routes.seqs[v]}
            if all(i in placed for i in group.requests):
                return _Group([v for v in group.vehicles if routes.seqs[v]], group.requests), 0
        return group, cost

    def eliminate(self, net: Network, routes: Routes, left: list[int], pool: WorkerPool,
                  until: float) -> list[int]:
        """Route elimination, for the fewest cars: take the smallest route out and put its
        riders into the other cars' routes, by insertion, else by one OR-Tools model over the
        cars left (warm-started, the riders to place unperformed); keep the result only if
        every rider served before is served still. Repeat while some route can go."""
        failed: set[int] = set()
        deterministic = self.params.solution_limit is not None

        def standing() -> tuple[int, int]:
            return sum(1 for seq in routes.seqs if seq), routes.total_drive()

        # Partial moves lengthen routes for a chance to empty one; if that chance never
        # comes, the plan to keep is the best one seen, by cars then driving.
        best = (standing(), [list(seq) for seq in routes.seqs])
        while time.monotonic() < until - 0.2:
            used = [v for v in range(net.n_vehicles) if routes.seqs[v]]
            options = [v for v in used if v not in failed]
            if len(used) <= 1 or not options:
                break
            v = min(options, key=lambda u: (len(routes.seqs[u]), routes.cost[u], u))
            saved = {u: list(routes.seqs[u]) for u in used}
            before = routes.placed()
            riders = sorted({n // 2 for n in routes.seqs[v]})
            routes.seqs[v] = []
            routes.refresh(v)
            others = [u for u in used if u != v]
            missing = [i for i in sorted(riders, key=lambda i: urgency(net, i))
                       if not routes.insert(i, others)]
            if missing:
                group = _Group(others, [i for u in others for i in
                                        sorted({n // 2 for n in routes.seqs[u]})] + missing)
                budget = min(until - time.monotonic(),
                             max(1.0, 0.1 * self.params.time_limit_s))
                if budget > 0.3:
                    task = _task(net, routes, group, budget, self.params, 0)
                    tasks = [task]
                    if not deterministic:
                        tasks += [replace(task, metaheuristic=meta) for meta in _PORTFOLIO
                                  if meta != task.metaheuristic][:pool.size - 1]
                    trial = Routes(net, {u: list(routes.seqs[u]) for u in others})

                    def keep(_: int, result: SubResult | None, trial: Routes = trial,
                             group: _Group = group) -> None:
                        if result is not None and result.routes is not None:
                            _accept(net, trial, group, result.routes, 0)

                    if deterministic:
                        keep(0, solve_task(task))
                    else:
                        pool.run(tasks, until, keep, self.tick)
                    for u in others:
                        routes.seqs[u] = trial.seqs[u]
                        routes.refresh(u)
                    placed = routes.placed()
                    missing = [i for i in before if i not in placed]
            rest = [n for n in saved[v] if n // 2 in set(missing)]
            if missing and set(missing) <= set(riders) and len(missing) < len(riders) \
                    and _sound(net, v, rest):
                # Some went: keep that, and the rest stay in their car in their old order,
                # a smaller route to try again.
                routes.seqs[v] = rest
                routes.refresh(v)
                self.progress_of(routes)
            elif missing:
                for u, seq in saved.items():
                    routes.seqs[u] = seq
                    routes.refresh(u)
                failed.add(v)
            else:
                failed.clear()  # fewer riders elsewhere now: routes that failed may go
                self.progress_of(routes)
            now = standing()
            if now < best[0]:
                best = (now, [list(seq) for seq in routes.seqs])
            if deterministic and missing:
                break
        if standing() > best[0]:
            for u, seq in enumerate(best[1]):
                if routes.seqs[u] != seq:
                    routes.seqs[u] = seq
                    routes.refresh(u)
        if left:
            left = insert_all(routes, left, until=until)
        return left


# --- groups of cars ------------------------------------------------------------------------


@dataclass
class _Group:
    vehicles: list[int]
    requests: list[int]  # served by those cars now, then the ones left out offered to them


def _groups(net: Network, routes: Routes, left: Sequence[int], target: int,
            rng: random.Random, focus: set[int] | None, whole: bool) -> list[_Group]:
    """Disjoint groups of cars that lie close in place and time, each with about ``target``
    riders, plus the riders left out nearest to each group and a few idle cars."""
    m = net.n_vehicles
    riders = {v: sorted({n // 2 for n in routes.seqs[v]}) for v in range(m)}
    total = sum(len(r) for r in riders.values()) + len(left)
    if m == 0:
        return []
    if focus is not None:
        target = max(10, target // 3)  # stability: re-optimise little around each change
    elif whole or total <= target:
        requests = [i for v in range(m) for i in riders[v]] + list(left)
        return [_Group(list(range(m)), requests)]

    # Where and when each car works: a middle stop of its route (its start if idle).
    def anchor(v: int) -> tuple[int, int]:
        seq = routes.seqs[v]
        if not seq:
            return net.start(v), net.shift(v)[0]
        mid = seq[len(seq) // 2]
        return mid, routes.early[v][len(seq) // 2 + 1]

    anchors = [anchor(v) for v in range(m)]

    def apart(a: tuple[int, int], b: tuple[int, int]) -> int:
        return net.t(a[0], b[0]) + abs(a[1] - b[1]) // 2

    busy = [v for v in range(m) if routes.seqs[v]]
    idle = [v for v in range(m) if not routes.seqs[v]]
    order = busy[:]
    rng.shuffle(order)
    if focus is not None:  # re-plan for stability: groups only around what changed
        order = [v for v in order if v in focus] + [v for v in order if v not in focus]
    free = set(busy)
    groups: list[_Group] = []
    for seed in order:
        if seed not in free:
            continue
        if focus is not None and seed not in focus and groups:
            break
        near = sorted(free, key=lambda v: apart(anchors[seed], anchors[v]))
        members: list[int] = []
        count = 0
        for v in near:
            if count >= target and members:
                break
            members.append(v)
            count += len(riders[v])
            free.discard(v)
        groups.append(_Group(members, [i for v in members for i in riders[v]]))
    if not groups:
        groups = [_Group([], [])]
    # Riders left out, and idle cars, go to the group they are nearest to.
    cap = max(10, target // 3)
    if focus is not None:
        left = [i for i in left if -1 - i in focus] + [i for i in left if -1 - i not in focus]
    for i in left:
        point = (2 * i, net.lo[2 * i])
        best = min(range(len(groups)), key=lambda g: min(
            (apart(point, anchors[v]) for v in groups[g].vehicles), default=0))
        if len(groups[best].requests) < target + cap:
            groups[best].requests.append(i)
    spare = max(1, len(idle) // max(1, len(groups)) + 1)
    for v in idle:
        fits = [g for g in range(len(groups))
                if sum(1 for u in groups[g].vehicles if not routes.seqs[u]) < spare]
        if fits:
            best = min(fits, key=lambda g: min(
                (apart(anchors[v], anchors[u]) for u in groups[g].vehicles), default=0))
            groups[best].vehicles.append(v)
    return [g for g in groups if g.vehicles and g.requests]


def _task(net: Network, routes: Routes, group: _Group, budget: float, params: SolveParams,
          vehicle_cost: int, home: dict[int, int] | None = None,
          was: dict[int, int] | None = None, away_share: float = 0.0) -> SubTask:
    """The OR-Tools sub-problem for a group, in local numbers, warm-started from its routes.
    ``home``: the car each rider had in the previous plan; moving it costs
    :data:`CHANGE_COST_S`."""
    local: dict[int, int] = {}
    nodes: list[int] = []
    for k, i in enumerate(group.requests):
        local[2 * i], local[2 * i + 1] = 2 * k, 2 * k + 1
        nodes += [2 * i, 2 * i + 1]
    nodes += [net.start(v) for v in group.vehicles] + [net.end(v) for v in group.vehicles]
    places = [net.pt[n] for n in nodes]
    D = net.D
    travel = [[D[a][b] for b in places] for a in places]
    where = {v: k for k, v in enumerate(group.vehicles)}
    homes = [where.get(home[i], -1) if home and i in home else None for i in group.requests]
    away_cap = None
    if home and params.engine == "lns":
        away_cap = int(away_share * sum(1 for h in homes if h is not None and h >= 0))
    longest = max((max(row) for row in travel), default=1)
    penalty = (len(nodes) + 1) * max(1, longest) * 2 + 2 * vehicle_cost + 1
    return SubTask(
        travel=travel,
        service=[net.service[n] for n in nodes],
        lo=[net.lo[n] for n in nodes],
        hi=[net.hi[n] for n in nodes],
        seats=[net.seats[n] if n < 2 * net.n_requests else 0 for n in nodes],
        chairs=[net.wheelchair[n] if n < 2 * net.n_requests else 0 for n in nodes],
        limits=[net.ride_limit(i) for i in group.requests],
        pinned=[None if (pin := net.pinned[i]) is None else where.get(pin, -1)
                for i in group.requests],
        shifts=[net.shift(v) for v in group.vehicles],
        capacity=[net.capacity[v] for v in group.vehicles],
        chair_capacity=[net.chairs[v] for v in group.vehicles],
        initial=[[local[n] for n in routes.seqs[v]] for v in group.vehicles],
        home=homes,
        was=[was.get(i) for i in group.requests] if was else None,
        change_cost=(_TIE_S if params.engine == "lns" else CHANGE_COST_S) if home else 0,
        away_cap=away_cap,
        steady_s=STEADY_S,
        penalty=penalty,
        vehicle_cost=vehicle_cost,
        time_limit_s=budget,
        solution_limit=params.solution_limit,
        first_solution=params.first_solution,
        metaheuristic=params.metaheuristic,
        engine=params.engine,
        seed=params.seed,
    )


def _accept(net: Network, routes: Routes, group: _Group, answer: list[list[int]],
            vehicle_cost: int, home: dict[int, int] | None = None, change_cost: int = 0) -> bool:
    """Take a search's routes for the group if, checked exactly, they are better (by the
    task's own ``change_cost`` per rider moved from its ``home`` car)."""
    nodes = [n for i in group.requests for n in (2 * i, 2 * i + 1)]
    new: dict[int, list[int]] = {}
    for k, v in enumerate(group.vehicles):
        seq = _repair(net, v, [nodes[n] for n in answer[k]])
        new[v] = seq

    def score(seqs: dict[int, list[int]]) -> tuple[int, int]:
        served = sum(len(s) for s in seqs.values()) // 2
        # a car with no riders stays home: it drives nothing (not start to end)
        cost = sum(net.drive_s(v, s) + vehicle_cost for v, s in seqs.items() if s)
        if home:
            cost += change_cost * sum(1 for v, s in seqs.items() for n in s
                                        if n % 2 == 0 and home.get(n // 2, v) != v)
        return (-served, cost)

    old = {v: routes.seqs[v] for v in group.vehicles}
    if score(new) >= score(old):
        return False
    for v, seq in new.items():
        routes.seqs[v] = seq
        routes.refresh(v)
    return True


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


def _sound(net: Network, v: int, seq: Sequence[int]) -> bool:
    """Each pick-up precedes its own drop-off, seats fit and an exact timing exists."""
    seen: set[int] = set()
    for node in seq:
        if node in seen or (node % 2 == 1 and node - 1 not in seen):
            return False
        if not net.allowed(v, node // 2):
            return False
        seen.add(node)
    if any(node % 2 == 0 and node + 1 not in seen for node in seen):
        return False
    return net.fits(v, seq) and net.earliest(v, seq) is not None


def _from_plan(net: Network, plan: Plan) -> tuple[dict[int, list[int]], set[int]]:
    """A previous plan's routes as node sequences in this network, and the cars whose routes
    lost riders: riders no longer in the problem are dropped, riders now on board start
    their car's route, and a route that no longer works is trimmed until it does."""
    vehicles = {vehicle.id: v for v, vehicle in enumerate(net.problem.vehicles)}
    seqs: dict[int, list[int]] = {}
    trimmed: set[int] = set()
    for v, vehicle in enumerate(net.problem.vehicles):
        if vehicle.onboard:
            seqs[v] = [2 * net.request_index[rid] for rid in vehicle.onboard]
    for route in plan.routes:
        car = vehicles.get(route.vehicle)
        if car is None:
            continue
        v = car
        seq = seqs.get(v, [])
        for stop in route.stops:
            i = net.request_index.get(stop.request)
            if i is None:
                trimmed.add(v)
            elif stop.kind == "pickup" and net.pinned[i] is None:
                seq.append(2 * i)
            elif stop.kind == "dropoff" and 2 * i in seq:
                seq.append(2 * i + 1)
        repaired = _repair(net, v, seq)
        if repaired != seq:
            trimmed.add(v)
        seqs[v] = repaired
    return seqs, trimmed


def _pickup_times(net: Network, plan: Plan) -> dict[tuple[int, int], int]:
    """(car, pick-up node) -> the time ``plan`` picks that rider up in that car."""
    vehicles = {vehicle.id: v for v, vehicle in enumerate(net.problem.vehicles)}
    return {(vehicles[route.vehicle], 2 * net.request_index[s.request]): s.start_s
            for route in plan.routes if route.vehicle in vehicles for s in route.stops
            if s.kind == "pickup" and s.request in net.request_index}


# --- reasons -------------------------------------------------------------------------------


def screen(net: Network, i: int) -> str | None:
    """Why no car could serve request i even on its own, or None if some car could."""
    r = net.problem.requests[i]
    p, d = 2 * i, 2 * i + 1
    pinned = net.pinned[i]
    vehicles = [pinned] if pinned is not None else range(net.n_vehicles)
    for v in vehicles:  # the common case: some car can, and one of the first does
        if net.allowed(v, i) and net.earliest(v, [p, d]) is not None:
            return None
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
    direct = net.t(p, d)
    limit = net.ride_limit(i)
    if limit is not None and direct + net.service[p] > limit:
        if pinned is not None:
            return "the rider on board cannot reach the drop-off within the ride limit"
        return (f"the direct drive ({format_minutes(direct)}) already breaks the ride limit "
                f"({format_minutes(r.max_ride_s or 0)})")
    at_pickup = {v: max(net.shift(v)[0] + net.t(net.start(v), p), lo_p) for v in covering}
    reach = [v for v in covering if at_pickup[v] <= hi_p]
    if not reach:
        return f"no car can reach the pick-up before {format_hm(hi_p)}"
    if not any(max(at_pickup[v] + net.service[p] + direct, lo_d) <= hi_d for v in reach):
        return f"no car can reach the drop-off before {format_hm(hi_d)}"
    if r.max_ride_s is not None and lo_d - (hi_p + net.service[p]) > r.max_ride_s:
        return (f"its windows force a ride longer than the limit "
                f"({format_minutes(r.max_ride_s)})")
    return "no car can make this ride and still reach the end of its route within its shift"


def area_name(net: Network, node: int) -> str:
    """Where a stop is, coarsely enough to name a neighbourhood: a 0.02-degree cell (about
    2 km) around it, or its matrix place."""
    point = net.places[net.pt[node]] if net.pt[node] < len(net.places) else None
    if point is None:
        return "an unknown place"
    if point.lat is not None and point.lon is not None:
        return f"the area around {round(point.lat / 0.02) * 0.02:.2f}, " \
               f"{round(point.lon / 0.02) * 0.02:.2f}"
    return f"place {point.loc}"


def _fleet_full(net: Network, i: int) -> str:
    p, d = 2 * i, 2 * i + 1
    begin = net.lo[p]
    finish = net.hi[d] if net.hi[d] < net.hi[p] + 6 * 3600 else net.hi[p]
    r = net.problem.requests[i]
    if r.pickup_window is None and r.dropoff_window is None:
        return f"the fleet was full (pick-up in {area_name(net, p)})"
    return (f"the fleet was full between {format_hm(begin)} and {format_hm(finish)} "
            f"in {area_name(net, p)}")


__all__ = ["DEFAULT_PARAMS", "ProgressCallback", "SolveParams", "SolveProgress", "replace",
           "screen", "solve"]
