"""Cheapest feasible insertion, fast enough to build a plan for 17,000 riders.

A :class:`Routes` holds one stop sequence per car and, for each, the earliest and latest
service start at every position (windows and shift only) and the load after it. Those
bound where a rider can go: the pick-up can only sit where the earliest time before it
still meets its window and the latest time after it is not yet passed, and the drop-off
only until the seats run out or the ride grows past its limit. Only the few positions
that survive are priced, and the cheapest is confirmed by the exact timing of
:meth:`~routing.network.Network.earliest` (which also knows ride limits).
"""

from __future__ import annotations

import time
from bisect import bisect_left
from collections.abc import Iterable, Sequence

from routing.network import Network

#: Exact checks tried per rider before giving up on it (the candidates are in cost order),
#: and per car: a car whose best positions fail (riders aboard would ride too long) is
#: unlikely to have a good one further down, while another car may.
MAX_EXACT_TRIES = 60
MAX_TRIES_PER_CAR = 3


class Routes:
    """A working solution: mutable sequences per vehicle, with their bounds cached."""

    def __init__(self, net: Network, seqs: dict[int, list[int]] | None = None,
                 vehicle_cost: int = 0):
        self.net = net
        self.vehicle_cost = vehicle_cost
        self.seqs: list[list[int]] = [list((seqs or {}).get(v, ()))
                                      for v in range(net.n_vehicles)]
        self.early: list[list[int]] = [[] for _ in self.seqs]
        self.late: list[list[int]] = [[] for _ in self.seqs]
        self.load: list[list[int]] = [[] for _ in self.seqs]
        self.chairs: list[list[int]] = [[] for _ in self.seqs]
        self.cost: list[int] = [0] * len(self.seqs)
        #: requests :func:`insert_all` ran out of time for
        self.untried: set[int] = set()
        for v in range(len(self.seqs)):
            self.refresh(v)

    def placed(self) -> set[int]:
        """Requests served by some route."""
        return {node // 2 for seq in self.seqs for node in seq if node % 2 == 1}

    def as_dict(self) -> dict[int, list[int]]:
        return {v: list(seq) for v, seq in enumerate(self.seqs) if seq}

    def total_drive(self) -> int:
        return sum(self.net.drive_s(v, seq) for v, seq in enumerate(self.seqs) if seq)

    def refresh(self, v: int) -> None:
        """Recompute the cached bounds of vehicle v's sequence."""
        net, seq = self.net, self.seqs[v]
        nodes = [net.start(v), *seq, net.end(v)]
        pt, D, service, lo, hi = net.pt, net.D, net.service, net.lo, net.hi
        shift_start, shift_end = net.shift(v)
        early = [shift_start]
        t = shift_start
        for a in range(1, len(nodes)):
            prev, node = nodes[a - 1], nodes[a]
            t = t + service[prev] + D[pt[prev]][pt[node]]
            if a < len(nodes) - 1 and t < lo[node]:
                t = lo[node]
            early.append(t)
        late = [0] * len(nodes)
        late[-1] = shift_end
        for a in range(len(nodes) - 2, -1, -1):
            node, nxt = nodes[a], nodes[a + 1]
            bound = late[a + 1] - service[node] - D[pt[node]][pt[nxt]]
            late[a] = min(bound, hi[node]) if a else bound
        load, chairs = [0], [0]
        for node in seq:
            load.append(load[-1] + net.seats[node])
            chairs.append(chairs[-1] + net.wheelchair[node])
        self.early[v], self.late[v], self.load[v], self.chairs[v] = early, late, load, chairs
        self.cost[v] = net.drive_s(v, seq) if seq else 0

    def remove(self, requests: Iterable[int]) -> None:
        """Take these requests out of whatever routes hold them."""
        gone = {2 * i for i in requests} | {2 * i + 1 for i in requests}
        for v, seq in enumerate(self.seqs):
            if any(node in gone for node in seq):
                self.seqs[v] = [n for n in seq if n not in gone]
                self.refresh(v)

    def candidates(self, i: int, vehicles: Iterable[int]) -> list[tuple[int, int, int, int]]:
        """(added cost, vehicle, a, b) for every position pair that passes the cheap bounds:
        the pick-up goes before ``seq[a]``, the drop-off before ``seq[b]`` (a <= b)."""
        net = self.net
        p, d = 2 * i, 2 * i + 1
        pt, D, service, lo, hi = net.pt, net.D, net.service, net.lo, net.hi
        P, Dd = pt[p], pt[d]
        lo_p, hi_p, lo_d, hi_d = lo[p], hi[p], lo[d], hi[d]
        s_p, s_d = service[p], service[d]
        seats, chair = net.seats[p], net.wheelchair[p]
        limit = net.ride_limit(i)
        t_pd = D[P][Dd]
        out: list[tuple[int, int, int, int]] = []
        for v in vehicles:
            if not net.allowed(v, i):
                continue
            seq, early, late = self.seqs[v], self.early[v], self.late[v]
            load, chairs = self.load[v], self.chairs[v]
            cap, cap_chairs = net.capacity[v], net.chairs[v]
            n = len(seq)
            start, end = net.start(v), net.end(v)
            # a car that stays home drives nothing: going out costs the whole trip
            empty_cost = self.vehicle_cost + D[pt[start]][pt[end]] if not seq else 0
            # late[a + 1] is the latest start at seq[a]; the pick-up must come before it
            first = max(0, bisect_left(late, lo_p, 1, n + 1) - 1)
            for a in range(first, n + 1):
                prev = seq[a - 1] if a else start
                t_prev_p = D[pt[prev]][P]
                tp = early[a] + service[prev] + t_prev_p
                if tp > hi_p:
                    break
                if tp < lo_p:
                    tp = lo_p
                if load[a] + seats > cap or chairs[a] + chair > cap_chairs:
                    continue
                nxt = seq[a] if a < n else end
                Nx = pt[nxt]
                # the drop-off right after the pick-up
                td = tp + s_p + t_pd
                if td < lo_d:
                    td = lo_d
                if td <= hi_d and td + s_d + D[Dd][Nx] <= late[a + 1]:
                    out.append((t_prev_p + t_pd + D[Dd][Nx] - D[pt[prev]][Nx] + empty_cost,
                                v, a, a))
                if a == n:
                    continue
                # the drop-off later: walk the stops between, pushed by the pick-up
                added_p = t_prev_p + D[P][Nx] - D[pt[prev]][Nx]
                x = tp + s_p + D[P][Nx]
                chain = s_p + D[P][Nx]  # driving and service from the pick-up, no waiting
                for j in range(a, n):
                    node = seq[j]
                    if x < lo[node]:
                        x = lo[node]
                    if x > late[j + 1] or (limit is not None and chain > limit):
                        break
                    if load[j + 1] + seats > cap or chairs[j + 1] + chair > cap_chairs:
                        break
                    Nd = pt[node]
                    after = seq[j + 1] if j + 1 < n else end
                    Na = pt[after]
                    td = x + service[node] + D[Nd][Dd]
                    if td < lo_d:
                        td = lo_d
                    if td <= hi_d and td + s_d + D[Dd][Na] <= late[j + 2] and (
                            limit is None or chain + service[node] + D[Nd][Dd] <= limit):
                        out.append((added_p + D[Nd][Dd] + D[Dd][Na] - D[Nd][Na] + empty_cost,
                                    v, a, j + 1))
                    x = x + service[node] + D[Nd][Na]
                    chain += service[node] + D[Nd][Na]
        return out

    def insert(self, i: int, vehicles: Iterable[int] | None = None) -> bool:
        """Put request i where it adds least cost and stays feasible; False if nowhere."""
        net = self.net
        options = self.candidates(i, range(net.n_vehicles) if vehicles is None else vehicles)
        if not options:
            return False
        options.sort(key=lambda o: (o[0], o[1], o[2], -o[3]))  # ties: keep earlier riders first
        p, d = 2 * i, 2 * i + 1
        failed: dict[int, int] = {}
        tries = 0
        for _, v, a, b in options:
            if failed.get(v, 0) >= MAX_TRIES_PER_CAR:
                continue
            seq = self.seqs[v]
            new = [*seq[:a], p, *seq[a:b], d, *seq[b:]]
            if net.earliest(v, new) is not None:
                self.seqs[v] = new
                self.refresh(v)
                return True
            failed[v] = failed.get(v, 0) + 1
            tries += 1
            if tries >= MAX_EXACT_TRIES:
                break
        return False


def urgency(net: Network, i: int) -> tuple[int, int, int]:
    """Order of insertion: by the latest moment the ride can start, then its window."""
    p, d = 2 * i, 2 * i + 1
    latest_start = min(net.hi[p], net.hi[d] - net.service[p] - net.t(p, d))
    return (net.lo[p], latest_start, i)


def insert_all(routes: Routes, todo: Sequence[int], until: float | None = None) -> list[int]:
    """Insert requests in :func:`urgency` order; returns those left out (not placed, or not
    tried before ``until``)."""
    left = []
    for i in sorted(todo, key=lambda i: urgency(routes.net, i)):
        if until is not None and time.monotonic() > until:
            left.append(i)
            routes.untried.add(i)
        elif not routes.insert(i):
            left.append(i)
            routes.untried.discard(i)
        else:
            routes.untried.discard(i)
    return left
