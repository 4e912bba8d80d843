"""A Reply as compact WeChat text messages, each kept under the byte limit.

WeChat has no buttons and a short passive reply.  An answer shows the direct
answer and the best passage with its source, then "回复“更多”查看更多相关段落".
What does not fit — the other passages of an answer, the passages of a "更多"
page or the paragraphs of an article page beyond the limit — is returned as
``Page.rest``, a reply the channel sends on the user's next "更多" before asking
the engine for more.  A single passage too long for a message is shortened at a
sentence end or a character boundary, never inside a UTF-8 sequence.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from bot.messages import Quote, Reply, ReplyKind
from bot.texts import text as ui

LIMIT_BYTES = 2000  # a rendered reply is always strictly shorter than this, in UTF-8
SEP = "\n\n"
ELLIPSIS = "…"
_SENTENCE_ENDS = "。！？；!?;"
_MIN_KEEP = 24  # a shortened text keeps at least this many bytes or is dropped

MORE_HINT = {"zh": "回复“更多”查看更多相关段落", "en": "Reply “more” to see more related passages"}
ARTICLE_HINT = {"zh": "回复“原文”阅读全文", "en": "Reply “full text” to read the article"}
READ_ON_HINT = {"zh": "回复“更多”继续阅读", "en": "Reply “more” to read on"}
CONTINUED = {"zh": "（续）", "en": "(cont.) "}
TRY_HEADER = {"zh": "您可以这样问：", "en": "You can ask, for example:"}


@dataclass
class Part:
    """A block of the message; only ``text`` is ever shortened."""

    text: str
    cut_order: int = 0  # 0: never shortened; higher numbers are shortened first
    prefix: str = ""
    suffix: str = ""

    def render(self) -> str:
        return f"{self.prefix}{self.text}{self.suffix}" if self.text else ""


@dataclass
class Page:
    text: str  # one WeChat message
    rest: Reply | None = None  # what did not fit: for the next "更多"


def utf8_len(text: str) -> int:
    return len(text.encode("utf-8"))


def cut_to_bytes(text: str, budget: int) -> str:
    """The longest prefix of ``text`` that, with an ellipsis, fits ``budget`` bytes."""
    if utf8_len(text) <= budget:
        return text
    room = budget - utf8_len(ELLIPSIS)
    if room <= 0:
        return ""
    head = text.encode("utf-8")[:room].decode("utf-8", "ignore")  # drops a partial character
    end = max(head.rfind(c) for c in _SENTENCE_ENDS)
    if end >= len(head) * 0.6:  # a sentence end close enough: cut there
        return head[: end + 1] + ELLIPSIS
    return head.rstrip() + ELLIPSIS


def joined(parts: list[Part]) -> str:
    return SEP.join(r for r in (p.render() for p in parts) if r)


def fit(parts: list[Part], limit: int = LIMIT_BYTES) -> str:
    """Join the parts, shortening the ones allowed until the text is under ``limit`` bytes."""
    for order in sorted({p.cut_order for p in parts if p.cut_order}, reverse=True):
        for part in [p for p in parts if p.cut_order == order]:
            excess = utf8_len(joined(parts)) - (limit - 1)
            if excess <= 0:
                return joined(parts)
            budget = utf8_len(part.text) - excess
            part.text = cut_to_bytes(part.text, budget) if budget >= _MIN_KEEP else ""
    text = joined(parts)
    if utf8_len(text) >= limit:  # only when the fixed parts alone are too long
        text = cut_to_bytes(text, limit - 1)
    return text


def source_line(quote: Quote) -> str:
    label = quote.source.label()
    if quote.source.source:
        label = f"{quote.source.source} {label}"
    return f"——{label}"


def quote_part(quote: Quote, cut_order: int = 1) -> Part:
    if quote.only_source:  # the direct answer above is the whole passage
        return Part(source_line(quote), cut_order)
    return Part(quote.display.strip(), cut_order, prefix="「", suffix="」\n" + source_line(quote))


def suggestion_parts(reply: Reply) -> list[Part]:
    """The intro followed by the numbered suggestions (the intro often already says "例如：")."""
    intro = reply.intro.strip()
    if not reply.suggestions:
        return [Part(intro)]
    lines = "\n".join(f"{i}. {s}" for i, s in enumerate(reply.suggestions, 1))
    if intro.endswith(("：", ":")):
        return [Part(lines, 1, prefix=intro + "\n")]
    return [Part(intro), Part(lines, 1, prefix=TRY_HEADER[reply.lang] + "\n")]


def greedy(head: list[Part], items: list[Part], tail: list[Part], limit: int) -> tuple[str, int]:
    """As many whole items as fit between head and tail (at least one, shortened if need be)."""
    count = 0
    while count < len(items) and utf8_len(joined(head + items[: count + 1] + tail)) < limit:
        count += 1
    count = max(count, min(1, len(items)))
    return fit(head + items[:count] + tail, limit), count


def _answer(reply: Reply, limit: int) -> Page:
    best = reply.best
    direct = "\n".join(s.strip() for s in reply.direct if s.strip())
    if best is None:
        return Page(fit(suggestion_parts(reply) + [Part(direct, 2)], limit))
    parts = [Part(reply.intro.strip())]
    if direct and direct != best.text.strip():
        parts.append(Part(direct, 2))
    parts.append(quote_part(best, 3))
    rest = _rest(reply, reply.quotes[1:], ReplyKind.MORE, intro=ui("more_intro", reply.lang))
    more = rest is not None or reply.has_more
    parts.append(Part(MORE_HINT[reply.lang] if more else ARTICLE_HINT[reply.lang]))
    return Page(fit(parts, limit), rest)


def _paged(reply: Reply, limit: int) -> Page:
    """MORE and ARTICLE: as many whole passages as fit; the rest for the next "更多"."""
    article = reply.kind == ReplyKind.ARTICLE
    hint = READ_ON_HINT[reply.lang] if article else MORE_HINT[reply.lang]
    items = [Part(q.text.strip(), 1) for q in reply.quotes] if article else [quote_part(q) for q in reply.quotes]
    tail = [Part(source_line(reply.quotes[0]))] if article and reply.quotes else []
    text, count = greedy([Part(reply.intro.strip())], items, tail + [Part(hint)], limit)
    intro = reply.intro.strip()
    if article and not intro.startswith(CONTINUED[reply.lang]):
        intro = CONTINUED[reply.lang] + intro
    rest = _rest(reply, reply.quotes[count:], reply.kind, intro=intro)
    if rest is None and not reply.has_more:  # nothing follows: no hint
        text = fit([Part(reply.intro.strip())] + items[:count] + tail, limit)
    return Page(text, rest)


def _rest(reply: Reply, quotes: list[Quote], kind: ReplyKind, intro: str) -> Reply | None:
    if not quotes:
        return None
    whole = [replace(q, shown="") for q in quotes]  # a later page shows whole passages
    return replace(reply, kind=kind, intro=intro, direct=(), quotes=whole, suggestions=[])


def _other(reply: Reply, limit: int) -> Page:
    """HELP, NO_ANSWER, INVALID, NOTICE: the intro, suggestions, any quote, the footer."""
    parts = suggestion_parts(reply)
    if reply.direct:
        parts.append(Part("\n".join(reply.direct), 2))
    parts += [quote_part(q, 3) for q in reply.quotes[:1]]
    parts.append(Part(reply.footer.strip()))
    return Page(fit(parts, limit))


def render_page(reply: Reply, limit: int = LIMIT_BYTES) -> Page:
    """One WeChat message for ``reply`` (strictly under ``limit`` UTF-8 bytes) and what did not fit."""
    if reply.kind == ReplyKind.ANSWER:
        return _answer(reply, limit)
    if reply.kind in (ReplyKind.MORE, ReplyKind.ARTICLE):
        return _paged(reply, limit)
    return _other(reply, limit)


def render_reply(reply: Reply, limit: int = LIMIT_BYTES) -> str:
    """The first message's text only."""
    return render_page(reply, limit).text
