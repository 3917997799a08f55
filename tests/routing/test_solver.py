"""The solver on small worlds whose best plan is known by hand."""

from __future__ import annotations

import pytest

from routing.check import check_plan
from routing.problem import Point, Problem, Request, TravelModel, Vehicle
from routing.solver import SolveParams, SolveProgress, solve

from .conftest import EXACT, car, hm, line_problem, order, ride


def test_two_riders_on_a_line_share_one_car(two_on_a_line):
    plan = solve(two_on_a_line, EXACT)

    assert plan.feasible and not plan.unassigned
    (route,) = plan.routes
    assert order(plan) == ["p:r-1", "p:r-2", "d:r-1", "d:r-2"]
    # Leave 06:00; one minute per place, one minute of service per stop; back to 0.
    assert [(s.arrive_s, s.start_s, s.depart_s, s.load) for s in route.stops] == [
        (hm("06:01"), hm("06:01"), hm("06:02"), 1),
        (hm("06:03"), hm("06:03"), hm("06:04"), 2),
        (hm("06:05"), hm("06:05"), hm("06:06"), 1),
        (hm("06:07"), hm("06:07"), hm("06:08"), 0),
    ]
    assert (route.start_s, route.end_s) == (hm("06:00"), hm("06:12"))
    assert (route.drive_s, route.distance_m) == (8 * 60, 8000)
    assert plan.summary.served == 2 and plan.summary.drive_s == 480


def test_car_leaves_as_late_as_the_windows_allow():
    problem = line_problem([car()], [ride("r-1", 2, 5, dropoff=("07:00", "07:00"))])
    (route,) = solve(problem, EXACT).routes
    assert route.start_s == hm("06:55")  # 2 min to the pick-up, 3 min ride, no waiting
    assert [s.start_s for s in route.stops] == [hm("06:57"), hm("07:00")]


def test_seats_force_a_second_car():
    # Both parties must be at place 3 at 06:20 sharp and each fills a car.
    parties = [ride(f"r-{k}", 1, 3, seats=2, dropoff=("06:20", "06:20")) for k in (1, 2)]
    problem = line_problem([car("car-1", seats=2), car("car-2", seats=2)], parties)

    plan = solve(problem, EXACT)

    assert plan.feasible
    assert sorted(len(r.stops) for r in plan.routes) == [2, 2]
    assert max(s.load for r in plan.routes for s in r.stops) == 2


def test_a_window_forces_the_order():
    problem = line_problem([car()], [
        ride("near-late", 1, 2, pickup=("07:00", "07:10")),
        ride("far-early", 3, 4, pickup=("06:00", "06:10")),
    ])
    assert order(solve(problem, EXACT)) == ["p:far-early", "d:far-early", "p:near-late",
                                            "d:near-late"]


def _detour_problem(max_ride_s: int | None) -> Problem:
    # r-1 rides 1 -> 5 (4 min direct), r-2 rides 2 -> 3. Pooled, r-1 rides 5 min
    # (a stop of 1 min on the way); alone each one rides the direct drive.
    return line_problem([car()], [ride("r-1", 1, 5, max_ride_s=max_ride_s),
                                  ride("r-2", 2, 3, max_ride_s=max_ride_s)], service_s=60)


def test_pooling_saves_driving_without_a_ride_limit():
    plan = solve(_detour_problem(None), EXACT)
    assert plan.summary.drive_s == 600  # 0-1-2-3-5-0 (or 0-1-2-5-3-0)


def test_ride_limit_forbids_pooling_with_a_detour():
    plan = solve(_detour_problem(299), EXACT)
    assert order(plan) == ["p:r-1", "d:r-1", "p:r-2", "d:r-2"]
    assert plan.summary.drive_s == 720


@pytest.mark.parametrize(("limit", "drive_s"), [(300, 600), (299, 720)])
def test_ride_limit_counts_from_the_end_of_service_at_pick_up(limit, drive_s):
    # Only r-1 is limited. Pooled as 0-1-2-5-3-0, r-1 leaves its pick-up at +1 min service,
    # and starts its drop-off 5 min later: exactly 300 s is allowed, 299 s is not.
    problem = line_problem([car()], [ride("r-1", 1, 5, max_ride_s=limit), ride("r-2", 2, 3)],
                           service_s=60)
    plan = solve(problem, EXACT)
    assert plan.summary.drive_s == drive_s
    route = plan.routes[0]
    pick = next(s for s in route.stops if s.request == "r-1" and s.kind == "pickup")
    drop = next(s for s in route.stops if s.request == "r-1" and s.kind == "dropoff")
    assert drop.start_s - pick.depart_s <= 300


def test_wheelchair_rider_gets_the_car_with_space():
    problem = line_problem(
        [car("near", at=1, end=1), car("far", at=9, end=9, wheelchair=1)],
        [ride("w-1", 2, 3, wheelchair=1, seats=0)])
    plan = solve(problem, EXACT)
    assert [r.vehicle for r in plan.routes] == ["far"]


def test_open_route_ends_at_the_last_stop():
    problem = line_problem([car(end=None)], [ride("r-1", 1, 3)])
    (route,) = solve(problem, EXACT).routes
    assert (route.drive_s, route.distance_m) == (180, 3000)
    assert route.end_s == route.stops[-1].depart_s


