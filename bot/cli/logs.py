"""``python -m bot logs …``: recent exchanges, the review queue and its handled marks, export and purge."""

from __future__ import annotations

import getpass
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, tzinfo
from typing import Any

import click
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError

from bot.channels.terminal import repaired
from bot.cli.db import AGE, SINCE, console
from bot.cli.views import (
    ENTRY_COLUMNS,
    QUEUE_COLUMNS,
    admin_zone,
    cell,
    chosen_format,
    entries_table,
    entry_json,
    entry_values,
    json_line,
    output_options,
    queue_json,
    queue_table,
    queue_values,
    tsv_line,
)
from bot.config import Settings
from bot.storage import Store, make_engine, open_store
from bot.storage.db import shown_url, upgrade
from bot.storage.export import FORMATS, export
from bot.storage.faults import describe
from bot.storage.formatting import short
from bot.storage.marks import handled_keys, mark_handled, unmark
from bot.storage.normalize import question_key
from bot.storage.review import Filters, purge, reasons_of, recent, review_queue

SOURCE_CHOICES = ("user", "ask", "eval", "all")


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
    """--unanswered --negative --since --channel --search --source, shared by ``logs`` and ``logs export``."""
    options = [
        click.option("--unanswered", is_flag=True, help="Only questions the bot could not answer."),
        click.option("--negative", is_flag=True, help="Only exchanges with a 👎."),
        click.option("--since", type=SINCE, help="Only since an age (7d, 12h) or a date (2025-01-31)."),
        click.option("--channel", callback=_text, help="Only this channel (cli, telegram, wechat)."),
        click.option("--search", callback=_text, help="Only questions or replies containing TEXT (traditional matches simplified)."),
        click.option("--source", type=click.Choice(SOURCE_CHOICES), default="user", show_default=True,
                     help="user: real traffic; ask, eval: the admin's runs; all: everything."),
    ]  # fmt: skip
    for option in reversed(options):
        command = option(command)
    return command


def _filters(unanswered: bool, negative: bool, since: datetime | None, channel: str | None, search: str | None,
             source: str) -> Filters:  # fmt: skip
    return Filters(unanswered=unanswered, negative=negative, since=since, channel=channel, search=search,
                   source=None if source == "all" else source)  # fmt: skip


def say_empty(text: str, fmt: str) -> None:
    """An empty result: said on stdout for a table, on stderr when the output is data (tsv, json)."""
    if fmt == "table":
        console().print(text, markup=False)
    else:
        click.echo(text, err=True)


def print_records(fmt: str, records: list[Any], table: Callable[[], Any], columns: list[str],
                  values: Callable[[Any], list[object]], as_json: Callable[[Any], dict[str, Any]]) -> None:  # fmt: skip
    """RECORDS as a rich TABLE, TSV lines (COLUMNS header, then VALUES of each) or JSON lines."""
    if fmt == "table":
        console().print(table())
    elif fmt == "tsv":
        click.echo(tsv_line(columns))
        for record in records:
            click.echo(tsv_line(values(record)))
    else:
        for record in records:
            click.echo(json_line(as_json(record)))


@click.group("logs", invoke_without_command=True)
@filter_options
@output_options
@click.option("--limit", default=30, show_default=True, help="How many exchanges to show (0: all).")
@click.pass_context
def logs(ctx: click.Context, unanswered: bool, negative: bool, since: datetime | None, channel: str | None,
         search: str | None, source: str, fmt: str | None, tz: tzinfo | None, limit: int) -> None:  # fmt: skip
    """Recent exchanges (what people asked, what the bot answered), newest first.

    On a terminal a table; piped (or --format tsv) one exchange per line with its full question and
    reply, tab-separated, so `logs | grep 党员` finds whole questions; --format json: one object a line.
    """
    if ctx.invoked_subcommand is not None:
        return
    filters = _filters(unanswered, negative, since, channel, search, source)
    fmt, zone = chosen_format(fmt), admin_zone(tz)
    with admin_store() as store:
        entries = recent(store, filters, limit=limit or None)
    if not entries:
        hidden = "" if source != "user" else " (ask/eval runs are not listed: --source all)"
        say_empty("No exchanges logged" + (" matching these filters" if filters != Filters() else " yet") + hidden + ".", fmt)
        return
    print_records(fmt, entries, lambda: entries_table(entries, zone), ENTRY_COLUMNS, lambda e: entry_values(e, zone),
                  lambda e: entry_json(e, zone))  # fmt: skip


def review_threshold() -> float:
    """The confidence under which an answer is on the review queue (retrieval.decision, for the configured search)."""
    from retrieval.decision import low_confidence_below  # imported here: only the queue needs it

    return low_confidence_below(semantic=Settings().embedding_model != "none")


