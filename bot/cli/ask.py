"""The answering commands: ask, chat, reload, eval. Each builds the services and delegates."""

from __future__ import annotations

import json
import sys
import uuid
from pathlib import Path

import click

from bot.app import Services, build_services
from bot.channels.terminal import interactive, print_reply, repaired, run_lines, tolerant
from bot.cli.serve import running, warn_skipped
from bot.config import PROJECT_ROOT, Settings
from bot.messages import Incoming
from bot.storage.formatting import visible

DEV_SET = PROJECT_ROOT / "tests" / "eval"


def _services(*, warn: bool = True) -> Services:
    """The services; WARN: a warning on stderr for each corpus file or word list that was skipped."""
    services = build_services(Settings())
    if warn:
        warn_skipped(services)
    return services


@click.command()
@click.argument("question")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per answer.")
def ask(question: str, as_json: bool) -> None:
    """Answer QUESTION; with '-' answer every line of stdin independently."""
    run = uuid.uuid4().hex[:12]  # chats of their own: conversation state is kept in the database between runs
    with running(_services) as services:  # SIGTERM closes the store too
        if question == "-":
            lines = tolerant(sys.stdin)
            run_lines(services.engine.handle, lines, sys.stdout, as_json=as_json,
                      chat_id=lambda n: f"cli-batch-{run}-{n}", source="ask")  # fmt: skip
        else:
            msg = Incoming(repaired(question), chat_id=f"cli-ask-{run}", user_id="local", channel="cli", source="ask")
            reply = services.engine.handle(msg)
            print_reply(reply, sys.stdout, as_json=as_json, color=sys.stdout.isatty())


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Read one message per line from stdin, write JSON lines.")
def chat(as_json: bool) -> None:
    """Chat in the terminal (one conversation, follow-ups work)."""
    with running(_services) as services:  # SIGTERM closes the store too
        tolerant(sys.stdin)
        if as_json or not sys.stdin.isatty():
            run_lines(services.engine.handle, sys.stdin, sys.stdout, as_json=as_json, chat_id="cli-chat")
        else:
            interactive(services.engine.handle)


MANIFEST = "corpus-manifest.json"


@click.command("reload")
def reload_command() -> None:
    """Rebuild the index from corpus/, print a summary (changes since the last CLI reload) and tell
    every running bot to rebuild too (they check every RELOAD_POLL_S seconds)."""
    services = _services(warn=False)  # the report lists what was skipped
    manifest = services.settings.data_dir / MANIFEST
    try:
        previous = json.loads(manifest.read_text(encoding="utf-8")) if manifest.exists() else None
    except (OSError, ValueError):
        previous = None
    try:
        report = services.reload("cli", "cli", previous=previous)  # publishes the new corpus generation
        if report.ok:
            manifest.parent.mkdir(parents=True, exist_ok=True)
            manifest.write_text(json.dumps(services.engine.library.digests, indent=1), encoding="utf-8")
    finally:
        services.close()
    status = "ok" if report.ok else f"FAILED: {visible(report.error or '')}"
    click.echo(f"reload {status}: {report.articles} articles, {report.passages} passages in {report.duration_s:.2f}s")
    for label, names in (("added", report.added), ("changed", report.changed), ("removed", report.removed)):
        if names and previous is not None:
            click.echo(f"  {label}: {visible(', '.join(names))}")
    for name, reason in report.skipped:
        click.echo(f"  skipped {visible(name)}: {visible(reason)}")
    if not report.ok:
        raise SystemExit(1)


@click.command("eval")
@click.option("--questions", type=click.Path(path_type=Path, exists=True), default=DEV_SET / "dev_questions.tsv")
@click.option("--conversations", type=click.Path(path_type=Path), default=DEV_SET / "dev_conversations.tsv")
@click.option("--json", "as_json", is_flag=True)
def eval_command(questions: Path, conversations: Path, as_json: bool) -> None:
    """Score the engine on a question set: hit@1/hit@3 per kind, no-answer and conversation accuracy."""
    from bot.engine import Engine
    from bot.evaluation import evaluate

    settings = Settings()
    engine = Engine.from_corpus(settings.corpus_dir, model=settings.embedding_model, data_dir=settings.data_dir)
    report = evaluate(engine, questions, conversations)
    if as_json:
        right, total = report.none_accuracy()
        conv_right, conv_total = report.conversation_accuracy()
        payload = {"kinds": report.by_kind(), "none": [right, total], "conversations": [conv_right, conv_total]}
        click.echo(json.dumps(payload, ensure_ascii=False))
    else:
        click.echo(report.format())
