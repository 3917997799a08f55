"""Riders' regular bookings: add one, skip a day, end it; and which ride on a given day."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from dispatch.errors import InvalidInput, NotFound
from dispatch.models import Booking, BookingSkip, Half, Person, Place, PlaceKind, Role, TimeKind

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def weekday_name(day: dt.date) -> str:
    return WEEKDAYS[day.weekday()]


@dataclass(frozen=True)
class BookingRequest:
    """A booking as asked for, before it is checked against what is stored."""

    rider_id: int
    from_place_id: int
    to_place_id: int
    half: str
    weekdays: tuple[str, ...]
    time_kind: str
    time_s: int
    valid_from: dt.date
    valid_until: dt.date | None = None
    seats: int = 1
    wheelchair: int = 0


def add_booking(session: Session, request: BookingRequest) -> Booking:
    """Store a new regular booking after checking every field."""
    problems: dict[str, str] = {}
    rider = session.get(Person, request.rider_id)
    if rider is None or rider.role != Role.RIDER:
        problems["rider_id"] = "no such rider"
    for field_name, place_id in (
        ("from_place_id", request.from_place_id),
        ("to_place_id", request.to_place_id),
    ):
        place = session.get(Place, place_id)
        if place is None:
            problems[field_name] = "no such place"
        elif place.kind == PlaceKind.HOME and place.owner_id != request.rider_id:
            problems[field_name] = "that is somebody else's home"
    if request.from_place_id == request.to_place_id:
        problems["to_place_id"] = "must differ from the pick-up place"
    if request.half not in {h.value for h in Half}:
        problems["half"] = "must be morning or evening"
    if request.time_kind not in {k.value for k in TimeKind}:
        problems["time_kind"] = "must be arrive_by or leave_after"
    if not request.weekdays:
        problems["weekdays"] = "choose at least one day"
    elif bad := [d for d in request.weekdays if d not in WEEKDAYS]:
        problems["weekdays"] = f"unknown day {bad[0]!r}; use mon, tue, ... sun"
    if not 0 <= request.time_s < 86400:
        problems["time"] = "must be a time of day"
    if request.valid_until is not None and request.valid_until < request.valid_from:
        problems["valid_until"] = "must not be before valid_from"
    if request.seats < 1 or request.seats > 8:
        problems["seats"] = "must be between 1 and 8"
    if request.wheelchair not in (0, 1):
        problems["wheelchair"] = "must be 0 or 1"
    if problems:
        raise InvalidInput(problems)
    booking = Booking(
        rider_id=request.rider_id,
        from_place_id=request.from_place_id,
        to_place_id=request.to_place_id,
        half=Half(request.half),
        weekdays=",".join(d for d in WEEKDAYS if d in request.weekdays),
        time_kind=TimeKind(request.time_kind),
        time_s=request.time_s,
        valid_from=request.valid_from,
        valid_until=request.valid_until,
        seats=request.seats,
        wheelchair=request.wheelchair,
    )
    session.add(booking)
    session.flush()
    return booking


def booking_for(session: Session, booking_id: int, actor: Person) -> Booking:
    """The booking, if the actor is its rider or a dispatcher; NotFound otherwise."""
    booking = session.get(Booking, booking_id)
    if booking is None:
        raise NotFound("no such booking")
    if actor.role in (Role.DISPATCHER, Role.ADMIN) or booking.rider_id == actor.id:
        return booking
    # A rider must not learn that somebody else's booking exists.
    raise NotFound("no such booking")


def skip_day(session: Session, booking: Booking, day: dt.date) -> Booking:
    """Mark a day this booking is not wanted; skipping twice is harmless."""
    if day < booking.valid_from or (booking.valid_until and day > booking.valid_until):
        raise InvalidInput({"date": "the booking does not run on that date"})
    if weekday_name(day) not in booking.weekdays.split(","):
        raise InvalidInput({"date": f"the booking does not run on {weekday_name(day)}"})
    if all(skip.date != day for skip in booking.skips):
        booking.skips.append(BookingSkip(date=day))
    session.flush()
    return booking


def unskip_day(session: Session, booking: Booking, day: dt.date) -> Booking:
    for skip in list(booking.skips):
        if skip.date == day:
            booking.skips.remove(skip)
    session.flush()
    return booking


def end_booking(session: Session, booking: Booking, last_day: dt.date) -> Booking:
    """Stop a booking after `last_day` (the day before a new booking starts, say)."""
    if last_day < booking.valid_from:
        session.delete(booking)
    else:
        booking.valid_until = last_day
    session.flush()
    return booking


def rider_bookings(session: Session, rider_id: int, today: dt.date) -> list[Booking]:
    """A rider's bookings that have not ended."""
    return list(
        session.scalars(
            select(Booking)
            .where(Booking.rider_id == rider_id)
            .where(or_(Booking.valid_until.is_(None), Booking.valid_until >= today))
            .options(selectinload(Booking.skips))
            .order_by(Booking.half, Booking.time_s, Booking.id)
        )
    )


def bookings_on(session: Session, day: dt.date, half: Half | str) -> list[Booking]:
    """The bookings that want a ride on this date and half-day (skips left out)."""
    candidates = session.scalars(
        select(Booking)
        .join(Person, Person.id == Booking.rider_id)
        .where(Person.active.is_(True))
        .where(Booking.half == Half(half))
        .where(Booking.valid_from <= day)
        .where(or_(Booking.valid_until.is_(None), Booking.valid_until >= day))
        .options(
            selectinload(Booking.skips),
            selectinload(Booking.from_place),
            selectinload(Booking.to_place),
            selectinload(Booking.rider),
        )
        .order_by(Booking.id)
    )
    name = weekday_name(day)
    return [b for b in candidates if name in b.weekdays.split(",") and all(s.date != day for s in b.skips)]
