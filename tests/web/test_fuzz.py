"""Property-based fuzzing of the API from its own OpenAPI document: no input,
however odd, may make the server fail (5xx). A bounded budget keeps it quick."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings

from dispatch.db import make_engine, make_session_factory
from dispatch.migrate import upgrade
from tests.conftest import PASSWORD, build_small_world
from web import create_app


class RecordingRunner:
    """Takes jobs without running them: solves are tested for real elsewhere, and a
    fuzzer starting hundreds of solver processes would only test the machine."""

    def __init__(self) -> None:
        self.submitted: list[int] = []

    def submit(self, job_id: int) -> None:
        self.submitted.append(job_id)


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    url = f"sqlite:///{tmp_path_factory.mktemp('fuzz')}/fuzz.db"
    upgrade(url)
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        build_small_world(session)
        session.commit()
    engine.dispose()
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "fuzz",
                      "JOB_RUNNER": RecordingRunner(), "LOGIN_RATE_LIMIT": "100000 per minute"})  # fmt: skip
    yield app
    app.extensions["carpool.engine"].dispose()


# Operations that end the fuzzing user's own session or account.
SELF_ENDING = {("DELETE", "/api/v1/me"), ("DELETE", "/api/v1/sessions"), ("DELETE", "/api/v1/session")}
_logins: dict[str, dict[str, str]] = {}


def _auth(app: Flask, username: str, fresh: bool = False) -> dict[str, str]:
    """Session cookie and CSRF token for `username`, logged in once and reused."""
    if fresh or username not in _logins:
        client = app.test_client()
        response = client.post("/api/v1/session", json={"username": username, "password": PASSWORD})
        assert response.status_code == 200
        cookie = client.get_cookie("session")
        assert cookie is not None
        _logins[username] = {"cookie": cookie.value, "csrf": response.get_json()["csrf_token"]}
    return _logins[username]


def _user_for(path: str) -> str:
    if path.startswith("/api/v1/rider") or path == "/api/v1/me":
        return "rider-1"
    if path.startswith("/api/v1/driver"):
        return "driver-1"
    return "admin"


def test_no_input_makes_the_api_fail(fuzz_app: Flask) -> None:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", fuzz_app)
    failures: list[str] = []
    operations = 0

    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in SELF_ENDING:
            continue  # ends the fuzzing session; covered by the account tests
        operations += 1
        _fuzz_operation(fuzz_app, operation, _user_for(operation.path), failures)
    assert operations >= 20
    assert failures == []


def _fuzz_operation(fuzz_app: Flask, operation: Any, username: str, failures: list[str]) -> None:
    @given(case=operation.as_strategy())
    @settings(max_examples=8, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def call(case: Any) -> None:
        auth = _auth(fuzz_app, username)
        response = case.call(headers={"X-CSRFToken": auth["csrf"]}, cookies={"session": auth["cookie"]})
        if response.status_code == 401:  # an earlier case ended the session
            auth = _auth(fuzz_app, username, fresh=True)
            response = case.call(headers={"X-CSRFToken": auth["csrf"]}, cookies={"session": auth["cookie"]})
        if response.status_code >= 500:
            failures.append(f"{case.method} {case.formatted_path} {case.query} {case.body!r}: "
                            f"{response.status_code} {response.text[:200]}")  # fmt: skip

    call()
