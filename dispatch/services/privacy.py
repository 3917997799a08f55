"""Personal data: who looked at it, forgetting it when it is no longer needed,
and deleting a rider who asks.

Riders' homes and daily movements are the most sensitive thing the carpool
holds (in 1956 the lists were wanted by people who meant riders harm), so the
rule is to keep the least, for the shortest time, and to log every look.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from dispatch.errors import NotFound
from dispatch.models import (
    AuditEntry,
    Booking,
    Person,
    Place,
    PlaceKind,
    Plan,
    Role,
    Route,
    Stop,
    Vehicle,
)


def audit(session: Session, *, actor_id: int | None, action: str, what: str, subject_id: int | None = None) -> None:
    """Log that `actor_id` did `action` ("view", "change", "delete", "purge") to personal data."""
    session.add(AuditEntry(actor_id=actor_id, action=action, subject_id=subject_id, what=what[:200]))


VIEW_LOG_WINDOW = dt.timedelta(minutes=15)


def audit_view(session: Session, *, actor_id: int, what: str, subject_id: int | None = None) -> None:
    """Log a look at personal data, once per actor and subject per 15 minutes
    (a live board re-reads after every change; one entry says enough)."""
    since = dt.datetime.now(dt.UTC).replace(tzinfo=None) - VIEW_LOG_WINDOW
    recent = session.scalar(
        select(AuditEntry.id)
        .where(AuditEntry.actor_id == actor_id, AuditEntry.action == "view", AuditEntry.what == what[:200])
        .where(AuditEntry.at >= since)
        .limit(1)
    )
    if recent is None:
        audit(session, actor_id=actor_id, action="view", what=what, subject_id=subject_id)


@dataclass(frozen=True)
class PurgeCounts:
    routes: int
    stops: int


def _rowcount(result: object) -> int:
    # UPDATE results are cursor results; the generic Result type does not say so.
    return int(getattr(result, "rowcount", 0) or 0)


def forget_old_homes(session: Session, before: dt.date, *, actor_id: int | None = None) -> PurgeCounts:
    """Strip home coordinates from plans for days before `before`; stations stay.

    Stops at a home lose their place; routes that started or ended at a
    driver's home lose those coordinates. Times, cars and counts stay, so the
    history of the service can still be told.
    """
    old_plans = select(Plan.id).where(Plan.service_date < before)
    homes = select(Place.id).where(Place.kind == PlaceKind.HOME)
    stops = _rowcount(
        session.execute(
            update(Stop)
            .where(Stop.route_id.in_(select(Route.id).where(Route.plan_id.in_(old_plans))))
            .where(Stop.place_id.in_(homes))
            .values(place_id=None)
            .execution_options(synchronize_session=False)
        )
    )
    home_based = select(Vehicle.id).where(Vehicle.base_place_id.in_(homes))
    routes = _rowcount(
        session.execute(
            update(Route)
            .where(Route.plan_id.in_(old_plans))
            .where(Route.vehicle_id.in_(home_based))
            .where(Route.start_lat.is_not(None))
            .values(start_lat=None, start_lon=None, end_lat=None, end_lon=None)
            .execution_options(synchronize_session=False)
        )
    )
    if stops or routes:
        audit(session, actor_id=actor_id, action="purge",
              what=f"home coordinates removed from plans before {before}: {stops} stops, {routes} routes")  # fmt: skip
    session.flush()
    return PurgeCounts(routes=routes or 0, stops=stops or 0)


def delete_rider(session: Session, rider_id: int, *, actor: Person) -> None:
    """Delete a rider and everything personal of theirs: account, homes, bookings.

    Plans keep their stops (times, stations) but no longer say whose they were.
    A rider may delete themselves; dispatchers and admins may delete any rider.
    """
    rider = session.get(Person, rider_id)
    if rider is None or rider.role != Role.RIDER:
        raise NotFound("no such rider")
    if actor.id != rider.id and actor.role not in (Role.DISPATCHER, Role.ADMIN):
        raise NotFound("no such rider")  # nobody learns whether another rider exists
    homes = select(Place.id).where(Place.owner_id == rider.id)
    session.execute(
        update(Stop).where(Stop.rider_id == rider.id).values(rider_id=None)
        .execution_options(synchronize_session=False)
    )  # fmt: skip
    session.execute(
        update(Stop).where(Stop.place_id.in_(homes)).values(place_id=None)
        .execution_options(synchronize_session=False)
    )  # fmt: skip
    session.execute(delete(Booking).where(Booking.rider_id == rider.id).execution_options(synchronize_session=False))
    session.execute(delete(Place).where(Place.owner_id == rider.id).execution_options(synchronize_session=False))
    session.delete(rider)
    audit(
        session,
        actor_id=None if actor.id == rider.id else actor.id,
        action="delete",
        subject_id=rider_id,
        what="rider deleted at their request" if actor.id == rider.id else "rider deleted by staff",
    )
    session.flush()
