"""Settings from config.toml, overridden by CARPOOL_* environment variables.

The web app loads the same file into Flask's config; services get this plain,
typed copy so they never need Flask.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

ENV_PREFIX = "CARPOOL_"
DEFAULT_CONFIG_PATH = Path(__file__).resolve().parent.parent / "config.toml"


def config_path() -> Path:
    """The config file in force: $CARPOOL_CONFIG, else ./config.toml, else the repo's."""
    if env := os.environ.get("CARPOOL_CONFIG"):
        return Path(env)
    local = Path.cwd() / "config.toml"
    return local if local.exists() else DEFAULT_CONFIG_PATH


def load_config_mapping(path: Path | None = None, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Read the TOML file, then apply CARPOOL_<KEY> overrides (JSON-parsed when possible)."""
    with open(path or config_path(), "rb") as fh:
        values: dict[str, Any] = tomllib.load(fh)
    environ = os.environ if environ is None else environ
    for name, raw in environ.items():
        if not name.startswith(ENV_PREFIX) or name == "CARPOOL_CONFIG":
            continue
        try:
            value: Any = json.loads(raw)
        except ValueError:
            value = raw
        values[name.removeprefix(ENV_PREFIX)] = value
    return values


def hhmm_to_s(text: str) -> int:
    hours, minutes = text.split(":")[:2]
    return int(hours) * 3600 + int(minutes) * 60


@dataclass(frozen=True)
class Settings:
    """What the services need to know, with the defaults of config.toml."""

    DATABASE_URL: str = "sqlite:///var/carpool.db"
    SECRET_KEY: str = ""
    HOST: str = "127.0.0.1"
    PORT: int = 5000
    REDIS_URL: str = ""
    TRAVEL_MODEL: str = "haversine"
    TRAVEL_CIRCUITY: float = 1.3
    TRAVEL_SPEED_KMH: float = 30.0
    SERVICE_S: int = 60
    SOLVER_TIME_LIMIT_S: float = 10
    DEFAULT_SEATS: int = 4
    MAX_RIDE_S: int = 2700
    MAX_RIDE_FACTOR: float = 1.5
    MAX_RIDE_EXTRA_S: int = 900
    ARRIVE_EARLY_S: int = 1800
    PICKUP_WAIT_S: int = 1800
    MORNING_SHIFT_START: str = "05:30"
    MORNING_SHIFT_END: str = "09:30"
    EVENING_SHIFT_START: str = "14:30"
    EVENING_SHIFT_END: str = "19:30"
    FORGET_HOMES_AFTER_DAYS: int = 14

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> Settings:
        known = {f.name: f for f in fields(cls)}
        kwargs: dict[str, Any] = {}
        for name, value in values.items():
            if name in known:
                kwargs[name] = value
        return cls(**kwargs)

    def shift_s(self, half: str) -> tuple[int, int]:
        if half == "morning":
            return hhmm_to_s(self.MORNING_SHIFT_START), hhmm_to_s(self.MORNING_SHIFT_END)
        return hhmm_to_s(self.EVENING_SHIFT_START), hhmm_to_s(self.EVENING_SHIFT_END)

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def load_settings(path: Path | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    return Settings.from_mapping(load_config_mapping(path, environ))
