"""Pooling, decomposition into worker processes, riders on board, and re-planning in flight."""

from __future__ import annotations

import dataclasses
import time

import pytest

from routing.check import PlanViolation, check_plan
from routing.generate import montgomery_morning
from routing.network import Network
from routing.ortools_model import SubTask
from routing.pooling import pool_requests
from routing.replan import replan
from routing.solver import SolveParams, solve
from routing.workers import WorkerPool

from .conftest import EXACT, car, hm, line_problem, order, ride


def test_riders_sharing_a_trip_are_pooled_and_board_one_after_another():
    riders = [ride(f"r-{k}", 1, 5, pickup=("06:00", "06:30"), max_ride_s=600) for k in (1, 2, 3)]
    problem = line_problem([car(seats=4)], [*riders, ride("solo", 2, 3)], service_s=60)
    net = Network(problem)
    pooled = pool_requests(net, range(net.n_requests))
    assert pooled is not None and sorted(map(len, pooled.members)) == [1, 3]
    plan = solve(problem, EXACT)
    assert plan.summary.served == 4
    stops = order(plan)
    first = stops.index("p:r-1")
    assert stops[first:first + 3] == ["p:r-1", "p:r-2", "p:r-3"]


def test_pool_never_exceeds_the_usual_car():
    riders = [ride(f"r-{k}", 1, 5) for k in range(6)]
    problem = line_problem([car(seats=4), car("car-2", seats=4)], riders)
    pooled = pool_requests(Network(problem), range(6))
    assert pooled is not None and max(map(len, pooled.members)) == 4
    assert solve(problem, EXACT).summary.served == 6


def test_rider_on_board_is_dropped_by_that_car_with_the_ride_counted_from_pick_up():
    on_board = ride("in-car", 1, 6, max_ride_s=10 * 60)
    on_board = dataclasses.replace(on_board, picked_up_s=hm("06:55"))
    carrying = dataclasses.replace(car("car-1", at=3, end=0, shift=("07:00", "09:00")),
                                   onboard=("in-car",))
    problem = line_problem([car("car-2", at=6, end=6), carrying], [on_board, ride("r-2", 4, 5)])
    plan = solve(problem, EXACT)
    check_plan(problem, plan)
    route = next(r for r in plan.routes if r.vehicle == "car-1")
    drop = next(s for s in route.stops if s.request == "in-car")
    assert drop.kind == "dropoff" and drop.start_s <= hm("07:05")
    assert all(s.request != "in-car" for r in plan.routes if r.vehicle == "car-2" for s in r.stops)


def test_a_rider_boarding_where_the_car_stands_rides_with_those_on_board():
    # A car re-planned in flight starts where it stands with its riders on board; a rider
    # waiting at that very place may come first in its sequence (no drive, same time). The
    # seats taken still count everyone on board (found by `bench M --replan 07:10`).
    on_board = dataclasses.replace(ride("in-car", 1, 6), picked_up_s=hm("06:55"))
    carrying = dataclasses.replace(car("car-1", at=3, end=0, shift=("07:00", "09:00")),
                                   onboard=("in-car",))
    problem = line_problem([carrying], [on_board, ride("here", 3, 5, pickup=("07:00", "07:00"))])
    net = Network(problem)
    here, in_car = 2 * net.request_index["here"], 2 * net.request_index["in-car"]
    seq = [here, in_car, here + 1, in_car + 1]
    timing = net.schedule(0, seq)
    assert timing is not None
    route = net.route(0, seq, timing)
    assert [s.load for s in route.stops] == [2, 1, 0]
    check_plan(problem, solve(problem, EXACT))


def test_checker_refuses_an_on_board_rider_dropped_by_another_car():
    carrying = dataclasses.replace(car("car-1", shift=("07:00", "09:00")), onboard=("in-car",))
    problem = line_problem([carrying, car("car-2", shift=("07:00", "09:00"))],
                           [ride("in-car", 1, 2)])
    plan = solve(problem, EXACT)
    moved = dataclasses.replace(plan.routes[0], vehicle="car-2")
    with pytest.raises(PlanViolation, match="on board car-1"):
        check_plan(problem, dataclasses.replace(plan, routes=(moved,)))


