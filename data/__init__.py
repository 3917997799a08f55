"""The Montgomery (1955-56) car-pool demo data and its seeded generator; see README.md."""

from data.demo import (
    DemoBooking,
    DemoPerson,
    DemoPlace,
    DemoVehicle,
    DemoWorld,
    generate_demo,
    load_places,
)

__all__ = [
    "DemoBooking",
    "DemoPerson",
    "DemoPlace",
    "DemoVehicle",
    "DemoWorld",
    "generate_demo",
    "load_places",
]
