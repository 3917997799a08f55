"""The dispatcher's live tools (docs/api.md, "Dispatcher"): move riders, take cars off the
road, drafts, marks, one-off rides, the timeline and route sheets. Views parse, call
dispatch.services.dispatching, commit, then publish the notices."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from flask import Blueprint, Response, current_app, jsonify, render_template, request
from flask_login import current_user
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from dispatch.errors import Conflict, DispatchError, InvalidInput
from dispatch.events import PendingNotices
from dispatch.jobs import create_job
from dispatch.models import Half, Job, Role
from dispatch.services import dispatching, planning
from web.api import actor, error_response, on_domain_error, publish
from web.apispec import responses, spec
from web.database import db
from web.days import default_day
from web.users import roles_required

dispatch_api = Blueprint("dispatch_api", __name__)
API = "/api/v1"


@dispatch_api.errorhandler(DispatchError)
def _on_domain_error(exc: DispatchError) -> Response:
    return on_domain_error(exc)


@dispatch_api.errorhandler(StaleDataError)
def _on_stale(_exc: StaleDataError) -> Response:
    # Two edits of one route raced: the second UPDATE found another version.
    return error_response(409, "someone else changed this route at the same time; look again and retry")


def _settings() -> Any:
    return current_app.extensions["carpool.settings"]


def _clock() -> dt.datetime:
    clock = current_app.config.get("CLOCK") or dt.datetime.now
    return clock()  # type: ignore[no-any-return]


def _now_s(day: dt.date, at: str | None) -> int | None:
    if at:
        try:
            hours, minutes = (int(p) for p in at.split(":")[:2])
        except ValueError:
            raise InvalidInput({"at": "expected a time as HH:MM"}) from None
        if not (0 <= hours < 24 and 0 <= minutes < 60):
            raise InvalidInput({"at": "expected a time as HH:MM"})
        return hours * 3600 + minutes * 60
    return dispatching.now_on(day, _clock())


def _time_s(text: str, field: str) -> int:
    try:
        hours, minutes = (int(p) for p in text.split(":")[:2])
    except ValueError:
        raise InvalidInput({field: "expected a time as HH:MM"}) from None
    if not (0 <= hours < 24 and 0 <= minutes < 60):
        raise InvalidInput({field: "expected a time as HH:MM"})
    return hours * 3600 + minutes * 60


class DayQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    date: dt.date | None = None
    half: Literal["morning", "evening"] | None = None


# -- the live side of the board -----------------------------------------------------------


@dispatch_api.get(f"{API}/live")
@spec.validate(query=DayQuery, resp=responses(401, 403, 422), tags=["dispatcher"])
@roles_required(Role.DISPATCHER.value)
def live() -> Any:
    """What the board shows beyond the plan: the clock, cars in or out of service with
    their shared positions, late marks, and the draft waiting to be published."""
    session = db()
    query: DayQuery = request.context.query  # type: ignore[attr-defined]
    day, half = default_day(session, query.date, query.half and Half(query.half), now=_clock())
    plan = planning.current_plan(session, day, half)
    draft = dispatching.latest_draft(session, day, half)
    now = _clock()
    return jsonify(
        date=day.isoformat(),
        half=half.value,
        server_time=now.isoformat(timespec="seconds"),
        now_s=dispatching.now_on(day, now),
        vehicles=dispatching.vehicles_json(session),
        late={str(k): v for k, v in (dispatching.late_marks(session, plan) if plan else {}).items()},
        draft=dispatching.compare_plans(session, draft, plan) if draft else None,
    )


@dispatch_api.get(f"{API}/timeline")
@spec.validate(query=DayQuery, resp=responses(401, 403, 422), tags=["dispatcher"])
@roles_required(Role.DISPATCHER.value)
def timeline() -> Any:
    """The half-day's events, oldest first: who did what, when."""
    session = db()
    query: DayQuery = request.context.query  # type: ignore[attr-defined]
    day, half = default_day(session, query.date, query.half and Half(query.half), now=_clock())
    return jsonify(date=day.isoformat(), half=half.value, events=dispatching.timeline(session, day, half))


# -- moving a rider -----------------------------------------------------------------------


class MoveBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    plan_id: int
    booking_id: int
    to_vehicle_id: int | None = None
    #: route id -> the version the dispatcher saw; a route changed since is refused (409)
    versions: dict[int, int] | None = None
    at: str | None = Field(default=None, max_length=8)


@dispatch_api.post(f"{API}/moves/preview")
@spec.validate(json=MoveBody, resp=responses(401, 403, 404, 409, 422), tags=["dispatcher"])
@roles_required(Role.DISPATCHER.value)
def move_preview() -> Any:
    """The new times of both cars and every broken limit, before anything is saved."""
    body: MoveBody = request.context.json  # type: ignore[attr-defined]
    session = db()
    plan = session.get(planning.Plan, body.plan_id)
    now_s = _now_s(plan.service_date, body.at) if plan else None
    outcome = dispatching.preview_move(
        session, _settings(), body.plan_id, body.booking_id, body.to_vehicle_id, now_s=now_s
    )
    session.rollback()
    return jsonify(preview=outcome.as_json())


