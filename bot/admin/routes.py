"""The console's routes under /admin: login, pages, forms, the JSON API and its static files."""

from __future__ import annotations

import functools
import logging
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from bot.admin.api import API_ROUTES
from bot.admin.auth import CSRF_FIELD, client_address
from bot.admin.console import HEADERS, Console, Handler, back
from bot.admin.pages import PAGE_ROUTES

if TYPE_CHECKING:
    from bot.app import Services

log = logging.getLogger(__name__)


def _next_of(value: str) -> str:
    """Where to go after login: a console path only (no open redirect)."""
    return value if value.startswith("/admin") and not value.startswith("//") and "\\" not in value else "/admin/"


async def login_page(console: Console, request: Request) -> Response:
    guard = console.guard
    if guard.logged_in(request):
        return RedirectResponse(_next_of(request.query_params.get("next", "")), status_code=303, headers=HEADERS)
    found = guard.session(request)
    fresh = found is None
    if found is None:  # a pre-login session: the login form's CSRF token is bound to it
        found = guard.new_session(logged_in=False)
    response = console.render(request, "login.html", page="login", csrf=guard.csrf_token(found),
                              next=request.query_params.get("next", ""))  # fmt: skip
    if fresh:
        guard.set_cookie(response, found, secure=request.url.scheme == "https")
    return response


async def login(console: Console, request: Request) -> Response:
    guard = console.guard
    address = client_address(request)
    if not guard.limiter.allow(address):
        log.warning("admin: too many login attempts from %s", address)
        return console.render(request, "login.html", status_code=429, page="login",
                              error="Too many login attempts: wait a minute.")  # fmt: skip
    fields = await request.form()
    token, password, target = (fields.get(n) for n in (CSRF_FIELD, "password", "next"))
    if not guard.csrf_ok(request, token if isinstance(token, str) else None):
        return console.render(request, "login.html", status_code=403, page="login",
                              error="The login form expired: try again.")  # fmt: skip
    if not isinstance(password, str) or not guard.password_ok(password):
        log.warning("admin: wrong password from %s", address)
        return console.render(request, "login.html", status_code=401, page="login",
                              error="Wrong password.", next=target if isinstance(target, str) else "")  # fmt: skip
    response = RedirectResponse(_next_of(target if isinstance(target, str) else ""), status_code=303, headers=HEADERS)
    guard.set_cookie(response, guard.new_session(logged_in=True), secure=request.url.scheme == "https")
    log.info("admin: logged in from %s", address)
    return response


async def logout(console: Console, request: Request) -> Response:
    fields = await request.form()
    token = fields.get(CSRF_FIELD)
    if not console.guard.csrf_ok(request, token if isinstance(token, str) else None):
        return back("/admin/", error="Log out again: the form expired.")
    response = back("/admin/login", notice="Logged out.")
    console.guard.clear(response)
    return response


def _bind(console: Console, handler: Handler) -> object:
    @functools.wraps(handler)
    async def endpoint(request: Request) -> Response:
        return await handler(console, request)

    return endpoint


def admin_routes(services: "Services") -> list[BaseRoute]:
    """Every route of the console; none when ADMIN_PASSWORD is not set."""
    if not services.settings.admin_password:
        return []
    console = Console(services)
    table: list[tuple[str, Handler, list[str]]] = [
        ("/login", login_page, ["GET"]),
        ("/login", login, ["POST"]),
        ("/logout", logout, ["POST"]),
        *PAGE_ROUTES,
        *(("/api" + path, handler, methods) for path, handler, methods in API_ROUTES),
    ]
    routes: list[BaseRoute] = [
        Route("/admin", lambda request: RedirectResponse("/admin/", status_code=307), methods=["GET"]),
        Mount("/admin/static", app=StaticFiles(packages=[("bot.admin", "static")]), name="admin-static"),
    ]
    routes += [Route("/admin" + path, _bind(console, handler), methods=methods) for path, handler, methods in table]  # type: ignore[arg-type]
    return routes
