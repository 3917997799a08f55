"""Clock times on the plan's day: the one place that turns "HH:MM[:SS]" into seconds and back."""

from __future__ import annotations

import re

#: Latest time of day the format accepts, so a late shift may run past midnight ("25:30").
MAX_HOURS = 48
HORIZON_S = MAX_HOURS * 3600

_TIME = re.compile(r"^(\d{1,2}):([0-5]\d)(?::([0-5]\d))?$")


def parse_time(text: str) -> int:
    """Seconds since midnight for "HH:MM" or "HH:MM:SS"; raises ValueError on anything else.

    Hours run to 47 so that a shift may end after midnight of the plan's day.
    """
    match = _TIME.match(text) if isinstance(text, str) else None
    if match is None or int(match.group(1)) >= MAX_HOURS:
        raise ValueError(f'expected "HH:MM" or "HH:MM:SS", got {_quote(text)}')
    hours, minutes, seconds = (int(g) if g else 0 for g in match.groups())
    return hours * 3600 + minutes * 60 + seconds


def format_hms(seconds: int) -> str:
    """"HH:MM:SS" for seconds since midnight (the plan's times are always given to the second)."""
    if seconds < 0:
        raise ValueError(f"negative time of day: {seconds}")
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def format_hm(seconds: int) -> str:
    """"HH:MM" when the seconds are zero, else "HH:MM:SS": the short form used in messages."""
    text = format_hms(seconds)
    return text[:5] if text.endswith(":00") else text


def format_minutes(seconds: int) -> str:
    """A duration for people: "52 min", or "1 h 05 min"."""
    minutes = (seconds + 30) // 60
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"


def _quote(value: object) -> str:
    return f'"{value}"' if isinstance(value, str) else repr(value)
