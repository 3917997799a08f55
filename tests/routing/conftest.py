"""Small worlds for routing tests.

Most use the matrix travel model on a line: place k is k minutes (and k km) from
place 0, so every time in an expected plan can be worked out by hand.
"""

from __future__ import annotations

import pytest

from routing.problem import Point, Problem, Request, TimeWindow, TravelModel, Vehicle
from routing.solver import SolveParams

H = 3600
#: Deterministic and fast for small problems: stop after a fixed number of solutions.
EXACT = SolveParams(time_limit_s=20, solution_limit=300)


def hm(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * H + int(minutes) * 60


def window(start: str, end: str) -> TimeWindow:
    return TimeWindow(hm(start), hm(end))


def line_problem(vehicles: list[Vehicle], requests: list[Request], service_s: int = 0,
                 places: int = 12) -> Problem:
    """Places 0..places-1 on a line, one minute and one kilometre apart."""
    durations = tuple(tuple(60 * abs(i - j) for j in range(places)) for i in range(places))
    distances = tuple(tuple(1000 * abs(i - j) for j in range(places)) for i in range(places))
    return Problem(name="line", travel=TravelModel(model="matrix"), service_s=service_s,
                   vehicles=tuple(vehicles), requests=tuple(requests),
                   durations=durations, distances=distances)


def car(ident: str = "car-1", seats: int = 4, at: int = 0, end: int | None = 0,
        shift: tuple[str, str] | None = ("06:00", "10:00"), wheelchair: int = 0) -> Vehicle:
    return Vehicle(id=ident, seats=seats, start=Point(loc=at),
                   end=None if end is None else Point(loc=end),
                   shift=None if shift is None else window(*shift), wheelchair=wheelchair)


def ride(ident: str, frm: int, to: int, seats: int = 1,
         pickup: tuple[str, str] | None = None, dropoff: tuple[str, str] | None = None,
         max_ride_s: int | None = None, wheelchair: int = 0) -> Request:
    return Request(id=ident, seats=seats, pickup=Point(loc=frm), dropoff=Point(loc=to),
                   pickup_window=None if pickup is None else window(*pickup),
                   dropoff_window=None if dropoff is None else window(*dropoff),
                   max_ride_s=max_ride_s, wheelchair=wheelchair)


def order(plan, vehicle: str = "car-1") -> list[str]:
    """The stops of a car's route as "p:r-1", "d:r-1", ..."""
    route = next(r for r in plan.routes if r.vehicle == vehicle)
    return [f"{s.kind[0]}:{s.request}" for s in route.stops]


@pytest.fixture
def two_on_a_line() -> Problem:
    """One car at place 0; r-1 rides 1 -> 3, r-2 rides 2 -> 4; one minute per stop."""
    return line_problem([car()], [ride("r-1", 1, 3), ride("r-2", 2, 4)], service_s=60)
