"""The independent checker catches hand-broken plans."""

from __future__ import annotations

import dataclasses

import pytest

from routing.check import PlanViolation, check_plan
from routing.solver import solve

from .conftest import EXACT


@pytest.fixture
def good(two_on_a_line):
    plan = solve(two_on_a_line, EXACT)
    check_plan(two_on_a_line, plan)
    return plan


def with_stop(plan, index, **changes):
    route = plan.routes[0]
    stops = list(route.stops)
    stops[index] = dataclasses.replace(stops[index], **changes)
    return dataclasses.replace(plan, routes=(dataclasses.replace(route, stops=tuple(stops)),))


def violations(problem, plan) -> str:
    with pytest.raises(PlanViolation) as caught:
        check_plan(problem, plan)
    return "\n".join(caught.value.violations)


def test_wrong_arrival_time(two_on_a_line, good):
    stop = good.routes[0].stops[1]
    bad = with_stop(good, 1, arrive_s=stop.arrive_s - 30)
    assert "stop 2 (pickup r-2): arrives at 06:02:30" in violations(two_on_a_line, bad)


def test_service_cut_short(two_on_a_line, good):
    stop = good.routes[0].stops[0]
    bad = with_stop(good, 0, depart_s=stop.depart_s - 1)
    assert "departs at" in violations(two_on_a_line, bad)


def test_overfull_car(two_on_a_line, good):
    small = dataclasses.replace(
        two_on_a_line, vehicles=(dataclasses.replace(two_on_a_line.vehicles[0], seats=1),))
    assert "2 seats taken in a car with 1" in violations(small, good)


def test_missing_rider(two_on_a_line, good):
    route = good.routes[0]
    stops = tuple(s for s in route.stops if s.request != "r-2")
    bad = dataclasses.replace(good, routes=(dataclasses.replace(route, stops=stops),))
    found = violations(two_on_a_line, bad)
    assert "request r-2: neither served nor listed as unassigned" in found
    assert "stop 2 (dropoff r-1): arrives at" in found  # the times no longer add up


def test_window_and_ride_limit(two_on_a_line, good):
    r1 = two_on_a_line.requests[0]
    tight = dataclasses.replace(
        two_on_a_line,
        requests=(dataclasses.replace(r1, max_ride_s=60), *two_on_a_line.requests[1:]))
    assert "ride of 3 min (180 s) exceeds the limit of 1 min (60 s)" in violations(tight, good)


def test_wrong_drive_total(two_on_a_line, good):
    route = dataclasses.replace(good.routes[0], drive_s=good.routes[0].drive_s - 60)
    found = violations(two_on_a_line, dataclasses.replace(good, routes=(route,)))
    assert "drive_s is 420, the legs add up to 480" in found
    assert "summary:" in found
