"""The JSON API, version 1 (docs/api.md). Views parse, call a service, serialise."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from flask import Blueprint, Response, current_app, jsonify, request
from flask_login import current_user, login_user, logout_user
from flask_wtf.csrf import generate_csrf
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from dispatch.errors import Conflict, DispatchError, Forbidden, InvalidInput, NotFound
from dispatch.events import PendingNotices
from dispatch.jobs import create_job
from dispatch.models import Booking, Half, Job, Person, Place, PlaceKind, Role, Stop, UnassignedRide, Vehicle
from dispatch.services import booking as booking_service
from dispatch.services import dispatching, operations, planning, privacy
from dispatch.services.accounts import authenticate
from routing.clock import format_hms, parse_time
from web import serialize
from web.apispec import responses, spec
from web.auth import login_limit
from web.database import db
from web.days import default_day, parse_date
from web.extensions import csrf, limiter
from web.users import STAFF, LoggedIn, public, roles_required

api = Blueprint("api", __name__, url_prefix="/api/v1")


# -- errors -------------------------------------------------------------------------------


def error_response(status: int, message: str, fields: dict[str, str] | None = None) -> Response:
    body: dict[str, Any] = {"error": message}
    if fields:
        body["fields"] = fields
    response = jsonify(body)
    response.status_code = status
    return response


@api.errorhandler(DispatchError)
def on_domain_error(exc: DispatchError) -> Response:
    if isinstance(exc, InvalidInput):
        return error_response(422, exc.message, exc.fields)
    status = {NotFound: 404, Forbidden: 403, Conflict: 409}.get(type(exc), 400)
    return error_response(status, str(exc))


@api.errorhandler(ValidationError)
def on_validation_error(exc: ValidationError) -> Response:
    fields = {}
    for err in exc.errors():
        path = ".".join(str(p) for p in err["loc"]) or "body"
        fields[path] = err["msg"]
    return error_response(422, "invalid input", fields)


def actor() -> Person:
    person = db().get(Person, current_user.id)
    if person is None:
        raise NotFound("your account no longer exists")
    return person


def _time_s(text: str, field: str) -> int:
    try:
        seconds = parse_time(text)
    except ValueError as exc:
        raise InvalidInput({field: str(exc)}) from None
    if seconds >= 86400:
        raise InvalidInput({field: "must be a time of day before 24:00"})
    return seconds


def publish(notices: PendingNotices) -> None:
    notices.send(current_app.extensions["carpool.publisher"])


class DayQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    date: dt.date | None = None
    half: Literal["morning", "evening"] | None = None


class PlaceQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    q: str | None = Field(default=None, max_length=100)


# -- session ------------------------------------------------------------------------------


class LoginBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=80)
    password: str = Field(min_length=1, max_length=200)


@api.post("/session")
@spec.validate(json=LoginBody, resp=responses(401, 422), tags=["session"])
@public
@limiter.limit(login_limit)
@csrf.exempt  # nobody is logged in yet, so there is no session to forge a request for
def session_create() -> Any:
    """Log in with a username and password; sets the session cookie."""
    body: LoginBody = request.context.json  # type: ignore[attr-defined]
    person = authenticate(db(), body.username, body.password)
    if person is None:
        return error_response(401, "wrong username or password")
    login_user(LoggedIn.of(person))
    return jsonify(user=serialize.user_json(person), csrf_token=generate_csrf())


@api.get("/session")
@spec.validate(resp=responses(401), tags=["session"])
@roles_required(*[r.value for r in Role])
def session_show() -> Any:
    return jsonify(user=serialize.user_json(actor()), csrf_token=generate_csrf())


@api.delete("/session")
@spec.validate(resp=responses(), tags=["session"])
@public
def session_delete() -> Any:
    logout_user()
    return jsonify(ok=True)


# -- dispatcher ---------------------------------------------------------------------------


@api.get("/board")
@spec.validate(query=DayQuery, resp=responses(401, 403, 422), tags=["dispatcher"])
@roles_required(Role.DISPATCHER.value)
def board() -> Any:
    """Everything the board shows for a date and half-day."""
    session = db()
    query: DayQuery = request.context.query  # type: ignore[attr-defined]
    day, half = default_day(session, query.date, query.half and Half(query.half), now=current_app.config["CLOCK"]())
    plan = planning.current_plan(session, day, half)
    routes: list[dict[str, Any]] = []
    unassigned: list[dict[str, Any]] = []
    if plan is not None:
        routes = serialize.board_routes_json(*planning.board_rows(session, plan))
        left_outs = session.scalars(
            select(UnassignedRide)
            .where(UnassignedRide.plan_id == plan.id)
            .options(
                selectinload(UnassignedRide.booking).selectinload(Booking.rider),
                selectinload(UnassignedRide.booking).selectinload(Booking.from_place),
                selectinload(UnassignedRide.booking).selectinload(Booking.to_place),
            )
            .order_by(UnassignedRide.id)
        )
        for left_out in left_outs:
            booking = left_out.booking
            unassigned.append(
                {
                    "booking_id": left_out.booking_id,
                    "rider": serialize.person_json(booking.rider) if booking else None,
                    "from": serialize.place_json(booking.from_place) if booking else None,
                    "to": serialize.place_json(booking.to_place) if booking else None,
                    "time": format_hms(booking.time_s) if booking else None,
                    "reason": left_out.reason,
                }
            )
    privacy.audit_view(session, actor_id=current_user.id, what=f"board {day} {half.value}: riders and places")
    session.commit()
    vehicles = session.scalars(select(Vehicle).options(selectinload(Vehicle.driver)).order_by(Vehicle.id))
    job = session.scalar(select(Job).where(Job.kind == "plan").order_by(Job.id.desc()).limit(1))
    return jsonify(
        date=day.isoformat(),
        half=half.value,
        plan=serialize.plan_json(plan) if plan else None,
        routes=routes,
        unassigned=unassigned,
        vehicles=[serialize.vehicle_json(v) for v in vehicles],
        job=serialize.job_json(job) if job else None,
    )


class PlanBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    date: dt.date
    half: Literal["morning", "evening"]
    time_limit_s: float | None = Field(default=None, gt=0, le=3600)


@api.post("/plans")
@spec.validate(json=PlanBody, resp=responses(401, 403, 409, 422, ok_code=202), tags=["dispatcher"])
@roles_required(Role.DISPATCHER.value)
def plan_create() -> Any:
    """Start planning a date and half-day in the background; progress comes over Socket.IO."""
    body: PlanBody = request.context.json  # type: ignore[attr-defined]
    session = db()
    running = session.scalar(select(Job).where(Job.kind == "plan").where(Job.status.in_(["queued", "running"])))
    if (
        running is not None
        and running.params.get("date") == body.date.isoformat()
        and running.params.get("half") == body.half
    ):
        raise Conflict("this half-day is already being planned")
    job = create_job(
        session,
        "plan",
        {"date": body.date.isoformat(), "half": body.half, "time_limit_s": body.time_limit_s},
        created_by_id=current_user.id,
    )
    session.commit()
    current_app.extensions["carpool.jobs"].submit(job.id)
    return jsonify(job=serialize.job_json(job)), 202


@api.get("/jobs/<int:job_id>")
@spec.validate(resp=responses(401, 403, 404), tags=["dispatcher"])
@roles_required(Role.DISPATCHER.value)
def job_show(job_id: int) -> Any:
    job = db().get(Job, job_id)
    if job is None:
        raise NotFound("no such job")
    return jsonify(job=serialize.job_json(job))


# -- driver -------------------------------------------------------------------------------


@api.get("/driver/route")
@spec.validate(query=DayQuery, resp=responses(401, 403, 422), tags=["driver"])
@roles_required(Role.DRIVER.value)
def driver_route() -> Any:
    """The driver's own route; riders by first name only."""
    session = db()
    query: DayQuery = request.context.query  # type: ignore[attr-defined]
    day, half = default_day(
        session,
        query.date,
        query.half and Half(query.half),
        driver_id=current_user.id,
        now=current_app.config["CLOCK"](),
    )
    plan = planning.current_plan(session, day, half)
    route_data = None
    if plan is not None:
        for i, route in enumerate(planning.plan_routes(session, plan)):
            if route.driver_id == current_user.id:
                reveal = riders_revealed(day, route.start_s, route.end_s)
                route_data = serialize.route_json(route, i, first_name_only=True, reveal=reveal)
                # A rider who phoned to say they are late: the driver should know.
                late = dispatching.late_marks(session, plan)
                for stop_data in route_data["stops"]:
                    stop_data["late_min"] = late.get(stop_data["id"])
                if reveal:
                    what = f"own route {day} {half.value}: riders' first names and pick-ups"
                    privacy.audit_view(session, actor_id=current_user.id, what=what)
                    session.commit()
    return jsonify(date=day.isoformat(), half=half.value, route=route_data)


