"""Regular riders keep their car and their time when a few bookings change."""

from __future__ import annotations

from dataclasses import replace

import pytest

from routing import solver as solver_module
from routing.check import check_plan
from routing.generate import montgomery_morning
from routing.problem import TimeWindow
from routing.solver import SolveParams, kept_share, solve
from routing.stability import SAME_TIME_S, change_bookings, compare

from .conftest import EXACT, car, hm, line_problem, ride

PARAMS = SolveParams(time_limit_s=30, solution_limit=20, engine="ortools")
LNS = SolveParams(time_limit_s=30, solution_limit=20, engine="lns")


def test_five_percent_changed_keeps_nine_in_ten_riders_car_and_time():
    monday = montgomery_morning(requests=40, vehicles=8)
    last_week = solve(monday, PARAMS)
    this_week = change_bookings(monday, 0.05)
    again = solve(this_week, PARAMS, previous=last_week)
    check_plan(this_week, again)
    fresh = solve(this_week, PARAMS)
    got = compare(monday, this_week, last_week, again, fresh)
    assert got.unchanged >= 35
    assert got.kept_share >= 0.9
    assert again.summary.served >= fresh.summary.served
    assert got.extra_drive <= 0.02


# The compiled search re-plans freely first and holds riders to their times only when the
# free plan kept too few (routing.solver.KEEP_SHARE). Its driving against a fresh solve is
# a benchmark figure (python -m routing.bench M --stability), not a test: at these budgets
# a fresh search has not settled.


def test_the_compiled_search_keeps_nine_in_ten_either_way():
    monday = montgomery_morning(requests=40, vehicles=8)
    last_week = solve(monday, LNS)
    this_week = change_bookings(monday, 0.05)
    again = solve(this_week, LNS, previous=last_week)
    fresh = solve(this_week, LNS)
    got = compare(monday, this_week, last_week, again, fresh)
    assert got.unchanged >= 35 and got.kept_share >= 0.9
    assert again.summary.served >= fresh.summary.served
    assert kept_share(this_week, last_week, again) >= 0.9


def test_a_free_re_plan_that_keeps_enough_is_the_plan(monkeypatch):
    monday = montgomery_morning(requests=40, vehicles=8)
    last_week = solve(monday, LNS)
    this_week = change_bookings(monday, 0.05)
    monkeypatch.setattr(solver_module, "KEEP_SHARE", 0.0)  # any free plan keeps enough
    free = solve(this_week, LNS, previous=last_week)
    monkeypatch.setattr(solver_module, "KEEP_SHARE", 1.01)  # none does: riders held
    held = solve(this_week, LNS, previous=last_week)

    assert kept_share(this_week, last_week, held) == 1.0
    assert free.summary.drive_s < held.summary.drive_s  # the freedom was worth something
    assert kept_share(this_week, last_week, free) < 1.0


def test_the_cap_on_riders_not_kept_trades_driving_for_keeping(monkeypatch):
    # The compiled search re-plans with at most AWAY_SHARE of regular riders in another car
    # or at another time; with no cap it may move anyone, with a zero cap it keeps everyone
    # it can.
    monday = montgomery_morning(requests=40, vehicles=8)
    last_week = solve(monday, LNS)
    this_week = change_bookings(monday, 0.05)
    monkeypatch.setattr(solver_module, "KEEP_SHARE", 0.0)  # the capped plan is the answer
    monkeypatch.setattr(solver_module, "AWAY_SHARE", 0.0)
    kept = solve(this_week, LNS, previous=last_week)
    monkeypatch.setattr(solver_module, "AWAY_SHARE", 1.0)
    moved = solve(this_week, LNS, previous=last_week)
    assert kept_share(this_week, last_week, kept) > kept_share(this_week, last_week, moved)
    assert kept_share(this_week, last_week, kept) == 1.0
    assert moved.summary.drive_s < kept.summary.drive_s
    assert kept.summary.served == moved.summary.served == len(this_week.requests)


