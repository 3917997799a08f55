"""One database session per request, committed by the view that changes something."""

from __future__ import annotations

from flask import Flask, current_app, g
from sqlalchemy.orm import Session, sessionmaker

from dispatch.db import make_engine, make_session_factory


def init_database(app: Flask) -> None:
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["carpool.engine"] = engine
    app.extensions["carpool.sessions"] = make_session_factory(engine)
    app.teardown_appcontext(_close_session)


def session_factory() -> sessionmaker[Session]:
    return current_app.extensions["carpool.sessions"]  # type: ignore[no-any-return]


def db() -> Session:
    """This request's session (opened on first use)."""
    if "db" not in g:
        g.db = session_factory()()
    return g.db  # type: ignore[no-any-return]


def close_db() -> None:
    """Close this request's session; Socket.IO handlers must call it themselves."""
    session = g.pop("db", None)
    if session is not None:
        session.rollback()
        session.close()


def _close_session(_exc: BaseException | None) -> None:
    close_db()
