"""``python -m bot db upgrade|downgrade``, and the store/console helpers of the review commands."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import click
from rich.console import Console
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from bot.config import Settings
from bot.storage import Store, make_engine, open_store
from bot.storage.db import current_revision, downgrade, shown_url, upgrade
from bot.storage.faults import describe
from bot.storage.periods import parse_age, parse_since


class Parsed(click.ParamType):
    """A value typed by the admin, parsed by PARSE; its ValueError becomes a usage error."""

    def __init__(self, name: str, parse: Callable[[str], object]) -> None:
        self.name = name
        self.parse = parse

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> object:
        if not isinstance(value, str):
            return value
        try:
            return self.parse(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


SINCE = Parsed("since", parse_since)  # 7d, 12h, 2w back from now, or an ISO date
AGE = Parsed("age", parse_age)  # 180d


def console() -> Console:
    return Console(soft_wrap=False, highlight=False)


@contextmanager
def review_store() -> Iterator[Store]:
    """The configured store (upgraded to head), closed afterwards."""
    store = open_store(Settings())
    try:
        yield store
    finally:
        store.close()


@click.group("db")
def db() -> None:
    """Database schema (Alembic migrations in migrations/)."""


def _migrate(step: Callable[[Engine, str], None], revision: str) -> None:
    """One step; a database that cannot be created or reached is one line, not a traceback."""
    url = Settings().effective_database_url
    try:
        engine = make_engine(url)
    except OSError as exc:
        raise click.ClickException(f"cannot create the database file of {shown_url(url)}: {exc.strerror or exc}")
    try:
        step(engine, revision)
        click.echo(f"{shown_url(url)} at revision {current_revision(engine) or 'base'}")
    except SQLAlchemyError as exc:
        raise click.ClickException(f"{shown_url(url)}: {describe(exc)}") from None
    finally:
        engine.dispose()


@db.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Upgrade the database to REVISION (default: head)."""
    _migrate(upgrade, revision)


@db.command("downgrade")
@click.argument("revision", default="-1")
def db_downgrade(revision: str) -> None:
    """Downgrade the database to REVISION (default: one step back; 'base' drops every table)."""
    _migrate(downgrade, revision)
