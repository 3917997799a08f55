"""The routing JSON format, version 1 (documented in docs/routing-format.md).

Parsing is in two steps: pydantic checks the shape and types of the JSON, then the
frozen dataclasses of :mod:`routing.problem` check the meaning. Both report faults
as "JSON path: message", and all of them at once.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError
from pydantic_core import PydanticCustomError

from routing.clock import format_hm, format_hms, parse_time
from routing.plan import ExtraCar, Plan, Route, Stop, Summary, Unassigned
from routing.problem import (
    Point,
    Problem,
    ProblemError,
    Request,
    TimeWindow,
    TravelModel,
    Vehicle,
)

__all__ = ["FORMAT_VERSION", "format_hms", "parse_time", "plan_from_json", "plan_to_json",
           "problem_from_json", "problem_to_json"]

FORMAT_VERSION = 1
#: Seats of a vehicle that does not say.
DEFAULT_VEHICLE_SEATS = 4


def _clock(value: object) -> int:
    try:
        return parse_time(value)  # type: ignore[arg-type]
    except ValueError:
        got = f'"{value}"' if isinstance(value, str) else repr(value)
        raise PydanticCustomError(
            "clock", 'expected "HH:MM" or "HH:MM:SS", got {got}', {"got": got}) from None


Clock = Annotated[int, BeforeValidator(_clock)]


class _In(BaseModel):
    # Unknown keys are refused: a misspelt "max_ride" must not be silently ignored.
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class _Point(_In):
    lat: float | None = None
    lon: float | None = None
    loc: int | None = None


class _Window(_In):
    start: Clock
    end: Clock


class _Travel(_In):
    model: Literal["haversine", "matrix", "osm"] = "haversine"
    circuity: float = 1.3
    speed_kmh: float = 30.0
    osm_file: str | None = None
    speeds: dict[str, float] | None = None
    cache_dir: str | None = None


class _Vehicle(_In):
    id: str
    seats: int = DEFAULT_VEHICLE_SEATS
    start: _Point
    end: _Point | None = None
    shift: _Window | None = None
    wheelchair: int = 0
    onboard: list[str] = []


class _Request(_In):
    id: str
    seats: int = 1
    pickup: _Point
    dropoff: _Point
    pickup_window: _Window | None = None
    dropoff_window: _Window | None = None
    max_ride_s: int | None = None
    pickup_service_s: int | None = None
    dropoff_service_s: int | None = None
    wheelchair: int = 0
    picked_up: Clock | None = None


class _Problem(_In):
    version: Literal[1] = 1
    name: str = ""
    travel: _Travel = _Travel()
    service_s: int = 0
    vehicles: list[_Vehicle]
    requests: list[_Request]
    durations: list[list[int]] | None = None
    distances: list[list[int]] | None = None


def _path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _point(p: _Point) -> Point:
    return Point(lat=p.lat, lon=p.lon, loc=p.loc)


def _window(w: _Window | None) -> TimeWindow | None:
    return None if w is None else TimeWindow(start_s=w.start, end_s=w.end)


def problem_from_json(obj: Any) -> Problem:
    """The :class:`Problem` a parsed JSON document describes.

    Raises :class:`ProblemError` naming every bad field, e.g.
    ``requests[3].pickup_window.start: expected "HH:MM" or "HH:MM:SS", got "7.30"``.
    """
    if not isinstance(obj, dict):
        raise ProblemError([f"(top level): expected a JSON object, got {type(obj).__name__}"])
    try:
        doc = _Problem.model_validate(obj)
    except ValidationError as exc:
        raise ProblemError([f"{_path(e['loc'])}: {_message(e)}" for e in exc.errors()]) from None
    return Problem(
        name=doc.name,
        travel=TravelModel(model=doc.travel.model, circuity=doc.travel.circuity,
                           speed_kmh=doc.travel.speed_kmh, osm_file=doc.travel.osm_file,
                           speeds=tuple(sorted((doc.travel.speeds or {}).items())),
                           cache_dir=doc.travel.cache_dir),
        service_s=doc.service_s,
        vehicles=tuple(
            Vehicle(id=v.id, seats=v.seats, start=_point(v.start),
                    end=None if v.end is None else _point(v.end), shift=_window(v.shift),
                    wheelchair=v.wheelchair, onboard=tuple(v.onboard))
            for v in doc.vehicles),
        requests=tuple(
            Request(id=r.id, seats=r.seats, pickup=_point(r.pickup), dropoff=_point(r.dropoff),
                    pickup_window=_window(r.pickup_window),
                    dropoff_window=_window(r.dropoff_window), max_ride_s=r.max_ride_s,
                    pickup_service_s=r.pickup_service_s, dropoff_service_s=r.dropoff_service_s,
                    wheelchair=r.wheelchair, picked_up_s=r.picked_up)
            for r in doc.requests),
        durations=None if doc.durations is None else tuple(map(tuple, doc.durations)),
        distances=None if doc.distances is None else tuple(map(tuple, doc.distances)),
    )


def _message(error: Any) -> str:
    kind, msg = error["type"], error["msg"]
    if kind == "missing":
        return "required"
    if kind == "extra_forbidden":
        return "unknown field"
    msg = msg[0].lower() + msg[1:] if msg else kind
    if kind != "clock" and not isinstance(error.get("input"), dict | list):
        msg += f", got {json.dumps(error.get('input'))}"
    return msg


def problem_to_json(problem: Problem) -> dict[str, Any]:
    """The JSON document for ``problem``; :func:`problem_from_json` reads it back equal."""

    def point(p: Point) -> dict[str, Any]:
        return {k: v for k, v in (("lat", p.lat), ("lon", p.lon), ("loc", p.loc)) if v is not None}

    def window(w: TimeWindow) -> dict[str, str]:
        return {"start": format_hm(w.start_s), "end": format_hm(w.end_s)}

    vehicles = []
    for v in problem.vehicles:
        out: dict[str, Any] = {"id": v.id, "seats": v.seats, "start": point(v.start)}
        if v.end is not None:
            out["end"] = point(v.end)
        if v.shift is not None:
            out["shift"] = window(v.shift)
        if v.wheelchair:
            out["wheelchair"] = v.wheelchair
        if v.onboard:
            out["onboard"] = list(v.onboard)
        vehicles.append(out)
    requests = []
    for r in problem.requests:
        out = {"id": r.id, "seats": r.seats, "pickup": point(r.pickup),
               "dropoff": point(r.dropoff)}
        for name in ("pickup_window", "dropoff_window"):
            if getattr(r, name) is not None:
                out[name] = window(getattr(r, name))
        for name in ("max_ride_s", "pickup_service_s", "dropoff_service_s"):
            if getattr(r, name) is not None:
                out[name] = getattr(r, name)
        if r.wheelchair:
            out["wheelchair"] = r.wheelchair
        if r.picked_up_s is not None:
            out["picked_up"] = format_hms(r.picked_up_s)
        requests.append(out)
    doc: dict[str, Any] = {
        "version": FORMAT_VERSION,
        "name": problem.name,
        "travel": _travel(problem.travel),
        "service_s": problem.service_s,
        "vehicles": vehicles,
        "requests": requests,
    }
    if problem.durations is not None:
        doc["durations"] = [list(row) for row in problem.durations]
    if problem.distances is not None:
        doc["distances"] = [list(row) for row in problem.distances]
    return doc


def _travel(travel: TravelModel) -> dict[str, Any]:
    out: dict[str, Any] = {"model": travel.model, "circuity": travel.circuity,
                           "speed_kmh": travel.speed_kmh}
    if travel.osm_file is not None:
        out["osm_file"] = travel.osm_file
    if travel.speeds:
        out["speeds"] = dict(travel.speeds)
    if travel.cache_dir is not None:
        out["cache_dir"] = travel.cache_dir
    return out


def plan_to_json(plan: Plan) -> dict[str, Any]:
    """The JSON document for ``plan`` (times as "HH:MM:SS")."""
    doc = {
        "routes": [
            {"vehicle": r.vehicle, "start": format_hms(r.start_s), "end": format_hms(r.end_s),
             "drive_s": r.drive_s, "distance_m": r.distance_m,
             "stops": [{"kind": s.kind, "request": s.request, "arrive": format_hms(s.arrive_s),
                        "start": format_hms(s.start_s), "depart": format_hms(s.depart_s),
                        "load": s.load} for s in r.stops]}
            for r in plan.routes],
        "unassigned": [{"request": u.request, "reason": u.reason} for u in plan.unassigned],
        "summary": {"requests": plan.summary.requests, "served": plan.summary.served,
                    "drive_s": plan.summary.drive_s, "distance_m": plan.summary.distance_m,
                    "solve_s": plan.summary.solve_s},
    }
    if plan.shortfall:
        doc["shortfall"] = [{"area": c.area, "start": format_hms(c.start_s),
                             "end": format_hms(c.end_s), "riders": list(c.riders)}
                            for c in plan.shortfall]
    return doc


def plan_from_json(obj: dict[str, Any]) -> Plan:
    """Read back a plan written by :func:`plan_to_json` (to check it against its problem).

    Raises KeyError or ValueError on a malformed document.
    """
    routes = []
    for r in obj["routes"]:
        stops = tuple(Stop(kind=s["kind"], request=s["request"], arrive_s=parse_time(s["arrive"]),
                           start_s=parse_time(s["start"]), depart_s=parse_time(s["depart"]),
                           load=int(s["load"])) for s in r["stops"])
        routes.append(Route(vehicle=r["vehicle"], stops=stops, drive_s=int(r["drive_s"]),
                            distance_m=int(r["distance_m"]), start_s=parse_time(r["start"]),
                            end_s=parse_time(r["end"])))
    s = obj["summary"]
    return Plan(routes=tuple(routes),
                unassigned=tuple(Unassigned(u["request"], u["reason"]) for u in obj["unassigned"]),
                summary=Summary(requests=int(s["requests"]), served=int(s["served"]),
                                drive_s=int(s["drive_s"]), distance_m=int(s["distance_m"]),
                                solve_s=float(s["solve_s"])),
                shortfall=tuple(ExtraCar(area=c["area"], start_s=parse_time(c["start"]),
                                         end_s=parse_time(c["end"]), riders=tuple(c["riders"]))
                                for c in obj.get("shortfall", ())))
