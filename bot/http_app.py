"""The HTTP server: one Starlette app hosting the web-facing channels.

It serves the WeChat callback at ``WECHAT_PATH`` when ``WECHAT_TOKEN`` is set, the admin
console at ``/admin`` when ``ADMIN_PASSWORD`` is set (:mod:`bot.admin`), and ``/healthz``.
A Telegram webhook route is added the same way:
a function ``(services) -> list[BaseRoute]`` in :data:`ROUTE_PROVIDERS`, or routes
and a lifespan passed to :func:`build_http_app`.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import BaseRoute, Route

from bot.channels.wechat import wechat_routes

if TYPE_CHECKING:
    from bot.app import Services

log = logging.getLogger(__name__)

RouteProvider = Callable[["Services"], list[BaseRoute]]


def _wechat(services: "Services") -> list[BaseRoute]:
    if not services.settings.wechat_token:
        return []
    return list(wechat_routes(services))


def _admin(services: "Services") -> list[BaseRoute]:
    if not services.settings.admin_password:
        return []
    from bot.admin import admin_routes

    return admin_routes(services)


# each configured channel contributes its routes; an empty list when not configured
ROUTE_PROVIDERS: list[RouteProvider] = [_wechat, _admin]


async def healthz(request: Request) -> PlainTextResponse:
    return PlainTextResponse("ok")


def build_http_app(
    services: "Services",
    *,
    routes: Sequence[BaseRoute] = (),
    lifespan: Any = None,
) -> Starlette:
    """The ASGI app: ``/healthz``, every configured channel's routes, then ``routes``."""
    all_routes: list[BaseRoute] = [Route("/healthz", healthz, methods=["GET"])]
    for provider in ROUTE_PROVIDERS:
        all_routes.extend(provider(services))
    all_routes.extend(routes)
    if len(all_routes) == 1:
        log.warning("http: nothing configured (set WECHAT_TOKEN or ADMIN_PASSWORD); only /healthz is served")
    return Starlette(routes=all_routes, lifespan=lifespan)


def http_server(services: "Services", app: Starlette | None = None, **config: Any) -> uvicorn.Server:
    """A uvicorn server for the app on ``HTTP_HOST``:``HTTP_PORT`` (``config`` overrides)."""
    settings = services.settings
    options: dict[str, Any] = dict(
        host=settings.http_host,
        port=settings.http_port,
        log_level="info",
        server_header=False,
        access_log=False,  # WeChat puts the user's openid in the query string: keep it out of logs
    )
    options.update(config)
    return uvicorn.Server(uvicorn.Config(app or build_http_app(services), **options))


async def serve_http(
    services: "Services", *, app: Starlette | None = None, sock: socket.socket | None = None
) -> None:
    """Run the HTTP server until it is stopped (Ctrl-C / SIGTERM)."""
    server = http_server(services, app)
    settings = services.settings
    if settings.wechat_token:
        where = f"http://{settings.http_host}:{settings.http_port}{settings.wechat_path}"
        log.info("http: WeChat callback at %s", where)
    log_console_url(settings)
    await server.serve(sockets=[sock] if sock is not None else None)


def console_url(settings: Any) -> str:
    return f"http://{settings.http_host}:{settings.http_port}/admin"


def log_console_url(settings: Any) -> None:
    if settings.admin_password:
        log.info("http: admin console at %s", console_url(settings))