def test_change_bookings_cancels_moves_and_adds_a_third_each():
    monday = montgomery_morning(requests=60, vehicles=12)
    changed = change_bookings(monday, 0.05, seed=3)
    before = {r.id: r for r in monday.requests}
    after = {r.id: r for r in changed.requests}
    new = [rid for rid in after if rid not in before]
    gone = [rid for rid in before if rid not in after]
    moved = [rid for rid in after if rid in before and after[rid] != before[rid]]
    assert (len(gone), len(moved), len(new)) == (1, 1, 1)
    assert after[moved[0]].pickup_window.start_s == before[moved[0]].pickup_window.start_s + 900


@pytest.mark.parametrize("params", [PARAMS, LNS], ids=["ortools", "lns-held"])
def test_a_kept_rider_is_picked_up_within_five_minutes_of_last_time(monkeypatch, params):
    monkeypatch.setattr(solver_module, "KEEP_SHARE", 1.01)  # the compiled search: held
    monday = montgomery_morning(requests=40, vehicles=8)
    last_week = solve(monday, params)
    fewer = monday.__class__(**{**monday.__dict__, "requests": monday.requests[2:]})
    again = solve(fewer, params, previous=last_week)
    was = {s.request: s.start_s for r in last_week.routes for s in r.stops if s.kind == "pickup"}
    for route in again.routes:
        for stop in route.stops:
            if stop.kind == "pickup" and stop.request in was:
                assert abs(stop.start_s - was[stop.request]) <= SAME_TIME_S


def test_holding_times_never_costs_a_rider_their_seat(monkeypatch):
    # When the free re-plan kept too few riders' times, the held re-plan follows; if that
    # one carries fewer riders, the free plan is the answer: a rider carried comes first.
    monday = montgomery_morning(requests=40, vehicles=8)
    last_week = solve(monday, LNS)
    this_week = change_bookings(monday, 0.05)
    monkeypatch.setattr(solver_module, "KEEP_SHARE", 1.01)  # the free plan never keeps enough
    real_steady = solver_module._steady

    def held_too_tight(problem, previous):
        held = real_steady(problem, previous)
        first = held.requests[0]  # a window nobody can meet: the held plan loses this rider
        gone = TimeWindow(0, 1)
        return replace(held, requests=(replace(first, pickup_window=gone, dropoff_window=None),
                                       *held.requests[1:]))

    monkeypatch.setattr(solver_module, "_steady", held_too_tight)
    again = solve(this_week, LNS, previous=last_week)

    assert again.summary.served == len(this_week.requests)


def test_a_car_that_would_come_early_waits_for_last_weeks_time():
    # Last week r-1 could only be picked up at 07:30; this week its window opens at 07:00.
    # Waiting costs no driving, so the re-plan keeps 07:30 (a fresh plan says 07:00).
    last_week = line_problem([car()], [ride("r-1", 1, 3, pickup=("07:30", "07:35"))])
    this_week = line_problem([car()], [ride("r-1", 1, 3, pickup=("07:00", "08:00"))])
    before = solve(last_week, EXACT)
    assert pickup_time(before, "r-1") == hm("07:30")
    assert pickup_time(solve(this_week, EXACT), "r-1") == hm("07:00")
    again = solve(this_week, EXACT, previous=before)
    assert pickup_time(again, "r-1") == hm("07:30")
    check_plan(this_week, again)


def test_a_time_the_route_cannot_keep_gives_way_to_the_others():
    # r-2 is new and must be picked up at 07:30 at place 5: the car cannot also be at place
    # 1 for r-1's 07:30 of last week, so r-1 moves; the plan is sound and r-2 is carried.
    last_week = line_problem([car()], [ride("r-1", 1, 3, pickup=("07:30", "07:35"))])
    this_week = line_problem([car()], [ride("r-1", 1, 3, pickup=("07:00", "08:00"),
                                            dropoff=("07:00", "07:20")),
                                       ride("r-2", 5, 6, pickup=("07:30", "07:30"))])
    again = solve(this_week, EXACT, previous=solve(last_week, EXACT))
    assert again.summary.served == 2
    assert pickup_time(again, "r-2") == hm("07:30")
    assert abs(pickup_time(again, "r-1") - hm("07:30")) > SAME_TIME_S
    check_plan(this_week, again)


def pickup_time(plan, rid: str) -> int:
    return next(s.start_s for r in plan.routes for s in r.stops
                if s.kind == "pickup" and s.request == rid)
