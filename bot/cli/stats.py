"""``python -m bot stats``: questions per day, answered rate, top questions, latency, feedback.

Real traffic only unless ``--all-sources``: the admin's ``ask`` and ``eval`` runs are left out, and a
line says so. ``--format table|tsv|json`` as for ``logs`` (tsv is the default when piped).
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

import click
from rich import box
from rich.table import Table

from bot.cli.db import SINCE, console
from bot.cli.logs import admin_store
from bot.cli.views import QUESTION_SHOWN, admin_zone, cell, chosen_format, json_line, output_options, tsv_line
from bot.storage.formatting import ms, pct
from bot.storage.periods import local_iso, short_time, zone_name
from bot.storage.stats import Counts, Stats, compute_stats

DAYS_SHOWN = 14
COUNT_COLUMNS = ["questions", "answered", "rate", "up", "down"]


def _counts_table(title: str, first: str, rows: dict[str, Counts]) -> Table:
    table = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left")
    for name in (first, "questions", "answered", "rate", "👍", "👎"):
        table.add_column(name, justify="left" if name == first else "right", no_wrap=True)
    for label, c in rows.items():
        table.add_row(cell(label), str(c.questions), str(c.answered), pct(c.rate), str(c.up), str(c.down))
    return table


def _ranked_table(title: str, ranked: list[tuple[str, int]]) -> Table:
    table = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left")
    table.add_column("count", justify="right", no_wrap=True)
    table.add_column("question", ratio=1, overflow="fold")
    for text, count in ranked:
        table.add_row(str(count), cell(text, QUESTION_SHOWN))
    return table


def summary(stats: Stats, tz: tzinfo) -> str:
    total = stats.total
    period = f" since {short_time(stats.since, tz)}" if stats.since else ""
    lines = [
        f"[bold]{total.questions}[/] questions{period} ({stats.exchanges} exchanges incl. commands), "
        f"answered {total.answered} ([bold]{pct(total.rate)}[/])",
        f"latency median {ms(stats.latency_median_ms)}, p95 {ms(stats.latency_p95_ms)} · feedback 👍 {total.up} 👎 {total.down}",
    ]
    if stats.last_reload:
        lines.append(f"last reload {short_time(stats.last_reload, tz)} ({'ok' if stats.last_reload_ok else 'failed'})")
    return "\n".join(lines)


def sources_note(stats: Stats) -> str:
    """The one line saying whose traffic is counted."""
    if stats.sources is None:
        return "Every source counted: real traffic and the admin's ask/eval runs."
    return f"Real traffic only: {stats.left_out} ask/eval exchange(s) left out (--all-sources counts them)."


def _days(stats: Stats) -> dict[str, Counts]:
    return {f"{d:%Y-%m-%d}": c for d, c in sorted(stats.per_day.items())}


def _counts(c: Counts) -> list[object]:
    return [c.questions, c.answered, f"{c.rate:.3f}", c.up, c.down]


def stats_lines(stats: Stats, tz: tzinfo) -> list[str]:
    """STATS as TSV lines: a section name, a label, then the section's values (the header names the counts')."""
    rows: list[list[object]] = [["section", "label", *COUNT_COLUMNS], ["total", "all", *_counts(stats.total)]]
    rows += [["day", day, *_counts(c)] for day, c in _days(stats).items()]
    rows += [["channel", name, *_counts(c)] for name, c in sorted(stats.per_channel.items())]
    rows += [["top", text, count] for text, count in stats.top_questions]
    rows += [["top_unanswered", text, count] for text, count in stats.top_unanswered]
    rows += [["latency_ms", "median", ms_value(stats.latency_median_ms)], ["latency_ms", "p95", ms_value(stats.latency_p95_ms)]]
    rows += [["exchanges", "all", stats.exchanges], ["left_out", "ask/eval", stats.left_out]]
    if stats.last_reload:
        rows.append(["last_reload", local_iso(stats.last_reload, tz), "ok" if stats.last_reload_ok else "failed"])
    return [tsv_line(row) for row in rows]


def ms_value(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def stats_json(stats: Stats, tz: tzinfo) -> dict[str, Any]:
    def counts(c: Counts) -> dict[str, Any]:
        return {"questions": c.questions, "answered": c.answered, "rate": round(c.rate, 4), "up": c.up, "down": c.down}

    return {
        "since": local_iso(stats.since, tz) or None, "time_zone": zone_name(tz),
        "sources": list(stats.sources) if stats.sources is not None else None, "left_out": stats.left_out,
        "exchanges": stats.exchanges, **counts(stats.total),
        "latency_median_ms": stats.latency_median_ms, "latency_p95_ms": stats.latency_p95_ms,
        "per_day": {day: counts(c) for day, c in _days(stats).items()},
        "per_channel": {name: counts(c) for name, c in sorted(stats.per_channel.items())},
        "top_questions": [{"question": t, "count": n} for t, n in stats.top_questions],
        "top_unanswered": [{"question": t, "count": n} for t, n in stats.top_unanswered],
        "last_reload": local_iso(stats.last_reload, tz) or None, "last_reload_ok": stats.last_reload_ok,
    }  # fmt: skip


@click.command("stats")
@click.option("--since", type=SINCE, help="Only since an age (30d) or a date; default: everything.")
@click.option("--top", default=10, show_default=True, help="How many top questions to list.")
@click.option("--all-sources", is_flag=True, help="Count the admin's ask/eval runs too (left out by default).")
@output_options
def stats(since: datetime | None, top: int, all_sources: bool, fmt: str | None, tz: tzinfo | None) -> None:
    """Usage statistics from the query log (real traffic; days in the admin's time zone)."""
    fmt, zone = chosen_format(fmt), admin_zone(tz)
    with admin_store() as store:
        result = compute_stats(store, since=since, top=top, sources=None if all_sources else ("user",), tz=zone)
    if fmt == "json":
        click.echo(json_line(stats_json(result, zone)))
        return
    if fmt == "tsv":
        click.echo(sources_note(result), err=True)
        click.echo("\n".join(stats_lines(result, zone)))
        return
    out = console()
    out.print(summary(result, zone))
    out.print(sources_note(result), style="dim", markup=False)
    if not result.total.questions:
        out.print("No questions logged yet: ask a few with `python -m bot chat`.", markup=False)
        return
    days = dict(list(_days(result).items())[-DAYS_SHOWN:])
    out.print(_counts_table(f"Per day ({zone_name(zone)}, last {len(days)} with questions)", "day", days))
    out.print(_counts_table("Per channel", "channel", dict(sorted(result.per_channel.items()))))
    out.print(_ranked_table("Top questions", result.top_questions))
    if result.top_unanswered:
        out.print(_ranked_table("Top unanswered", result.top_unanswered))
