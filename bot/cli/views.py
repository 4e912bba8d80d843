"""How ``logs``, ``logs unanswered`` and ``stats`` print: a table on a terminal, otherwise plain text.

``--format table`` is a rich table that stays readable at 80 columns (the question gets the room, the
rest goes on a dim line under it, times short in the admin's zone). ``tsv``, the default when stdout
is not a terminal, prints one record per line, tab-separated, in full: ``logs | grep 党员`` finds whole
questions. ``json`` prints one JSON object per line (per record). Stored text is always shown as text:
rich cells are ``Text`` (no markup read), control characters are made visible (``visible``); TSV cells
have no tab or line break left (they show as ␉ and ␊), JSON escapes them itself.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable
from datetime import tzinfo
from typing import Any

import click
from rich import box
from rich.table import Table
from rich.text import Text

from bot.config import Settings
from bot.storage.export import as_dict
from bot.storage.formatting import queue_flags, reason_summary, short, visible
from bot.storage.periods import local_iso, parse_zone, short_time, zone_name
from bot.storage.queue import QueueItem
from bot.storage.review import LogEntry

FORMATS = ("table", "tsv", "json")
QUESTION_SHOWN = 300  # characters of a question a table shows (tsv and json show everything)
DETAIL_SHOWN = 160  # characters of a reason, passage or reply line under it


def _zone(value: str | None) -> tzinfo | None:
    if value is None:
        return None
    try:
        return parse_zone(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def output_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--format and --tz, shared by ``logs``, ``logs unanswered`` and ``stats``."""
    command = click.option(
        "--tz", "tz", metavar="NAME", callback=lambda ctx, param, value: _zone(value),
        help="Time zone of the times shown (Asia/Shanghai, UTC); default ADMIN_TIMEZONE, else this machine's.",
    )(command)  # fmt: skip
    return click.option(
        "--format", "fmt", type=click.Choice(FORMATS),
        help="table (default on a terminal), tsv (default when piped: one line each, full text) or json (one object a line).",
    )(command)  # fmt: skip


def chosen_format(fmt: str | None) -> str:
    return fmt or ("table" if sys.stdout.isatty() else "tsv")


def admin_zone(tz: tzinfo | None) -> tzinfo:
    """The zone the admin chose (--tz), else the configured ADMIN_TIMEZONE (when Settings has one), else local."""
    if tz is not None:
        return tz
    name = Settings().admin_timezone
    try:
        return parse_zone(name)
    except ValueError as exc:
        raise click.ClickException(f"ADMIN_TIMEZONE: {exc}") from None


def cell(text: str, width: int | None = None, style: str = "") -> Text:
    """Stored (user or corpus) text as a table cell: a Text, so rich reads no markup or emoji codes
    in it, with control characters made visible (see ``visible``) and cut to WIDTH."""
    return Text(short(text, width) if width else visible(text), style=style)


def tsv_line(values: Iterable[object]) -> str:
    """One TSV line: each value in full, control characters (tabs and line breaks too) made visible."""
    return "\t".join(visible(str(v)) for v in values)


def json_line(data: dict[str, Any]) -> str:
    """One JSON object; on a terminal with the characters JSON leaves raw (DEL, C1, bidi marks) made visible."""
    line = json.dumps(data, ensure_ascii=False)
    return visible(line) if sys.stdout.isatty() else line


def passage_ref(passage: dict[str, Any]) -> str:
    """``001_a#4`` of a logged passage (``?`` for an unreadable paragraph)."""
    return f"{passage.get('article', '')}#{passage.get('paragraph', '?')}"


def score_of(passage: dict[str, Any]) -> str:
    try:
        return f"{float(passage.get('score', 0)):.2f}"
    except (TypeError, ValueError):
        return "?"


# -- logs ---------------------------------------------------------------------------------------


def _detail(entry: LogEntry) -> str:
    """The dim line under a question: why it was declined, or what the bot quoted."""
    parts: list[str] = []
    if entry.query and entry.query.strip() != entry.message.strip():
        parts.append(f"searched: {entry.query}")
    if entry.error:
        parts.append(f"error: {entry.error}")
    elif not entry.answered and entry.reason:
        parts.append(f"declined: {entry.reason}")
    if entry.passages:
        top = entry.passages[0]
        title = f" 《{short(str(top.get('title') or ''), 24)}》" if top.get("title") else ""
        parts.append(f"{'quoted' if entry.answered else 'had'} {passage_ref(top)}{title} ({score_of(top)})")
    if entry.answered and entry.confidence:
        parts.append(f"confidence {entry.confidence:.2f}")
    if entry.feedback_up or entry.feedback_down:
        parts.append(f"👍{entry.feedback_up} 👎{entry.feedback_down}")
    return " · ".join(parts)


def entries_table(entries: list[LogEntry], tz: tzinfo) -> Table:
    table = Table(title=f"{len(entries)} exchange(s), newest first · {zone_name(tz)}", box=box.SIMPLE_HEAD,
                  pad_edge=False, title_justify="left")  # fmt: skip
    table.add_column("time", style="dim", no_wrap=True)
    table.add_column("channel", no_wrap=True, max_width=8, overflow="ellipsis")
    table.add_column("question", ratio=1, overflow="fold", min_width=20)
    table.add_column("ok", no_wrap=True)
    table.add_column("ms", justify="right", no_wrap=True)
    for e in entries:
        ok = Text("✓", style="green") if e.answered else Text("error" if e.error else "✗", style="red")
        if not e.answered and not e.error and e.kind not in ("no_answer", "answer"):
            ok = Text("·", style="dim")  # help, more, an article page: nothing to answer
        question = cell(e.message, QUESTION_SHOWN, style="bold")
        detail = _detail(e)
        if detail:
            question.append("\n").append_text(cell(detail, DETAIL_SHOWN, style="dim"))
        table.add_row(short_time(e.time, tz), cell(e.channel), question, ok, f"{e.latency_ms:.0f}")
    return table


