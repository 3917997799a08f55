"""The routing problem: immutable, validated on construction.

Every check names the offending field with the same path the JSON format uses
(``requests[3].pickup_window``), so an error found here reads the same to a user
who wrote JSON as one found by the JSON parser.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from routing.clock import HORIZON_S, format_hm


class ProblemError(ValueError):
    """A problem that cannot be solved as given. ``errors`` holds one "path: message" per fault."""

    def __init__(self, errors: Sequence[str]):
        self.errors: tuple[str, ...] = tuple(errors)
        super().__init__("; ".join(self.errors))


@dataclass(frozen=True)
class Point:
    """A place: ``lat``/``lon`` for the haversine model, ``loc`` (matrix index) for the matrix one."""

    lat: float | None = None
    lon: float | None = None
    loc: int | None = None


@dataclass(frozen=True)
class TimeWindow:
    """Seconds since midnight of the plan's day, both ends included."""

    start_s: int
    end_s: int


@dataclass(frozen=True)
class Vehicle:
    """A car. ``end`` None is an open route: the car's day ends at its last stop.

    ``onboard`` names requests whose riders are already in the car when its shift starts
    (a re-plan in flight): they need only their drop-off, and only this car can make it.
    """

    id: str
    seats: int
    start: Point
    end: Point | None = None
    shift: TimeWindow | None = None
    wheelchair: int = 0
    onboard: tuple[str, ...] = ()


@dataclass(frozen=True)
class Request:
    """A ride. Windows bound the start of service; a ``None`` service time means the problem's."""

    id: str
    seats: int
    pickup: Point
    dropoff: Point
    pickup_window: TimeWindow | None = None
    dropoff_window: TimeWindow | None = None
    max_ride_s: int | None = None
    pickup_service_s: int | None = None
    dropoff_service_s: int | None = None
    wheelchair: int = 0
    #: For a rider already on board (see ``Vehicle.onboard``): when the ride began, i.e. the
    #: end of service at the pick-up, so the ride limit still counts from there.
    picked_up_s: int | None = None


@dataclass(frozen=True)
class TravelModel:
    """How travel times and distances are found: straight line scaled, given matrices, or
    the roads of an OpenStreetMap extract (``osm_file``; ``speeds`` per ``highway`` class in
    km/h, the defaults of :data:`routing.osm.DEFAULT_SPEEDS_KMH` for classes not named;
    matrices cached in ``cache_dir``)."""

    model: Literal["haversine", "matrix", "osm"] = "haversine"
    circuity: float = 1.3
    speed_kmh: float = 30.0
    osm_file: str | None = None
    speeds: tuple[tuple[str, float], ...] = ()
    cache_dir: str | None = None


