"""``python -m bot logs …``: recent exchanges, the review queue, export and purge."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import click
from rich.table import Table
from rich.text import Text
from sqlalchemy.exc import SQLAlchemyError

from bot.channels.terminal import repaired
from bot.cli.db import AGE, SINCE, console
from bot.config import Settings
from bot.storage import Store, make_engine, open_store
from bot.storage.db import shown_url, upgrade
from bot.storage.export import FORMATS, export
from bot.storage.faults import describe
from bot.storage.formatting import reason_summary, short, visible, when
from bot.storage.review import Filters, LogEntry, QueueItem, purge, reasons_of, recent, review_queue


def _text(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A text option as valid UTF-8 (argv bytes that weren't are U+FFFD)."""
    return None if value is None else repaired(value)


@contextmanager
def admin_store() -> Iterator[Store]:
    """The configured store, upgraded, for a review command (``logs …``, ``stats``), closed afterwards.

    The review commands read the database, so one they cannot create, upgrade or read is an
    ``Error:`` line naming it (exit status 1), not a traceback or a spool warning.
    """
    settings = Settings()
    url = settings.effective_database_url
    try:
        engine = make_engine(url)
    except OSError as exc:
        raise click.ClickException(f"cannot create the database file of {shown_url(url)}: {exc.strerror or exc}") from None
    try:
        upgrade(engine)
    except SQLAlchemyError as exc:
        raise click.ClickException(f"cannot open the database {shown_url(url)}: {describe(exc)}") from None
    finally:
        engine.dispose()
    store = open_store(settings, auto_upgrade=False)
    try:
        yield store
    except SQLAlchemyError as exc:
        raise click.ClickException(f"cannot read the database {shown_url(url)}: {describe(exc)}") from None
    finally:
        store.close()


