"""The running day: drivers and dispatchers report what happened at each stop."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from dispatch.errors import InvalidInput, NotFound
from dispatch.events import BOARD_ROOM, PendingNotices, driver_room, rider_room
from dispatch.models import Event, Person, Role, Stop, StopKind, StopStatus

# What can be reported at each kind of stop.
ALLOWED = {
    StopKind.PICKUP: {StopStatus.PICKED_UP, StopStatus.NO_SHOW, StopStatus.PLANNED},
    StopKind.DROPOFF: {StopStatus.DROPPED_OFF, StopStatus.PLANNED},
}


def stop_for(session: Session, stop_id: int, actor: Person) -> Stop:
    """The stop, if the actor drives its route or dispatches; NotFound otherwise.

    A driver asking for another car's stop learns nothing, not even that it exists.
    """
    stop = session.get(Stop, stop_id)
    if stop is None:
        raise NotFound("no such stop")
    if actor.role in (Role.DISPATCHER, Role.ADMIN) or stop.route.driver_id == actor.id:
        return stop
    raise NotFound("no such stop")


def set_stop_status(session: Session, stop: Stop, status: str, actor: Person, notices: PendingNotices) -> Stop:
    """Record a pick-up, drop-off or no-show (or undo one, back to planned)."""
    try:
        new = StopStatus(status)
    except ValueError:
        raise InvalidInput({"status": "must be one of " + ", ".join(s.value for s in StopStatus)}) from None
    if new not in ALLOWED[stop.kind]:
        raise InvalidInput({"status": f"{new.value} does not fit a {stop.kind.value} stop"})
    stop.status = new
    stop.status_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    route = stop.route
    route.version += 1
    session.add(
        Event(
            actor_id=actor.id,
            kind="stop_" + new.value,
            plan_id=route.plan_id,
            data={"stop_id": stop.id, "route_id": route.id, "rider_id": stop.rider_id},
        )
    )
    session.flush()
    rooms = [BOARD_ROOM]
    if route.driver_id:
        rooms.append(driver_room(route.driver_id))
    if stop.rider_id:
        rooms.append(rider_room(stop.rider_id))
    notices.add(
        "stop_updated",
        {"plan_id": route.plan_id, "route_id": route.id, "stop_id": stop.id, "status": new.value},
        rooms,
    )
    return stop
