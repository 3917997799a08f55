"""Pool riders who share a trip: same pick-up, drop-off, windows, limit and service.

Such riders are best carried together, and a model with one request for them is smaller
(a station-to-station day of 17,000 riders has far fewer distinct trips). A pool is one
request whose seats, and service time at each end, are its members' sums. Expanded, its
members board one after another and leave in the same order, so each member's times are
shifted by the service of those before; the pool's windows and ride limit are tightened
by exactly that much, which makes every plan of the pooled problem a plan of the real one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from statistics import median

from routing.network import Network
from routing.problem import Problem, Request, TimeWindow


@dataclass(frozen=True)
class Pooled:
    """The pooled problem and, per pooled request, the original requests it stands for."""

    problem: Problem
    members: tuple[tuple[int, ...], ...]

    def expand(self, seqs: dict[int, list[int]]) -> dict[int, list[int]]:
        """Sequences of the pooled problem as sequences of the original one."""
        out = {}
        for v, seq in seqs.items():
            out[v] = [2 * i + node % 2 for node in seq for i in self.members[node // 2]]
        return out


def pool_requests(net: Network, todo: Sequence[int]) -> Pooled | None:
    """The pooled problem for the requests ``todo``, or None when no two riders share a trip
    (or riders are on board, whose trips are never pooled)."""
    problem = net.problem
    if any(p is not None for p in net.pinned) or not problem.vehicles:
        return None
    cap = int(median(v.seats for v in problem.vehicles))
    shared: dict[tuple[object, ...], list[int]] = defaultdict(list)
    for i in todo:
        r = problem.requests[i]
        p, d = 2 * i, 2 * i + 1
        if r.wheelchair or net.t(p, p) or net.t(d, d):
            key: tuple[object, ...] = ("alone", i)
        else:
            key = (net.pt[p], net.pt[d], net.lo[p], net.hi[p], net.lo[d], net.hi[d],
                   r.max_ride_s, net.service[p], net.service[d])
        shared[key].append(i)
    if all(len(group) == 1 for group in shared.values()):
        return None
    members: list[tuple[int, ...]] = []
    for group in shared.values():
        batch: list[int] = []
        for i in group:
            if batch and not _poolable(net, [*batch, i], cap):
                members.append(tuple(batch))
                batch = []
            batch.append(i)
        members.append(tuple(batch))
    members.sort()
    requests = tuple(_pooled(net, group, k) for k, group in enumerate(members))
    pooled = replace(problem, name=f"{problem.name} (pooled)", requests=requests)
    return Pooled(problem=pooled, members=tuple(members))


def _poolable(net: Network, group: Sequence[int], cap: int) -> bool:
    seats = sum(net.problem.requests[i].seats for i in group)
    if seats > cap:
        return False
    first = group[0]
    extra_p = (len(group) - 1) * net.service[2 * first]
    extra_d = (len(group) - 1) * net.service[2 * first + 1]
    r = net.problem.requests[first]
    if net.hi[2 * first] - extra_p < net.lo[2 * first]:
        return False
    if net.hi[2 * first + 1] - extra_d < net.lo[2 * first + 1]:
        return False
    return r.max_ride_s is None or _pooled_ride(net, group) >= net.t(2 * first, 2 * first + 1)


def _pooled_ride(net: Network, group: Sequence[int]) -> int:
    """The pool's ride limit: every member, boarding i-th and leaving i-th, keeps its own."""
    first = group[0]
    s_p, s_d = net.service[2 * first], net.service[2 * first + 1]
    k = len(group)
    max_ride = net.problem.requests[first].max_ride_s or 0
    gap = max_ride + min(i * s_p - (i - 1) * s_d for i in range(1, k + 1))
    return gap - k * s_p


def _pooled(net: Network, group: Sequence[int], k: int) -> Request:
    first = net.problem.requests[group[0]]
    if len(group) == 1:
        return replace(first, id=f"pool-{k}")
    n = len(group)
    s_p, s_d = net.service[2 * group[0]], net.service[2 * group[0] + 1]

    def shrink(window: TimeWindow | None, by: int) -> TimeWindow | None:
        return None if window is None else TimeWindow(window.start_s, window.end_s - by)

    return replace(
        first, id=f"pool-{k}",
        seats=sum(net.problem.requests[i].seats for i in group),
        pickup_window=shrink(first.pickup_window, (n - 1) * s_p),
        dropoff_window=shrink(first.dropoff_window, (n - 1) * s_d),
        pickup_service_s=n * s_p, dropoff_service_s=n * s_d,
        max_ride_s=None if first.max_ride_s is None else _pooled_ride(net, group))
