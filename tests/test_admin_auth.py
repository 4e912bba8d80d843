"""Who gets into the admin console: login, session cookie, CSRF, rate limit, Bearer, headers."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from admin_support import PASSWORD, admin, admin_services, bearer, client, console_settings, csrf_of, log_in  # noqa: F401
from starlette.testclient import TestClient

from bot.admin.auth import COOKIE, KEY_FILE, Guard, LoginLimiter
from bot.app import Services
from bot.http_app import build_http_app

PAGES = ["/admin/", "/admin/exchanges", "/admin/queue", "/admin/hit", "/admin/corpus", "/admin/correct"]
API_GETS = ["/admin/api/exchanges", "/admin/api/queue", "/admin/api/search?q=1226", "/admin/api/articles",
            "/admin/api/overview", "/admin/api/corrections"]  # fmt: skip
API_POSTS = ["/admin/api/reload", "/admin/api/articles", "/admin/api/wordlist", "/admin/api/queue/handled",
             "/admin/api/corrections", "/admin/api/articles/x/meta"]  # fmt: skip
FORMS = ["/admin/corpus/reload", "/admin/corpus/upload", "/admin/corpus/meta", "/admin/queue/handled",
         "/admin/queue/word", "/admin/correct", "/admin/correct/remove"]  # fmt: skip


@pytest.mark.parametrize("path", PAGES)
def test_pages_without_a_session_lead_to_the_login_page(client: TestClient, path: str) -> None:
    response = client.get(path, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/admin/login?next=")
    login = client.get(path)
    assert 'type="password"' in login.text and "Log out" not in login.text


@pytest.mark.parametrize("path", API_GETS)
def test_api_without_credentials_is_401(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 401
    assert "unauthorized" in response.json()["error"]


@pytest.mark.parametrize("path", API_POSTS)
def test_api_posts_without_credentials_are_401(client: TestClient, path: str) -> None:
    assert client.post(path, json={}).status_code == 401


def test_bare_admin_redirects_to_the_console(client: TestClient) -> None:
    response = client.get("/admin", follow_redirects=False)
    assert response.status_code == 307 and response.headers["location"] == "/admin/"


def test_login_sets_a_strict_http_only_cookie_and_goes_where_asked(client: TestClient) -> None:
    page = client.get("/admin/login?next=/admin/queue")
    response = client.post("/admin/login", data={"csrf": csrf_of(page.text), "password": PASSWORD, "next": "/admin/queue"},
                           follow_redirects=False)  # fmt: skip
    assert response.status_code == 303 and response.headers["location"] == "/admin/queue"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(COOKIE + "=")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/admin" in cookie
    assert client.get("/admin/queue").status_code == 200


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/admin", "/elsewhere"])
def test_login_never_redirects_out_of_the_console(client: TestClient, target: str) -> None:
    page = client.get("/admin/login")
    response = client.post("/admin/login", data={"csrf": csrf_of(page.text), "password": PASSWORD, "next": target},
                           follow_redirects=False)  # fmt: skip
    assert response.headers["location"] == "/admin/"


def test_wrong_password_is_refused(client: TestClient) -> None:
    page = client.get("/admin/login")
    response = client.post("/admin/login", data={"csrf": csrf_of(page.text), "password": PASSWORD + "x"})
    assert response.status_code == 401 and "Wrong password" in response.text
    assert client.get("/admin/", follow_redirects=False).status_code == 303
    assert client.get("/admin/api/queue").status_code == 401


def test_login_without_the_forms_csrf_token_is_403(client: TestClient) -> None:
    client.get("/admin/login")
    assert client.post("/admin/login", data={"password": PASSWORD}).status_code == 403
    assert client.post("/admin/login", data={"csrf": "0" * 64, "password": PASSWORD}).status_code == 403
    assert client.get("/admin/", follow_redirects=False).status_code == 303


def test_login_attempts_are_rate_limited_per_address(client: TestClient) -> None:
    token = csrf_of(client.get("/admin/login").text)
    codes = [client.post("/admin/login", data={"csrf": token, "password": "guess"}).status_code for _ in range(6)]
    assert codes == [401] * 5 + [429]
    # even the right password waits now
    assert client.post("/admin/login", data={"csrf": token, "password": PASSWORD}).status_code == 429


def test_limiter_forgets_attempts_after_the_window() -> None:
    limiter = LoginLimiter(2, window_s=60)
    assert [limiter.allow("a", now=t) for t in (0, 1, 2)] == [True, True, False]
    assert limiter.allow("b", now=2)  # per address
    assert limiter.allow("a", now=61)


@pytest.mark.parametrize("path", FORMS)
def test_forms_without_or_with_a_wrong_csrf_token_are_403(admin: tuple[TestClient, str], path: str) -> None:
    client, token = admin
    assert client.post(path, data={"question": "x", "key": "k"}).status_code == 403
    wrong = token[:-1] + ("1" if token.endswith("0") else "0")
    assert client.post(path, data={"csrf": wrong, "question": "x"}).status_code == 403


def test_session_json_posts_need_the_csrf_header(admin: tuple[TestClient, str]) -> None:
    client, token = admin
    assert client.post("/admin/api/queue/handled", json={"key": "k", "question": "q"}).status_code == 403
    wrong = client.post("/admin/api/queue/handled", json={"key": "k", "question": "q"}, headers={"X-CSRF-Token": "nope"})
    assert wrong.status_code == 403
    right = client.post("/admin/api/queue/unhandled", json={"key": "k"}, headers={"X-CSRF-Token": token})
    assert right.status_code == 200
    assert client.get("/admin/api/queue").status_code == 200  # GETs need no token


def test_bearer_password_opens_the_api_without_csrf(client: TestClient) -> None:
    assert client.get("/admin/api/articles", headers=bearer()).status_code == 200
    assert client.post("/admin/api/queue/unhandled", json={"key": "k"}, headers=bearer()).status_code == 200
    assert client.get("/admin/api/articles", headers=bearer(PASSWORD + "!")).status_code == 401
    assert client.get("/admin/api/articles", headers={"Authorization": f"Basic {PASSWORD}"}).status_code == 401
    # the bearer password is for the API: pages still want a login
    assert client.get("/admin/", headers=bearer(), follow_redirects=False).status_code == 303


def test_logout_ends_the_session(admin: tuple[TestClient, str]) -> None:
    client, token = admin
    assert client.post("/admin/logout", data={"csrf": token}).status_code == 200
    assert client.get("/admin/", follow_redirects=False).status_code == 303


def test_forged_or_tampered_cookies_are_refused(client: TestClient) -> None:
    log_in(client)
    value = client.cookies[COOKIE]
    client.cookies.clear()
    client.cookies.set(COOKIE, value[:-2] + ("AA" if not value.endswith("AA") else "BB"), path="/admin")
    assert client.get("/admin/", follow_redirects=False).status_code == 303


def test_every_response_carries_a_strict_csp(admin: tuple[TestClient, str]) -> None:
    client, _ = admin
    for path in ["/admin/login", "/admin/", "/admin/queue", "/admin/api/articles"]:
        headers = client.get(path).headers
        assert headers["content-security-policy"].startswith("default-src 'self'")
        assert headers["x-frame-options"] == "DENY" and headers["x-content-type-options"] == "nosniff"


def test_sessions_survive_a_restart_and_end_with_a_new_password(tmp_path: Path, admin_services: Services) -> None:
    data_dir = tmp_path / "data"
    first = Guard("pw-one", data_dir)
    key_file = data_dir / KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    found = first.new_session(logged_in=True)
    again = Guard("pw-one", data_dir)  # another worker, or after a restart
    assert again.csrf_token(found) == first.csrf_token(found)
    assert Guard("pw-two", data_dir).csrf_token(found) != first.csrf_token(found)


def test_the_console_is_not_served_without_a_password(tmp_path: Path, admin_services: Services) -> None:
    services = Services(settings=console_settings(tmp_path, admin_password=""), engine=admin_services.engine,
                        sink=admin_services.sink, store=admin_services.store)  # fmt: skip
    with TestClient(build_http_app(services)) as plain:
        assert plain.get("/admin/login").status_code == 404
        assert plain.get("/admin/api/articles", headers=bearer("")).status_code == 404
