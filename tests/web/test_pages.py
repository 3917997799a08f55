"""The pages: who gets which, and what a logged-out visitor sees."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask

from tests.conftest import PASSWORD
from tests.web.conftest import ApiClient


def _form_login(app: Flask, username: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert token, "the login form carries a CSRF token"
    response = client.post("/login", data={"username": username, "password": password,
                                           "csrf_token": token.group(1)})  # fmt: skip
    return client, response


@pytest.mark.parametrize(
    ("username", "home"),
    [("dispatcher", "/board"), ("admin", "/board"), ("driver-1", "/driver"), ("rider-1", "/rider")],
)
def test_the_login_form_sends_each_role_to_its_page(app: Flask, username: str, home: str) -> None:
    client, response = _form_login(app, username)
    assert response.status_code == 302
    assert client.get(response.headers["Location"]).headers["Location"].endswith(home)
    assert client.get(home).status_code == 200


def test_a_wrong_password_shows_an_error_on_the_form(app: Flask) -> None:
    _client, response = _form_login(app, "dispatcher", "not the password")
    assert response.status_code == 401
    assert "Wrong username or password" in response.get_data(as_text=True)


def test_the_login_form_without_csrf_token_is_refused(app: Flask) -> None:
    response = app.test_client().post("/login", data={"username": "dispatcher", "password": PASSWORD})
    assert response.status_code == 400


@pytest.mark.parametrize("path", ["/board", "/driver", "/rider"])
def test_logged_out_visitors_are_sent_to_login(app: Flask, path: str) -> None:
    response = app.test_client().get(path)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.mark.parametrize(("username", "path"), [("driver-1", "/board"), ("rider-1", "/board"), ("rider-1", "/driver")])
def test_pages_of_other_roles_are_not_shown(login: Callable[[str], ApiClient], username: str, path: str) -> None:
    response = login(username).get(path)
    assert response.status_code == 302
    assert path not in response.headers["Location"]


def test_login_never_redirects_to_another_site(app: Flask) -> None:
    client = app.test_client()
    page = client.get("/login?next=https://evil.example/").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert token
    response = client.post("/login", data={"username": "dispatcher", "password": PASSWORD,
                                           "csrf_token": token.group(1), "next": "https://evil.example/"})  # fmt: skip
    assert "evil.example" not in response.headers["Location"]


def test_pages_work_offline_with_vendored_assets(login: Callable[[str], ApiClient]) -> None:
    html = login("dispatcher").get("/board").get_data(as_text=True)
    for src in re.findall(r'(?:src|href)="([^"]+\.(?:js|css))"', html):
        assert src.startswith("/static/"), f"{src} would need the internet"
