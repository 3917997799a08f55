"""Travel on the roads of an OpenStreetMap extract that the test writes itself.

The map, north up (lon -86.30 unless said):

    4 (32.33) ---- 5 (32.325, -86.29)       3 -> 4 primary, one-way north
    |            /                          4 -> 5 -> 3 tertiary, one-way back south
    3 (32.32) --                            1 - 2 - 3 residential, both ways
    |                                       1 - 4 footway and a private road: not driven
    2 (32.31)                               6 - 7 a residential road nobody can reach
    |
    1 (32.30)
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import routing.osm as osm
from routing import problem_from_json, problem_to_json, solve
from routing.osm import DEFAULT_SPEEDS_KMH, OsmProvider
from routing.problem import Point, ProblemError
from routing.travel import great_circle_m, round_half_up

from .conftest import EXACT

NODES = {1: (32.30, -86.30), 2: (32.31, -86.30), 3: (32.32, -86.30), 4: (32.33, -86.30),
         5: (32.325, -86.29), 6: (32.40, -86.10), 7: (32.41, -86.10)}
WAYS = [
    ([1, 2, 3], {"highway": "residential"}),
    ([3, 4], {"highway": "primary", "oneway": "yes"}),
    ([4, 5, 3], {"highway": "tertiary", "oneway": "yes"}),
    ([1, 4], {"highway": "footway"}),
    ([1, 4], {"highway": "residential", "access": "private"}),
    ([6, 7], {"highway": "residential"}),
]


def write_osm(path) -> str:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="test">']
    for k, (lat, lon) in NODES.items():
        lines.append(f'  <node id="{k}" lat="{lat}" lon="{lon}"/>')
    for w, (refs, tags) in enumerate(WAYS, start=100):
        lines.append(f'  <way id="{w}">')
        lines += [f'    <nd ref="{r}"/>' for r in refs]
        lines += [f'    <tag k="{k}" v="{v}"/>' for k, v in tags.items()]
        lines.append("  </way>")
    lines.append("</osm>")
    path.write_text("\n".join(lines))
    return str(path)


def leg(a: int, b: int) -> float:
    return float(great_circle_m(*NODES[a], *NODES[b]))


def at(k: int) -> Point:
    return Point(lat=NODES[k][0], lon=NODES[k][1])


@pytest.fixture
def extract(tmp_path):
    osm._GRAPHS.clear()
    return write_osm(tmp_path / "town.osm")


def test_times_follow_road_classes_and_one_way_streets(extract, tmp_path):
    provider = OsmProvider(extract, dict(DEFAULT_SPEEDS_KMH), str(tmp_path / "cache"))
    m = provider.matrices([at(1), at(3), at(4)])
    res, prim, tert = (DEFAULT_SPEEDS_KMH[c] / 3.6 for c in ("residential", "primary", "tertiary"))
    up = leg(1, 2) + leg(2, 3)
    expected_s = np.array([
        [0, up / res, up / res + leg(3, 4) / prim],
        [up / res, 0, leg(3, 4) / prim],
        [(leg(4, 5) + leg(5, 3)) / tert + up / res, (leg(4, 5) + leg(5, 3)) / tert, 0],
    ])
    expected_m = np.array([
        [0, up, up + leg(3, 4)],
        [up, 0, leg(3, 4)],
        [leg(4, 5) + leg(5, 3) + up, leg(4, 5) + leg(5, 3), 0],
    ])
    assert m.durations.tolist() == round_half_up(expected_s).tolist()
    assert m.distances.tolist() == round_half_up(expected_m).tolist()
    assert m.durations[1, 2] != m.durations[2, 1]  # the one-way street shows


def test_points_snap_to_the_connected_roads_with_an_access_leg(extract, tmp_path):
    provider = OsmProvider(extract, dict(DEFAULT_SPEEDS_KMH), str(tmp_path / "cache"))
    beside_2 = Point(lat=32.31, lon=-86.299)  # about 94 m east of node 2
    near_6 = Point(lat=32.40, lon=-86.10)  # on the unreachable road: snaps to the town
    m = provider.matrices([at(1), beside_2, near_6])
    access = float(great_circle_m(32.31, -86.299, *NODES[2]))
    res = DEFAULT_SPEEDS_KMH["residential"] / 3.6
    assert m.distances[0, 1] == round_half_up(leg(1, 2) + access)
    assert m.durations[0, 1] == round_half_up(leg(1, 2) / res + access * 3.6 / osm.ACCESS_KMH)
    assert m.durations[2, 0] < 10**6  # reachable: snapped into the connected town


def test_matrices_are_cached_on_disk_by_points_extract_and_speeds(extract, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    points = [at(1), at(3), at(4)]
    first = OsmProvider(extract, dict(DEFAULT_SPEEDS_KMH), str(cache)).matrices(points)
    files = list(cache.glob("*.npz"))
    assert len(files) == 1
    with np.load(files[0]) as stored:
        assert stored["durations"].dtype == np.int32

    def no_routing(*_, **__):
        raise AssertionError("routed again instead of reading the cache")

    osm._GRAPHS.clear()
    monkeypatch.setattr(osm.RoadGraph, "read", no_routing)
    again = OsmProvider(extract, dict(DEFAULT_SPEEDS_KMH), str(cache)).matrices(points)
    assert again.durations.tolist() == first.durations.tolist()
    monkeypatch.undo()
    slower = OsmProvider(extract, {**DEFAULT_SPEEDS_KMH, "residential": 20.0}, str(cache))
    assert slower.matrices(points).durations[0, 1] > first.durations[0, 1]
    assert len(list(cache.glob("*.npz"))) == 2  # another profile, another entry


def test_json_osm_model_round_trips_and_solves(extract, tmp_path):
    doc = {
        "version": 1,
        "travel": {"model": "osm", "osm_file": extract, "speeds": {"residential": 25},
                   "cache_dir": str(tmp_path / "cache")},
        "service_s": 30,
        "vehicles": [{"id": "car-1", "seats": 4, "start": {"lat": 32.30, "lon": -86.30},
                      "shift": {"start": "06:00", "end": "09:00"}}],
        "requests": [
            {"id": "r-1", "pickup": {"lat": 32.31, "lon": -86.30},
             "dropoff": {"lat": 32.33, "lon": -86.30}, "max_ride_s": 1200},
            {"id": "r-2", "pickup": {"lat": 32.32, "lon": -86.30},
             "dropoff": {"lat": 32.33, "lon": -86.30}},
        ],
    }
    problem = problem_from_json(doc)
    assert problem.travel.speeds == (("residential", 25.0),)
    assert problem_from_json(json.loads(json.dumps(problem_to_json(problem)))) == problem
    plan = solve(problem, EXACT)  # solve checks the plan against the same road times
    assert plan.summary.served == 2
    residential = leg(1, 2) / (25 / 3.6)
    assert plan.routes[0].drive_s >= round_half_up(residential)


def test_osm_model_needs_its_file(tmp_path):
    doc = {"travel": {"model": "osm"}, "vehicles": [], "requests": []}
    with pytest.raises(ProblemError, match="travel.osm_file"):
        problem_from_json(doc)