def _threshold(below: float | None) -> float | None:
    return review_threshold() if below is None else (below or None)


@logs.command("unanswered")
@click.option("--since", type=SINCE, help="Only since an age (7d) or a date.")
@click.option("--channel", callback=_text, help="Only this channel.")
@click.option("--limit", default=20, show_default=True, help="How many questions to show (0: all).")
@click.option("--include-handled", is_flag=True, help="Also the questions marked handled (and not asked again since).")
@click.option("--low-confidence-below", "below", type=click.FloatRange(min=0), metavar="SCORE",
              help="Answers below this confidence are listed too (default: retrieval.decision's; 0: none).")
@output_options
def unanswered(since: datetime | None, channel: str | None, limit: int, include_handled: bool, below: float | None,
               fmt: str | None, tz: tzinfo | None) -> None:  # fmt: skip
    """The review queue: declined, 👎 and low-confidence questions grouped, most frequent first,
    with the best passage the bot had. `logs handled QUESTION` takes one off the queue."""
    fmt, zone, threshold = chosen_format(fmt), admin_zone(tz), _threshold(below)
    with admin_store() as store:
        items = review_queue(store, since=since, channel=channel, include_handled=include_handled,
                             low_confidence_below=threshold)  # fmt: skip
    if not items:
        say_empty("The review queue is empty: no declined, down-voted or low-confidence questions.", fmt)
        return
    shown = items[:limit] if limit else items
    print_records(fmt, shown, lambda: queue_table(items, limit or len(items), zone), QUEUE_COLUMNS,
                  lambda i: queue_values(i, zone), lambda i: queue_json(i, zone))  # fmt: skip
    if fmt != "table":
        return
    out = console()
    if threshold is not None:
        out.print(f"Low confidence: answered with a confidence below {threshold:.2f}. "
                  "Take a question off the queue: python -m bot logs handled QUESTION", markup=False, style="dim")  # fmt: skip
    by_reason = reasons_of(items)
    if by_reason:
        table = Table(title="Declined, by reason")
        for name in ("reason", "declines", "questions"):
            table.add_column(name, justify="left" if name == "reason" else "right")
        for kind, declines, questions in by_reason:
            table.add_row(cell(kind), str(declines), str(questions))
        out.print(table)


def _who() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no user name for this uid
        return "cli"


@logs.command("handled")
@click.argument("question", callback=_text)
@click.option("--note", default="", callback=_text, help="Why, or what was done (kept with the mark).")
@click.option("--undo", is_flag=True, help="Remove the mark: the question is back on the queue.")
def handled(question: str, note: str, undo: bool) -> None:
    """Mark a review-queue question handled: QUESTION in any wording (traditional or simplified,
    any punctuation) or its key. It leaves the queue until someone asks it again."""
    key = question_key(question)
    if not key.strip():
        raise click.BadParameter("give the question (or its key) to mark", param_hint="QUESTION")
    with admin_store() as store:
        if undo:
            if key not in handled_keys(store):
                raise click.ClickException(f"not marked handled: {short(question)}")
            unmark(store, key)
            click.echo(f"unmarked: {short(question)} is back on the review queue")
            return
        items = review_queue(store, include_handled=True, low_confidence_below=review_threshold())
        item = next((i for i in items if i.key == key), None)
        if item is None:
            raise click.ClickException(f"no question on the review queue is asked like {short(question)!r}; see: python -m bot logs unanswered")
        mark_handled(store, key, item.question, who=_who(), note=note)
    click.echo(f"marked handled: {short(item.question)} ({item.count}×); it comes back when asked again")


@logs.command("export")
@filter_options
@click.option("--format", "fmt", type=click.Choice(FORMATS), help="Default: from the file name (.jsonl), else csv.")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
def export_command(unanswered: bool, negative: bool, since: datetime | None, channel: str | None,
                   search: str | None, source: str, fmt: str | None, file: str) -> None:  # fmt: skip
    """Write every exchange (or the filtered set) to FILE as CSV (Excel-ready, UTF-8 BOM) or JSONL,
    with the question, the reply the user read and the passages."""
    with admin_store() as store:
        count = export(store, file, fmt, _filters(unanswered, negative, since, channel, search, source))
    click.echo(f"exported {count} exchange(s) to {file}", err=True)


@logs.command("purge")
@click.option("--older-than", "older_than", type=AGE, required=True, help="e.g. 180d: delete everything older.")
def purge_command(older_than: timedelta) -> None:
    """Delete exchanges, feedback and reload history older than an age (retention)."""
    with admin_store() as store:
        counts = purge(store, older_than)
    click.echo("purged " + ", ".join(f"{n} {name}" for name, n in counts.items()) + f" older than {older_than.days} days")
