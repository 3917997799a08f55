"""The problem as numbered nodes with integer travel, shared by the solver and its helpers.

Node numbering (one node per stop, never shared between requests, even at one address):
pick-up of request i is ``2*i``, its drop-off ``2*i + 1``; then one start node per
vehicle, then one end node per vehicle. An open route's end node sits at its start
point but costs nothing to reach, so the route in effect finishes at its last stop.

Also here: :func:`schedule`, the exact timing of a fixed sequence of stops. Waiting,
windows, shifts and ride limits are all difference constraints between event times,
so a sequence is feasible exactly when their graph has no negative cycle, and
Bellman-Ford gives the schedule itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from routing.clock import HORIZON_S
from routing.plan import Route, Stop
from routing.problem import Problem, Vehicle
from routing.travel import travel_matrices


@dataclass(frozen=True)
class Timing:
    """When a car leaves its start, starts service at each stop, and reaches its end."""

    leave_s: int
    starts: tuple[int, ...]
    end_s: int


class Network:
    """Integer data per node, as plain lists (fast to index from Python and OR-Tools)."""

    def __init__(self, problem: Problem):
        self.problem = problem
        n, m = len(problem.requests), len(problem.vehicles)
        self.n_requests, self.n_vehicles = n, m
        points = [pt for r in problem.requests for pt in (r.pickup, r.dropoff)]
        points += [v.start for v in problem.vehicles]
        points += [v.end if v.end is not None else v.start for v in problem.vehicles]
        matrices = travel_matrices(problem, points)
        durations, distances = matrices.durations.copy(), matrices.distances.copy()
        for v, vehicle in enumerate(problem.vehicles):
            if vehicle.end is None:
                durations[:, self.end(v)] = 0
                distances[:, self.end(v)] = 0
        self.durations: list[list[int]] = durations.tolist()
        self.distances: list[list[int]] = distances.tolist()
        self.service = [0] * len(points)
        self.lo = [0] * len(points)
        self.hi = [HORIZON_S] * len(points)
        self.seats = [0] * len(points)
        self.wheelchair = [0] * len(points)
        for i, r in enumerate(problem.requests):
            p, d = 2 * i, 2 * i + 1
            self.service[p] = problem.pickup_service_s(r)
            self.service[d] = problem.dropoff_service_s(r)
            for node, window in ((p, r.pickup_window), (d, r.dropoff_window)):
                if window is not None:
                    self.lo[node], self.hi[node] = window.start_s, window.end_s
            self.seats[p], self.seats[d] = r.seats, -r.seats
            self.wheelchair[p], self.wheelchair[d] = r.wheelchair, -r.wheelchair

    def start(self, v: int) -> int:
        return 2 * self.n_requests + v

    def end(self, v: int) -> int:
        return 2 * self.n_requests + self.n_vehicles + v

    def shift(self, v: int) -> tuple[int, int]:
        shift = self.problem.vehicles[v].shift
        return (0, HORIZON_S) if shift is None else (shift.start_s, shift.end_s)

    def ride_limit(self, i: int) -> int | None:
        """Largest allowed gap between the service starts at pick-up and drop-off of request i."""
        max_ride = self.problem.requests[i].max_ride_s
        return None if max_ride is None else max_ride + self.service[2 * i]

    def fits(self, v: int, seq: Sequence[int]) -> bool:
        """Seats and wheelchair spaces never exceed the car along ``seq``."""
        vehicle: Vehicle = self.problem.vehicles[v]
        seats = chairs = 0
        for node in seq:
            seats += self.seats[node]
            chairs += self.wheelchair[node]
            if seats > vehicle.seats or chairs > vehicle.wheelchair:
                return False
        return True

    def drive(self, v: int, seq: Sequence[int]) -> tuple[int, int]:
        """Driving seconds and metres from the start, through ``seq``, to the end."""
        nodes = [self.start(v), *seq, self.end(v)]
        pairs = list(zip(nodes, nodes[1:], strict=False))
        return (sum(self.durations[a][b] for a, b in pairs),
                sum(self.distances[a][b] for a, b in pairs))

    def quick_reject(self, v: int, seq: Sequence[int]) -> bool:
        """A cheap necessary test (earliest times against windows and shift end), before
        :func:`schedule`'s exact one."""
        t, last = self.shift(v)[0], self.start(v)
        for node in seq:
            t = max(t + self.durations[last][node], self.lo[node])
            if t > self.hi[node]:
                return True
            t += self.service[node]
            last = node
        return t + self.durations[last][self.end(v)] > self.shift(v)[1]

    def schedule(self, v: int, seq: Sequence[int]) -> Timing | None:
        """The timing of ``seq`` on vehicle v, or None if no timing keeps every constraint.

        Among feasible timings: the earliest arrival at the end, then every event as late as
        that allows, so cars do not leave early only to wait with riders on board.
        """
        k = len(seq)
        nodes = [self.start(v), *seq, self.end(v)]
        # Variables: 0 = leave start, 1..k = service starts, k+1 = reach end, k+2 = zero.
        z = k + 2
        edges: list[tuple[int, int, int]] = []  # (a, b, w): x[b] - x[a] <= w
        for a in range(k + 1):
            gap = self.service[nodes[a]] + self.durations[nodes[a]][nodes[a + 1]]
            edges.append((a + 1, a, -gap))  # x[a+1] >= x[a] + gap (waiting allowed)
        last_gap = self.service[nodes[k]] + self.durations[nodes[k]][nodes[k + 1]]
        edges.append((k, k + 1, last_gap))  # no waiting before reaching the end
        shift_start, shift_end = self.shift(v)
        edges += [(0, z, -shift_start), (z, k + 1, shift_end)]
        position: dict[int, int] = {}
        for a, node in enumerate(seq, start=1):
            edges += [(a, z, -self.lo[node]), (z, a, self.hi[node])]
            position[node] = a
        for node, a in position.items():
            if node % 2 == 0 and node + 1 in position:
                limit = self.ride_limit(node // 2)
                if limit is not None:
                    edges.append((a, position[node + 1], limit))
        least = _shortest_from(z, k + 3, [(b, a, w) for a, b, w in edges])
        if least is None:
            return None
        earliest_end = -least[k + 1]
        greatest = _shortest_from(z, k + 3, [*edges, (z, k + 1, earliest_end)])
        if greatest is None:  # cannot happen: the least solution is a witness
            return None
        return Timing(leave_s=greatest[0], starts=tuple(greatest[1:k + 1]), end_s=greatest[k + 1])

    def route(self, v: int, seq: Sequence[int], timing: Timing) -> Route:
        """The plain :class:`Route` for a scheduled sequence."""
        stops = []
        load, last, depart = 0, self.start(v), timing.leave_s
        for node, start in zip(seq, timing.starts, strict=True):
            load += self.seats[node]
            request = self.problem.requests[node // 2].id
            arrive = depart + self.durations[last][node]
            depart = start + self.service[node]
            kind = "pickup" if node % 2 == 0 else "dropoff"
            stops.append(Stop(kind=kind, request=request, arrive_s=arrive, start_s=start,
                              depart_s=depart, load=load))
            last = node
        drive_s, distance_m = self.drive(v, seq)
        return Route(vehicle=self.problem.vehicles[v].id, stops=tuple(stops), drive_s=drive_s,
                     distance_m=distance_m, start_s=timing.leave_s, end_s=timing.end_s)


def _shortest_from(source: int, size: int, edges: list[tuple[int, int, int]]) -> list[int] | None:
    """Bellman-Ford distances from ``source``; None on a negative cycle (infeasible)."""
    inf = float("inf")
    dist: list[float] = [inf] * size
    dist[source] = 0
    for _ in range(size):
        changed = False
        for a, b, w in edges:
            if dist[a] + w < dist[b]:
                dist[b] = dist[a] + w
                changed = True
        if not changed:
            return [int(d) for d in dist]
    return None
