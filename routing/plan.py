"""The solver's answer as plain, immutable dataclasses (no OR-Tools object ever gets here)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Stop:
    """One pick-up or drop-off. Times in seconds since midnight; ``load``: seats taken on leaving."""

    kind: Literal["pickup", "dropoff"]
    request: str
    arrive_s: int
    start_s: int
    depart_s: int
    load: int


@dataclass(frozen=True)
class Route:
    """One car's day: it leaves its start at ``start_s`` and reaches its end (or,
    on an open route, finishes its last stop) at ``end_s``. ``drive_s``/``distance_m``
    count every leg, from the start point to the end point."""

    vehicle: str
    stops: tuple[Stop, ...]
    drive_s: int
    distance_m: int
    start_s: int
    end_s: int


@dataclass(frozen=True)
class Unassigned:
    """A request the plan does not serve, and why, in words for a dispatcher."""

    request: str
    reason: str


@dataclass(frozen=True)
class Summary:
    """Totals over the plan. ``solve_s`` is wall-clock seconds spent solving."""

    requests: int
    served: int
    drive_s: int
    distance_m: int
    solve_s: float


@dataclass(frozen=True)
class ExtraCar:
    """One more car that would carry riders left out for lack of cars: based in ``area``,
    working ``start_s`` to ``end_s``, carrying ``riders``."""

    area: str
    start_s: int
    end_s: int
    riders: tuple[str, ...]


@dataclass(frozen=True)
class Plan:
    """Routes (cars with at least one stop), the requests left out, and (when riders were
    left out for lack of cars) an estimate of the extra cars that would carry them."""

    routes: tuple[Route, ...]
    unassigned: tuple[Unassigned, ...]
    summary: Summary
    shortfall: tuple[ExtraCar, ...] = ()

    @property
    def feasible(self) -> bool:
        """True when every request is served. (Every plan ``solve`` returns keeps all the
        constraints; this says whether it also answers the whole problem.)"""
        return not self.unassigned

    def summary_line(self) -> str:
        """One line for logs and the CLI: "298/300 riders served by 57 cars; driving ..."."""
        s = self.summary
        hours, rest = divmod(s.drive_s, 3600)
        return (
            f"{s.served}/{s.requests} riders served by {len(self.routes)} cars; "
            f"driving {hours} h {rest // 60:02d} min, {s.distance_m / 1000:,.1f} km; "
            f"{len(self.unassigned)} unassigned"
            + (f" ({len(self.shortfall)} more cars would help)" if self.shortfall else "")
            + f"; solved in {s.solve_s:.1f} s"
        )


def summarise(routes: tuple[Route, ...], unassigned: tuple[Unassigned, ...],
              requests: int, solve_s: float) -> Summary:
    """The summary that matches these routes."""
    return Summary(
        requests=requests,
        served=sum(1 for r in routes for s in r.stops if s.kind == "dropoff"),
        drive_s=sum(r.drive_s for r in routes),
        distance_m=sum(r.distance_m for r in routes),
        solve_s=round(solve_s, 3),
    )
