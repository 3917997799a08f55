"""The ruin-and-recreate engine (routing.lns) against plans found by brute force.

Small random worlds on a line (windows, seats, ride limits, shifts, two or three cars):
every way to share the riders out between the cars and order each car's stops is tried,
and the engine must find a plan as good as the best one (most riders, then fewest cars when
asked, then least driving). Runs are deterministic: a fixed number of steps from a fixed
seed.
"""

from __future__ import annotations

import itertools
import random
from functools import cache

import pytest

from routing.network import Network
from routing.problem import Point, Problem, Vehicle
from routing.solver import SolveParams, solve

from .conftest import car, hm, line_problem, order, ride

LNS = SolveParams(time_limit_s=20, solution_limit=300, engine="lns")


def _random_world(seed: int, riders: int = 4, cars: int = 2) -> Problem:
    rng = random.Random(seed)
    vehicles = [car(f"car-{v}", seats=rng.choice([1, 2, 3]), at=rng.randrange(12),
                    end=rng.choice([None, rng.randrange(12)]),
                    shift=("06:00", rng.choice(["06:40", "07:00", "08:00"])))
                for v in range(cars)]
    requests = []
    for k in range(riders):
        a, b = rng.sample(range(12), 2)
        start = 6 * 60 + rng.randrange(0, 40)
        pickup = (f"{start // 60:02d}:{start % 60:02d}",
                  f"{(start + rng.choice([5, 10, 30])) // 60:02d}:"
                  f"{(start + rng.choice([5, 10, 30])) % 60:02d}")
        if hm(pickup[1]) < hm(pickup[0]):
            pickup = (pickup[1], pickup[0])
        requests.append(ride(f"r-{k}", a, b, seats=rng.choice([1, 1, 2]),
                             pickup=pickup if rng.random() < 0.7 else None,
                             max_ride_s=rng.choice([None, 60 * abs(a - b) + 120,
                                                    60 * abs(a - b) + 300])))
    return line_problem(vehicles, requests, service_s=rng.choice([0, 60]))


def _brute_force(problem: Problem, fewest_cars: bool) -> tuple[int, int, int]:
    """(-served, cars used if counted, driving) of the best plan, trying everything."""
    net = Network(problem)
    n, m = net.n_requests, net.n_vehicles

    @cache
    def best_route(v: int, riders: frozenset[int]) -> int | None:
        if not riders:
            return 0
        nodes = [x for i in riders for x in (2 * i, 2 * i + 1)]
        best = None
        for seq in itertools.permutations(nodes):
            seen: set[int] = set()
            if any(x % 2 == 1 and x - 1 not in seen or seen.add(x) for x in seq):
                continue
            if not net.fits(v, seq) or net.earliest(v, seq) is None:
                continue
            drive = net.drive_s(v, seq)
            best = drive if best is None else min(best, drive)
        return best

    best = None
    for assignment in itertools.product(range(-1, m), repeat=n):
        total, ok = 0, True
        for v in range(m):
            riders = frozenset(i for i in range(n) if assignment[i] == v)
            if any(not net.allowed(v, i) for i in riders):
                ok = False
                break
            drive = best_route(v, riders)
            if drive is None:
                ok = False
                break
            total += drive
        if not ok:
            continue
        used = len({v for v in assignment if v >= 0}) if fewest_cars else 0
        score = (-sum(1 for v in assignment if v >= 0), used, total)
        best = score if best is None else min(best, score)
    assert best is not None
    return best


@pytest.mark.parametrize("seed", range(14))
def test_the_engine_finds_the_best_plan_of_a_small_world(seed):
    problem = _random_world(seed, riders=4, cars=2)

    plan = solve(problem, LNS)  # solve() checks the plan independently before returning it

    served, _, drive = _brute_force(problem, fewest_cars=False)
    assert (-plan.summary.served, plan.summary.drive_s) == (served, drive)


@pytest.mark.parametrize("seed", range(6))
def test_fewest_cars_then_least_driving(seed):
    problem = _random_world(100 + seed, riders=4, cars=3)

    plan = solve(problem, SolveParams(time_limit_s=20, solution_limit=300, engine="lns",
                                      minimise_vehicles=True))

    served, cars, drive = _brute_force(problem, fewest_cars=True)
    assert (-plan.summary.served, len(plan.routes), plan.summary.drive_s) == (served, cars, drive)


def test_one_car_can_take_everyone_so_only_one_goes_out():
    # Three cars wait at three places; every rider goes 5 -> 6. Insertion puts each rider
    # in the nearest car; one car could carry them all (4 seats), a little further.
    cars = [car("car-1", at=4), car("car-2", at=7), car("car-3", at=1)]
    riders = [ride(f"r-{k}", 5, 6, pickup=("06:30", "07:00")) for k in range(3)]
    problem = line_problem(cars, riders)

    plan = solve(problem, SolveParams(time_limit_s=20, solution_limit=100, engine="lns",
                                      minimise_vehicles=True))

    assert len(plan.routes) == 1 and plan.summary.served == 3


def test_riders_on_board_stay_in_their_car():
    aboard = ride("aboard", 3, 9, max_ride_s=20 * 60)
    cars = [Vehicle(id="car-1", seats=4, start=Point(loc=3), end=Point(loc=0),
                    shift=car().shift, onboard=("aboard",)),
            car("car-2", at=9)]
    problem = line_problem(cars, [aboard, ride("r-1", 8, 10), ride("r-2", 4, 5)])

    plan = solve(problem, LNS)

    assert plan.summary.served == 3
    assert "d:aboard" in order(plan, "car-1")


def test_the_same_seed_gives_the_same_plan():
    problem = _random_world(7, riders=5, cars=2)
    first, again = solve(problem, LNS), solve(problem, LNS)
    assert [r.stops for r in first.routes] == [r.stops for r in again.routes]


def test_until_the_search_is_compiled_plans_come_from_or_tools(monkeypatch, two_on_a_line):
    from routing import compiled
    from routing import solver as solver_module

    started, engines = [], []
    monkeypatch.setattr(compiled, "ready", lambda: False)
    monkeypatch.setattr(compiled, "warm_up_in_background", lambda: started.append(True))
    real = solver_module.solve_task
    monkeypatch.setattr(solver_module, "solve_task",
                        lambda task: engines.append(task.engine) or real(task))

    plan = solve(two_on_a_line, SolveParams(time_limit_s=20, solution_limit=50))

    assert plan.summary.served == 2
    assert engines and set(engines) == {"ortools"} and started == [True]


def test_once_compiled_plans_come_from_the_compiled_search(monkeypatch, two_on_a_line):
    from routing import compiled
    from routing import solver as solver_module

    engines: list[str] = []
    monkeypatch.setattr(compiled, "ready", lambda: True)
    real = solver_module.solve_task
    monkeypatch.setattr(solver_module, "solve_task",
                        lambda task: engines.append(task.engine) or real(task))

    solve(two_on_a_line, SolveParams(time_limit_s=20, solution_limit=50))

    assert engines and set(engines) == {"lns"}
