"""Regular riders keep their car and their time when a few bookings change."""

from __future__ import annotations

from routing.check import check_plan
from routing.generate import montgomery_morning
from routing.solver import SolveParams, solve
from routing.stability import SAME_TIME_S, change_bookings, compare

PARAMS = SolveParams(time_limit_s=30, solution_limit=20)


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


def test_a_kept_rider_is_picked_up_within_five_minutes_of_last_time():
    monday = montgomery_morning(requests=40, vehicles=8)
    last_week = solve(monday, PARAMS)
    fewer = monday.__class__(**{**monday.__dict__, "requests": monday.requests[2:]})
    again = solve(fewer, PARAMS, previous=last_week)
    was = {s.request: s.start_s for r in last_week.routes for s in r.stops if s.kind == "pickup"}
    for route in again.routes:
        for stop in route.stops:
            if stop.kind == "pickup" and stop.request in was:
                assert abs(stop.start_s - was[stop.request]) <= SAME_TIME_S
