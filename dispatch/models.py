"""The carpool's tables: people, cars, places, bookings, plans and the event log.

Typed SQLAlchemy 2 models and nothing else: no Flask, no sessions. Times of day
inside a plan are stored as integer seconds since midnight of the service day,
the same unit the router works in, so nothing is converted twice.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Named constraints keep Alembic's batch mode (SQLite) able to drop and rebuild them.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Role(str, enum.Enum):
    RIDER = "rider"
    DRIVER = "driver"
    DISPATCHER = "dispatcher"
    ADMIN = "admin"


class Half(str, enum.Enum):
    """A half-day of service: the morning run to work, the evening run home."""

    MORNING = "morning"
    EVENING = "evening"


class PlaceKind(str, enum.Enum):
    PICKUP = "pickup"  # a pick-up station, where riders gather in the morning
    DISPATCH = "dispatch"  # a dispatch station, where riders gather in the evening
    PARKING = "parking"  # where cars are kept and dispatchers work
    WORKPLACE = "workplace"
    HOME = "home"  # a rider's or driver's door: personal, never listed publicly
    OTHER = "other"


class TimeKind(str, enum.Enum):
    ARRIVE_BY = "arrive_by"
    LEAVE_AFTER = "leave_after"


class PlanStatus(str, enum.Enum):
    DRAFT = "draft"  # made by the solver, not yet shown to drivers
    PUBLISHED = "published"  # the plan in force for its date and half-day
    DISCARDED = "discarded"  # a draft the dispatcher threw away
    SUPERSEDED = "superseded"  # replaced by a newer plan


class StopKind(str, enum.Enum):
    PICKUP = "pickup"
    DROPOFF = "dropoff"


class StopStatus(str, enum.Enum):
    PLANNED = "planned"
    PICKED_UP = "picked_up"
    DROPPED_OFF = "dropped_off"
    NO_SHOW = "no_show"


class JobStatus(str, enum.Enum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    # Store the value ("morning"), not the member name, and as a CHECK rather
    # than a native type so SQLite and PostgreSQL hold the same schema.
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=20,
        values_callable=lambda members: [m.value for m in members],
    )


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Person(Base):
    """Anyone the carpool knows: riders, drivers, dispatchers and admins.

    A rider booked by a dispatcher over the phone has no password and cannot
    log in; everyone else logs in with their username.
    """

    __tablename__ = "person"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[Role] = mapped_column(_enum(Role, "role"))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    phone: Mapped[str | None] = mapped_column(String(40))
    active: Mapped[bool] = mapped_column(default=True)
    # Part of every login session; bumping it logs the person out everywhere.
    session_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)

    @property
    def first_name(self) -> str:
        return self.name.split()[0] if self.name.strip() else self.username


class Place(Base):
    """A named point: a station, the parking lot, a workplace or someone's home."""

    __tablename__ = "place"
    __table_args__ = (
        CheckConstraint("lat BETWEEN -90 AND 90", name="lat_range"),
        CheckConstraint("lon BETWEEN -180 AND 180", name="lon_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[PlaceKind] = mapped_column(_enum(PlaceKind, "place_kind"))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    # A home belongs to a person and goes when they do.
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)


class Vehicle(Base):
    """A car in the pool: seats for riders (the driver's not counted) and wheelchair spaces."""

    __tablename__ = "vehicle"
    __table_args__ = (
        CheckConstraint("seats >= 1", name="seats_positive"),
        CheckConstraint("wheelchair >= 0", name="wheelchair_nonnegative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    seats: Mapped[int] = mapped_column(Integer)
    wheelchair: Mapped[int] = mapped_column(Integer, default=0)
    driver_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"), index=True)
    base_place_id: Mapped[int] = mapped_column(ForeignKey("place.id"))
    in_service: Mapped[bool] = mapped_column(default=True)
    # Why a car is off the road ("broke down", "no driver today"), while it is.
    out_of_service_reason: Mapped[str | None] = mapped_column(String(200))
    # The last position the driver's phone shared, if any.
    last_lat: Mapped[float | None] = mapped_column(Float)
    last_lon: Mapped[float | None] = mapped_column(Float)
    last_seen_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    driver: Mapped[Person | None] = relationship()
    base: Mapped[Place] = relationship()


class Booking(Base):
    """A rider's regular ride: from a place to a place, on some weekdays, one half-day.

    Morning rides usually say when the rider must arrive (arrive-by); evening
    rides say when they can leave (leave-after).
    """

    __tablename__ = "booking"
    __table_args__ = (
        CheckConstraint("seats >= 1", name="seats_positive"),
        CheckConstraint("time_s >= 0 AND time_s < 86400", name="time_in_day"),
        CheckConstraint("from_place_id <> to_place_id", name="distinct_places"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rider_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    from_place_id: Mapped[int] = mapped_column(ForeignKey("place.id"))
    to_place_id: Mapped[int] = mapped_column(ForeignKey("place.id"))
    half: Mapped[Half] = mapped_column(_enum(Half, "half"))
    # Comma-separated weekday names, "mon,tue,wed,thu,fri".
    weekdays: Mapped[str] = mapped_column(String(40))
    time_kind: Mapped[TimeKind] = mapped_column(_enum(TimeKind, "time_kind"))
    time_s: Mapped[int] = mapped_column(Integer)
    valid_from: Mapped[dt.date] = mapped_column(Date)
    valid_until: Mapped[dt.date | None] = mapped_column(Date)
    seats: Mapped[int] = mapped_column(Integer, default=1)
    wheelchair: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)

    rider: Mapped[Person] = relationship()
    from_place: Mapped[Place] = relationship(foreign_keys=[from_place_id])
    to_place: Mapped[Place] = relationship(foreign_keys=[to_place_id])
    skips: Mapped[list[BookingSkip]] = relationship(
        back_populates="booking", cascade="all, delete-orphan", order_by="BookingSkip.date"
    )


class BookingSkip(Base):
    """A day a regular ride is not wanted."""

    __tablename__ = "booking_skip"
    __table_args__ = (UniqueConstraint("booking_id", "date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("booking.id", ondelete="CASCADE"))
    date: Mapped[dt.date] = mapped_column(Date)

    booking: Mapped[Booking] = relationship(back_populates="skips")


class Plan(Base):
    """The routes for one date and half-day, as the solver made them."""

    __tablename__ = "plan"

    id: Mapped[int] = mapped_column(primary_key=True)
    service_date: Mapped[dt.date] = mapped_column(Date, index=True)
    half: Mapped[Half] = mapped_column(_enum(Half, "half"))
    status: Mapped[PlanStatus] = mapped_column(_enum(PlanStatus, "plan_status"))
    requests: Mapped[int] = mapped_column(Integer)
    served: Mapped[int] = mapped_column(Integer)
    drive_s: Mapped[int] = mapped_column(Integer)
    distance_m: Mapped[int] = mapped_column(Integer)
    solve_s: Mapped[float] = mapped_column(Float)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))

    routes: Mapped[list[Route]] = relationship(back_populates="plan", cascade="all, delete-orphan", order_by="Route.id")
    unassigned: Mapped[list[UnassignedRide]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="UnassignedRide.id"
    )


class Route(Base):
    """One car's trip within a plan: where it starts, its stops in order, where it ends."""

    __tablename__ = "route"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id", ondelete="CASCADE"), index=True)
    vehicle_id: Mapped[int] = mapped_column(ForeignKey("vehicle.id"), index=True)
    driver_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"), index=True)
    # The start is often the driver's home: old plans forget it (see privacy purge).
    start_lat: Mapped[float | None] = mapped_column(Float)
    start_lon: Mapped[float | None] = mapped_column(Float)
    start_s: Mapped[int] = mapped_column(Integer)
    end_lat: Mapped[float | None] = mapped_column(Float)
    end_lon: Mapped[float | None] = mapped_column(Float)
    end_s: Mapped[int] = mapped_column(Integer)
    drive_s: Mapped[int] = mapped_column(Integer)
    distance_m: Mapped[int] = mapped_column(Integer)
    # Bumped on every change, so two dispatchers editing one route are caught.
    version: Mapped[int] = mapped_column(Integer, default=1)

    plan: Mapped[Plan] = relationship(back_populates="routes")
    vehicle: Mapped[Vehicle] = relationship()
    driver: Mapped[Person | None] = relationship()
    stops: Mapped[list[Stop]] = relationship(back_populates="route", cascade="all, delete-orphan", order_by="Stop.seq")

    # Set by hand (version_id_generator False) so that any change to a stop can
    # bump its route; the UPDATE still checks the old number.
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}


class Stop(Base):
    """A pick-up or drop-off of one booking, with its planned times and what happened."""

    __tablename__ = "stop"
    __table_args__ = (UniqueConstraint("route_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    route_id: Mapped[int] = mapped_column(ForeignKey("route.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[StopKind] = mapped_column(_enum(StopKind, "stop_kind"))
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("booking.id", ondelete="SET NULL"), index=True)
    rider_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"), index=True)
    # Null once a home is forgotten (old plans, deleted riders); stations stay.
    place_id: Mapped[int | None] = mapped_column(ForeignKey("place.id", ondelete="SET NULL"))
    arrive_s: Mapped[int] = mapped_column(Integer)
    start_s: Mapped[int] = mapped_column(Integer)
    depart_s: Mapped[int] = mapped_column(Integer)
    load: Mapped[int] = mapped_column(Integer)
    status: Mapped[StopStatus] = mapped_column(_enum(StopStatus, "stop_status"), default=StopStatus.PLANNED)
    status_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    route: Mapped[Route] = relationship(back_populates="stops")
    rider: Mapped[Person | None] = relationship()
    place: Mapped[Place | None] = relationship()


class UnassignedRide(Base):
    """A booking the plan could not carry, and why."""

    __tablename__ = "unassigned_ride"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id", ondelete="CASCADE"), index=True)
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("booking.id", ondelete="SET NULL"), index=True)
    reason: Mapped[str] = mapped_column(Text)

    plan: Mapped[Plan] = relationship(back_populates="unassigned")
    booking: Mapped[Booking | None] = relationship()


class Job(Base):
    """A long piece of work (a solve) run outside the web request, with its progress.

    Kept in the database so that a board on any worker, or one that reconnects,
    can see how it is going.
    """

    __tablename__ = "job"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    status: Mapped[JobStatus] = mapped_column(_enum(JobStatus, "job_status"))
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    progress: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plan.id", ondelete="SET NULL"))
    error: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class Event(Base):
    """The day's log: who did what, when. Never updated."""

    __tablename__ = "event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now, server_default=func.now())
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(40), index=True)
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plan.id", ondelete="SET NULL"))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class AuditEntry(Base):
    """Who viewed or changed whose personal data, and when. Never updated."""

    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(40))  # "view", "change", "delete", "purge"
    # Whose data; kept as a plain number so the entry outlives the person.
    subject_id: Mapped[int | None] = mapped_column(Integer, index=True)
    what: Mapped[str] = mapped_column(String(200))


class Invite(Base):
    """An admin's invitation for a new dispatcher (or driver): a one-time link."""

    __tablename__ = "invite"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(128), unique=True)
    role: Mapped[Role] = mapped_column(_enum(Role, "role"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
