"""The logged-in user as Flask-Login sees it, and who may use which endpoint.

Every endpoint declares who may use it: `@roles_required(...)` or `@public`.
One check before every request enforces it, so an endpoint that forgets to
declare is refused to everyone rather than open to everyone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import Flask, current_app, jsonify, redirect, request, url_for
from flask_login import UserMixin, current_user

from dispatch.models import Person, Role

F = TypeVar("F", bound=Callable[..., Any])

STAFF = (Role.DISPATCHER.value, Role.ADMIN.value)
ALL_ROLES = tuple(r.value for r in Role)
PUBLIC = "public"
_ACCESS_ATTR = "_carpool_access"


@dataclass
class LoggedIn(UserMixin):
    """A detached copy of the person, so no view holds a database row across requests."""

    id: int
    username: str
    name: str
    role: str
    session_version: int = 1

    @classmethod
    def of(cls, person: Person) -> LoggedIn:
        return cls(
            id=person.id,
            username=person.username,
            name=person.name,
            role=person.role.value,
            session_version=person.session_version,
        )

    def get_id(self) -> str:
        # The session version rides along, so bumping it logs out every session.
        return f"{self.id}:{self.session_version}"

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF


def wants_json() -> bool:
    return request.path.startswith("/api/")


def roles_required(*roles: str) -> Callable[[F], F]:
    """Declare who may use an endpoint (admins may do whatever dispatchers may)."""
    allowed = frozenset(roles) | ({Role.ADMIN.value} if Role.DISPATCHER.value in roles else set())

    def decorator(view: F) -> F:
        setattr(view, _ACCESS_ATTR, allowed)
        return view

    return decorator


def public(view: F) -> F:
    """Declare an endpoint open to visitors who are not logged in."""
    setattr(view, _ACCESS_ATTR, PUBLIC)
    return view


def access_of(view: Callable[..., Any]) -> Any:
    """The declared access of a view, looking through decorators that wrap it."""
    while view is not None:
        if hasattr(view, _ACCESS_ATTR):
            return getattr(view, _ACCESS_ATTR)
        view = getattr(view, "__wrapped__", None)  # type: ignore[assignment]
    return None


def _enforce_access() -> Any:
    if request.endpoint is None or request.endpoint == "static":
        return None
    view = current_app.view_functions.get(request.endpoint)
    access = access_of(view) if view else None
    if access == PUBLIC:
        return None
    if access is None:
        current_app.logger.error("endpoint %s declares no access; refused", request.endpoint)
        return (jsonify(error="you may not do this"), 403) if wants_json() else ("Forbidden", 403)
    if not current_user.is_authenticated:
        if wants_json():
            return jsonify(error="log in first"), 401
        return redirect(url_for("auth.login", next=request.full_path))
    if current_user.role not in access:
        if wants_json():
            return jsonify(error="you may not do this"), 403
        return redirect(url_for("pages.home"))
    return None


def init_access(app: Flask) -> None:
    app.before_request(_enforce_access)
