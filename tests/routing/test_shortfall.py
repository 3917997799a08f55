"""The extra-car estimate stays cheap when very many riders are left out."""

from __future__ import annotations

import time

from routing.network import Network
from routing.shortfall import estimate_shortfall

from .conftest import car, line_problem, ride


def _crowd():
    riders = [ride(f"r-{k}", 2, 5, pickup=("07:00", "07:10")) for k in range(9)]
    return Network(line_problem([car(seats=4)], riders))


def test_riders_left_out_are_packed_into_few_extra_cars():
    net = _crowd()
    extra = estimate_shortfall(net, range(9))
    assert sum(len(c.riders) for c in extra) == 9
    assert len(extra) == 2  # four seats a car, and time for a second trip by 07:10


def test_past_its_deadline_the_estimate_packs_by_seats_per_area_and_hour():
    net = _crowd()
    extra = estimate_shortfall(net, range(9), until=time.monotonic() - 1)
    assert [len(c.riders) for c in extra] == [4, 4, 1]
    assert all(c.start_s == 7 * 3600 for c in extra)
