"""Domain errors. The web layer maps each to one HTTP status in one place."""

from __future__ import annotations


class DispatchError(Exception):
    """Base of every error a service raises on purpose."""


class NotFound(DispatchError):
    """The thing asked for does not exist, or the asker may not know it does."""


class Forbidden(DispatchError):
    """The asker may not do this."""


class Conflict(DispatchError):
    """The change clashes with the stored state (a stale version, a duplicate)."""


class InvalidInput(DispatchError):
    """Input that breaks a rule, with a reason per field ("from_place_id": "no such place")."""

    def __init__(self, fields: dict[str, str], message: str = "invalid input") -> None:
        self.fields = dict(fields)
        super().__init__(f"{message}: " + "; ".join(f"{k}: {v}" for k, v in self.fields.items()))
        self.message = message
