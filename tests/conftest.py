"""Fixtures that build small carpool worlds on a real database.

Database tests run on SQLite always, and on PostgreSQL too when
CARPOOL_TEST_DATABASE_URL is set (each test gets its own schema there).
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.security import generate_password_hash

from dispatch.db import make_engine, make_session_factory
from dispatch.migrate import upgrade
from dispatch.models import Booking, Half, Person, Place, PlaceKind, Role, TimeKind, Vehicle

PG_URL = os.environ.get("CARPOOL_TEST_DATABASE_URL")
PASSWORD = "correct horse battery"
# A Friday, so weekday bookings run on it.
SERVICE_DAY = dt.date(2026, 12, 4)
# Hashing is slow on purpose; one hash serves every test person.
PASSWORD_HASH = generate_password_hash(PASSWORD)

BACKENDS = [
    "sqlite",
    pytest.param(
        "postgres",
        marks=[
            pytest.mark.postgres,
            pytest.mark.skipif(not PG_URL, reason="CARPOOL_TEST_DATABASE_URL is not set"),
        ],
    ),
]


def _new_database(backend: str, tmp_path: object) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path}/carpool.db"
        return
    assert PG_URL
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_URL)
    with admin.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    sep = "&" if "?" in PG_URL else "?"
    try:
        yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def any_database_url(request: pytest.FixtureRequest, tmp_path: object) -> Iterator[str]:
    """An empty database on each backend in turn."""
    yield from _new_database(request.param, tmp_path)


@pytest.fixture
def database_url(tmp_path: object) -> Iterator[str]:
    """An empty SQLite database (for tests where the backend does not matter)."""
    yield from _new_database("sqlite", tmp_path)


@pytest.fixture
def migrated_url(any_database_url: str) -> str:
    upgrade(any_database_url)
    return any_database_url


@pytest.fixture
def factory(migrated_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(migrated_url)
    yield make_session_factory(engine)
    engine.dispose()


@dataclass
class World:
    """A small carpool: a few stations, workplaces, cars with drivers, riders."""

    session: Session
    places: dict[str, Place] = field(default_factory=dict)
    people: dict[str, Person] = field(default_factory=dict)
    vehicles: dict[str, Vehicle] = field(default_factory=dict)

    def place(self, key: str, lat: float, lon: float, kind: PlaceKind = PlaceKind.PICKUP,
              owner: Person | None = None) -> Place:  # fmt: skip
        place = Place(name=key.replace("-", " ").title(), kind=kind, lat=lat, lon=lon,
                      owner_id=owner.id if owner else None)  # fmt: skip
        self.session.add(place)
        self.session.flush()
        self.places[key] = place
        return place

    def person(self, username: str, role: Role, name: str | None = None) -> Person:
        person = Person(username=username, name=name or username.title(), role=role,
                        password_hash=PASSWORD_HASH)  # fmt: skip
        self.session.add(person)
        self.session.flush()
        self.people[username] = person
        return person

    def car(self, key: str, driver: Person, base: Place, seats: int = 4, wheelchair: int = 0) -> Vehicle:
        vehicle = Vehicle(name=key.replace("-", " ").title(), seats=seats, wheelchair=wheelchair,
                          driver_id=driver.id, base_place_id=base.id)  # fmt: skip
        self.session.add(vehicle)
        self.session.flush()
        self.vehicles[key] = vehicle
        return vehicle

    def booking(self, rider: Person, from_key: str, to_key: str, *, half: str = "morning",
                time: str = "07:30", weekdays: str = "mon,tue,wed,thu,fri",
                valid_from: dt.date = SERVICE_DAY - dt.timedelta(days=7),
                wheelchair: int = 0) -> Booking:  # fmt: skip
        hours, minutes = map(int, time.split(":"))
        booking = Booking(
            rider_id=rider.id, from_place_id=self.places[from_key].id,
            to_place_id=self.places[to_key].id, half=Half(half), weekdays=weekdays,
            time_kind=TimeKind.ARRIVE_BY if half == "morning" else TimeKind.LEAVE_AFTER,
            time_s=hours * 3600 + minutes * 60, valid_from=valid_from, wheelchair=wheelchair,
        )  # fmt: skip
        self.session.add(booking)
        self.session.flush()
        return booking


def build_small_world(session: Session) -> World:
    """Two cars (driver-1, driver-2), three riders, two stations, one workplace, staff."""
    w = World(session)
    w.person("admin", Role.ADMIN, "Ada Admin")
    w.person("dispatcher", Role.DISPATCHER, "Dora Dispatcher")
    d1 = w.person("driver-1", Role.DRIVER, "Rufus Lewis")
    d2 = w.person("driver-2", Role.DRIVER, "Jo Ann Robinson")
    r1 = w.person("rider-1", Role.RIDER, "Mary Fair")
    r2 = w.person("rider-2", Role.RIDER, "Georgia Gilmore")
    r3 = w.person("rider-3", Role.RIDER, "Claudette King")
    w.place("holt-street", 32.36472, -86.32028)
    w.place("mt-zion", 32.36833, -86.32056)
    w.place("court-square", 32.3773, -86.3088, PlaceKind.WORKPLACE)
    w.place("posey-lot", 32.3788, -86.305, PlaceKind.PARKING)
    w.place("home-r3", 32.3600, -86.3250, PlaceKind.HOME, owner=r3)
    w.car("car-1", d1, w.places["posey-lot"])
    w.car("car-2", d2, w.places["posey-lot"])
    w.booking(r1, "holt-street", "court-square", time="07:30")
    w.booking(r2, "mt-zion", "court-square", time="07:45")
    w.booking(r3, "home-r3", "court-square", time="08:00")
    w.booking(r1, "court-square", "holt-street", half="evening", time="16:30")
    return w


@pytest.fixture
def world(factory: sessionmaker[Session]) -> Iterator[World]:
    """The small world, committed; the session stays open for the test to read."""
    session = factory()
    w = build_small_world(session)
    session.commit()
    yield w
    session.close()
