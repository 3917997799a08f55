"""An app on a fresh SQLite database holding the small world, and logged-in clients."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from dispatch.db import make_engine, make_session_factory
from dispatch.migrate import upgrade
from tests.conftest import PASSWORD, World, build_small_world
from web import create_app


@pytest.fixture
def app(database_url: str) -> Iterator[Flask]:
    upgrade(database_url)
    engine = make_engine(database_url)
    with make_session_factory(engine)() as session:
        build_small_world(session)
        session.commit()
    engine.dispose()
    app = create_app({"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "test", "SOLVER_TIME_LIMIT_S": 1})
    yield app
    app.extensions["carpool.engine"].dispose()


@pytest.fixture
def people(app: Flask) -> dict[str, int]:
    """Username -> person id."""
    from sqlalchemy import select

    from dispatch.models import Person

    with app.extensions["carpool.sessions"]() as session:
        return {p.username: p.id for p in session.scalars(select(Person))}


class ApiClient:
    """A test client that logs in through the API and sends the CSRF token like the pages do."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.csrf: str | None = None

    def login(self, username: str, password: str = PASSWORD) -> Any:
        response = self.client.post("/api/v1/session", json={"username": username, "password": password})
        if response.status_code == 200:
            self.csrf = response.get_json()["csrf_token"]
        return response

    def _headers(self) -> dict[str, str]:
        return {"X-CSRFToken": self.csrf} if self.csrf else {}

    def get(self, url: str, **kw: Any) -> Any:
        return self.client.get(url, **kw)

    def post(self, url: str, json: Any = None, **kw: Any) -> Any:
        return self.client.post(url, json=json, headers=self._headers(), **kw)

    def delete(self, url: str, **kw: Any) -> Any:
        return self.client.delete(url, headers=self._headers(), **kw)


@pytest.fixture
def login(app: Flask) -> Callable[[str], ApiClient]:
    """login("driver-1") -> a client logged in as driver-1."""

    def make(username: str) -> ApiClient:
        api = ApiClient(app.test_client())
        assert api.login(username).status_code == 200
        return api

    return make


__all__ = ["World"]
