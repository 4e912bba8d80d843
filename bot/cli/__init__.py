"""``python -m bot …``: a thin CLI; every command delegates. All wiring is here."""

from __future__ import annotations

import click

from bot.cli.ask import ask, chat, eval_command, reload_command
from bot.cli.db import db
from bot.cli.logs import logs
from bot.cli.stats import stats
from bot.cli.serve import serve


@click.group(invoke_without_command=True)
@click.pass_context
def main(ctx: click.Context) -> None:
    """Answer questions about Party-building initiatives in Jinan, quoting the articles."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(serve)


main.add_command(ask)
main.add_command(chat)
main.add_command(reload_command)
main.add_command(eval_command)
main.add_command(serve)
main.add_command(db)
main.add_command(logs)
main.add_command(stats)
