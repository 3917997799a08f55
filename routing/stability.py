"""Measuring stability: how much a re-plan from last week's plan keeps of it.

The promise (issue 3): with 5% of bookings changed, at least 90% of the riders whose
booking did not change keep their car and a pick-up time within 5 minutes, at no more
than 2% extra driving against a fresh solve of the new bookings. :func:`change_bookings`
makes such a change, reproducibly; :func:`compare` measures a re-plan against the plan
it started from and against a fresh plan.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace

from routing.plan import Plan
from routing.problem import Problem, Request, TimeWindow

#: A pick-up "nearly the same" as last week's: within five minutes.
SAME_TIME_S = 5 * 60

#: Where a plan picks a rider up: the car and the time.
Pickup = tuple[str, int]


def pickups(plan: Plan) -> dict[str, Pickup]:
    """Each rider's pick-up in ``plan``, by request id."""
    return {s.request: (route.vehicle, s.start_s) for route in plan.routes
            for s in route.stops if s.kind == "pickup"}


def keeps(was: Pickup, now: Pickup) -> bool:
    """The promise for one rider: the same car, picked up within :data:`SAME_TIME_S`."""
    return was[0] == now[0] and abs(was[1] - now[1]) <= SAME_TIME_S


def change_bookings(problem: Problem, fraction: float = 0.05, seed: int = 1) -> Problem:
    """``problem`` with ``fraction`` of its bookings changed: a third cancelled, a third
    moved a quarter of an hour later, a third new riders (copies of others' trips, under new
    ids, a quarter of an hour earlier)."""
    rng = random.Random(seed)
    requests = list(problem.requests)
    count = max(3, round(fraction * len(requests)))
    chosen = rng.sample(range(len(requests)), count)
    cancel = set(chosen[: count // 3])
    move = set(chosen[count // 3: 2 * count // 3])
    copy = chosen[2 * count // 3:]

    def shifted(r: Request, by: int, **changes: object) -> Request:
        def window(w: TimeWindow | None) -> TimeWindow | None:
            return None if w is None else TimeWindow(w.start_s + by, w.end_s + by)

        return replace(r, pickup_window=window(r.pickup_window),
                       dropoff_window=window(r.dropoff_window), **changes)  # type: ignore[arg-type]

    out = []
    for k, r in enumerate(requests):
        if k in cancel:
            continue
        out.append(shifted(r, 900) if k in move else r)
    out += [shifted(requests[k], -900, id=f"{requests[k].id}-new") for k in copy]
    return replace(problem, requests=tuple(out))


@dataclass(frozen=True)
class Stability:
    """``kept`` of ``unchanged`` riders (served in both plans, booking not changed) keep
    their car and a pick-up within :data:`SAME_TIME_S`; driving of the re-plan and of a
    fresh solve of the same bookings."""

    unchanged: int
    kept: int
    replan_drive_s: int
    fresh_drive_s: int

    @property
    def kept_share(self) -> float:
        return self.kept / self.unchanged if self.unchanged else 1.0

    @property
    def extra_drive(self) -> float:
        """Re-plan driving over fresh driving, minus one (0.02 is 2% more)."""
        return self.replan_drive_s / self.fresh_drive_s - 1 if self.fresh_drive_s else 0.0


def compare(before: Problem, after: Problem, last: Plan, replanned: Plan,
            fresh: Plan) -> Stability:
    """How much of ``last`` (a plan of ``before``) ``replanned`` (of ``after``) keeps."""
    old = {r.id: r for r in before.requests}
    same = {r.id for r in after.requests if old.get(r.id) == r}

    was, now = pickups(last), pickups(replanned)
    both = [rid for rid in same if rid in was and rid in now]
    kept = sum(1 for rid in both if keeps(was[rid], now[rid]))
    return Stability(unchanged=len(both), kept=kept, replan_drive_s=replanned.summary.drive_s,
                     fresh_drive_s=fresh.summary.drive_s)