def test_asymmetric_hand_written_matrix():
    # 0 -> 1 is quick but 1 -> 0 slow; the car must come back to 0.
    durations = ((0, 100, 300), (500, 0, 100), (200, 400, 0))
    distances = ((0, 1000, 3000), (5000, 0, 1000), (2000, 4000, 0))
    problem = Problem(
        name="asym", travel=TravelModel(model="matrix"), service_s=0,
        vehicles=(Vehicle("car-1", 2, Point(loc=0), Point(loc=0)),),
        requests=(Request("r-1", 1, Point(loc=1), Point(loc=2)),),
        durations=durations, distances=distances)
    (route,) = solve(problem, EXACT).routes
    assert (route.drive_s, route.distance_m) == (100 + 100 + 200, 1000 + 1000 + 2000)


def test_haversine_plan_passes_the_checker():
    home, work = Point(lat=32.35, lon=-86.31), Point(lat=32.377, lon=-86.30)
    problem = Problem(
        name="tiny", travel=TravelModel(), service_s=60,
        vehicles=(Vehicle("car-1", 4, Point(lat=32.3617, lon=-86.2792)),),
        requests=(Request("r-1", 1, home, work), Request("r-2", 1, home, work)))
    plan = solve(problem, EXACT)
    check_plan(problem, plan)
    assert plan.summary.served == 2


@pytest.mark.parametrize(("impossible", "reason"), [
    (ride("r", 1, 2, seats=7), "no car has room for 7 seats"),
    (ride("r", 1, 2, wheelchair=1), "no car has wheelchair space"),
    (ride("r", 1, 2, pickup=("05:00", "05:10")),
     "no car's shift covers the pick-up window 05:00-05:10"),
    (ride("r", 1, 10, max_ride_s=300),
     "the direct drive (9 min) already breaks the ride limit (5 min)"),
    (ride("r", 10, 11, pickup=("06:00", "06:05")), "no car can reach the pick-up before 06:05"),
    (ride("r", 1, 10, dropoff=("06:00", "06:05")), "no car can reach the drop-off before 06:05"),
])
def test_impossible_request_is_unassigned_with_its_reason(impossible, reason):
    problem = line_problem([car(), car("car-2", seats=2)], [impossible, ride("ok", 1, 2)])
    plan = solve(problem, EXACT)
    assert [(u.request, u.reason) for u in plan.unassigned] == [("r", reason)]
    assert plan.summary.served == 1 and not plan.feasible


def test_fleet_full_names_the_windows():
    # One single-seat car; both riders must be dropped at 3 at 06:30 sharp.
    riders = [ride(f"r-{k}", 1, 3, pickup=("06:00", "06:30"), dropoff=("06:30", "06:30"))
              for k in (1, 2)]
    plan = solve(line_problem([car(seats=1)], riders), EXACT)
    assert plan.summary.served == 1
    (left,) = plan.unassigned
    assert left.reason == "the fleet was full between 06:00 and 06:30 in place 1"
    # One more car, based at the rider's pick-up, would carry the rider left out.
    (extra,) = plan.shortfall
    assert extra.riders == (left.request,) and extra.area == "place 1"


def test_progress_is_reported_at_the_end(two_on_a_line):
    seen: list[SolveProgress] = []
    solve(two_on_a_line, EXACT, progress=seen.append)
    assert seen[-1].placed == 2 and seen[-1].requests == 2 and seen[-1].best_drive_s == 480


def test_progress_counts_down_while_workers_search():
    # Searches in worker processes answer only when done; meanwhile the progress line
    # must still move (the board and the CLI bar show time left).
    from routing.generate import montgomery_morning

    seen: list[SolveProgress] = []
    solve(montgomery_morning(requests=120, vehicles=24), SolveParams(time_limit_s=5),
          progress=seen.append)
    during = [p for p in seen if p.best_drive_s is not None and p.time_left_s > 0.5]
    assert len(during) >= 3
    lefts = [p.time_left_s for p in during]
    assert lefts == sorted(lefts, reverse=True) and len(set(lefts)) == len(lefts)
    assert seen[-1].placed == 120


def test_no_vehicles_leaves_everyone_unassigned():
    problem = line_problem([], [ride("r-1", 1, 2)])
    plan = solve(problem, EXACT)
    assert plan.routes == () and plan.unassigned[0].reason == "no car has room for 1 seat"


def test_fallback_insertion_alone_gives_a_checked_plan(monkeypatch, two_on_a_line):
    import routing.solver as solver_module
    from routing.ortools_model import SubResult

    monkeypatch.setattr(solver_module, "solve_task", lambda task: SubResult(None, None, 0.0))
    plan = solve(two_on_a_line, SolveParams(time_limit_s=5))
    assert plan.summary.served == 2 and plan.summary.drive_s == 480


def test_bad_params_are_refused():
    with pytest.raises(ValueError):
        SolveParams(time_limit_s=0)
    with pytest.raises(ValueError):
        SolveParams(first_solution="NO_SUCH_STRATEGY")
