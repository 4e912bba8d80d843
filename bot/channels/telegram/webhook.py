"""Telegram's webhook as a route of the one HTTP app (beside WeChat, the console and /healthz).

Telegram POSTs each update to ``WEBHOOK_URL``; behind the reverse proxy that path reaches this
route on ``HTTP_HOST:HTTP_PORT`` (any worker).  The route checks the secret token Telegram echoes
in ``X-Telegram-Bot-Api-Secret-Token`` and hands the update to the running PTB Application's
queue, as PTB's own webhook server would — so there is no second server on a second port, and
several workers behind one proxy all take updates.

The secret is ``WEBHOOK_SECRET``, or one derived from the bot token: every worker and every
restart computes the same, so the webhook registered by one is accepted by all.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from urllib.parse import urlparse

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from telegram import Update
from telegram.ext import Application

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_UPDATE_BYTES = 1_000_000  # an update is a few kB; anything this big is not from Telegram


def webhook_secret(token: str, configured: str = "") -> str:
    """WEBHOOK_SECRET, or a secret derived from the bot token (Telegram allows A-Z a-z 0-9 _ -)."""
    if configured:
        return configured
    return hashlib.sha256(f"jinan-bot telegram webhook:{token}".encode()).hexdigest()[:48]


def webhook_route_path(url: str) -> str:
    """The path part of WEBHOOK_URL (``/telegram`` when it has none)."""
    return "/" + (urlparse(url).path.strip("/") or "telegram")


def webhook_routes(app: Application, url: str, secret: str) -> list[BaseRoute]:
    """One POST route at WEBHOOK_URL's path feeding APP's update queue."""
    skipped: set[str] = set()

    async def receive(request: Request) -> Response:
        if not hmac.compare_digest(request.headers.get(SECRET_HEADER, "").encode(), secret.encode()):
            return Response(status_code=403)
        body = await request.body()
        if len(body) > MAX_UPDATE_BYTES:
            return Response(status_code=413)
        try:
            data = json.loads(body)
            update = Update.de_json(data, app.bot)
        except Exception as exc:  # answered 200: Telegram would resend a broken update forever
            kind = type(exc).__name__
            if kind not in skipped:  # logged once per kind of fault, never with the user's text
                skipped.add(kind)
                log.warning("telegram webhook: skipped an update that could not be read (%s)", kind)
            return Response(status_code=200)
        if update is not None:
            await app.update_queue.put(update)
        return Response(status_code=200)

    return [Route(webhook_route_path(url), receive, methods=["POST"])]