def riders_revealed(day: dt.date, start_s: int, end_s: int, now: dt.datetime | None = None) -> bool:
    """Whether a driver may see who they carry and from which homes: only on the
    day, from DRIVER_REVEAL_LEAD_S before the route starts until 30 minutes after it ends."""
    now = now or current_app.config["CLOCK"]()
    if now.date() != day:
        return False
    lead = int(current_app.config.get("DRIVER_REVEAL_LEAD_S", 3600))
    seconds = now.hour * 3600 + now.minute * 60 + now.second
    return start_s - lead <= seconds <= end_s + 1800


class StopStatusBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: str


@api.post("/stops/<int:stop_id>/status")
@spec.validate(json=StopStatusBody, resp=responses(401, 403, 404, 422), tags=["driver"])
@roles_required(Role.DRIVER.value, Role.DISPATCHER.value)
def stop_status(stop_id: int) -> Any:
    body: StopStatusBody = request.context.json  # type: ignore[attr-defined]
    session = db()
    person = actor()
    stop = operations.stop_for(session, stop_id, person)
    notices = PendingNotices()
    operations.set_stop_status(session, stop, body.status, person, notices)
    session.commit()
    publish(notices)
    return jsonify(stop=serialize.stop_json(stop, first_name_only=person.role == Role.DRIVER))