@dispatch_api.post(f"{API}/moves")
@spec.validate(json=MoveBody, resp=responses(401, 403, 404, 409, 422), tags=["dispatcher"])
@roles_required(Role.DISPATCHER.value)
def move_create() -> Any:
    """Move a rider to another car (or out of every car, with to_vehicle_id null)."""
    body: MoveBody = request.context.json  # type: ignore[attr-defined]
    session = db()
    plan = session.get(planning.Plan, body.plan_id)
    now_s = _now_s(plan.service_date, body.at) if plan else None
    notices = PendingNotices()
    outcome = dispatching.move_rider(
        session, _settings(), body.plan_id, body.booking_id, body.to_vehicle_id, actor(), notices,
        versions=body.versions, now_s=now_s,
    )  # fmt: skip
    result = outcome.as_json()
    session.commit()
    publish(notices)
    return jsonify(move=result)


# -- cars ---------------------------------------------------------------------------------


class OutOfServiceBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    date: dt.date
    half: Literal["morning", "evening"]
    reason: Literal["breakdown", "no_driver", "off_road"]
    note: str | None = Field(default=None, max_length=150)
    #: when it happened, HH:MM on the service day (default: now)
    at: str | None = Field(default=None, max_length=8)


@dispatch_api.post(f"{API}/vehicles/<int:vehicle_id>/out-of-service")
@spec.validate(json=OutOfServiceBody, resp=responses(401, 403, 404, 409, 422), tags=["dispatcher"])
@roles_required(Role.DISPATCHER.value)
def vehicle_out(vehicle_id: int) -> Any:
    """Take a car off the road and re-plan its remaining riders onto other cars."""
    body: OutOfServiceBody = request.context.json  # type: ignore[attr-defined]
    session = db()
    notices = PendingNotices()
    outcome = dispatching.take_out_of_service(
        session, _settings(), vehicle_id, body.date, body.half, body.reason, actor(), notices,
        now_s=_now_s(body.date, body.at), note=body.note,
    )  # fmt: skip
    result = outcome.as_json()
    session.commit()
    publish(notices)
    return jsonify(replan=result)


class EmptyBody(BaseModel):
    model_config = ConfigDict(extra="forbid")


@dispatch_api.post(f"{API}/vehicles/<int:vehicle_id>/in-service")
@spec.validate(json=EmptyBody, resp=responses(401, 403, 404, 422), tags=["dispatcher"])
@roles_required(Role.DISPATCHER.value)
def vehicle_in(vehicle_id: int) -> Any:
    """The car is back on the road (for the next plan)."""
    session = db()
    notices = PendingNotices()
    vehicle = dispatching.put_back_in_service(session, vehicle_id, actor(), notices)
    result = {"id": vehicle.id, "in_service": vehicle.in_service}
    session.commit()
    publish(notices)
    return jsonify(vehicle=result)


# -- marks and one-off rides --------------------------------------------------------------


class LateBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    minutes: int = Field(ge=0, le=240)


@dispatch_api.post(f"{API}/stops/<int:stop_id>/late")
@spec.validate(json=LateBody, resp=responses(401, 403, 404, 422), tags=["dispatcher"])
@roles_required(Role.DISPATCHER.value)
def stop_late(stop_id: int) -> Any:
    """A rider phoned: they will be N minutes late (0 clears it)."""
    body: LateBody = request.context.json  # type: ignore[attr-defined]
    session = db()
    notices = PendingNotices()
    stop = dispatching.mark_late(session, stop_id, body.minutes, actor(), notices)
    result = {"stop_id": stop.id, "minutes": body.minutes}
    session.commit()
    publish(notices)
    return jsonify(late=result)


class RideBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rider_id: int
    from_place_id: int
    to_place_id: int
    date: dt.date
    half: Literal["morning", "evening"]
    time_kind: Literal["arrive_by", "leave_after"]
    time: str = Field(max_length=8)
    seats: int = Field(default=1, ge=1, le=8)
    wheelchair: int = Field(default=0, ge=0, le=1)


@dispatch_api.post(f"{API}/rides")
@spec.validate(json=RideBody, resp=responses(401, 403, 404, 422, ok_code=201), tags=["dispatcher"])
@roles_required(Role.DISPATCHER.value)
def ride_create() -> Any:
    """A one-off ride for someone who phones in, put in the best car if one can take it."""
    body: RideBody = request.context.json  # type: ignore[attr-defined]
    session = db()
    notices = PendingNotices()
    result = dispatching.add_one_off_ride(
        session, _settings(),
        dispatching.OneOffRide(
            rider_id=body.rider_id, from_place_id=body.from_place_id, to_place_id=body.to_place_id,
            service_date=body.date, half=body.half, time_kind=body.time_kind,
            time_s=_time_s(body.time, "time"), seats=body.seats, wheelchair=body.wheelchair,
        ),
        actor(), notices, now_s=dispatching.now_on(body.date, _clock()),
    )  # fmt: skip
    session.commit()
    publish(notices)
    return jsonify(ride=result), 201


