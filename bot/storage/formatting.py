"""Plain-text stats and review queue for chat channels (Telegram /stats, /unanswered).

Both formatters take either the computed object or a store (then they compute it), so a
channel can simply call ``format_stats_text(store)``.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.storage.queue import QueueItem
    from bot.storage.stats import Stats

DAYS_SHOWN = 7
SNIPPET = 80


# C0/C1 controls and DEL (ESC starts terminal escape and OSC hyperlink sequences), and the
# invisible marks that reorder or hide text (bidi overrides and isolates, zero-width space, BOM)
_HIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\u200b\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def _shown(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    if code < 0x20:
        return chr(0x2400 + code)  # U+2400 control pictures: ESC → ␛, NUL → ␀
    return "␡" if code == 0x7F else f"<U+{code:04X}>"


def visible(text: str) -> str:
    """TEXT with every control or invisible formatting character shown as a visible mark,
    so that user or corpus text can't move the cursor, set colours or hide text in a terminal."""
    return _HIDDEN.sub(_shown, text)


def short(text: str, width: int = SNIPPET) -> str:
    """One line of at most WIDTH characters, control characters made visible."""
    text = visible(" ".join(text.split()))
    return text if len(text) <= width else text[: width - 1] + "…"


def when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else "—"


def ms(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f} ms"


def pct(rate: float) -> str:
    return f"{rate * 100:.0f}%"


def format_stats_text(stats: Stats | Any, *, since: datetime | None = None, top: int = 5) -> str:
    """Compact text of STATS (or of a store's stats since SINCE)."""
    from bot.storage.stats import Stats, compute_stats

    if not isinstance(stats, Stats):
        stats = compute_stats(stats, since=since, top=top)
    total = stats.total
    period = f" since {stats.since:%Y-%m-%d}" if stats.since else ""
    lines = [
        f"Questions{period}: {total.questions} · answered {total.answered} ({pct(total.rate)})",
        f"Latency: median {ms(stats.latency_median_ms)} · p95 {ms(stats.latency_p95_ms)}",
        f"Feedback: 👍 {total.up} · 👎 {total.down}",
    ]
    if stats.last_reload:
        lines.append(f"Last reload: {when(stats.last_reload)} ({'ok' if stats.last_reload_ok else 'failed'})")
    if stats.left_out:
        lines.append(f"Left out: {stats.left_out} exchange(s) of ask/eval runs")
    if stats.per_channel:
        lines.append("Per channel:")
        for channel, counts in sorted(stats.per_channel.items()):
            lines.append(f"  {channel}: {counts.questions} q · {pct(counts.rate)} · 👍 {counts.up} 👎 {counts.down}")
    if stats.per_day:
        lines.append("Per day:")
        for day, counts in sorted(stats.per_day.items())[-DAYS_SHOWN:]:
            lines.append(f"  {day:%Y-%m-%d}: {counts.questions} q · {pct(counts.rate)}")
    for title, ranked in (("Top questions", stats.top_questions[:top]), ("Top unanswered", stats.top_unanswered[:top])):
        if ranked:
            lines.append(f"{title}:")
            lines.extend(f"  {count}× {short(text, 60)}" for text, count in ranked)
    return "\n".join(lines)


def reason_summary(reasons: list[tuple[str, int]]) -> str:
    """The most frequent decline reason, with how many others there were: "unknown name: 青岛市 · 3×, +1 other"."""
    (reason, count), others = reasons[0], len(reasons) - 1
    extra = f", +{others} other{'s' if others > 1 else ''}" if others else ""
    return f"{reason} · {count}×{extra}"


def queue_flags(item: QueueItem) -> str:
    """What put ITEM on the queue: "2 unanswered, 1 👎, 1 low confidence"."""
    counts = ((item.unanswered, "unanswered"), (item.negative, "👎"), (item.low_confidence, "low confidence"))
    return ", ".join(f"{count} {label}" for count, label in counts if count)


def format_queue_text(items: list[QueueItem] | Any, limit: int = 10, low_confidence_below: float | None = None) -> str:
    """The review queue (or a store's queue, with answers below LOW_CONFIDENCE_BELOW) as numbered plain text, LIMIT items."""
    from bot.storage.queue import review_queue

    if not isinstance(items, list):
        items = review_queue(items, low_confidence_below=low_confidence_below)
    if not items:
        return "Review queue is empty: no unanswered or down-voted questions."
    lines = [f"Review queue: {len(items)} question(s)" + (f", first {limit}" if len(items) > limit else "")]
    for number, item in enumerate(items[:limit], 1):
        flags = queue_flags(item)
        lines.append(f"{number}. {item.count}× {short(item.question)} ({flags})")
        lines.append(f"   seen {when(item.first_seen)} → {when(item.last_seen)} · {', '.join(item.channels)}")
        if item.reasons:
            lines.append(f"   declined: {short(reason_summary(item.reasons))}")
        if item.best_text:
            source = f" [{item.best_article}]" if item.best_article else ""
            lines.append(f"   best{source}: {short(item.best_text)}")
    return "\n".join(lines)
