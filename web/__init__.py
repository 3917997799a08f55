"""The Flask app factory: config, database, login, CSRF, Socket.IO, blueprints, jobs."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from flask import Flask, jsonify, render_template, request
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFError
from pydantic import ValidationError
from werkzeug.middleware.proxy_fix import ProxyFix

from dispatch.errors import DispatchError
from dispatch.events import EventPublisher
from dispatch.jobs import JobRunner, LocalProcessRunner
from dispatch.models import Person
from dispatch.settings import Settings, load_config_mapping

# Imported before any init_app: Flask-SocketIO keeps handlers declared while it has
# no server and binds them to every app; a handler declared later would bind to
# the first app's server only, leaving the next app's connections unauthenticated.
from web import socket_events  # noqa: E402
from web.database import db, init_database
from web.extensions import csrf, limiter, login_manager, socketio
from web.users import LoggedIn, init_access, public


class SecureWhenHttpsSessionInterface(SecureCookieSessionInterface):
    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config.get("SESSION_COOKIE_SECURE")) or request.is_secure


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app from config.toml and CARPOOL_* variables (or `test_config` on top)."""
    app = Flask(__name__)
    app.config.from_mapping(load_config_mapping())
    if test_config:
        app.config.from_mapping(test_config)
    if not app.config.get("SECRET_KEY"):
        # No key configured: a random one per run keeps sessions safe, at the
        # cost of logging everyone out when the server restarts.
        app.config["SECRET_KEY"] = secrets.token_hex(32)
    # Session cookies are Secure whenever the request came over HTTPS, and
    # always when SESSION_COOKIE_SECURE is set; a laptop demo on plain http
    # (or a church-hall LAN) still works.
    app.session_interface = SecureWhenHttpsSessionInterface()
    if app.config.get("TRUSTED_PROXIES"):
        # Behind nginx: believe its X-Forwarded-Proto/-For, so HTTPS and
        # client addresses (for login limits) are seen as they really are.
        hops = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        WTF_CSRF_TIME_LIMIT=None,
        JSON_SORT_KEYS=False,
    )

    # The clock is a seam: tests (and demos, with CLOCK_AT) stand on a chosen
    # day and hour, and time runs on from there.
    if app.config.get("CLOCK_AT") and "CLOCK" not in app.config:
        offset = dt.datetime.fromisoformat(app.config["CLOCK_AT"]) - dt.datetime.now()
        app.config["CLOCK"] = lambda: dt.datetime.now() + offset
    app.config.setdefault("CLOCK", dt.datetime.now)
    init_database(app)

    login_manager.init_app(app)
    init_access(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "strong"
    csrf.init_app(app)
    # Several workers must count login attempts together: Redis when configured.
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config.get("REDIS_URL") or "memory://")
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    limiter.init_app(app)

    redis_url = app.config.get("REDIS_URL") or None
    socketio.init_app(
        app,
        async_mode="threading",  # explicit: never pick up eventlet by accident
        message_queue=redis_url,
        cors_allowed_origins=app.config.get("CORS_ALLOWED_ORIGINS") or None,
    )
    publisher: EventPublisher = app.config.get("EVENT_PUBLISHER") or socket_events.SocketIOPublisher(socketio)
    app.extensions["carpool.publisher"] = publisher
    settings = Settings.from_mapping(app.config)
    app.extensions["carpool.settings"] = settings
    runner: JobRunner = app.config.get("JOB_RUNNER") or LocalProcessRunner(
        app.extensions["carpool.sessions"],
        settings,
        publisher,
        start_thread=socketio.start_background_task,
    )
    app.extensions["carpool.jobs"] = runner

    from web.api import api, on_domain_error, on_validation_error
    from web.api_accounts import accounts_api
    from web.auth import auth
    from web.pages import admin, board, driver, pages, rider

    for blueprint in (pages, auth, board, driver, rider, admin, api, accounts_api):
        app.register_blueprint(blueprint)
    app.register_blueprint(__import__("web.api_dispatch").api_dispatch.dispatch_api)  # issue 5
    from web.apispec import spec

    spec.register(app)
    from web.apispec import openapi_document

    app.add_url_rule("/api/v1/openapi.json", "openapi", public(openapi_document))
    for endpoint, view in app.view_functions.items():
        if endpoint.startswith("openapi_"):
            public(view)  # the API's description is public; the API is not

    # Domain errors and bad input read the same from every API blueprint.
    app.register_error_handler(DispatchError, on_domain_error)
    app.register_error_handler(ValidationError, on_validation_error)

    @app.errorhandler(CSRFError)
    def on_csrf_error(exc: CSRFError) -> Any:
        if request.path.startswith("/api/"):
            return jsonify(error="missing or bad CSRF token: reload the page and try again"), 400
        return exc

    @app.errorhandler(429)
    def on_too_many(exc: Any) -> Any:
        message = "too many attempts; wait a minute and try again"
        if request.path.startswith("/api/"):
            return jsonify(error=message), 429
        return render_template("message.html", title="Too many attempts", message=message), 429

    @app.errorhandler(404)
    def on_not_found(exc: Any) -> Any:
        if request.path.startswith("/api/"):
            return jsonify(error="not found"), 404
        return exc

    @app.errorhandler(405)
    def on_bad_method(exc: Any) -> Any:
        if request.path.startswith("/api/"):
            return jsonify(error=f"{request.method} is not allowed here"), 405
        return exc

    return app


@login_manager.user_loader
def load_user(user_id: str) -> LoggedIn | None:
    person_id, _, version = user_id.partition(":")
    if not person_id.isdigit() or not version.isdigit():
        return None
    # The request's own session: on SQLite every transaction holds the write
    # lock, so a second session in the same request would wait on the first.
    # (Socket.IO handlers close it themselves: they run no teardown.)
    person = db().get(Person, int(person_id))
    if person is None or not person.active or person.session_version != int(version):
        return None
    return LoggedIn.of(person)


@login_manager.unauthorized_handler
def unauthorized() -> Any:
    from flask import redirect, url_for

    if request.path.startswith("/api/"):
        return jsonify(error="log in first"), 401
    return redirect(url_for("auth.login", next=request.full_path))