# -- drafts -------------------------------------------------------------------------------


class DraftBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    date: dt.date
    half: Literal["morning", "evening"]
    time_limit_s: float | None = Field(default=None, gt=0, le=3600)


@dispatch_api.post(f"{API}/drafts")
@spec.validate(json=DraftBody, resp=responses(401, 403, 409, 422, ok_code=202), tags=["dispatcher"])
@roles_required(Role.DISPATCHER.value)
def draft_create() -> Any:
    """Plan a half-day as a draft, in the background; compare it, then publish or discard."""
    body: DraftBody = request.context.json  # type: ignore[attr-defined]
    session = db()
    for running in session.scalars(select(Job).where(Job.kind == "plan").where(Job.status.in_(["queued", "running"]))):
        if running.params.get("date") == body.date.isoformat() and running.params.get("half") == body.half:
            raise Conflict("this half-day is already being planned")
    job = create_job(
        session, "plan",
        {"date": body.date.isoformat(), "half": body.half, "time_limit_s": body.time_limit_s, "draft": True},
        created_by_id=current_user.id,
    )  # fmt: skip
    job_json = {"id": job.id, "kind": job.kind, "status": job.status.value, "params": job.params,
                "progress": None, "plan_id": None, "error": None}  # fmt: skip
    session.commit()
    current_app.extensions["carpool.jobs"].submit(job.id)
    return jsonify(job=job_json), 202


@dispatch_api.get(f"{API}/plans/<int:plan_id>/compare")
@spec.validate(resp=responses(401, 403, 404), tags=["dispatcher"])
@roles_required(Role.DISPATCHER.value)
def plan_compare(plan_id: int) -> Any:
    """A plan against the plan in force for its half-day."""
    session = db()
    plan = dispatching._plan(session, plan_id)
    in_force = planning.current_plan(session, plan.service_date, plan.half)
    return jsonify(
        compare=dispatching.compare_plans(session, plan, in_force if in_force and in_force.id != plan.id else None)
    )


@dispatch_api.post(f"{API}/plans/<int:plan_id>/publish")
@spec.validate(json=EmptyBody, resp=responses(401, 403, 404, 409, 422), tags=["dispatcher"])
@roles_required(Role.DISPATCHER.value)
def plan_publish(plan_id: int) -> Any:
    """Make a draft the plan in force; drivers and riders are told."""
    return _decide_draft(plan_id, dispatching.publish_draft)


@dispatch_api.post(f"{API}/plans/<int:plan_id>/discard")
@spec.validate(json=EmptyBody, resp=responses(401, 403, 404, 409, 422), tags=["dispatcher"])
@roles_required(Role.DISPATCHER.value)
def plan_discard(plan_id: int) -> Any:
    """Throw a draft away."""
    return _decide_draft(plan_id, dispatching.discard_draft)


def _decide_draft(plan_id: int, decide: Any) -> Any:
    session = db()
    notices = PendingNotices()
    plan = decide(session, plan_id, actor(), notices)
    result = {"id": plan.id, "status": plan.status.value}
    session.commit()
    publish(notices)
    return jsonify(plan=result)


# -- route sheets -------------------------------------------------------------------------


@dispatch_api.get(f"{API}/route-sheets")
@spec.validate(query=DayQuery, resp=responses(401, 403, 404, 422), tags=["dispatcher"])
@roles_required(Role.DISPATCHER.value)
def route_sheets() -> Any:
    """The data of the printable route sheets."""
    session = db()
    query: DayQuery = request.context.query  # type: ignore[attr-defined]
    day, half = default_day(session, query.date, query.half and Half(query.half), now=_clock())
    return jsonify(date=day.isoformat(), half=half.value, sheets=dispatching.route_sheets(session, day, half))


@dispatch_api.get("/board/route-sheets")
@roles_required(Role.DISPATCHER.value)
def route_sheets_page() -> Any:
    """Printable route sheets, one page per car, for drivers without a phone."""
    session = db()
    day = half = None
    try:
        if request.args.get("date"):
            day = dt.date.fromisoformat(request.args["date"])
    except ValueError:
        day = None
    if request.args.get("half") in ("morning", "evening"):
        half = Half(request.args["half"])
    day, half = default_day(session, day, half)
    try:
        sheets = dispatching.route_sheets(session, day, half)
    except DispatchError:
        sheets = []
    return render_template("route_sheet.html", date=day.isoformat(), half=half.value, sheets=sheets)