ENTRY_COLUMNS = ["time", "channel", "source", "answered", "kind", "question", "reply", "reason", "passage", "score",
                 "confidence", "latency_ms", "up", "down", "exchange_id"]  # fmt: skip


def entry_values(e: LogEntry, tz: tzinfo) -> list[object]:
    top = e.passages[0] if e.passages else {}
    answered = "error" if e.error else ("yes" if e.answered else "no")
    return [local_iso(e.time, tz), e.channel, e.source, answered, e.kind, e.message, e.reply, e.reason or e.error,
            passage_ref(top) if top else "", score_of(top) if top else "", f"{e.confidence:.2f}" if e.confidence else "",
            f"{e.latency_ms:.0f}", e.feedback_up, e.feedback_down, e.exchange_id]  # fmt: skip


def entry_json(e: LogEntry, tz: tzinfo) -> dict[str, Any]:
    """An exchange as JSON: the export's fields (``message`` is the question), time in TZ."""
    return {**as_dict(e), "time": local_iso(e.time, tz)}


# -- the review queue ---------------------------------------------------------------------------


def _queue_cell(item: QueueItem, tz: tzinfo) -> Text:
    text = cell(item.question, QUESTION_SHOWN, style="bold")
    if len(item.variants) > 1:
        text.append(f" (+{len(item.variants) - 1} variants)", style="dim")
    lines = [Text(f"{queue_flags(item)} · {', '.join(item.channels)}", style="dim")]
    if item.handled_at is not None:
        state = "handled" if item.handled else "back since handled"
        lines.append(Text(f"{state} {short_time(item.handled_at, tz)}", style="green" if item.handled else "yellow"))
    if item.reasons:
        lines.append(Text.assemble("declined because ", cell(reason_summary(item.reasons), DETAIL_SHOWN)))
    if item.low_confidence and item.lowest_confidence is not None:
        lines.append(Text(f"answered with confidence down to {item.lowest_confidence:.2f}", style="yellow"))
    if item.best_text:
        source = item.best_article + (f" 《{short(item.best_title, 24)}》" if item.best_title else "")
        lines.append(Text.assemble(("best passage ", "dim"), cell(f"[{source}]", style="dim"), " ", cell(item.best_text, DETAIL_SHOWN)))
    else:
        lines.append(Text("best passage: —", style="dim"))
    for line in lines:
        text.append("\n").append_text(line)
    return text


def queue_table(items: list[QueueItem], limit: int, tz: tzinfo) -> Table:
    """The review queue's first LIMIT questions: each with what put it there, why it was declined and
    the best passage the bot had."""
    title = f"Review queue: {len(items)} question(s)" + (f", first {limit}" if len(items) > limit else "")
    table = Table(title=f"{title} · {zone_name(tz)}", box=box.SIMPLE_HEAD, pad_edge=False, title_justify="left")
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("n", justify="right", no_wrap=True)
    table.add_column("question", ratio=1, overflow="fold", min_width=20)
    table.add_column("first/last", style="dim", no_wrap=True)
    for number, item in enumerate(items[:limit], 1):
        seen = f"{short_time(item.first_seen, tz)}\n{short_time(item.last_seen, tz)}"
        table.add_row(str(number), str(item.count), _queue_cell(item, tz), seen)
    return table


QUEUE_COLUMNS = ["count", "unanswered", "negative", "low_confidence", "handled", "first_seen", "last_seen", "channels",
                 "question", "variants", "reason", "best_article", "best_score", "best_text", "key"]  # fmt: skip


def queue_values(item: QueueItem, tz: tzinfo) -> list[object]:
    return [item.count, item.unanswered, item.negative, item.low_confidence, "yes" if item.handled else "no",
            local_iso(item.first_seen, tz), local_iso(item.last_seen, tz), ",".join(item.channels), item.question,
            " | ".join(item.variants), reason_summary(item.reasons) if item.reasons else "", item.best_article,
            f"{item.best_score:.2f}" if item.best_text else "", item.best_text, item.key]  # fmt: skip


def queue_json(item: QueueItem, tz: tzinfo) -> dict[str, Any]:
    return {
        "question": item.question, "key": item.key, "count": item.count, "unanswered": item.unanswered,
        "negative": item.negative, "low_confidence": item.low_confidence, "lowest_confidence": item.lowest_confidence,
        "handled": item.handled, "handled_at": local_iso(item.handled_at, tz) or None,
        "first_seen": local_iso(item.first_seen, tz), "last_seen": local_iso(item.last_seen, tz),
        "channels": item.channels, "variants": item.variants, "reasons": [list(r) for r in item.reasons],
        "best_passage": {"article": item.best_article, "title": item.best_title, "text": item.best_text,
                         "score": item.best_score} if item.best_text else None,
    }  # fmt: skip
