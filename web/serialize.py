"""Rows to the JSON shapes of docs/api.md. Nothing here queries or decides access."""

from __future__ import annotations

from typing import Any

from dispatch.models import Booking, Job, Person, Place, PlaceKind, Plan, Route, Stop, Vehicle
from routing.clock import format_hm, format_hms

# Colours a dispatcher can tell apart on the map (Tableau 10, then darker variants).
ROUTE_COLOURS = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
    "#0b3d66", "#a64d00", "#176117", "#7f1416", "#4b2e6b",
)  # fmt: skip


def person_json(person: Person | None, *, first_name_only: bool = False) -> dict[str, Any] | None:
    if person is None:
        return None
    name = person.first_name if first_name_only else person.name
    return {"id": person.id, "name": name}


def user_json(person: Person) -> dict[str, Any]:
    return {"id": person.id, "username": person.username, "name": person.name, "role": person.role.value}


def place_json(place: Place) -> dict[str, Any]:
    return {"id": place.id, "name": place.name, "kind": place.kind.value, "lat": place.lat, "lon": place.lon}


HIDDEN_HOME = {"id": None, "name": "A rider's home (shown on the day)", "kind": "home", "lat": None, "lon": None}


def stop_json(stop: Stop, *, first_name_only: bool = False, reveal: bool = True) -> dict[str, Any]:
    """A stop; with reveal=False (a driver, outside their route's hours) no rider and no home."""
    place = place_json(stop.place) if stop.place else None
    if not reveal and stop.place is not None and stop.place.kind == PlaceKind.HOME:
        place = dict(HIDDEN_HOME)
    return {
        "id": stop.id,
        "seq": stop.seq,
        "kind": stop.kind.value,
        "place": place,
        "rider": person_json(stop.rider, first_name_only=first_name_only) if reveal else None,
        "booking_id": stop.booking_id,
        "arrive": format_hms(stop.arrive_s),
        "start": format_hms(stop.start_s),
        "depart": format_hms(stop.depart_s),
        "load": stop.load,
        "status": stop.status.value,
    }


def vehicle_json(vehicle: Vehicle) -> dict[str, Any]:
    return {
        "id": vehicle.id,
        "name": vehicle.name,
        "seats": vehicle.seats,
        "wheelchair": vehicle.wheelchair,
        "in_service": vehicle.in_service,
        "driver": person_json(vehicle.driver),
    }


def route_json(route: Route, index: int, *, first_name_only: bool = False, reveal: bool = True) -> dict[str, Any]:
    end = None
    if route.end_lat is not None and route.end_lon is not None:
        end = {"lat": route.end_lat, "lon": route.end_lon, "time": format_hms(route.end_s)}
    return {
        "id": route.id,
        "version": route.version,
        "vehicle": {
            "id": route.vehicle.id,
            "name": route.vehicle.name,
            "seats": route.vehicle.seats,
            "wheelchair": route.vehicle.wheelchair,
        },
        "driver": person_json(route.driver),
        "color": ROUTE_COLOURS[index % len(ROUTE_COLOURS)],
        "start": {"lat": route.start_lat, "lon": route.start_lon, "time": format_hms(route.start_s)}
        if route.start_lat is not None
        else None,
        "end": end,
        "finish": format_hms(route.end_s),
        "drive_s": route.drive_s,
        "distance_m": route.distance_m,
        "stops": [stop_json(s, first_name_only=first_name_only, reveal=reveal) for s in route.stops],
        "riders_shown": reveal,
    }


def plan_json(plan: Plan) -> dict[str, Any]:
    return {
        "id": plan.id,
        "date": plan.service_date.isoformat(),
        "half": plan.half.value,
        "status": plan.status.value,
        "created_at": plan.created_at.isoformat(timespec="seconds"),
        "requests": plan.requests,
        "served": plan.served,
        "drive_s": plan.drive_s,
        "distance_m": plan.distance_m,
        "solve_s": plan.solve_s,
    }


def booking_json(booking: Booking) -> dict[str, Any]:
    return {
        "id": booking.id,
        "rider": person_json(booking.rider),
        "from": place_json(booking.from_place),
        "to": place_json(booking.to_place),
        "half": booking.half.value,
        "weekdays": booking.weekdays.split(","),
        "time_kind": booking.time_kind.value,
        "time": format_hm(booking.time_s),
        "valid_from": booking.valid_from.isoformat(),
        "valid_until": booking.valid_until.isoformat() if booking.valid_until else None,
        "seats": booking.seats,
        "wheelchair": booking.wheelchair,
        "skipped": [s.date.isoformat() for s in booking.skips],
    }


def job_json(job: Job) -> dict[str, Any]:
    return {
        "id": job.id,
        "kind": job.kind,
        "status": job.status.value,
        "params": job.params,
        "progress": job.progress,
        "plan_id": job.plan_id,
        "error": job.error,
    }


def board_routes_json(route_rows: list[Any], stop_rows: list[Any]) -> list[dict[str, Any]]:
    """The board's routes from plain rows (see dispatch.services.planning.board_rows);
    the same shape as route_json, for dispatchers (full names, every place)."""
    stops_by_route: dict[int, list[dict[str, Any]]] = {}
    # Unpacked by position: attribute access on thousands of rows is the slow part.
    for (route_id, stop_id, seq, kind, booking_id, arrive_s, start_s, depart_s, load, status,
         place_id, place_name, place_kind, lat, lon, rider_id, rider_name) in stop_rows:  # fmt: skip
        place = None
        if place_id is not None:
            place = {"id": place_id, "name": place_name, "kind": place_kind.value, "lat": lat, "lon": lon}
        stops_by_route.setdefault(route_id, []).append(
            {
                "id": stop_id,
                "seq": seq,
                "kind": kind.value,
                "place": place,
                "rider": {"id": rider_id, "name": rider_name} if rider_id is not None else None,
                "booking_id": booking_id,
                "arrive": format_hms(arrive_s),
                "start": format_hms(start_s),
                "depart": format_hms(depart_s),
                "load": load,
                "status": status.value,
            }
        )
    routes = []
    for index, r in enumerate(route_rows):
        routes.append(
            {
                "id": r.id,
                "version": r.version,
                "vehicle": {"id": r.vehicle_id, "name": r.vehicle_name, "seats": r.seats, "wheelchair": r.wheelchair},
                "driver": {"id": r.driver_id, "name": r.driver_name} if r.driver_id is not None else None,
                "color": ROUTE_COLOURS[index % len(ROUTE_COLOURS)],
                "start": {"lat": r.start_lat, "lon": r.start_lon, "time": format_hms(r.start_s)}
                if r.start_lat is not None
                else None,
                "end": {"lat": r.end_lat, "lon": r.end_lon, "time": format_hms(r.end_s)}
                if r.end_lat is not None and r.end_lon is not None
                else None,
                "finish": format_hms(r.end_s),
                "drive_s": r.drive_s,
                "distance_m": r.distance_m,
                "stops": stops_by_route.get(r.id, []),
                "riders_shown": True,
            }
        )
    return routes
