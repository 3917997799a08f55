"""The Montgomery demo world: the places file and the seeded generator."""

from collections import Counter

import pytest

from data.demo import (
    EXCLUDED_SURNAMES,
    HOME_KIND,
    LAT_RANGE,
    LON_RANGE,
    PLACE_KINDS,
    DemoBooking,
    DemoWorld,
    generate_demo,
    load_places,
)


@pytest.fixture(scope="module")
def world() -> DemoWorld:
    return generate_demo()


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def _in_montgomery(lat: float, lon: float) -> bool:
    return LAT_RANGE[0] <= lat <= LAT_RANGE[1] and LON_RANGE[0] <= lon <= LON_RANGE[1]


# --- places.csv ---


def test_places_load_with_every_kind_and_realistic_station_counts():
    places = load_places()
    kinds = Counter(p.kind for p in places)
    assert set(kinds) == PLACE_KINDS
    assert 20 <= kinds["pickup"] <= 30
    assert 15 <= kinds["dispatch"] <= 20
    assert kinds["parking"] == 1
    assert len({p.key for p in places}) == len(places)


def test_poseys_lot_and_the_documented_stations_are_there():
    by_key = {p.key: p for p in load_places()}
    assert by_key["poseys-parking-lot"].name == "Posey's Parking Lot"
    assert by_key["poseys-parking-lot"].kind == "parking"
    assert by_key["bell-street-baptist"].kind == "dispatch"
    assert by_key["holt-street-baptist"].name == "Holt Street Baptist Church"


def test_synthetic_stations_say_so_in_their_names():
    for place in load_places():
        if place.key.startswith(("pickup-s", "dispatch-s")):
            assert "(synthetic)" in place.name


def test_every_listed_place_lies_in_montgomery():
    for place in load_places():
        assert _in_montgomery(place.lat, place.lon), place.key


# --- the generator ---


def test_the_same_seed_gives_the_same_world():
    assert generate_demo(seed=7) == generate_demo(seed=7)
    assert generate_demo() == generate_demo(60, 12, 1955)


def test_a_different_seed_gives_a_different_world():
    a, b = generate_demo(seed=1), generate_demo(seed=2)
    assert a.people != b.people
    assert a.bookings != b.bookings


def test_default_size_and_key_order(world):
    riders = [p for p in world.people if p.role == "rider"]
    drivers = [p for p in world.people if p.role == "driver"]
    assert [p.key for p in riders] == [f"rider-{i}" for i in range(1, 61)]
    assert [p.key for p in drivers] == [f"driver-{i}" for i in range(1, 13)]
    assert [v.key for v in world.vehicles] == [f"car-{i}" for i in range(1, 13)]
    assert [v.driver_key for v in world.vehicles] == [p.key for p in drivers]
    assert len(world.bookings) == 120


@pytest.mark.parametrize(("riders", "cars"), [(1, 1), (5, 2), (300, 40)])
def test_other_sizes(riders, cars):
    world = generate_demo(riders=riders, cars=cars, seed=3)
    assert sum(p.role == "rider" for p in world.people) == riders
    assert sum(p.role == "driver" for p in world.people) == cars
    assert len(world.vehicles) == cars
    assert len(world.bookings) == 2 * riders
    if any(b.wheelchair for b in world.bookings):
        assert any(v.wheelchair for v in world.vehicles)


def test_bookings_reference_existing_places_and_riders(world):
    place_keys = {p.key for p in world.places}
    rider_keys = {p.key for p in world.people if p.role == "rider"}
    assert len(place_keys) == len(world.places)
    for booking in world.bookings:
        assert booking.rider_key in rider_keys
        assert booking.from_key in place_keys
        assert booking.to_key in place_keys


