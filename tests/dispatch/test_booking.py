"""Riders' bookings: what is checked, and which rides a day wants."""

from __future__ import annotations

import datetime as dt

import pytest

from dispatch.errors import InvalidInput, NotFound
from dispatch.models import Booking, Half
from dispatch.services import booking as svc
from tests.conftest import SERVICE_DAY, World


def _request(world: World, **changes: object) -> svc.BookingRequest:
    values: dict[str, object] = dict(
        rider_id=world.people["rider-2"].id,
        from_place_id=world.places["mt-zion"].id,
        to_place_id=world.places["court-square"].id,
        half="morning",
        weekdays=("mon", "wed"),
        time_kind="arrive_by",
        time_s=7 * 3600,
        valid_from=SERVICE_DAY,
    )
    values.update(changes)
    return svc.BookingRequest(**values)  # type: ignore[arg-type]


def test_add_booking_stores_it(world: World) -> None:
    booking = svc.add_booking(world.session, _request(world))
    world.session.commit()
    stored = world.session.get(Booking, booking.id)
    assert stored is not None
    assert stored.weekdays == "mon,wed"
    assert stored.half == Half.MORNING


def test_bad_booking_names_every_bad_field_and_stores_nothing(world: World) -> None:
    before = len(world.session.query(Booking).all())
    with pytest.raises(InvalidInput) as caught:
        svc.add_booking(
            world.session,
            _request(world, from_place_id=9999, weekdays=("funday",), half="noon",
                     valid_until=SERVICE_DAY - dt.timedelta(days=1)),
        )  # fmt: skip
    world.session.rollback()
    assert set(caught.value.fields) == {"from_place_id", "weekdays", "half", "valid_until"}
    assert "funday" in caught.value.fields["weekdays"]
    assert len(world.session.query(Booking).all()) == before


def test_a_rider_cannot_book_from_somebody_elses_home(world: World) -> None:
    with pytest.raises(InvalidInput) as caught:
        svc.add_booking(world.session, _request(world, from_place_id=world.places["home-r3"].id))
    assert caught.value.fields == {"from_place_id": "that is somebody else's home"}


def test_bookings_on_a_day_follow_weekdays_dates_and_skips(world: World) -> None:
    morning = svc.bookings_on(world.session, SERVICE_DAY, "morning")
    assert [b.rider.username for b in morning] == ["rider-1", "rider-2", "rider-3"]
    saturday = SERVICE_DAY + dt.timedelta(days=1)
    assert svc.bookings_on(world.session, saturday, "morning") == []

    skipped = morning[1]
    svc.skip_day(world.session, skipped, SERVICE_DAY)
    world.session.commit()
    assert [b.rider.username for b in svc.bookings_on(world.session, SERVICE_DAY, "morning")] == [
        "rider-1",
        "rider-3",
    ]
    next_week = SERVICE_DAY + dt.timedelta(days=7)
    assert skipped in svc.bookings_on(world.session, next_week, "morning")

    svc.unskip_day(world.session, skipped, SERVICE_DAY)
    assert skipped in svc.bookings_on(world.session, SERVICE_DAY, "morning")


def test_skipping_a_day_the_booking_does_not_run_is_refused(world: World) -> None:
    booking = svc.bookings_on(world.session, SERVICE_DAY, "morning")[0]
    with pytest.raises(InvalidInput) as caught:
        svc.skip_day(world.session, booking, SERVICE_DAY + dt.timedelta(days=1))
    assert "sat" in caught.value.fields["date"]


def test_ended_booking_no_longer_runs(world: World) -> None:
    booking = svc.bookings_on(world.session, SERVICE_DAY, "morning")[0]
    svc.end_booking(world.session, booking, SERVICE_DAY - dt.timedelta(days=1))
    assert booking not in svc.bookings_on(world.session, SERVICE_DAY, "morning")


def test_riders_cannot_see_each_others_bookings(world: World) -> None:
    booking = svc.bookings_on(world.session, SERVICE_DAY, "morning")[0]  # rider-1's
    with pytest.raises(NotFound):
        svc.booking_for(world.session, booking.id, world.people["rider-2"])
    assert svc.booking_for(world.session, booking.id, world.people["dispatcher"]) is booking
