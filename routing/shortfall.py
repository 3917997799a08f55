"""How many more cars, based where and working when, would carry the riders left out.

An estimate, made by the same insertion the solver starts from: one candidate car per
rider left out, based at that rider's pick-up with the fleet's most common seats and
shift, and a high price for each car used, so the riders are packed into as few new cars
as the windows and ride limits allow.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import replace

from routing.insertion import Routes, insert_all
from routing.network import Network
from routing.plan import ExtraCar
from routing.problem import Problem, Request, Vehicle

_CAR_COST = 1_000_000


def estimate_shortfall(net: Network, left: Sequence[int],
                       until: float | None = None) -> tuple[ExtraCar, ...]:
    """Extra cars for the requests ``left`` (indices into ``net.problem.requests``).

    Insertion over one candidate car per rider costs the square of the riders left out;
    riders it has no time for by ``until`` (a ``time.monotonic()``) are packed by seats
    into cars per pick-up area and hour instead, a coarser but instant estimate."""
    from routing.solver import area_name

    problem = net.problem
    if not left or not problem.vehicles:
        return ()
    seats, shift, open_end = Counter(
        (v.seats, v.shift, v.end is None) for v in problem.vehicles).most_common(1)[0][0]
    requests = tuple(problem.requests[i] for i in left)
    chairs = max(r.wheelchair for r in requests)
    cars = tuple(
        Vehicle(id=f"extra-{k + 1}", seats=max(seats, r.seats), start=r.pickup,
                end=None if open_end else r.pickup, shift=shift, wheelchair=chairs)
        for k, r in enumerate(requests))
    extra = Network(Problem(name=f"{problem.name} (extra cars)", travel=problem.travel,
                            service_s=problem.service_s, vehicles=cars,
                            requests=tuple(replace(r, picked_up_s=None) for r in requests),
                            durations=problem.durations, distances=problem.distances))
    routes = Routes(extra, vehicle_cost=_CAR_COST)
    insert_all(routes, range(extra.n_requests), until=until)
    out = _packed(extra, requests, sorted(routes.untried), max(1, seats))
    for v, seq in enumerate(routes.seqs):
        if not seq:
            continue
        timing = extra.schedule(v, seq)
        if timing is None:
            continue
        riders = tuple(dict.fromkeys(requests[n // 2].id for n in seq))
        out.append(ExtraCar(area=area_name(extra, extra.start(v)).replace("the area around ", ""),
                            start_s=timing.starts[0], end_s=timing.starts[-1], riders=riders))
    return tuple(sorted(out, key=lambda c: (c.start_s, c.area)))


def _packed(extra: Network, requests: Sequence[Request], untried: Sequence[int],
            seats: int) -> list[ExtraCar]:
    """Cars for riders insertion had no time for: per pick-up area and hour of pick-up,
    one car per ``seats`` seats."""
    from routing.solver import area_name

    groups: dict[tuple[str, int], list[int]] = {}
    for i in untried:
        area = area_name(extra, 2 * i).replace("the area around ", "")
        groups.setdefault((area, extra.lo[2 * i] // 3600), []).append(i)
    out = []
    for (area, _), members in sorted(groups.items()):
        car: list[int] = []
        taken = 0
        for i in members + [-1]:
            need = requests[i].seats if i >= 0 else seats + 1
            if car and (i < 0 or taken + need > seats):
                out.append(ExtraCar(area=area, start_s=min(extra.lo[2 * k] for k in car),
                                    end_s=max(min(extra.hi[2 * k + 1], extra.hi[2 * k] + 3600)
                                              for k in car),
                                    riders=tuple(requests[k].id for k in car)))
                car, taken = [], 0
            if i >= 0:
                car.append(i)
                taken += need
    return out
