"""Synthetic Montgomery-like carpool mornings, for measuring the solver and for demos.

Riders live around a few residential pick-up points and ride to a few workplaces,
arriving by 06:30-08:30; cars start near homes. Deterministic for a given seed.
"""

from __future__ import annotations

import numpy as np

from routing.problem import Point, Problem, Request, TimeWindow, TravelModel, Vehicle

_LAT, _LON = (32.34, 32.42), (-86.36, -86.24)


def montgomery_morning(requests: int = 300, vehicles: int = 60, seed: int = 7,
                       homes: int = 20, workplaces: int = 15,
                       max_ride_s: int = 45 * 60) -> Problem:
    """A morning with ``requests`` riders, ``vehicles`` cars of 4-6 seats on 05:30-09:30 shifts.

    Each rider must arrive at work in a 20-minute window ending at their arrive-by time
    (06:30-08:30, in quarter hours) and be picked up in the 75 minutes before it.
    """
    rng = np.random.default_rng(seed)

    def spot(lat: float, lon: float) -> Point:
        return Point(lat=round(float(lat), 5), lon=round(float(lon), 5))

    home_at = [spot(rng.uniform(*_LAT), rng.uniform(*_LON)) for _ in range(homes)]
    work_at = [spot(rng.uniform(32.36, 32.40), rng.uniform(-86.33, -86.26))
               for _ in range(workplaces)]
    riders = []
    for k in range(requests):
        arrive_by = 6 * 3600 + 1800 + 900 * int(rng.integers(0, 9))  # 06:30 .. 08:30
        riders.append(Request(
            id=f"r-{k + 1:03d}", seats=1 if rng.random() < 0.9 else 2,
            pickup=home_at[int(rng.integers(homes))],
            dropoff=work_at[int(rng.integers(workplaces))],
            pickup_window=TimeWindow(arrive_by - 75 * 60, arrive_by - 10 * 60),
            dropoff_window=TimeWindow(arrive_by - 20 * 60, arrive_by),
            max_ride_s=max_ride_s,
        ))
    cars = []
    for k in range(vehicles):
        base = home_at[k % homes]
        assert base.lat is not None and base.lon is not None  # made by spot() above
        start = spot(base.lat + rng.normal(0, 0.004), base.lon + rng.normal(0, 0.004))
        cars.append(Vehicle(id=f"car-{k + 1:02d}", seats=int(rng.integers(4, 7)), start=start,
                            end=start, shift=TimeWindow(5 * 3600 + 1800, 9 * 3600 + 1800)))
    return Problem(name=f"montgomery-{requests}", travel=TravelModel(), service_s=60,
                   vehicles=tuple(cars), requests=tuple(riders))
