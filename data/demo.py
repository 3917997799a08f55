"""The Montgomery demo world: places from ``places.csv`` and a seeded generator.

Pure Python on purpose: no database, no Flask, no solver. ``dispatch`` can load a
``DemoWorld`` into its tables and ``routing`` tests can build problems from it,
and both get the same world for the same seed.

What is sourced and what is invented is set out in ``data/README.md``. In short:
the stations are candidates or synthetic, and every person, car and booking is
invented.
"""

from __future__ import annotations

import csv
import io
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources

__all__ = [
    "DemoBooking",
    "DemoPerson",
    "DemoPlace",
    "DemoVehicle",
    "DemoWorld",
    "EXCLUDED_SURNAMES",
    "HOME_KIND",
    "LAT_RANGE",
    "LON_RANGE",
    "PLACE_KINDS",
    "WEEKDAYS",
    "generate_demo",
    "load_places",
]

#: Kinds of place in ``places.csv``.
PLACE_KINDS = frozenset({"pickup", "dispatch", "parking", "workplace", "neighbourhood"})
#: The kind of the generated homes of riders and drivers.
HOME_KIND = "home"
#: Every demo coordinate lies in this box around Montgomery, Alabama.
LAT_RANGE = (32.33, 32.43)
LON_RANGE = (-86.37, -86.23)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

_HALVES = {"morning": "arrive_by", "evening": "leave_after"}
_METRES_PER_DEGREE_LAT = 111_320.0


@dataclass(frozen=True)
class DemoPlace:
    key: str
    name: str
    kind: str
    lat: float
    lon: float

    def __post_init__(self) -> None:
        if self.kind not in PLACE_KINDS and self.kind != HOME_KIND:
            raise ValueError(f"place {self.key!r}: unknown kind {self.kind!r}")
        if not (LAT_RANGE[0] <= self.lat <= LAT_RANGE[1]) or not (
            LON_RANGE[0] <= self.lon <= LON_RANGE[1]
        ):
            raise ValueError(
                f"place {self.key!r}: ({self.lat}, {self.lon}) lies outside Montgomery"
            )


@dataclass(frozen=True)
class DemoPerson:
    key: str
    name: str
    role: str  # "rider" | "driver"
    home: DemoPlace | None


@dataclass(frozen=True)
class DemoVehicle:
    key: str
    name: str
    seats: int  # passenger seats, not counting the driver
    wheelchair: int  # wheelchair spaces
    driver_key: str
    base: DemoPlace  # where the car starts the day: its driver's home


@dataclass(frozen=True)
class DemoBooking:
    """A standing booking: one rider, one half of the day, on the given weekdays.

    ``wheelchair=1`` means the rider also needs the car's wheelchair space (for
    the folded chair); they still take a seat, so ``seats`` stays 1.
    """

    rider_key: str
    from_key: str
    to_key: str
    half: str  # "morning" | "evening"
    weekdays: tuple[str, ...]
    time_kind: str  # "arrive_by" (morning) | "leave_after" (evening)
    time: str  # "HH:MM"
    seats: int = 1
    wheelchair: int = 0

    def __post_init__(self) -> None:
        if _HALVES.get(self.half) != self.time_kind:
            raise ValueError(
                f"booking of {self.rider_key}: half {self.half!r} with {self.time_kind!r}"
            )
        if not self.weekdays or any(day not in WEEKDAYS for day in self.weekdays):
            raise ValueError(f"booking of {self.rider_key}: bad weekdays {self.weekdays!r}")
        if len(self.time) != 5 or self.time[2] != ":" or not 0 <= _minutes(self.time) < 24 * 60:
            raise ValueError(f"booking of {self.rider_key}: bad time {self.time!r}")
        if self.from_key == self.to_key:
            raise ValueError(f"booking of {self.rider_key}: goes from {self.from_key} to itself")


@dataclass(frozen=True)
class DemoWorld:
    """Places (those of ``places.csv``, then the homes), people, cars and bookings."""

    places: tuple[DemoPlace, ...]
    people: tuple[DemoPerson, ...]
    vehicles: tuple[DemoVehicle, ...]
    bookings: tuple[DemoBooking, ...]


