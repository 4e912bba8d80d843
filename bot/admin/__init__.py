"""The admin console at /admin: overview, exchanges, review queue, hit test, corpus — and its JSON API.

Served by the HTTP server (:mod:`bot.http_app`) whenever ``ADMIN_PASSWORD`` is set.
"""

from bot.admin.routes import admin_routes

__all__ = ["admin_routes"]
