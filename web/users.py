"""The logged-in user as Flask-Login sees it, and the role checks every view uses."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar

from flask import jsonify, redirect, request, url_for
from flask_login import UserMixin, current_user

from dispatch.models import Person, Role

F = TypeVar("F", bound=Callable[..., Any])

STAFF = (Role.DISPATCHER.value, Role.ADMIN.value)


@dataclass
class LoggedIn(UserMixin):
    """A detached copy of the person, so no view holds a database row across requests."""

    id: int
    username: str
    name: str
    role: str

    @classmethod
    def of(cls, person: Person) -> LoggedIn:
        return cls(id=person.id, username=person.username, name=person.name, role=person.role.value)

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF


def wants_json() -> bool:
    return request.path.startswith("/api/")


def roles_required(*roles: str) -> Callable[[F], F]:
    """Allow only logged-in users with one of `roles` (admins may do what dispatchers do)."""
    allowed = set(roles)
    if Role.DISPATCHER.value in allowed:
        allowed.add(Role.ADMIN.value)

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                if wants_json():
                    return jsonify(error="log in first"), 401
                return redirect(url_for("auth.login", next=request.full_path))
            if current_user.role not in allowed:
                if wants_json():
                    return jsonify(error="you may not do this"), 403
                return redirect(url_for("pages.home"))
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator
