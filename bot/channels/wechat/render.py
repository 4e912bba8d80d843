"""A Reply as one compact WeChat text message, kept under the byte limit.

WeChat has no buttons and a short passive reply: an answer is the direct answer,
the best passage with its source, and a line telling how to see more.  When the
text is too long the longest, least important part (the passage, then the direct
answer, then later passages) is shortened at a sentence end or a character
boundary — never inside a UTF-8 sequence.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.messages import Quote, Reply, ReplyKind

LIMIT_BYTES = 2000  # a rendered reply is always strictly shorter than this, in UTF-8
ELLIPSIS = "…"
_SENTENCE_ENDS = "。！？；!?;"
_MIN_KEEP = 24  # a shortened passage keeps at least this many bytes or is dropped

MORE_HINT = {"zh": "回复“更多”查看更多相关段落", "en": "Reply “more” to see more related passages"}
ARTICLE_HINT = {"zh": "回复“原文”阅读全文", "en": "Reply “原文” to read the full article"}
NEXT_PAGE_HINT = {"zh": "回复“原文 {n}”查看第 {n} 页", "en": "Reply “原文 {n}” for page {n}"}
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


def fit(parts: list[Part], limit: int = LIMIT_BYTES, sep: str = "\n\n") -> str:
    """Join the parts, shortening the ones allowed until the text is under ``limit`` bytes."""

    def joined() -> str:
        return sep.join(r for r in (p.render() for p in parts) if r)

    for order in sorted({p.cut_order for p in parts if p.cut_order}, reverse=True):
        for part in [p for p in parts if p.cut_order == order]:
            excess = utf8_len(joined()) - (limit - 1)
            if excess <= 0:
                return joined()
            budget = utf8_len(part.text) - excess
            part.text = cut_to_bytes(part.text, budget) if budget >= _MIN_KEEP else ""
    text = joined()
    if utf8_len(text) >= limit:  # only when the fixed parts alone are too long
        text = cut_to_bytes(text, limit - 1)
    return text


def source_line(quote: Quote) -> str:
    label = quote.source.label()
    if quote.source.source:
        label = f"{quote.source.source} {label}"
    return f"——{label}"


def quote_part(quote: Quote, cut_order: int, *, with_source: bool = True) -> Part:
    suffix = "」\n" + source_line(quote) if with_source else "」"
    return Part(quote.text.strip(), cut_order, prefix="「", suffix=suffix)


def suggestion_part(reply: Reply) -> Part:
    if not reply.suggestions:
        return Part("")
    lines = "\n".join(f"{i}. {s}" for i, s in enumerate(reply.suggestions, 1))
    return Part(lines, 1, prefix=TRY_HEADER[reply.lang] + "\n")


def _answer_parts(reply: Reply) -> list[Part]:
    best = reply.best
    direct = "\n".join(s.strip() for s in reply.direct if s.strip())
    parts = [Part(reply.intro.strip())]
    if best is None:
        return parts + [Part(direct, 2), suggestion_part(reply)]
    if direct and direct != best.text.strip():
        parts.append(Part(direct, 2))
    parts.append(quote_part(best, 3))
    parts.append(Part(MORE_HINT[reply.lang] if reply.has_more else ARTICLE_HINT[reply.lang]))
    return parts


def _more_parts(reply: Reply) -> list[Part]:
    parts = [Part(reply.intro.strip())]
    # later (lower-ranked) passages are shortened, then dropped, first
    parts += [quote_part(q, 2 + i) for i, q in enumerate(reply.quotes)]
    parts.append(Part(MORE_HINT[reply.lang] if reply.has_more else reply.footer.strip()))
    return parts


def _article_parts(reply: Reply) -> list[Part]:
    parts = [Part(reply.intro.strip())]
    parts += [Part(q.text.strip(), 2 + i) for i, q in enumerate(reply.quotes)]
    if reply.quotes:
        parts.append(Part(source_line(reply.quotes[0])))
    if reply.pages and reply.page < reply.pages:
        parts.append(Part(NEXT_PAGE_HINT[reply.lang].format(n=reply.page + 1)))
    return parts


def _other_parts(reply: Reply) -> list[Part]:
    parts = [Part(reply.intro.strip())]
    if reply.direct:
        parts.append(Part("\n".join(reply.direct), 2))
    parts += [quote_part(q, 3) for q in reply.quotes[:1]]
    parts += [suggestion_part(reply), Part(reply.footer.strip())]
    return parts


def render_reply(reply: Reply, limit: int = LIMIT_BYTES) -> str:
    """The text of one WeChat message for ``reply``, strictly under ``limit`` UTF-8 bytes."""
    if reply.kind == ReplyKind.ANSWER:
        parts = _answer_parts(reply)
    elif reply.kind == ReplyKind.MORE:
        parts = _more_parts(reply)
    elif reply.kind == ReplyKind.ARTICLE:
        parts = _article_parts(reply)
    else:
        parts = _other_parts(reply)
    return fit(parts, limit)