def filter_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--unanswered --negative --since --channel --search, shared by ``logs`` and ``logs export``."""
    options = [
        click.option("--unanswered", is_flag=True, help="Only questions the bot could not answer."),
        click.option("--negative", is_flag=True, help="Only exchanges with a 👎."),
        click.option("--since", type=SINCE, help="Only since an age (7d, 12h) or a date (2025-01-31)."),
        click.option("--channel", callback=_text, help="Only this channel (cli, telegram, wechat)."),
        click.option("--search", callback=_text, help="Only messages or queries containing TEXT (traditional matches simplified)."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def cell(text: str, width: int | None = None, style: str = "") -> Text:
    """Stored (user or corpus) text as a table cell: a Text, so rich reads no markup or emoji codes
    in it, with control characters made visible (see ``visible``) and cut to WIDTH."""
    return Text(short(text, width) if width else visible(text), style=style)


def _passage(entry: LogEntry) -> Text:
    if not entry.passages:
        return Text()
    top = entry.passages[0]
    try:
        score = f"{float(top.get('score', 0)):.2f}"
    except (TypeError, ValueError):
        score = "?"
    return cell(f"{top.get('article', '')}#{top.get('paragraph', '')} ({score})")


def entries_table(entries: list[LogEntry]) -> Table:
    table = Table(title=f"{len(entries)} exchange(s), newest first", show_lines=False)
    for name, style in (("time (UTC)", "dim"), ("channel", ""), ("question", "bold"), ("searched", "dim"),
                        ("ok", ""), ("kind", "dim"), ("reason", "dim"), ("top passage", ""), ("ms", ""),
                        ("👍/👎", "")):  # fmt: skip
        table.add_column(name, style=style or None, justify="right" if name == "ms" else "left")
    for e in entries:
        searched = e.query if e.query and e.query != e.message else ""
        ok = "[green]✓[/]" if e.answered else ("[red]error[/]" if e.error else "[red]✗[/]")
        votes = f"{e.feedback_up}/{e.feedback_down}" if e.feedback_up or e.feedback_down else ""
        table.add_row(when(e.time), cell(e.channel), cell(e.message, 60), cell(searched, 40), ok, cell(e.kind),
                      cell(e.reason, 40), _passage(e), f"{e.latency_ms:.0f}", votes)  # fmt: skip
    return table


@click.group("logs", invoke_without_command=True)
@filter_options
@click.option("--limit", default=30, show_default=True, help="How many exchanges to show.")
@click.pass_context
def logs(ctx: click.Context, unanswered: bool, negative: bool, since: datetime | None, channel: str | None,
         search: str | None, limit: int) -> None:  # fmt: skip
    """Recent exchanges (what people asked, what the bot answered)."""
    if ctx.invoked_subcommand is not None:
        return
    filters = Filters(unanswered, negative, since, channel, search)
    with admin_store() as store:
        entries = recent(store, filters, limit=limit)
    out = console()
    if not entries:
        out.print("No exchanges logged" + (" matching these filters." if filters != Filters() else " yet."))
        return
    out.print(entries_table(entries))


@logs.command("unanswered")
@click.option("--since", type=SINCE, help="Only since an age (7d) or a date.")
@click.option("--channel", callback=_text, help="Only this channel.")
@click.option("--limit", default=20, show_default=True)
def unanswered(since: datetime | None, channel: str | None, limit: int) -> None:
    """The review queue: unanswered and 👎 questions grouped, most frequent first."""
    with admin_store() as store:
        items = review_queue(store, since=since, channel=channel)
    out = console()
    if not items:
        out.print("The review queue is empty: no unanswered or down-voted questions.")
        return
    out.print(queue_table(items, limit))
    by_reason = reasons_of(items)
    if by_reason:
        table = Table(title="Declined, by reason")
        for name in ("reason", "declines", "questions"):
            table.add_column(name, justify="left" if name == "reason" else "right")
        for kind, declines, questions in by_reason:
            table.add_row(cell(kind), str(declines), str(questions))
        out.print(table)


def queue_table(items: list[QueueItem], limit: int) -> Table:
    """The review queue's first LIMIT questions, with the most frequent reason each was declined for."""
    table = Table(title=f"Review queue: {len(items)} question(s)" + (f", first {limit}" if len(items) > limit else ""))
    for name in ("#", "count", "unanswered", "👎", "question", "declined because", "first seen", "last seen",
                 "best passage the bot had"):  # fmt: skip
        table.add_column(name, justify="right" if name in ("#", "count", "unanswered", "👎") else "left")
    for number, item in enumerate(items[:limit], 1):
        best = Text("—", style="dim")
        if item.best_text:
            best = Text.assemble(cell(item.best_article or "", style="dim"), " ", cell(item.best_text, 70))
        question = cell(item.question, 50)
        if len(item.variants) > 1:
            question.append(f" (+{len(item.variants) - 1} variants)", style="dim")
        reason = cell(reason_summary(item.reasons), 50) if item.reasons else Text("—", style="dim")
        table.add_row(str(number), str(item.count), str(item.unanswered), str(item.negative), question, reason,
                      when(item.first_seen), when(item.last_seen), best)  # fmt: skip
    return table


@logs.command("export")
@filter_options
@click.option("--format", "fmt", type=click.Choice(FORMATS), help="Default: from the file name (.jsonl), else csv.")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
def export_command(unanswered: bool, negative: bool, since: datetime | None, channel: str | None,
                   search: str | None, fmt: str | None, file: str) -> None:  # fmt: skip
    """Write every exchange (or the filtered set) to FILE as CSV (Excel-ready, UTF-8 BOM) or JSONL."""
    with admin_store() as store:
        count = export(store, file, fmt, Filters(unanswered, negative, since, channel, search))
    click.echo(f"exported {count} exchange(s) to {file}", err=True)


@logs.command("purge")
@click.option("--older-than", "older_than", type=AGE, required=True, help="e.g. 180d: delete everything older.")
def purge_command(older_than: timedelta) -> None:
    """Delete exchanges, feedback and reload history older than an age (retention)."""
    with admin_store() as store:
        counts = purge(store, older_than)
    click.echo("purged " + ", ".join(f"{n} {name}" for name, n in counts.items()) + f" older than {older_than.days} days")
