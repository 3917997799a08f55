"""Every state-changing request needs the CSRF token, from every role that may make it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask

from tests.web.conftest import ApiClient
from tests.web.test_access_matrix import ANON, POLICY, _routes

# Logging in through the API cannot carry a token yet (there is no session to
# forge a request for); everything else that changes state must.
EXEMPT = {("POST", "api.session_create")}


def _state_changing(app: Flask) -> list[tuple[str, str, str]]:
    return sorted(
        (method, endpoint, path)
        for (method, endpoint), path in _routes(app).items()
        if method in ("POST", "PUT", "PATCH", "DELETE") and (method, endpoint) not in EXEMPT
    )


def test_there_are_state_changing_endpoints_to_check(app: Flask) -> None:
    assert len(_state_changing(app)) >= 15


@pytest.mark.parametrize("preferred", ["dispatcher", "admin", "rider-1", "driver-1"])
def test_without_the_token_every_change_is_refused(
    app: Flask, login: Callable[[str], ApiClient], preferred: str
) -> None:
    api = login(preferred)
    api.csrf = None
    accepted = []
    for method, endpoint, path in _state_changing(app):
        if preferred not in POLICY[(method, endpoint)] and ANON not in POLICY[(method, endpoint)]:
            continue
        if path.startswith("/api/"):
            response = api.post(path, json={}) if method == "POST" else api.delete(path)
        else:
            response = api.client.post(path, data={})
        if response.status_code != 400 or b"CSRF" not in response.data:
            accepted.append(f"{method} {path}: {response.status_code}")
    assert accepted == []


def test_with_the_token_the_same_request_goes_through(login: Callable[[str], ApiClient]) -> None:
    api = login("rider-1")
    token = api.csrf
    api.csrf = None
    assert api.delete("/api/v1/sessions").status_code == 400
    api.csrf = token
    assert api.delete("/api/v1/sessions").status_code == 200
