"""The JSON format (v1), the clock and the travel model."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pytest

from routing.formats import (
    format_hms,
    parse_time,
    plan_from_json,
    plan_to_json,
    problem_from_json,
    problem_to_json,
)
from routing.problem import Point, ProblemError
from routing.solver import solve
from routing.travel import HaversineProvider, round_half_up

from .conftest import EXACT

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"

SPEC_EXAMPLE = {
    "name": "example",
    "travel": {"model": "haversine", "circuity": 1.3, "speed_kmh": 30},
    "service_s": 60,
    "vehicles": [
        {"id": "car-1", "seats": 6,
         "start": {"lat": 32.3617, "lon": -86.2792}, "end": {"lat": 32.3617, "lon": -86.2792},
         "shift": {"start": "06:00", "end": "09:30"}}],
    "requests": [
        {"id": "r-1", "seats": 1,
         "pickup": {"lat": 32.35, "lon": -86.31}, "dropoff": {"lat": 32.377, "lon": -86.30},
         "pickup_window": {"start": "06:00", "end": "08:00"},
         "dropoff_window": {"start": "06:45", "end": "07:30"},
         "max_ride_s": 2700}],
}


def errors_for(mutate) -> tuple[str, ...]:
    doc = copy.deepcopy(SPEC_EXAMPLE)
    mutate(doc)
    with pytest.raises(ProblemError) as caught:
        problem_from_json(doc)
    return caught.value.errors


def test_spec_example_parses_and_round_trips():
    problem = problem_from_json(SPEC_EXAMPLE)
    assert problem.requests[0].pickup_window.start_s == 6 * 3600
    assert problem.vehicles[0].shift.end_s == 9 * 3600 + 1800
    assert problem_from_json(json.loads(json.dumps(problem_to_json(problem)))) == problem


def test_bad_time_is_named_with_its_path():
    def bad(doc):
        doc["requests"][0]["pickup_window"]["start"] = "7.30"
    assert errors_for(bad) == (
        'requests[0].pickup_window.start: expected "HH:MM" or "HH:MM:SS", got "7.30"',)


def test_every_bad_field_is_named():
    def bad(doc):
        doc["vehicles"][0]["seats"] = "4"
        doc["requests"][0]["maxride"] = 5
        del doc["requests"][0]["dropoff"]
    assert set(errors_for(bad)) == {
        'vehicles[0].seats: input should be a valid integer, got "4"',
        "requests[0].maxride: unknown field",
        "requests[0].dropoff: required",
    }


def test_meaning_errors_use_json_paths():
    def bad(doc):
        doc["requests"][0]["seats"] = 0
        doc["requests"][0]["pickup_window"]["start"] = "09:00"
        doc["requests"].append(copy.deepcopy(doc["requests"][0]))
    errors = errors_for(bad)
    assert "requests[0].seats: must be at least 1" in errors
    assert "requests[0].pickup_window: start 09:00 is after end 08:00" in errors
    assert 'requests[1].id: duplicate id "r-1"' in errors


def test_matrix_model_needs_matrices_and_locs():
    def bad(doc):
        doc["travel"]["model"] = "matrix"
        doc["durations"] = [[0, 1], [1, 0]]
        doc["distances"] = [[0, 1], [1, 0]]
        doc["vehicles"][0]["start"]["loc"] = 5
    errors = errors_for(bad)
    assert "vehicles[0].start.loc: must be an index into the matrices, got 5" in errors
    assert 'requests[0].pickup.loc: required by the "matrix" travel model' in errors


def test_top_level_must_be_an_object():
    with pytest.raises(ProblemError, match="expected a JSON object"):
        problem_from_json([1, 2])


@pytest.mark.parametrize(("text", "seconds"), [("06:30", 23400), ("06:30:15", 23415),
                                               ("7:05", 25500), ("25:00", 90000)])
def test_parse_time(text, seconds):
    assert parse_time(text) == seconds


@pytest.mark.parametrize("text", ["7.30", "06:60", "6", "48:00", "", "06:30:5"])
def test_parse_time_refuses(text):
    with pytest.raises(ValueError, match="HH:MM"):
        parse_time(text)


def test_format_hms():
    assert format_hms(23415) == "06:30:15"


def test_rounding_rule_is_half_up():
    assert round_half_up([0.5, 1.5, 2.5, 2.4999]).tolist() == [1, 2, 3, 2]


def test_haversine_one_degree_of_latitude():
    # 6,371,008.8 m * pi / 180 = 111,195.08 m; x 1.3 = 144,553.6 -> 144,554 m;
    # 144,554 m * 3.6 / 30 km/h = 17,346.48 -> 17,346 s.
    m = HaversineProvider(circuity=1.3, speed_kmh=30).matrices(
        [Point(lat=0.0, lon=10.0), Point(lat=1.0, lon=10.0)])
    assert m.distances.tolist() == [[0, 144554], [144554, 0]]
    assert m.durations.tolist() == [[0, 17346], [17346, 0]]
    assert m.durations.dtype == np.int64


def test_plan_json_round_trips(two_on_a_line):
    plan = solve(two_on_a_line, EXACT)
    doc = plan_to_json(plan)
    assert doc["routes"][0]["stops"][0] == {"kind": "pickup", "request": "r-1",
                                            "arrive": "06:01:00", "start": "06:01:00",
                                            "depart": "06:02:00", "load": 1}
    assert plan_from_json(json.loads(json.dumps(doc))) == plan


def test_documented_example_plan_matches_its_problem():
    from routing.check import check_plan

    problem = problem_from_json(json.loads((EXAMPLES / "small-problem.json").read_text()))
    plan = plan_from_json(json.loads((EXAMPLES / "small-plan.json").read_text()))
    check_plan(problem, plan)
