"""The terminal channel: lines from a console or stdin to Incoming, replies to text or JSON."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable
from typing import TextIO

from bot.messages import Incoming, Reply
from bot.render import render_plain

BOLD, RESET = "\033[1m", "\033[0m"


def repaired(text: str) -> str:
    """TEXT with what wasn't valid UTF-8 as U+FFFD: the lone surrogates that Python's surrogateescape
    makes of undecodable bytes in argv or stdin can't be written as UTF-8 (nor to JSON or the log)."""
    try:
        raw = text.encode("utf-8", "surrogateescape")  # escaped bytes back to what was received
    except UnicodeEncodeError:
        raw = text.encode("utf-8", "surrogatepass")  # other lone surrogates
    return raw.decode("utf-8", "replace")


def tolerant(stream: TextIO) -> TextIO:
    """STREAM reading undecodable bytes as U+FFFD instead of failing (a TextIOWrapper not yet read)."""
    reconfigure = getattr(stream, "reconfigure", None)
    if reconfigure is not None:
        try:
            reconfigure(errors="replace")
        except (ValueError, OSError):  # already read from, or not reconfigurable
            pass
    return stream


def reply_json(reply: Reply) -> dict[str, object]:
    """The CLI's JSON schema for one reply."""
    return {
        "question": reply.question,
        "answered": reply.answered,
        "reply": render_plain(reply),
        "passages": [
            {
                "article": q.source.article,
                "title": q.source.title,
                "paragraph": q.paragraph,
                "text": q.text,
                "score": round(q.score, 4),
            }
            for q in reply.quotes
        ],
    }


def print_reply(reply: Reply, out: TextIO, *, as_json: bool, color: bool = False) -> None:
    if as_json:
        out.write(json.dumps(reply_json(reply), ensure_ascii=False) + "\n")
    else:
        mark = (lambda t: f"{BOLD}{t}{RESET}") if color else None
        out.write(render_plain(reply, mark) + "\n\n")
    out.flush()


def run_lines(
    handle: Callable[[Incoming], Reply],
    lines: Iterable[str],
    out: TextIO,
    *,
    as_json: bool,
    chat_id: str | Callable[[int], str] = "terminal",
    color: bool = False,
    source: str = "user",
) -> int:
    """Answer each line; ``chat_id`` may vary per line (independent questions); SOURCE tags the
    exchanges (user: a person chatting; ask: the admin's batch run). Returns the count."""
    count = 0
    for number, line in enumerate(lines):
        text = repaired(line.rstrip("\r\n"))
        if not as_json and not text.strip():
            continue
        chat = chat_id(number) if callable(chat_id) else chat_id
        msg = Incoming(text, chat_id=chat, user_id="local", channel="cli", source=source)
        print_reply(handle(msg), out, as_json=as_json, color=color)
        count += 1
    return count


def interactive(handle: Callable[[Incoming], Reply], out: TextIO = sys.stdout, prompt: str = "你> ") -> None:
    """A console chat until EOF, Ctrl-C or /quit."""
    out.write("输入问题，回车发送；/quit 退出。Type a question; /quit to leave.\n\n")

    def lines() -> Iterable[str]:
        while True:
            try:
                line = input(prompt)
            except (EOFError, KeyboardInterrupt):
                out.write("\n")
                return
            if line.strip() in ("/quit", "/exit", "quit", "exit"):
                return
            yield line

    run_lines(handle, lines(), out, as_json=False, color=out.isatty())