def test_every_rider_goes_to_work_and_comes_back_to_the_same_point(world):
    kind = {p.key: p.kind for p in world.places}
    by_rider: dict[str, dict[str, DemoBooking]] = {}
    for booking in world.bookings:
        assert booking.half not in by_rider.get(booking.rider_key, {})
        by_rider.setdefault(booking.rider_key, {})[booking.half] = booking
    assert len(by_rider) == 60
    for rider, halves in by_rider.items():
        morning, evening = halves["morning"], halves["evening"]
        assert morning.time_kind == "arrive_by" and evening.time_kind == "leave_after"
        assert kind[morning.from_key] in {"pickup", HOME_KIND}
        assert kind[morning.to_key] == "workplace"
        assert kind[evening.from_key] in {"dispatch", "workplace"}
        assert evening.to_key == morning.from_key
        assert evening.weekdays == morning.weekdays
        assert evening.wheelchair == morning.wheelchair
        if kind[morning.from_key] == HOME_KIND:
            assert morning.from_key == f"home-{rider}"


def test_times_are_on_the_quarter_hour_within_the_windows(world):
    mornings = [b for b in world.bookings if b.half == "morning"]
    for booking in world.bookings:
        minutes = _minutes(booking.time)
        assert minutes % 15 == 0
        if booking.half == "morning":
            assert _minutes("06:30") <= minutes <= _minutes("08:30")
        else:
            assert _minutes("15:00") <= minutes <= _minutes("18:30")
    peak = sum(_minutes("07:00") <= _minutes(b.time) <= _minutes("08:00") for b in mornings)
    assert peak > len(mornings) / 2


def test_most_riders_use_a_station_and_some_are_picked_up_at_home(world):
    kind = {p.key: p.kind for p in world.places}
    mornings = [b for b in world.bookings if b.half == "morning"]
    at_home = sum(kind[b.from_key] == HOME_KIND for b in mornings)
    assert at_home == 12  # 20 % of 60
    assert all(kind[b.from_key] == HOME_KIND for b in mornings if b.wheelchair)


def test_weekday_patterns(world):
    patterns = Counter(b.weekdays for b in world.bookings if b.half == "morning")
    assert patterns.most_common(1)[0][0] == ("mon", "tue", "wed", "thu", "fri")
    assert all(days[0] == "mon" for days in patterns)


def test_every_coordinate_lies_in_montgomery():
    for seed in range(5):
        world = generate_demo(riders=200, cars=20, seed=seed)
        for place in world.places:
            assert _in_montgomery(place.lat, place.lon), place.key
        for person in world.people:
            assert person.home is not None and person.home.kind == HOME_KIND


def test_cars_are_mostly_sedans_with_a_few_church_wagons(world):
    sedans = [v for v in world.vehicles if v.name.startswith("Car ")]
    wagons = [v for v in world.vehicles if v.name.startswith("Station wagon, ")]
    assert len(sedans) + len(wagons) == 12
    assert len(wagons) == 2
    assert all(v.seats == 4 for v in sedans)
    assert all(v.seats in (6, 7) for v in wagons)
    homes = {p.key: p.home for p in world.people}
    assert all(v.base == homes[v.driver_key] for v in world.vehicles)


def test_the_default_fleet_can_carry_every_morning_slot(world):
    mornings = [b for b in world.bookings if b.half == "morning"]
    seats = sum(v.seats for v in world.vehicles)
    assert seats >= 40
    assert max(Counter(b.time for b in mornings).values()) <= seats / 2
    wheelchair_riders = sum(b.wheelchair for b in mornings)
    assert wheelchair_riders == 1  # about 2 % of 60
    assert sum(v.wheelchair for v in world.vehicles) >= wheelchair_riders


def test_people_have_distinct_invented_names(world):
    names = [p.name for p in world.people]
    assert len(set(names)) == len(names)
    assert not {name.split()[-1] for name in names} & EXCLUDED_SURNAMES


@pytest.mark.parametrize(("kwargs", "argument"), [
    ({"riders": 0}, "riders"),
    ({"riders": -3}, "riders"),
    ({"cars": 0}, "cars"),
])  # fmt: skip
def test_counts_below_one_are_refused(kwargs, argument):
    with pytest.raises(ValueError, match=argument):
        generate_demo(**kwargs)


@pytest.mark.parametrize(("kwargs", "argument"), [
    ({"riders": 2.5}, "riders"),
    ({"cars": "12"}, "cars"),
    ({"riders": True}, "riders"),
    ({"seed": None}, "seed"),
])  # fmt: skip
def test_non_integer_arguments_are_refused(kwargs, argument):
    with pytest.raises(TypeError, match=argument):
        generate_demo(**kwargs)
