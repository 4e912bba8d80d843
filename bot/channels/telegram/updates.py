"""Polling that survives an update python-telegram-bot cannot read.

PTB parses a whole ``getUpdates`` batch at once: one update it cannot read (a self-hosted Bot
API server sending newer fields, say) makes the batch fail, it is never confirmed, and the same
batch is fetched again and again — polling stalls for good and every attempt logs the raw batch
(user texts, ids). Here the ``getUpdates`` answer is checked update by update before PTB sees it:
an unreadable update is replaced by a bare ``{"update_id": …}`` (no handler matches it, and
confirming it moves the offset past it) and is logged once, by id, kind and error type only.

The hook is PTB's own extension point for HTTP: a :class:`~telegram.request.BaseRequest` passed
to ``ApplicationBuilder.get_updates_request`` (used for ``getUpdates`` only).
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.request import HTTPXRequest

log = logging.getLogger(__name__)

GET_UPDATES_POOL_SIZE = 1  # what ApplicationBuilder uses for getUpdates by default


def readable(raw: Any) -> dict[str, Any] | None:
    """``raw`` when PTB can build an Update from it; a bare update in its place when it cannot.

    None for something that is not an update at all (no integer ``update_id``): it cannot be
    confirmed either way, so it is dropped.
    """
    update_id = raw.get("update_id") if isinstance(raw, dict) else None
    if not isinstance(update_id, int) or isinstance(update_id, bool):
        log.warning("telegram: dropped an entry of getUpdates that is not an update (%s)", type(raw).__name__)
        return None
    try:
        Update.de_json(raw, None)
    except Exception as exc:  # any failure of the library's parser
        kinds = ",".join(k for k in raw if k != "update_id") or "-"
        # never the data or the exception's text: both may carry what the user wrote
        log.warning("telegram: skipped update %s (%s) that could not be read: %s", update_id, kinds,
                    type(exc).__name__)
        return {"update_id": update_id}
    return raw


class TolerantUpdatesRequest(HTTPXRequest):
    """The ``getUpdates`` connection, with unreadable updates taken out of each batch."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("connection_pool_size", GET_UPDATES_POOL_SIZE)
        super().__init__(**kwargs)

    async def post(self, *args: Any, **kwargs: Any) -> Any:
        result = await super().post(*args, **kwargs)
        if isinstance(result, list):
            result = [u for u in (readable(raw) for raw in result) if u is not None]
        return result
