"""The console's HTML pages and the forms they post (each form: POST, CSRF token, then 303 back)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from bot.admin import actions, data
from bot.admin.api import uploaded
from bot.admin.charts import COLORS, Series, bar_chart, line_chart
from bot.admin.console import Console, back, form, page
from bot.storage.overview import Overview, compute_overview

if TYPE_CHECKING:
    from bot.app import Services

DEFAULT_PERIOD = "30d"


def _overview(services: "Services", params: Mapping[str, str]) -> Overview:
    tz = data.zone_of(services)
    since, until = data.period({"since": DEFAULT_PERIOD, **params}, tz)
    return compute_overview(services.store, tz=tz, since=since, until=until)


def overview_data(services: "Services", params: Mapping[str, str]) -> dict[str, Any]:
    """The overview as JSON: totals, per day and per channel."""
    found = _overview(services, params)

    def counts(c: Any) -> dict[str, Any]:
        return {"questions": c.questions, "answered": c.answered, "rate": round(c.rate, 4), "up": c.up, "down": c.down}

    return {
        "total": counts(found.total),
        "latency_p50_ms": found.latency_p50_ms,
        "latency_p95_ms": found.latency_p95_ms,
        "days": [{"day": d.day.isoformat(), **counts(d.counts), "latency_p50_ms": d.latency_p50_ms,
                  "latency_p95_ms": d.latency_p95_ms} for d in found.days],  # fmt: skip
        "channels": {name: counts(c) for name, c in found.channels.items()},
    }


def _charts(found: Overview) -> dict[str, Any]:
    labels = [d.day.strftime("%m-%d") for d in found.days]
    per_day = [d.counts for d in found.days]
    channels = list(found.channels)
    return {
        "questions": bar_chart(labels, [
            Series("answered", [c.answered for c in per_day], COLORS[2]),
            Series("declined", [c.questions - c.answered for c in per_day], COLORS[1]),
        ], title="Questions per day"),  # fmt: skip
        "rate": line_chart(labels, [Series("answered %", [100 * c.rate if c.questions else None for c in per_day], COLORS[0])],
                           title="Answered rate per day", unit="%", top=100),  # fmt: skip
        "votes": bar_chart(labels, [Series("👍 up", [c.up for c in per_day], COLORS[2]), Series("👎 down", [c.down for c in per_day], COLORS[3])],
                           title="Votes per day"),  # fmt: skip
        "latency": line_chart(labels, [
            Series("p50", [d.latency_p50_ms for d in found.days], COLORS[0]),
            Series("p95", [d.latency_p95_ms for d in found.days], COLORS[4]),
        ], title="Latency per day", unit=" ms"),  # fmt: skip
        "channels": bar_chart(channels, [
            Series("answered", [found.channels[c].answered for c in channels], COLORS[2]),
            Series("declined", [found.channels[c].questions - found.channels[c].answered for c in channels], COLORS[1]),
        ], title="Questions per channel"),  # fmt: skip
    }


@page
async def overview(console: Console, request: Request) -> Response:
    params = dict(request.query_params)
    try:
        found = await run_in_threadpool(_overview, console.services, params)
    except ValueError as exc:
        return back("/admin/", error=str(exc))
    return console.render(request, "overview.html", page="overview", found=found, charts=_charts(found),
                          since=params.get("since", DEFAULT_PERIOD), until=params.get("until", ""))  # fmt: skip


@page
async def exchanges(console: Console, request: Request) -> Response:
    params = {"limit": "100", **request.query_params}
    try:
        items = await run_in_threadpool(data.exchanges, console.services, params)
    except ValueError as exc:
        return back("/admin/exchanges", error=str(exc))
    channels = await run_in_threadpool(data.channels, console.services)
    return console.render(request, "exchanges.html", page="exchanges", items=items, params=params, channels=channels)


@page
async def queue(console: Console, request: Request) -> Response:
    params = dict(request.query_params)
    try:
        items = await run_in_threadpool(data.queue, console.services, params)
    except ValueError as exc:
        return back("/admin/queue", error=str(exc))
    return console.render(request, "queue.html", page="queue", items=items, params=params)


@page
async def correct_page(console: Console, request: Request) -> Response:
    question = request.query_params.get("q", "").strip()
    terms = request.query_params.get("search", "").strip() or question
    found = await run_in_threadpool(data.search, console.services, terms) if terms else None
    return console.render(request, "correct.html", page="queue", question=question, terms=terms, found=found,
                          corrections=console.services.corrections())  # fmt: skip


@page
async def hit_test(console: Console, request: Request) -> Response:
    question = request.query_params.get("q", "").strip()
    found = await run_in_threadpool(data.search, console.services, question) if question else None
    return console.render(request, "hit.html", page="hit", question=question, found=found)


@page
async def corpus(console: Console, request: Request) -> Response:
    return console.render(request, "corpus.html", page="corpus", articles=data.articles(console.services))


def reload_notice(result: Mapping[str, Any]) -> str:
    if not result["ok"]:
        return ""
    parts = [f"Reloaded: {result['articles']} articles, {result['passages']} passages"]
    for name in ("added", "changed", "removed"):
        parts.append(f"{name}: {', '.join(result[name]) or '—'}")
    parts.append("skipped: " + ("; ".join(f"{n} ({r})" for n, r in result["skipped"]) or "—"))
    return " · ".join(parts)


# -- forms ---------------------------------------------------------------------------
async def _fields(request: Request) -> dict[str, str]:
    return {k: v for k, v in (await request.form()).items() if isinstance(v, str)}


@form
async def reload_form(console: Console, request: Request) -> Response:
    result = await run_in_threadpool(actions.reload, console.services)
    return back("/admin/corpus", notice=reload_notice(result), error="" if result["ok"] else f"Reload failed: {result['error']}")


@form
async def upload_form(console: Console, request: Request) -> Response:
    try:
        article = await run_in_threadpool(actions.upload, console.services, *await uploaded(request))
    except ValueError as exc:
        return back("/admin/corpus", error=f"Upload refused: {exc}")
    return back("/admin/corpus", notice=f"Saved as {article}. Reload to answer from it.")


@form
async def meta_form(console: Console, request: Request) -> Response:
    f = await _fields(request)
    try:
        await run_in_threadpool(actions.set_meta, console.services, f.get("article", ""), f.get("title", ""),
                                f.get("year", ""), f.get("districts", ""))  # fmt: skip
    except ValueError as exc:
        return back("/admin/corpus", error=str(exc))
    return back("/admin/corpus", notice=f"Saved the metadata of {f.get('article', '')}. Reload to use it.")


@form
async def handled_form(console: Console, request: Request) -> Response:
    f = await _fields(request)
    try:
        if f.get("undo"):
            await run_in_threadpool(actions.unmark, console.services, f.get("key", ""))
        else:
            await run_in_threadpool(actions.mark_handled, console.services, f.get("key", ""), f.get("question", ""))
    except ValueError as exc:
        return back("/admin/queue", error=str(exc))
    done = "Back in the queue" if f.get("undo") else "Marked handled"
    return back("/admin/queue", notice=f"{done}: {f.get('question', '')}")


@form
async def word_form(console: Console, request: Request) -> Response:
    f = await _fields(request)
    try:
        result = await run_in_threadpool(actions.add_word, console.services, f.get("list", ""), f.get("term", ""), f.get("words", ""))
    except ValueError as exc:
        return back("/admin/queue", error=str(exc))
    return back("/admin/queue", notice=f"Added to {result['list']}: {result['line']} · " + reload_notice(result["reload"]))


@form
async def correct_form(console: Console, request: Request) -> Response:
    f = await _fields(request)
    question = f.get("question", "")
    try:
        await run_in_threadpool(actions.correct, console.services, question, f.get("article", ""), f.get("paragraph", ""))
    except ValueError as exc:
        return back("/admin/correct", error=str(exc), q=question)
    return back("/admin/correct", notice=f"Corrected: “{question}” is now answered with {f.get('article', '')} #{f.get('paragraph', '')}",
                q=question)  # fmt: skip


@form
async def uncorrect_form(console: Console, request: Request) -> Response:
    f = await _fields(request)
    try:
        await run_in_threadpool(actions.remove_correction, console.services, f.get("id", ""))
    except ValueError as exc:
        return back("/admin/correct", error=str(exc))
    return back("/admin/correct", notice=f"Correction {f.get('id', '')} removed")


# (path, handler, methods)
PAGE_ROUTES = [
    ("/", overview, ["GET"]),
    ("/exchanges", exchanges, ["GET"]),
    ("/queue", queue, ["GET"]),
    ("/queue/handled", handled_form, ["POST"]),
    ("/queue/word", word_form, ["POST"]),
    ("/correct", correct_page, ["GET"]),
    ("/correct", correct_form, ["POST"]),
    ("/correct/remove", uncorrect_form, ["POST"]),
    ("/hit", hit_test, ["GET"]),
    ("/corpus", corpus, ["GET"]),
    ("/corpus/upload", upload_form, ["POST"]),
    ("/corpus/meta", meta_form, ["POST"]),
    ("/corpus/reload", reload_form, ["POST"]),
]