def _morning_plan():
    problem = line_problem(
        [car("car-1", at=0, end=0, shift=("06:00", "10:00")),
         car("car-2", at=0, end=0, shift=("06:00", "10:00"))],
        [ride("early", 1, 4, pickup=("06:00", "06:10"), max_ride_s=20 * 60),
         ride("late", 2, 5, pickup=("08:00", "08:10"), max_ride_s=20 * 60),
         ride("late-2", 3, 6, pickup=("08:00", "08:10"), max_ride_s=20 * 60)])
    return problem, solve(problem, EXACT)


def test_replan_keeps_done_stops_and_carries_riders_on_board():
    problem, plan = _morning_plan()
    holder = next(r for r in plan.routes if any(s.request == "early" for s in r.stops))
    pick = next(s for s in holder.stops if s.request == "early")
    now = pick.start_s + 30  # "early" is aboard
    result = replan(problem, plan, now, params=EXACT)
    assert result.done[holder.vehicle][0] == pick
    vehicle = next(v for v in result.problem.vehicles if v.id == holder.vehicle)
    assert vehicle.onboard == ("early",)
    route = next(r for r in result.plan.routes if r.vehicle == holder.vehicle)
    assert [s.kind for s in route.stops if s.request == "early"] == ["dropoff"]
    assert result.plan.summary.served == 3


def test_replan_with_a_car_removed_moves_its_riders():
    problem, plan = _morning_plan()
    holder = next(r for r in plan.routes if any(s.request == "late" for s in r.stops))
    result = replan(problem, plan, hm("07:10"), removed_vehicles=[holder.vehicle], params=EXACT)
    assert all(r.vehicle != holder.vehicle for r in result.plan.routes)
    assert {s.request for r in result.plan.routes for s in r.stops} >= {"late", "late-2"}
    check_plan(result.problem, result.plan)


def test_replan_refuses_an_unknown_car():
    problem, plan = _morning_plan()
    with pytest.raises(ValueError, match="no vehicle 'nope'"):
        replan(problem, plan, hm("07:00"), removed_vehicles=["nope"])


def test_a_morning_split_into_groups_in_worker_processes():
    problem = montgomery_morning(requests=60, vehicles=12)
    params = SolveParams(time_limit_s=30, solution_limit=10, group_riders=20, workers=2)
    plan = solve(problem, params)
    check_plan(problem, plan)
    assert plan.summary.served >= 57


def test_previous_plan_is_kept_for_unchanged_riders():
    problem = montgomery_morning(requests=60, vehicles=12)
    params = SolveParams(time_limit_s=30, solution_limit=30)
    first = solve(problem, params)
    fewer = dataclasses.replace(problem, requests=problem.requests[1:])
    again = solve(fewer, params, previous=first)
    car_of = {s.request: r.vehicle for r in first.routes for s in r.stops}
    kept = sum(1 for r in again.routes for s in r.stops if car_of.get(s.request) == r.vehicle)
    assert kept >= 0.9 * 2 * again.summary.served


def test_fewest_cars_uses_no_more_cars():
    problem = montgomery_morning(requests=40, vehicles=12)
    params = SolveParams(time_limit_s=30, solution_limit=50)
    few = solve(problem, dataclasses.replace(params, minimise_vehicles=True))
    assert few.summary.served == solve(problem, params).summary.served
    assert len(few.routes) <= len(solve(problem, params).routes)


def test_a_crashed_worker_gives_no_result_and_the_pool_goes_on():
    # Inconsistent sizes: OR-Tools refuses it and the child dies.
    broken = SubTask(travel=[[0]], service=[0], lo=[0], hi=[0], seats=[0], chairs=[0],
                     limits=[None], pinned=[None], shifts=[(0, 1)], capacity=[1],
                     chair_capacity=[0], initial=[[]], penalty=1, time_limit_s=5.0)
    got = {}
    with WorkerPool(1) as pool:
        began = time.monotonic()
        pool.run([broken], time.monotonic() + 30, lambda k, result: got.update({k: result}))
    assert got == {0: None} and time.monotonic() - began < 30