@dataclass(frozen=True)
class Problem:
    """A morning's (or any single day's) carpool problem.

    ``durations``/``distances`` (seconds, metres) are only used by the matrix travel model,
    and are tuples of tuples so the problem stays immutable and comparable.
    """

    name: str
    travel: TravelModel
    service_s: int
    vehicles: tuple[Vehicle, ...]
    requests: tuple[Request, ...]
    durations: tuple[tuple[int, ...], ...] | None = None
    distances: tuple[tuple[int, ...], ...] | None = None

    def __post_init__(self) -> None:
        errors = _Validator(self).run()
        if errors:
            raise ProblemError(errors)

    def pickup_service_s(self, request: Request) -> int:
        """Service time at ``request``'s pick-up (its own, else the problem's)."""
        return self.service_s if request.pickup_service_s is None else request.pickup_service_s

    def dropoff_service_s(self, request: Request) -> int:
        """Service time at ``request``'s drop-off (its own, else the problem's)."""
        return self.service_s if request.dropoff_service_s is None else request.dropoff_service_s

    def request(self, request_id: str) -> Request:
        """The request with this id (KeyError if none)."""
        for request in self.requests:
            if request.id == request_id:
                return request
        raise KeyError(request_id)

    def vehicle(self, vehicle_id: str) -> Vehicle:
        """The vehicle with this id (KeyError if none)."""
        for vehicle in self.vehicles:
            if vehicle.id == vehicle_id:
                return vehicle
        raise KeyError(vehicle_id)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class _Validator:
    """Collects every fault rather than stopping at the first, so a user fixes a file in one go."""

    def __init__(self, problem: Problem):
        self.p = problem
        self.errors: list[str] = []

    def fail(self, path: str, message: str) -> None:
        self.errors.append(f"{path}: {message}")

    def run(self) -> list[str]:
        p = self.p
        if not isinstance(p.name, str):
            self.fail("name", "must be a string")
        self.travel(p.travel)
        self.non_negative("service_s", p.service_s)
        size = self.matrices()
        if not isinstance(p.vehicles, tuple) or not isinstance(p.requests, tuple):
            self.fail("vehicles", "vehicles and requests must be tuples")
            return self.errors
        self.unique_ids("vehicles", [v.id for v in p.vehicles])
        self.unique_ids("requests", [r.id for r in p.requests])
        for i, vehicle in enumerate(p.vehicles):
            self.vehicle(f"vehicles[{i}]", vehicle, size)
        for i, request in enumerate(p.requests):
            self.request(f"requests[{i}]", request, size)
        self.onboard()
        return self.errors

    def onboard(self) -> None:
        ids = {r.id for r in self.p.requests}
        holder: dict[str, str] = {}
        for i, vehicle in enumerate(self.p.vehicles):
            if not isinstance(vehicle.onboard, tuple):
                self.fail(f"vehicles[{i}].onboard", "must be a tuple of request ids")
                continue
            if vehicle.onboard and vehicle.shift is None:
                self.fail(f"vehicles[{i}].shift", "required when riders are on board")
            for rid in vehicle.onboard:
                if rid not in ids:
                    self.fail(f"vehicles[{i}].onboard", f'no request "{rid}"')
                elif rid in holder:
                    self.fail(f"vehicles[{i}].onboard",
                              f'request "{rid}" is already on board {holder[rid]}')
                holder[rid] = vehicle.id

    def travel(self, travel: TravelModel) -> None:
        if travel.model not in ("haversine", "matrix", "osm"):
            self.fail("travel.model",
                      f'expected "haversine", "matrix" or "osm", got "{travel.model}"')
        if travel.model == "osm" and not travel.osm_file:
            self.fail("travel.osm_file", 'required by the "osm" travel model')
        for name, kmh in travel.speeds:
            if not isinstance(kmh, int | float) or not math.isfinite(kmh) or kmh <= 0:
                self.fail(f"travel.speeds.{name}", f"must be a positive number, got {kmh!r}")
        for name in ("circuity", "speed_kmh"):
            value = getattr(travel, name)
            if not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
                self.fail(f"travel.{name}", f"must be a positive number, got {value!r}")

    def matrices(self) -> int | None:
        p = self.p
        if p.travel.model != "matrix":
            return None
        size = None
        for name in ("durations", "distances"):
            matrix = getattr(p, name)
            if matrix is None:
                self.fail(name, 'required by the "matrix" travel model')
                continue
            n = len(matrix)
            if n == 0:
                self.fail(name, "must not be empty")
                continue
            for r, row in enumerate(matrix):
                if len(row) != n:
                    self.fail(f"{name}[{r}]",
                              f"has {len(row)} entries, expected {n} (square matrix)")
                    break
                if not all(_is_int(x) and x >= 0 for x in row):
                    self.fail(f"{name}[{r}]", "entries must be non-negative integers")
                    break
            if size is None:
                size = n
            elif size != n:
                self.fail(name, f"is {n}x{n} but durations is {size}x{size}")
        return size

    def unique_ids(self, path: str, ids: list[str]) -> None:
        seen: set[str] = set()
        for i, ident in enumerate(ids):
            if not isinstance(ident, str) or not ident:
                self.fail(f"{path}[{i}].id", "must be a non-empty string")
            elif ident in seen:
                self.fail(f"{path}[{i}].id", f'duplicate id "{ident}"')
            seen.add(ident)

    def non_negative(self, path: str, value: object) -> None:
        if not _is_int(value) or value < 0:  # type: ignore[operator]
            self.fail(path, f"must be a non-negative integer, got {value!r}")

    def point(self, path: str, point: Point, size: int | None) -> None:
        if self.p.travel.model == "matrix":
            if point.loc is None:
                self.fail(f"{path}.loc", 'required by the "matrix" travel model')
            elif not _is_int(point.loc) or size is not None and not 0 <= point.loc < size:
                self.fail(f"{path}.loc", f"must be an index into the matrices, got {point.loc!r}")
        else:
            if point.lat is None or point.lon is None:
                self.fail(path, 'needs "lat" and "lon" for the "haversine" travel model')
        for name, bound in (("lat", 90.0), ("lon", 180.0)):
            value = getattr(point, name)
            if value is not None and (
                not isinstance(value, int | float) or not math.isfinite(value) or abs(value) > bound
            ):
                self.fail(f"{path}.{name}", f"must be a number between -{bound:g} and {bound:g}")

    def window(self, path: str, window: TimeWindow | None) -> None:
        if window is None:
            return
        ok = True
        for name in ("start_s", "end_s"):
            value = getattr(window, name)
            if not _is_int(value) or not 0 <= value <= HORIZON_S:
                self.fail(f"{path}.{name[:-2]}", f"must be a time of day, got {value!r}")
                ok = False
        if ok and window.start_s > window.end_s:
            self.fail(
                path,
                f"start {format_hm(window.start_s)} is after end {format_hm(window.end_s)}",
            )

    def vehicle(self, path: str, vehicle: Vehicle, size: int | None) -> None:
        if not _is_int(vehicle.seats) or vehicle.seats < 1:
            self.fail(f"{path}.seats", "must be at least 1")
        self.non_negative(f"{path}.wheelchair", vehicle.wheelchair)
        self.point(f"{path}.start", vehicle.start, size)
        if vehicle.end is not None:
            self.point(f"{path}.end", vehicle.end, size)
        self.window(f"{path}.shift", vehicle.shift)

    def request(self, path: str, request: Request, size: int | None) -> None:
        self.non_negative(f"{path}.wheelchair", request.wheelchair)
        # A rider who travels in their wheelchair need not take a seat as well.
        least = 0 if _is_int(request.wheelchair) and request.wheelchair > 0 else 1
        if not _is_int(request.seats) or request.seats < least:
            self.fail(f"{path}.seats", f"must be at least {least}")
        self.point(f"{path}.pickup", request.pickup, size)
        self.point(f"{path}.dropoff", request.dropoff, size)
        self.window(f"{path}.pickup_window", request.pickup_window)
        self.window(f"{path}.dropoff_window", request.dropoff_window)
        if request.picked_up_s is not None:
            self.non_negative(f"{path}.picked_up_s", request.picked_up_s)
        for name in ("max_ride_s", "pickup_service_s", "dropoff_service_s"):
            value = getattr(request, name)
            if value is not None:
                self.non_negative(f"{path}.{name}", value)
