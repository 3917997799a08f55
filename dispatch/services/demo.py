"""Load a generated Montgomery demo world into an empty database."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from data.demo import DemoWorld
from dispatch.errors import Conflict
from dispatch.models import Booking, Half, Person, Place, PlaceKind, Role, TimeKind, Vehicle
from dispatch.settings import hhmm_to_s


def next_service_day(today: dt.date) -> dt.date:
    """The day the demo plans unless told: tomorrow, or the Monday after when tomorrow
    falls on a weekend. Most demo riders ride Monday to Friday (`data.demo`): a Saturday
    carries a tenth of them and a Sunday nobody, so a demo run on a Friday or Saturday
    would open on an almost empty board."""
    day = today + dt.timedelta(days=1)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


@dataclass(frozen=True)
class DemoAccounts:
    """The usernames created, by role, in the order they were made."""

    admin: str
    dispatcher: str
    drivers: tuple[str, ...]
    riders: tuple[str, ...]


def load_demo(
    session: Session,
    world: DemoWorld,
    *,
    password: str,
    start_date: dt.date,
    tick: Callable[[int], None] | None = None,
) -> DemoAccounts:
    """Store `world` with an account for each person, all with `password`.

    Accounts: `admin`, `dispatcher`, `driver-N` for car N, `rider-N`. Bookings
    run from `start_date`. Refuses to load into a database that has people.
    """
    if session.scalar(select(func.count()).select_from(Person)):
        raise Conflict("the database already has people in it; use a fresh database for the demo")
    tick = tick or (lambda _n: None)
    # One hash for everyone: hashing is slow on purpose, and a demo of
    # thousands of accounts should still start in seconds.
    password_hash = generate_password_hash(password)

    def person(username: str, name: str, role: Role) -> Person:
        p = Person(username=username, name=name, role=role, password_hash=password_hash)
        session.add(p)
        return p

    person("admin", "Administrator", Role.ADMIN)
    person("dispatcher", "Dispatcher on duty", Role.DISPATCHER)
    people = {p.key: person(p.key, p.name, Role(p.role)) for p in world.people}
    session.flush()
    tick(len(people) + 2)

    owners = {p.home.key: people[p.key] for p in world.people if p.home is not None}
    places: dict[str, Place] = {}
    for demo_place in world.places:
        kind = PlaceKind(demo_place.kind) if demo_place.kind in PlaceKind._value2member_map_ else None
        if kind is None:  # neighbourhood centroids only seed the generator
            continue
        owner = owners.get(demo_place.key)
        place = Place(
            name=demo_place.name,
            kind=kind,
            lat=demo_place.lat,
            lon=demo_place.lon,
            owner_id=owner.id if owner else None,
        )
        session.add(place)
        places[demo_place.key] = place
    session.flush()
    tick(len(places))

    for demo_vehicle in world.vehicles:
        session.add(
            Vehicle(
                name=demo_vehicle.name,
                seats=demo_vehicle.seats,
                wheelchair=demo_vehicle.wheelchair,
                driver_id=people[demo_vehicle.driver_key].id,
                base_place_id=places[demo_vehicle.base.key].id,
            )
        )
    session.flush()
    tick(len(world.vehicles))

    for demo_booking in world.bookings:
        session.add(
            Booking(
                rider_id=people[demo_booking.rider_key].id,
                from_place_id=places[demo_booking.from_key].id,
                to_place_id=places[demo_booking.to_key].id,
                half=Half(demo_booking.half),
                weekdays=",".join(demo_booking.weekdays),
                time_kind=TimeKind(demo_booking.time_kind),
                time_s=hhmm_to_s(demo_booking.time),
                valid_from=start_date,
                seats=demo_booking.seats,
                wheelchair=demo_booking.wheelchair,
            )
        )
    session.flush()
    tick(len(world.bookings))
    vehicles = sorted(world.vehicles, key=lambda v: int(v.key.split("-")[1]))
    return DemoAccounts(
        admin="admin",
        dispatcher="dispatcher",
        drivers=tuple(v.driver_key for v in vehicles),
        riders=tuple(p.key for p in world.people if p.role == "rider"),
    )
