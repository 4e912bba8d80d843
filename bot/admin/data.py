"""What the console shows, as plain dicts: shared by the HTML pages and the JSON API.

Every function takes the running ``Services`` and plain arguments (what the request said);
nothing here knows about HTTP.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime, timedelta, tzinfo
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.records import ReloadReport
from bot.storage.overview import channels_seen
from bot.storage.periods import parse_since
from bot.storage.review import Filters, LogEntry, QueueItem, iter_entries, review_queue

if TYPE_CHECKING:
    from bot.app import Services

MAX_LIMIT = 1000


@lru_cache(maxsize=16)
def admin_zone(name: str) -> tzinfo:
    """ADMIN_TIMEZONE (an IANA name), or the machine's local zone when it is empty or unknown."""
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    local = datetime.now().astimezone().tzinfo
    assert local is not None
    return local


def zone_of(services: "Services") -> tzinfo:
    return admin_zone(services.settings.admin_timezone)


def shown_time(moment: datetime | None, tz: tzinfo) -> str:
    """``2026-11-24 09:30:05 +08:00`` in the admin's zone ("" for no time)."""
    if moment is None:
        return ""
    return moment.astimezone(tz).isoformat(sep=" ", timespec="seconds")


def limit_of(value: str | None, default: int = 50) -> int:
    try:
        wanted = int(value) if value else default
    except ValueError:
        raise ValueError(f"limit must be a number, not {value!r}") from None
    return max(1, min(wanted, MAX_LIMIT))


def period(params: Mapping[str, str], tz: tzinfo) -> tuple[datetime | None, datetime | None]:
    """``since`` (``7d`` or a date, in the admin's zone) and ``until`` (a date: up to its end)."""
    since = until = None
    if params.get("since"):
        since = _moment(params["since"], tz)
    if params.get("until"):
        until = _moment(params["until"], tz)
        if len(params["until"].strip()) <= 10:  # a bare date: the whole day
            until += timedelta(days=1)
    return since, until


def _moment(text: str, tz: tzinfo) -> datetime:
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return parse_since(text)  # an age such as 7d (ValueError with a readable message otherwise)
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)


def filters_of(params: Mapping[str, str], tz: tzinfo) -> Filters:
    """Filters from a query string: search, channel, status (answered|declined), negative, since, until."""
    since, until = period(params, tz)
    status = params.get("status", "")
    if status not in ("", "answered", "declined"):
        raise ValueError(f"status must be answered or declined, not {status!r}")
    return Filters(
        search=params.get("search") or None,
        channel=params.get("channel") or None,
        negative=params.get("negative", "") not in ("", "0", "false"),
        since=since,
        until=until,
        answered={"answered": True, "declined": False}.get(status),
    )


def exchange_item(entry: LogEntry, tz: tzinfo) -> dict[str, Any]:
    return {
        "time": shown_time(entry.time, tz),
        "channel": entry.channel,
        "question": entry.message,
        "reply": entry.reply,
        "answered": entry.answered,
        "kind": entry.kind,
        "reason": entry.reason,
        "latency_ms": round(entry.latency_ms, 1),
        "confidence": entry.confidence,
        "up": entry.feedback_up,
        "down": entry.feedback_down,
        "error": entry.error,
        "passages": [
            {"article": str(p.get("article", "")), "paragraph": p.get("paragraph"), "title": str(p.get("title", "")),
             "text": str(p.get("text", "")), "score": p.get("score")}
            for p in entry.passages
        ],  # fmt: skip
    }


def exchanges(services: "Services", params: Mapping[str, str]) -> list[dict[str, Any]]:
    tz = zone_of(services)
    filters = filters_of(params, tz)
    return [exchange_item(e, tz) for e in iter_entries(services.store, filters, limit=limit_of(params.get("limit")))]


def channels(services: "Services") -> list[str]:
    return channels_seen(services.store)


def queue_item(item: QueueItem, tz: tzinfo) -> dict[str, Any]:
    return {
        "key": item.key,
        "question": item.question,
        "variants": item.variants,
        "count": item.count,
        "declined": item.unanswered,
        "negative": item.negative,
        "low_confidence": item.low_confidence,
        "handled": item.handled,
        "first_seen": shown_time(item.first_seen, tz),
        "last_seen": shown_time(item.last_seen, tz),
        "channels": item.channels,
        "reason": item.reason,
        "best": {"article": item.best_article, "title": item.best_title, "text": item.best_text, "score": item.best_score},
    }


def queue(services: "Services", params: Mapping[str, str]) -> list[dict[str, Any]]:
    tz = zone_of(services)
    since, _until = period(params, tz)
    items = review_queue(
        services.store,
        since=since,
        channel=params.get("channel") or None,
        limit=limit_of(params.get("limit"), 200),
        include_handled=params.get("handled", "") not in ("", "0", "false"),
        low_confidence_below=services.engine.low_confidence_below,
    )
    return [queue_item(item, tz) for item in items]


def articles(services: "Services") -> list[dict[str, Any]]:
    """The articles the running index answers from, with the file's last change (admin's zone)."""
    tz = zone_of(services)
    out = []
    for article in sorted(services.engine.library.articles.values(), key=lambda a: a.article_id):
        try:
            changed = datetime.fromtimestamp(os.stat(article.path).st_mtime, tz) if article.path else None
        except OSError:
            changed = None
        out.append({
            "id": article.article_id,
            "title": article.title,
            "year": article.year,
            "districts": list(article.districts),
            "source": article.source,
            "passages": len(article.passages),
            "file": os.path.basename(article.path),
            "changed": shown_time(changed, tz),
        })  # fmt: skip
    return out


def reload_result(report: ReloadReport) -> dict[str, Any]:
    return {
        "ok": report.ok,
        "articles": report.articles,
        "passages": report.passages,
        "added": list(report.added),
        "changed": list(report.changed),
        "removed": list(report.removed),
        "skipped": [[name, reason] for name, reason in report.skipped],
        "error": report.error,
        "duration_s": report.duration_s,
    }


def search(services: "Services", question: str) -> dict[str, Any]:
    """What the bot would answer (ranked passages, each signal's score, the decision): not logged."""
    return services.engine.explain(question)