# -- places -------------------------------------------------------------------------------


@api.get("/places")
@spec.validate(query=PlaceQuery, resp=responses(401), tags=["places"])
@roles_required(*[r.value for r in Role])
def places() -> Any:
    """Stations and known places matching ?q=; homes only to their owner."""
    text = (request.context.query.q or "").strip()  # type: ignore[attr-defined]
    query = select(Place).where(or_(Place.kind != PlaceKind.HOME, Place.owner_id == current_user.id))
    if text:
        query = query.where(func.lower(Place.name).contains(text.lower(), autoescape=True))
    query = query.order_by(Place.kind, Place.name).limit(20)
    return jsonify(places=[serialize.place_json(p) for p in db().scalars(query)])


# -- rider --------------------------------------------------------------------------------


class BookingBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rider_id: int | None = None
    from_place_id: int
    to_place_id: int
    half: Literal["morning", "evening"]
    weekdays: list[str] = Field(min_length=1, max_length=7)
    time_kind: Literal["arrive_by", "leave_after"]
    time: str
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None
    seats: int = Field(default=1, ge=1, le=8)
    wheelchair: int = Field(default=0, ge=0, le=1)


@api.get("/rider/bookings")
@spec.validate(resp=responses(401, 403), tags=["rider"])
@roles_required(Role.RIDER.value)
def rider_bookings() -> Any:
    bookings = booking_service.rider_bookings(db(), current_user.id, dt.date.today())
    return jsonify(bookings=[serialize.booking_json(b) for b in bookings])


@api.post("/rider/bookings")
@spec.validate(json=BookingBody, resp=responses(401, 403, 422, ok_code=201), tags=["rider"])
@roles_required(Role.RIDER.value, Role.DISPATCHER.value)
def rider_booking_create() -> Any:
    """Add a regular booking: a rider for themselves, a dispatcher for any rider."""
    body: BookingBody = request.context.json  # type: ignore[attr-defined]
    if current_user.role in STAFF:
        if body.rider_id is None:
            raise InvalidInput({"rider_id": "say which rider this booking is for"})
        rider_id = body.rider_id
    else:
        if body.rider_id not in (None, current_user.id):
            raise InvalidInput({"rider_id": "riders can only book for themselves"})
        rider_id = current_user.id
    session = db()
    booking = booking_service.add_booking(
        session,
        booking_service.BookingRequest(
            rider_id=rider_id,
            from_place_id=body.from_place_id,
            to_place_id=body.to_place_id,
            half=body.half,
            weekdays=tuple(body.weekdays),
            time_kind=body.time_kind,
            time_s=_time_s(body.time, "time"),
            valid_from=body.valid_from or dt.date.today(),
            valid_until=body.valid_until,
            seats=body.seats,
            wheelchair=body.wheelchair,
        ),
    )
    privacy.audit(session, actor_id=current_user.id, action="change", subject_id=rider_id,
                  what=f"booking {booking.id} added")  # fmt: skip
    session.commit()
    return jsonify(booking=serialize.booking_json(booking)), 201


class SkipBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    date: dt.date


