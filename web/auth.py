"""Logging in and out with the form (the API has its own session endpoints)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user

from dispatch.errors import Conflict, InvalidInput, NotFound
from dispatch.models import Person
from dispatch.services import privacy
from dispatch.services.accounts import accept_invite as accept
from dispatch.services.accounts import authenticate, find_invite, log_out_everywhere
from web.database import db
from web.extensions import limiter
from web.users import LoggedIn, public

auth = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str | None:
    # Only same-site paths: never send a user on to another host after login.
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def login_limit() -> str:
    from flask import current_app

    return str(current_app.config.get("LOGIN_RATE_LIMIT") or "20 per minute")


@auth.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(login_limit, methods=["POST"])
def login() -> Any:
    """The login form."""
    next_url = _safe_next(request.values.get("next"))
    error = None
    if request.method == "POST":
        person = authenticate(db(), request.form.get("username", "").strip(), request.form.get("password", ""))
        if person is not None:
            login_user(LoggedIn.of(person))
            return redirect(next_url or url_for("pages.home"))
        error = "Wrong username or password."
    elif current_user.is_authenticated:
        return redirect(next_url or url_for("pages.home"))
    status = 401 if error else 200
    return render_template("login.html", error=error, next=next_url), status


@auth.post("/logout")
@public
def logout() -> Any:
    """Log out here, or (with everywhere=1) on every device."""
    if request.form.get("everywhere") == "1" and current_user.is_authenticated:
        session = db()
        person = session.get(Person, current_user.id)
        if person is not None:
            log_out_everywhere(session, person)
            session.commit()
    logout_user()
    return redirect(url_for("auth.login"))


@auth.route("/invite/<token>", methods=["GET", "POST"])
@public
@limiter.limit(login_limit, methods=["POST"])
def accept_invite(token: str) -> Any:
    """The page an invitation link opens: choose a user name and password."""
    session = db()
    try:
        invite = find_invite(session, token)
    except NotFound as exc:
        return render_template("message.html", title="Invitation not valid", message=str(exc)), 404
    errors: dict[str, str] = {}
    form = request.form
    if request.method == "POST":
        try:
            person = accept(session, token, username=form.get("username", "").strip(),
                            name=form.get("name", ""), password=form.get("password", ""))  # fmt: skip
            privacy.audit(session, actor_id=person.id, action="change", subject_id=person.id,
                          what=f"accepted an invitation as {person.role.value}")  # fmt: skip
            session.commit()
        except InvalidInput as exc:
            session.rollback()
            errors = exc.fields
        except Conflict as exc:
            session.rollback()
            errors = {"username": str(exc)}
        else:
            login_user(LoggedIn.of(person))
            return redirect(url_for("pages.home"))
    return render_template("invite.html", role=invite.role.value, errors=errors,
                           name=form.get("name"), username=form.get("username")), 422 if errors else 200  # fmt: skip
