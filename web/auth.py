"""Logging in and out with the form (the API has its own session endpoints)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user

from dispatch.services.accounts import authenticate
from web.database import db
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


@auth.route("/login", methods=["GET", "POST"])
@public
def login() -> Any:
    """The login form."""
    next_url = _safe_next(request.values.get("next"))
    error = None
    if request.method == "POST":
        person = authenticate(
            db(), request.form.get("username", "").strip(), request.form.get("password", "")
        )
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
    logout_user()
    return redirect(url_for("auth.login"))