@cache
def load_places() -> tuple[DemoPlace, ...]:
    """Read ``data/places.csv`` in file order; raise ValueError on a bad row."""
    text = resources.files(__package__).joinpath("places.csv").read_text(encoding="utf-8")
    places: list[DemoPlace] = []
    seen: set[str] = set()
    for line, row in enumerate(csv.DictReader(io.StringIO(text)), start=2):
        try:
            place = DemoPlace(
                key=row["key"],
                name=row["name"],
                kind=row["kind"],
                lat=float(row["lat"]),
                lon=float(row["lon"]),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(f"places.csv line {line}: {error}") from error
        if place.kind == HOME_KIND:
            raise ValueError(f"places.csv line {line}: homes are generated, not listed")
        if place.key in seen:
            raise ValueError(f"places.csv line {line}: duplicate key {place.key!r}")
        seen.add(place.key)
        places.append(place)
    return tuple(places)


# --- Generator choices. These are modelling assumptions, not historical facts. ---

# Where riders and drivers live: the documented neighbourhoods weigh more than
# the ones whose location is a rough guess (see the confidence column).
_HOME_WEIGHTS = {
    "west-montgomery": 5,
    "centennial-hill": 4,
    "cleveland-court": 4,
    "cottage-hill": 2,
    "king-hill": 2,
}
# Where riders work: most were domestic workers in white homes or worked downtown.
_WORK_WEIGHTS = {
    "court-square": 5,
    "cloverdale": 5,
    "garden-district": 5,
    "capitol-heights": 4,
    "monroe-street": 2,
    "state-capitol": 2,
    "maxwell-afb": 2,
    "jackson-hospital": 2,
}
_HOME_RADIUS_M = 400.0
# Riders walk to the dispatch station nearest their work unless it is further than this.
_WALK_TO_DISPATCH_M = 1000.0

# Arrive-by slots 06:30..08:30; 80 % of riders fall between 07:00 and 08:00.
_ARRIVE_BY = {
    "06:30": 1, "06:45": 2, "07:00": 4, "07:15": 5, "07:30": 6,
    "07:45": 5, "08:00": 4, "08:15": 2, "08:30": 1,
}  # fmt: skip
_SHIFT_MINUTES = (480, 510, 540, 570, 600)
_EVENING_EARLIEST, _EVENING_LATEST = 15 * 60, 18 * 60 + 30

_WEEK_PATTERNS = (
    (("mon", "tue", "wed", "thu", "fri"), 75),
    (("mon", "wed", "fri"), 15),
    (("mon", "tue", "wed", "thu", "fri", "sat"), 10),
)
_DOOR_TO_DOOR_SHARE = 0.20  # elderly and phone-in riders, picked up at home
_WHEELCHAIR_SHARE = 0.02
_WAGON_SHARE = 0.15  # church station wagons, the "rolling churches"
_WAGON_WHEELCHAIR_SHARE = 0.10
_SEDAN_SEATS = 4
_WAGON_SEATS = (6, 7)
_FEMALE_RIDER_SHARE = 0.70  # most riders were women going to domestic work
_FEMALE_DRIVER_SHARE = 0.20

# Common first and last names among Black Southerners born 1890-1935. Surnames of
# well-known boycott participants (Parks, Nixon, King, Abernathy, Robinson, Colvin,
# Gray, Lewis, Gilmore, Browder, Smith, McDonald, Posey, ...) are left out so that no
# invented rider or driver shares a real participant's full name.
_WOMEN = (
    "Mattie", "Willie Mae", "Lula", "Annie", "Hattie", "Ruby", "Essie", "Bessie",
    "Odessa", "Pearlie", "Ida", "Ella", "Cora", "Viola", "Minnie", "Della",
    "Alberta", "Geneva", "Thelma", "Lillie", "Fannie", "Carrie", "Nettie", "Ophelia",
    "Beulah", "Sallie", "Lottie", "Eula", "Zora", "Callie",
)  # fmt: skip
_MEN = (
    "Willie", "Robert", "James", "Jesse", "Clarence", "Otis", "Leroy", "Henry",
    "Eddie", "Roosevelt", "Luther", "Samuel", "Booker", "Curtis", "Ernest", "Walter",
    "Arthur", "Odell", "Isaiah", "Lonnie", "Nathaniel", "Alonzo", "Cleveland", "Percy",
)  # fmt: skip
_SURNAMES = (
    "Pettaway", "Crenshaw", "Tolliver", "Hairston", "Whitfield", "Mims", "Gaines",
    "Ware", "Blackmon", "Strickland", "Moorer", "Lucas", "Ellis", "Pugh", "Rivers",
    "Tarver", "McCants", "Dunbar", "Spears", "Foster", "Tatum", "Ingram", "Frazier",
    "Hightower", "Shorter", "Barnett", "Calloway", "Dozier", "Glover", "Wimberly",
    "Coleman", "Stallworth", "Bolden", "Grimes", "Peoples", "Hardaway", "Rutledge",
    "Toney", "Varner", "Dixon", "Whitlow", "Yelder", "Means", "Ferrell", "Oliver",
)  # fmt: skip
#: Surnames never used for invented people (see above); checked by the tests.
EXCLUDED_SURNAMES = frozenset({
    "Abernathy", "Alexander", "Azbell", "Baskin", "Bennett", "Bowser", "Browder",
    "Burks", "Caldwell", "Campbell", "Carr", "Colvin", "Dee", "Durr", "Fields",
    "French", "Gayle", "Gilmore", "Graetz", "Gray", "Hubbard", "Jemison", "King",
    "Langford", "Lewis", "McDonald", "Nixon", "Parks", "Posey", "Powell", "Reese",
    "Robinson", "Seay", "Simms", "Smith", "West",
})  # fmt: skip


def generate_demo(riders: int = 60, cars: int = 12, seed: int = 1955) -> DemoWorld:
    """Build a Montgomery car-pool world, the same one for the same arguments.

    Each rider has a home scattered within 400 m of a neighbourhood centre, a
    morning booking to a workplace (from the nearest pick-up station, or from
    home for door-to-door riders) and an evening booking back to the same point.
    Car ``car-i`` is driven by ``driver-i``. At the default size the fleet has
    far more seats than any single arrive-by slot needs.
    """
    _check_count("riders", riders)
    _check_count("cars", cars)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, not {type(seed).__name__}")

    rng = random.Random(seed)
    places = load_places()
    by_kind = {kind: [p for p in places if p.kind == kind] for kind in PLACE_KINDS}
    neighbourhoods = by_kind["neighbourhood"]
    home_weights = [_HOME_WEIGHTS.get(p.key, 1) for p in neighbourhoods]
    workplaces = by_kind["workplace"]
    work_weights = [_WORK_WEIGHTS.get(p.key, 1) for p in workplaces]

    names = _names(rng, [_FEMALE_RIDER_SHARE] * riders + [_FEMALE_DRIVER_SHARE] * cars)
    rider_names, driver_names = names[:riders], names[riders:]

    wheelchair_riders = set(rng.sample(range(riders), _share(riders, _WHEELCHAIR_SHARE)))
    others = [i for i in range(riders) if i not in wheelchair_riders]
    n_door = max(0, _share(riders, _DOOR_TO_DOOR_SHARE) - len(wheelchair_riders))
    door_to_door = wheelchair_riders | set(rng.sample(others, n_door))

    homes: list[DemoPlace] = []
    people: list[DemoPerson] = []
    bookings: list[DemoBooking] = []
    for i, (first, last) in enumerate(rider_names):
        key = f"rider-{i + 1}"
        area = rng.choices(neighbourhoods, weights=home_weights)[0]
        home = _scatter_home(rng, f"home-{key}", f"Home of {first} {last[0]}.", area)
        homes.append(home)
        people.append(DemoPerson(key=key, name=f"{first} {last}", role="rider", home=home))

        work = rng.choices(workplaces, weights=work_weights)[0]
        door = i in door_to_door
        pickup = home if door else _nearest(home, by_kind["pickup"])
        dispatch = _nearest(work, by_kind["dispatch"])
        if door or _distance_m(work, dispatch) > _WALK_TO_DISPATCH_M:
            dispatch = work
        weekdays = rng.choices(
            [days for days, _ in _WEEK_PATTERNS], weights=[w for _, w in _WEEK_PATTERNS]
        )[0]
        arrive = rng.choices(list(_ARRIVE_BY), weights=list(_ARRIVE_BY.values()))[0]
        leave = _minutes(arrive) + rng.choice(_SHIFT_MINUTES)
        leave = min(max(leave, _EVENING_EARLIEST), _EVENING_LATEST)
        wheelchair = 1 if i in wheelchair_riders else 0
        bookings.append(
            DemoBooking(key, pickup.key, work.key, "morning", weekdays, "arrive_by", arrive,
                        wheelchair=wheelchair)
        )  # fmt: skip
        bookings.append(
            DemoBooking(key, dispatch.key, pickup.key, "evening", weekdays, "leave_after",
                        _clock(leave), wheelchair=wheelchair)
        )  # fmt: skip

    for i, (first, last) in enumerate(driver_names):
        key = f"driver-{i + 1}"
        area = rng.choices(neighbourhoods, weights=home_weights)[0]
        home = _scatter_home(rng, f"home-{key}", f"Home of {first} {last[0]}.", area)
        homes.append(home)
        people.append(DemoPerson(key=key, name=f"{first} {last}", role="driver", home=home))
    churches = [p.name.replace(" Church", "") for p in places if "Church" in p.name]
    bases = [person.home for person in people[riders:] if person.home is not None]
    vehicles = _fleet(rng, bases, churches, need_wheelchair=bool(wheelchair_riders))
    return DemoWorld(
        places=places + tuple(homes),
        people=tuple(people),
        vehicles=tuple(vehicles),
        bookings=tuple(bookings),
    )


def _fleet(
    rng: random.Random,
    bases: Sequence[DemoPlace],
    churches: Sequence[str],
    *,
    need_wheelchair: bool,
) -> list[DemoVehicle]:
    """One car per driver, ``car-i`` for ``driver-i``: sedans and a few church wagons."""
    cars = len(bases)
    n_wagons = max(1, _share(cars, _WAGON_SHARE)) if cars >= 3 else 0
    wagons = sorted(rng.sample(range(cars), n_wagons))
    n_accessible = _share(n_wagons, _WAGON_WHEELCHAIR_SHARE)
    if need_wheelchair:
        n_accessible = max(n_accessible, 1)
    accessible = set(rng.sample(wagons, min(n_accessible, n_wagons)))
    if need_wheelchair and not accessible:  # too small a fleet for a wagon: adapt a sedan
        accessible = {0}
    churches = list(churches)
    rng.shuffle(churches)
    vehicles: list[DemoVehicle] = []
    for i, base in enumerate(bases):
        if i in wagons:
            n = wagons.index(i)
            lap = n // len(churches)
            name = f"Station wagon, {churches[n % len(churches)]}"
            if lap:
                name += f" ({lap + 1})"
            seats = rng.choice(_WAGON_SEATS)
        else:
            name, seats = f"Car {i + 1}", _SEDAN_SEATS
        vehicles.append(
            DemoVehicle(
                key=f"car-{i + 1}",
                name=name,
                seats=seats,
                wheelchair=1 if i in accessible else 0,
                driver_key=f"driver-{i + 1}",
                base=base,
            )
        )
    return vehicles


def _check_count(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    if value < 1:
        raise ValueError(f"{name} must be at least 1, got {value}")


def _share(total: int, fraction: float) -> int:
    """Round ``total * fraction`` half up (not to even), so counts read naturally."""
    return int(total * fraction + 0.5)


def _names(rng: random.Random, female_shares: Sequence[float]) -> list[tuple[str, str]]:
    """One (first, last) name per person; all distinct for the first 1,080 people."""
    women = [(first, last) for first in _WOMEN for last in _SURNAMES]
    men = [(first, last) for first in _MEN for last in _SURNAMES]
    rng.shuffle(women)
    rng.shuffle(men)
    chosen = []
    for n, share in enumerate(female_shares):
        pool = women if rng.random() < share else men
        chosen.append(pool[n % len(pool)])
    return chosen


def _scatter_home(rng: random.Random, key: str, name: str, area: DemoPlace) -> DemoPlace:
    """A point uniformly distributed within ``_HOME_RADIUS_M`` of the area's centre."""
    distance = _HOME_RADIUS_M * math.sqrt(rng.random())
    bearing = rng.uniform(0.0, 2.0 * math.pi)
    dlat = distance * math.cos(bearing) / _METRES_PER_DEGREE_LAT
    metres_per_degree_lon = _METRES_PER_DEGREE_LAT * math.cos(math.radians(area.lat))
    dlon = distance * math.sin(bearing) / metres_per_degree_lon
    return DemoPlace(key, name, HOME_KIND, round(area.lat + dlat, 5), round(area.lon + dlon, 5))


def _distance_m(a: DemoPlace, b: DemoPlace) -> float:
    """Equirectangular distance: exact enough across one city, and cheap."""
    mean_lat = math.radians((a.lat + b.lat) / 2)
    dx = (b.lon - a.lon) * math.cos(mean_lat)
    dy = b.lat - a.lat
    return _METRES_PER_DEGREE_LAT * math.hypot(dx, dy)


def _nearest(origin: DemoPlace, candidates: Sequence[DemoPlace]) -> DemoPlace:
    # Ties go to the first in file order, so the choice never depends on hashing.
    return min(candidates, key=lambda p: _distance_m(origin, p))


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"
