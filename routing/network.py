"""The problem as numbered nodes with integer travel, shared by the solver and its helpers.

Node numbering (one node per stop, never shared between requests, even at one address):
pick-up of request i is ``2*i``, its drop-off ``2*i + 1``; then one start node per
vehicle, then one end node per vehicle. An open route's end node costs nothing to
reach, so the route in effect finishes at its last stop.

Travel is held per distinct *place*, not per node: a Montgomery day has thousands of
stops but a few hundred addresses, and a matrix over nodes would not fit in memory at
17,000 riders. ``t(a, b)`` and ``m(a, b)`` read it by node.

A rider already on board at the start (``Vehicle.onboard``) keeps a pick-up node, placed at
the car's start with a window of the shift start and no service: the model needs no
special case, and :meth:`Network.route` leaves these *hidden* stops out of the plan.

Also here: :meth:`Network.schedule`, the exact timing of a fixed sequence of stops. Waiting,
windows, shifts and ride limits are all difference constraints between event times; the
least solution is found by raising lower bounds to a fixpoint (pushing a pick-up later
when a ride is too long), the latest one by lowering upper bounds, each in a few linear
sweeps.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from routing.clock import HORIZON_S
from routing.plan import Route, Stop
from routing.problem import Point, Problem
from routing.travel import travel_matrices


@dataclass(frozen=True)
class Timing:
    """When a car leaves its start, starts service at each stop, and reaches its end."""

    leave_s: int
    starts: tuple[int, ...]
    end_s: int


def place_key(problem: Problem, point: Point) -> object:
    """Two points with the same key are the same place under the problem's travel model."""
    return point.loc if problem.travel.model == "matrix" else (point.lat, point.lon)


