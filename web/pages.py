"""The pages: the dispatcher's board, the driver's route, the rider's rides.

Each page is a shell; its script fetches the data from the API and listens
for Socket.IO notices.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, current_app, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import text

from dispatch.errors import InvalidInput
from dispatch.models import Half, Role
from web.database import db
from web.days import default_day, parse_date
from web.users import public, roles_required

pages = Blueprint("pages", __name__)
board = Blueprint("board", __name__)
driver = Blueprint("driver", __name__)
rider = Blueprint("rider", __name__)
admin = Blueprint("admin", __name__)


def _asked_day() -> tuple[dt.date | None, Half | None]:
    day = half = None
    try:
        if request.args.get("date"):
            day = parse_date(request.args["date"], "date")
        if request.args.get("half") in ("morning", "evening"):
            half = Half(request.args["half"])
    except InvalidInput:
        pass  # a bad date in the address bar shows the default day, not an error page
    return day, half


@pages.get("/")
@public
def home() -> Any:
    """Send each user to their own page."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    if current_user.role in (Role.DISPATCHER.value, Role.ADMIN.value):
        return redirect(url_for("board.board"))
    if current_user.role == Role.DRIVER.value:
        return redirect(url_for("driver.route"))
    return redirect(url_for("rider.home"))


@pages.get("/healthz")
@public
def healthz() -> Any:
    """Liveness and database reachability, for monitors."""
    try:
        db().execute(text("SELECT 1"))
        database = "ok"
    except Exception as exc:  # a health check reports, it does not raise
        current_app.logger.warning("health check: database unreachable: %s", exc)
        return jsonify(status="degraded", database="unreachable"), 503
    return jsonify(status="ok", database=database)


@roles_required(Role.DISPATCHER.value)
def board_page() -> Any:
    """The dispatcher's board."""
    day, half = default_day(db(), *_asked_day(), now=current_app.config["CLOCK"]())
    config = current_app.config
    map_config = {
        "tile_url": config.get("MAP_TILE_URL") or None,
        "attribution": config.get("MAP_ATTRIBUTION", ""),
        "center": config.get("MAP_CENTER", [32.372, -86.305]),
        "zoom": config.get("MAP_ZOOM", 13),
    }
    return render_template("board.html", date=day.isoformat(), half=half.value, map_config=map_config)


# Endpoint names the templates use: board.board, driver.route, rider.home.
board.add_url_rule("/board", endpoint="board", view_func=board_page)


@driver.get("/driver")
@roles_required(Role.DRIVER.value)
def route() -> Any:
    """The driver's route for the day, made for a phone."""
    day, half = default_day(db(), *_asked_day(), driver_id=current_user.id, now=current_app.config["CLOCK"]())
    return render_template("driver.html", date=day.isoformat(), half=half.value)


@rider.get("/rider", endpoint="home")
@roles_required(Role.RIDER.value)
def rider_home() -> Any:
    """The rider's rides and bookings."""
    day, _half = default_day(db(), *_asked_day(), now=current_app.config["CLOCK"]())
    return render_template("rider.html", date=day.isoformat())


@admin.get("/admin", endpoint="home")
@roles_required(Role.ADMIN.value)
def admin_home() -> Any:
    """Invitations and the audit log."""
    return render_template("admin.html")
