"""Plain-text rendering of a reply, for the terminal (and any channel without markup)."""

from __future__ import annotations

from collections.abc import Callable

from bot.messages import Reply


def _mark(text: str, terms: tuple[str, ...], mark: Callable[[str], str]) -> str:
    for term in sorted(set(terms), key=len, reverse=True):
        if term:
            text = text.replace(term, mark(term))
    return text


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
        lines.append(f"[{number}] " + paint(quote.text, quote.terms))
        lines.append(f"    —— {quote.source.label()}")
    for suggestion in reply.suggestions:
        lines.append(f"  · {suggestion}")
    if reply.footer:
        lines.append("")
        lines.append(reply.footer)
    return "\n".join(lines)
