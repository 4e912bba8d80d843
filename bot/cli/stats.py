"""``python -m bot stats``: questions per day, answered rate, top questions, latency, feedback."""

from __future__ import annotations

from datetime import datetime

import click
from rich.table import Table

from bot.cli.db import SINCE, console
from bot.cli.logs import admin_store, cell
from bot.storage.formatting import ms, pct, when
from bot.storage.stats import Counts, Stats, compute_stats

DAYS_SHOWN = 14


def _counts_table(title: str, first: str, rows: dict[str, Counts]) -> Table:
    table = Table(title=title)
    for name in (first, "questions", "answered", "rate", "👍", "👎"):
        table.add_column(name, justify="left" if name == first else "right")
    for label, c in rows.items():
        table.add_row(cell(label), str(c.questions), str(c.answered), pct(c.rate), str(c.up), str(c.down))
    return table


def _ranked_table(title: str, ranked: list[tuple[str, int]]) -> Table:
    table = Table(title=title)
    table.add_column("count", justify="right")
    table.add_column("question")
    for text, count in ranked:
        table.add_row(str(count), cell(text, 70))
    return table


def summary(stats: Stats) -> str:
    total = stats.total
    period = f" since {when(stats.since)} UTC" if stats.since else ""
    lines = [
        f"[bold]{total.questions}[/] questions{period} ({stats.exchanges} exchanges incl. commands), "
        f"answered {total.answered} ([bold]{pct(total.rate)}[/])",
        f"latency median {ms(stats.latency_median_ms)}, p95 {ms(stats.latency_p95_ms)} · feedback 👍 {total.up} 👎 {total.down}",
    ]
    if stats.last_reload:
        lines.append(f"last reload {when(stats.last_reload)} UTC ({'ok' if stats.last_reload_ok else 'failed'})")
    return "\n".join(lines)


@click.command("stats")
@click.option("--since", type=SINCE, help="Only since an age (30d) or a date; default: everything.")
@click.option("--top", default=10, show_default=True, help="How many top questions to list.")
def stats(since: datetime | None, top: int) -> None:
    """Usage statistics from the query log."""
    with admin_store() as store:
        result = compute_stats(store, since=since, top=top)
    out = console()
    out.print(summary(result))
    if not result.total.questions:
        out.print("No questions logged yet: ask a few with `python -m bot chat`.")
        return
    days = {f"{d:%Y-%m-%d}": c for d, c in sorted(result.per_day.items())[-DAYS_SHOWN:]}
    out.print(_counts_table(f"Per day (UTC, last {len(days)} with questions)", "day", days))
    out.print(_counts_table("Per channel", "channel", dict(sorted(result.per_channel.items()))))
    out.print(_ranked_table("Top questions", result.top_questions))
    if result.top_unanswered:
        out.print(_ranked_table("Top unanswered", result.top_unanswered))