@api.post("/rider/bookings/<int:booking_id>/skips")
@spec.validate(json=SkipBody, resp=responses(401, 403, 404, 422), tags=["rider"])
@roles_required(Role.RIDER.value, Role.DISPATCHER.value)
def booking_skip(booking_id: int) -> Any:
    body: SkipBody = request.context.json  # type: ignore[attr-defined]
    session = db()
    booking = booking_service.booking_for(session, booking_id, actor())
    booking_service.skip_day(session, booking, body.date)
    privacy.audit(session, actor_id=current_user.id, action="change", subject_id=booking.rider_id,
                  what=f"booking {booking.id} skips {body.date}")  # fmt: skip
    session.commit()
    return jsonify(booking=serialize.booking_json(booking))


@api.delete("/rider/bookings/<int:booking_id>/skips/<day>")
@spec.validate(resp=responses(401, 403, 404, 422), tags=["rider"])
@roles_required(Role.RIDER.value, Role.DISPATCHER.value)
def booking_unskip(booking_id: int, day: str) -> Any:
    session = db()
    booking = booking_service.booking_for(session, booking_id, actor())
    booking_service.unskip_day(session, booking, parse_date(day, "date"))
    session.commit()
    return jsonify(booking=serialize.booking_json(booking))


@api.delete("/rider/bookings/<int:booking_id>")
@spec.validate(resp=responses(401, 403, 404), tags=["rider"])
@roles_required(Role.RIDER.value, Role.DISPATCHER.value)
def booking_end(booking_id: int) -> Any:
    session = db()
    booking = booking_service.booking_for(session, booking_id, actor())
    booking_service.end_booking(session, booking, dt.date.today() - dt.timedelta(days=1))
    privacy.audit(session, actor_id=current_user.id, action="change", subject_id=booking.rider_id,
                  what=f"booking {booking_id} ended")  # fmt: skip
    session.commit()
    return jsonify(ok=True)


def _place_or_none(place: Place | None) -> dict[str, Any] | None:
    return serialize.place_json(place) if place is not None else None


@api.get("/rider/trips")
@spec.validate(query=DayQuery, resp=responses(401, 403, 422), tags=["rider"])
@roles_required(Role.RIDER.value)
def rider_trips() -> Any:
    """When and where the rider's car comes on a date (default: the next planned day)."""
    session = db()
    query: DayQuery = request.context.query  # type: ignore[attr-defined]
    day, _half = default_day(session, query.date, None, now=current_app.config["CLOCK"]())
    trips: list[dict[str, Any]] = []
    for half in (Half.MORNING, Half.EVENING):
        wanted = [b for b in booking_service.bookings_on(session, day, half) if b.rider_id == current_user.id]
        if not wanted:
            continue
        plan = planning.current_plan(session, day, half)
        stops = {}
        if plan is not None:
            for stop in session.scalars(
                select(Stop)
                .join(Stop.route)
                .where(Stop.rider_id == current_user.id)
                .where(Stop.route.has(plan_id=plan.id))
            ):
                stops[(stop.booking_id, stop.kind.value)] = stop
        reasons = {u.booking_id: u.reason for u in plan.unassigned} if plan else {}
        for booking in wanted:
            pickup = stops.get((booking.id, "pickup"))
            dropoff = stops.get((booking.id, "dropoff"))
            if pickup is not None and dropoff is not None:
                route = pickup.route
                trips.append(
                    {
                        "booking_id": booking.id,
                        "half": half.value,
                        "date": day.isoformat(),
                        "pickup": {"place": _place_or_none(pickup.place), "time": format_hms(pickup.start_s)},
                        "dropoff": {"place": _place_or_none(dropoff.place), "time": format_hms(dropoff.start_s)},
                        "vehicle": {"name": route.vehicle.name},
                        "driver": {"name": route.driver.first_name if route.driver else None},
                        "status": pickup.status.value,
                    }
                )
            else:
                trips.append(
                    {
                        "booking_id": booking.id,
                        "half": half.value,
                        "date": day.isoformat(),
                        "status": "unassigned" if booking.id in reasons else "unplanned",
                        "reason": reasons.get(booking.id),
                        "from": serialize.place_json(booking.from_place),
                        "to": serialize.place_json(booking.to_place),
                    }
                )
    return jsonify(date=day.isoformat(), trips=trips)


@api.get("/bookings/<int:booking_id>")
@spec.validate(resp=responses(401, 403, 404), tags=["rider"])
@roles_required(Role.RIDER.value, Role.DISPATCHER.value)
def booking_show(booking_id: int) -> Any:
    session = db()
    booking: Booking = booking_service.booking_for(session, booking_id, actor())
    if booking.rider_id != current_user.id:
        privacy.audit_view(session, actor_id=current_user.id, subject_id=booking.rider_id, what=f"booking {booking.id}")
        session.commit()
    return jsonify(booking=serialize.booking_json(booking))
