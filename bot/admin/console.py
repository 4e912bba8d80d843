"""The console's plumbing: templates, security headers, and who may reach a page, a form or the API."""

from __future__ import annotations

import functools
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from bot.admin.auth import CSRF_FIELD, CSRF_HEADER, Guard
from bot.admin.data import zone_of

if TYPE_CHECKING:
    from bot.app import Services

HERE = Path(__file__).resolve().parent
Handler = Callable[["Console", Request], Awaitable[Response]]
HEADERS = {
    # everything comes from the console itself: no script, style, font or image from elsewhere
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; "
    "form-action 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


class Console:
    """One admin console: the services it shows, its guard and its templates."""

    def __init__(self, services: "Services") -> None:
        settings = services.settings
        self.services = services
        self.guard = Guard(
            settings.admin_password,
            Path(settings.data_dir),
            session_hours=settings.admin_session_hours,
            login_per_minute=settings.admin_login_per_minute,
        )
        self.templates = Environment(
            loader=FileSystemLoader(HERE / "templates"),
            autoescape=select_autoescape(default=True, default_for_string=True),
            trim_blocks=True,
            lstrip_blocks=True,
        )

    def render(self, request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        found = self.guard.session(request)
        context.setdefault("csrf", self.guard.csrf_token(found) if found is not None else "")
        context.setdefault("notice", request.query_params.get("notice", ""))
        context.setdefault("error", request.query_params.get("error", ""))
        context.setdefault("zone", str(zone_of(self.services)))
        context["request_path"] = request.url.path
        html = self.templates.get_template(name).render(**context)
        return HTMLResponse(html, status_code=status_code, headers=HEADERS)


def json_response(data: Any, status_code: int = 200) -> JSONResponse:
    return JSONResponse(data, status_code=status_code, headers=HEADERS)


def back(path: str, *, notice: str = "", error: str = "", **params: str) -> RedirectResponse:
    """303 to a console page (after a form), with what happened shown there."""
    query = {k: v for k, v in {**params, "notice": notice, "error": error}.items() if v}
    return RedirectResponse(path + ("?" + urlencode(query) if query else ""), status_code=303, headers=HEADERS)


def page(handler: Handler) -> Handler:
    """A page for a logged-in admin; anyone else goes to the login page (and comes back after it)."""

    @functools.wraps(handler)
    async def wrapped(console: Console, request: Request) -> Response:
        if not console.guard.logged_in(request):
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/admin/login?next={quote(target, safe='')}", status_code=303, headers=HEADERS)
        return await handler(console, request)

    return wrapped


def form(handler: Handler) -> Handler:
    """A form POST of a logged-in admin, with the session's CSRF token (403 without it)."""

    @functools.wraps(handler)
    async def wrapped(console: Console, request: Request) -> Response:
        if not console.guard.logged_in(request):
            return back("/admin/login")
        fields = await request.form()
        token = fields.get(CSRF_FIELD)
        if not console.guard.csrf_ok(request, token if isinstance(token, str) else None):
            return HTMLResponse("403 Forbidden: the form's CSRF token is missing or wrong — reload the page.",
                                status_code=403, headers=HEADERS)  # fmt: skip
        return await handler(console, request)

    return wrapped


def api(handler: Handler) -> Handler:
    """A JSON API route: a Bearer password, or a session (with X-CSRF-Token on anything but GET)."""

    @functools.wraps(handler)
    async def wrapped(console: Console, request: Request) -> Response:
        guard = console.guard
        if not guard.bearer_ok(request):
            if not guard.logged_in(request):
                return json_response({"error": "unauthorized: log in or send Authorization: Bearer <ADMIN_PASSWORD>"}, 401)
            if request.method not in ("GET", "HEAD") and not guard.csrf_ok(request, request.headers.get(CSRF_HEADER)):
                return json_response({"error": "forbidden: missing or wrong X-CSRF-Token"}, 403)
        try:
            return await handler(console, request)
        except ValueError as exc:
            return json_response({"error": str(exc)}, 400)

    return wrapped


async def json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object, or its form fields (ValueError for anything else)."""
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            data = json.loads(await request.body() or b"{}")
        except ValueError:
            raise ValueError("the body is not valid JSON") from None
        if not isinstance(data, dict):
            raise ValueError("the body must be a JSON object")
        return data
    return {k: v for k, v in (await request.form()).items() if isinstance(v, str)}


def text_of(data: dict[str, Any], name: str) -> str:
    value = data.get(name, "")
    if value is None:
        return ""
    if not isinstance(value, (str, int, float)):
        raise ValueError(f"{name} must be text")
    return str(value)