class Network:
    """Integer data per node, as plain lists (fast to index from Python and OR-Tools)."""

    def __init__(self, problem: Problem):
        self.problem = problem
        n, m = len(problem.requests), len(problem.vehicles)
        self.n_requests, self.n_vehicles = n, m
        self.n_nodes = 2 * n + 2 * m
        index = {r.id: i for i, r in enumerate(problem.requests)}
        self.request_index = index
        #: vehicle a request is tied to (riders on board), else None
        self.pinned: list[int | None] = [None] * n
        for v, vehicle in enumerate(problem.vehicles):
            for rid in vehicle.onboard:
                self.pinned[index[rid]] = v

        node_points: list[Point] = []
        for i, r in enumerate(problem.requests):
            pv = self.pinned[i]
            node_points += [r.pickup if pv is None else problem.vehicles[pv].start, r.dropoff]
        node_points += [v.start for v in problem.vehicles]
        node_points += [v.end if v.end is not None else v.start for v in problem.vehicles]
        places: dict[object, int] = {}
        unique: list[Point] = []
        self.pt: list[int] = []
        for point in node_points:
            key = place_key(problem, point)
            if key not in places:
                places[key] = len(unique)
                unique.append(point)
            self.pt.append(places[key])
        self.places = unique
        sink = len(unique)  # a place every open route "ends" at, reached at no cost
        matrices = travel_matrices(problem, unique) if unique else None
        size = len(unique) + 1
        durations = np.zeros((size, size), dtype=np.int64)
        distances = np.zeros((size, size), dtype=np.int64)
        if matrices is not None:
            durations[:-1, :-1] = matrices.durations
            distances[:-1, :-1] = matrices.distances
        for v, vehicle in enumerate(problem.vehicles):
            if vehicle.end is None:
                self.pt[self.end(v)] = sink
        self.D: list[list[int]] = durations.tolist()
        self.M: list[list[int]] = distances.tolist()
        self.durations_np, self.distances_np = durations, distances

        size = self.n_nodes
        self.service = [0] * size
        self.lo = [0] * size
        self.hi = [HORIZON_S] * size
        self.seats = [0] * size
        self.wheelchair = [0] * size
        self.hidden = [False] * size
        for i, r in enumerate(problem.requests):
            p, d = 2 * i, 2 * i + 1
            self.service[p] = problem.pickup_service_s(r)
            self.service[d] = problem.dropoff_service_s(r)
            for node, window in ((p, r.pickup_window), (d, r.dropoff_window)):
                if window is not None:
                    self.lo[node], self.hi[node] = window.start_s, window.end_s
            pin = self.pinned[i]
            if pin is not None:
                begin = self.shift(pin)[0]
                self.lo[p] = self.hi[p] = begin
                self.service[p] = 0
                self.hidden[p] = True
            self.seats[p], self.seats[d] = r.seats, -r.seats
            self.wheelchair[p], self.wheelchair[d] = r.wheelchair, -r.wheelchair
        self.capacity = [v.seats for v in problem.vehicles]
        self.chairs = [v.wheelchair for v in problem.vehicles]
        self._limits = [self._ride_limit(i) for i in range(n)]

    # --- travel -------------------------------------------------------------------------

    def t(self, a: int, b: int) -> int:
        """Driving seconds from node a to node b."""
        return self.D[self.pt[a]][self.pt[b]]

    def m(self, a: int, b: int) -> int:
        """Driving metres from node a to node b."""
        return self.M[self.pt[a]][self.pt[b]]

    def start(self, v: int) -> int:
        return 2 * self.n_requests + v

    def end(self, v: int) -> int:
        return 2 * self.n_requests + self.n_vehicles + v

    def shift(self, v: int) -> tuple[int, int]:
        shift = self.problem.vehicles[v].shift
        return (0, HORIZON_S) if shift is None else (shift.start_s, shift.end_s)

    def _ride_limit(self, i: int) -> int | None:
        r = self.problem.requests[i]
        if r.max_ride_s is None:
            return None
        pin = self.pinned[i]
        if pin is not None:
            begin = self.shift(pin)[0]
            ridden = 0 if r.picked_up_s is None else max(0, begin - r.picked_up_s)
            return max(0, r.max_ride_s - ridden)
        return r.max_ride_s + self.service[2 * i]

    def ride_limit(self, i: int) -> int | None:
        """Largest allowed gap between the service starts at pick-up and drop-off of request i."""
        return self._limits[i]

    def allowed(self, v: int, i: int) -> bool:
        """Vehicle v may serve request i at all (room, wheelchair space, not tied elsewhere)."""
        pv = self.pinned[i]
        if pv is not None:
            return pv == v
        r = self.problem.requests[i]
        return r.seats <= self.capacity[v] and r.wheelchair <= self.chairs[v]

    # --- sequences ----------------------------------------------------------------------

    def fits(self, v: int, seq: Sequence[int]) -> bool:
        """Seats and wheelchair spaces never exceed the car along ``seq``."""
        seats = chairs = 0
        cap, chair = self.capacity[v], self.chairs[v]
        for node in seq:
            seats += self.seats[node]
            chairs += self.wheelchair[node]
            if seats > cap or chairs > chair:
                return False
        return True

    def drive(self, v: int, seq: Sequence[int]) -> tuple[int, int]:
        """Driving seconds and metres from the start, through ``seq``, to the end."""
        pt, D, M = self.pt, self.D, self.M
        places = [pt[self.start(v)], *(pt[n] for n in seq), pt[self.end(v)]]
        pairs = list(zip(places, places[1:], strict=False))
        return sum(D[a][b] for a, b in pairs), sum(M[a][b] for a, b in pairs)

    def drive_s(self, v: int, seq: Sequence[int]) -> int:
        """Driving seconds from the start, through ``seq``, to the end."""
        pt, D = self.pt, self.D
        last, total = pt[self.start(v)], 0
        for node in seq:
            here = pt[node]
            total += D[last][here]
            last = here
        return total + D[last][pt[self.end(v)]]

    def quick_reject(self, v: int, seq: Sequence[int]) -> bool:
        """A cheap necessary test (earliest times against windows and shift end), before
        :meth:`schedule`'s exact one."""
        t, last = self.shift(v)[0], self.start(v)
        for node in seq:
            t = max(t + self.t(last, node), self.lo[node])
            if t > self.hi[node]:
                return True
            t += self.service[node]
            last = node
        return t + self.t(last, self.end(v)) > self.shift(v)[1]

    def _legs(self, v: int, seq: Sequence[int]) -> tuple[list[int], list[tuple[int, int, int]]]:
        """For ``seq`` on vehicle v: the least time between consecutive events (service, then
        the drive), and the (pickup position, drop-off position, ride limit) of each pair."""
        nodes = [self.start(v), *seq, self.end(v)]
        pt, D, service = self.pt, self.D, self.service
        gaps = [service[nodes[a]] + D[pt[nodes[a]]][pt[nodes[a + 1]]] for a in range(len(seq) + 1)]
        pairs = []
        where: dict[int, int] = {}
        for a, node in enumerate(seq, start=1):
            if node % 2 == 1 and node - 1 in where:
                limit = self._limits[node // 2]
                if limit is not None:
                    pairs.append((where[node - 1], a, limit))
            elif node % 2 == 0:
                where[node] = a
        return gaps, pairs

    def earliest(
        self, v: int, seq: Sequence[int], legs: tuple[list[int], list[tuple[int, int, int]]] | None = None,
        held: Mapping[int, tuple[int, int]] | None = None,
    ) -> list[int] | None:
        """Least service starts (index 0 = leaving the start, last = reaching the end) that
        keep windows, shift and ride limits, or None if there are none. ``held`` narrows the
        windows of some positions (1 = the first stop of ``seq``) further."""
        k = len(seq)
        gaps, pairs = legs or self._legs(v, seq)
        shift_start, shift_end = self.shift(v)
        low = [shift_start] + [self.lo[n] for n in seq] + [0]
        high = [HORIZON_S] + [self.hi[n] for n in seq] + [shift_end]
        for a, (lo, hi) in (held or {}).items():
            low[a], high[a] = max(low[a], lo), min(high[a], hi)
        x = [0] * (k + 2)
        first = 0
        for _ in range(k + 3):
            for a in range(first, k + 2):
                t = low[a] if a == 0 else max(x[a - 1] + gaps[a - 1], low[a])
                if t > high[a]:
                    return None
                x[a] = t
            first = k + 2
            for a, b, limit in pairs:
                if x[b] - x[a] > limit:
                    low[a] = x[b] - limit
                    first = min(first, a)
            if first == k + 2:
                return x
        return None

    def schedule(self, v: int, seq: Sequence[int],
                 held: Mapping[int, tuple[int, int]] | None = None) -> Timing | None:
        """The timing of ``seq`` on vehicle v, or None if no timing keeps every constraint
        (and the narrower windows ``held``, as in :meth:`earliest`).

        Among feasible timings: the earliest arrival at the end, then every event as late as
        that allows, so cars do not leave early only to wait with riders on board.
        """
        legs = self._legs(v, seq)
        least = self.earliest(v, seq, legs, held)
        if least is None:
            return None
        k = len(seq)
        gaps, pairs = legs
        shift_end = self.shift(v)[1]
        high = [shift_end] + [self.hi[n] for n in seq] + [least[k + 1]]
        for a, (_, hi) in (held or {}).items():
            high[a] = min(high[a], hi)
        # No waiting before the end: the end comes exactly one last leg after the last stop.
        y = list(least)
        for _ in range(k + 3):
            last = k + 1
            y[last] = high[last]
            for a in range(k, -1, -1):
                t = y[a + 1] - gaps[a]
                y[a] = t if t < high[a] else high[a]
            y[k] = max(y[k], least[k])
            y[k + 1] = y[k] + gaps[k]
            changed = False
            for a, b, limit in pairs:
                if y[b] - y[a] > limit:
                    high[b] = y[a] + limit
                    changed = True
            if not changed:
                break
        if any(y[a] < least[a] for a in range(k + 2)):  # cannot happen; be safe
            y = least
        return Timing(leave_s=y[0], starts=tuple(y[1 : k + 1]), end_s=y[k + 1])

    def schedule_near(self, v: int, seq: Sequence[int], wanted: Mapping[int, int],
                      within: int) -> Timing | None:
        """:meth:`schedule`, with as many stops as the route allows starting within
        ``within`` of the time ``wanted`` gives them (node -> time), taken in route order,
        then as many of those as it allows at that very time. Waiting costs no driving, so
        a regular rider whose car would come a little early keeps last week's time."""
        held: dict[int, tuple[int, int]] = {}
        timing = self.schedule(v, seq)
        if timing is None:
            return None
        for exact in (False, True):
            for a, node in enumerate(seq, start=1):
                t = wanted.get(node)
                if t is None or (exact and a not in held):
                    continue
                trial = {**held, a: (t, t) if exact else (t - within, t + within)}
                got = self.schedule(v, seq, trial)
                if got is not None:
                    held, timing = trial, got
        return timing

    def route(self, v: int, seq: Sequence[int], timing: Timing) -> Route:
        """The plain :class:`Route` for a scheduled sequence (hidden stops left out)."""
        stops = []
        # Riders on board (hidden pick-ups) are in the car from the start, even where a
        # rider boarding at the car's own place comes before them in the sequence.
        load = sum(self.seats[node] for node in seq if self.hidden[node])
        last, depart = self.start(v), timing.leave_s
        for node, start in zip(seq, timing.starts, strict=True):
            if self.hidden[node]:
                continue
            load += self.seats[node]
            request = self.problem.requests[node // 2].id
            arrive = depart + self.t(last, node)
            depart = start + self.service[node]
            kind: Literal["pickup", "dropoff"] = "pickup" if node % 2 == 0 else "dropoff"
            stops.append(Stop(kind=kind, request=request, arrive_s=arrive, start_s=start, depart_s=depart, load=load))
            last = node
        drive_s, distance_m = self.drive(v, seq)
        return Route(
            vehicle=self.problem.vehicles[v].id,
            stops=tuple(stops),
            drive_s=drive_s,
            distance_m=distance_m,
            start_s=timing.leave_s,
            end_s=timing.end_s,
        )
