"""Plain-text rendering of a reply, for the terminal (and any channel without markup)."""

from __future__ import annotations

import re
from collections.abc import Callable

from bot.messages import Reply


def _mark(text: str, terms: tuple[str, ...], mark: Callable[[str], str]) -> str:
    """Each occurrence of a term marked once, the longest term first (红色物业, not 红色 inside it)."""
    words = sorted({t for t in terms if t and t.strip()}, key=len, reverse=True)
    if not words:
        return text
    return re.sub("|".join(re.escape(w) for w in words), lambda m: mark(m.group(0)), text)


def render_plain(reply: Reply, mark: Callable[[str], str] | None = None) -> str:
    """The reply as a person reads it; ``mark`` decorates query terms (e.g. ANSI bold)."""
    paint = (lambda t, terms: _mark(t, terms, mark)) if mark else (lambda t, terms: t)
    lines: list[str] = []
    if reply.intro:
        lines.append(reply.intro)
    if reply.direct:
        lines.append("「" + paint("".join(reply.direct), reply.terms) + "」")
    for number, quote in enumerate(reply.quotes, 1):
        lines.append("")
        if quote.only_source:
            lines.append(f"[{number}] —— {quote.source.label()}")
            continue
        lines.append(f"[{number}] " + paint(quote.display, quote.terms))
        lines.append(f"    —— {quote.source.label()}")
    for suggestion in reply.suggestions:
        lines.append(f"  · {suggestion}")
    if reply.footer:
        lines.append("")
        lines.append(reply.footer)
    return "\n".join(lines)
