"""The conversations :mod:`bench.load_workers` plays, its checks, and its Markdown report."""

from __future__ import annotations

import csv
import os
import re
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from retrieval.text import fold_for_compare

# the workers' log format (bot.workers.create_app): "date time LEVEL pid logger: message"
_WORKER_LINE = re.compile(r"^\S+ \S+ (?P<level>[A-Z]+) (?P<pid>\d+) (?P<name>\S+): (?P<message>.*)$")


@dataclass(frozen=True)
class Conversation:
    ident: str
    turns: list[str]
    keys: list[str]  # one of them in the last turn's reply: the follow-up was understood


def read_conversations(path: Path) -> list[Conversation]:
    """The rows of a dev2_conversations-style TSV: id, turns joined by "||", keys of the last turn by "|"."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return [Conversation(row["id"], [t.strip() for t in row["turns"].split("||") if t.strip()],
                         [k for k in (row.get("keys_last_turn") or "").split("|") if k.strip()])
            for row in rows if row.get("turns")]  # fmt: skip


def has_key(text: str, keys: list[str]) -> bool:
    """Whether TEXT holds one of KEYS, compared as the eval compares them (NFKC, whitespace ignored)."""
    folded = fold_for_compare(text)
    return any(fold_for_compare(key) in folded for key in keys)


def percentile(values: list[float], share: float) -> float | None:
    """The nearest-rank percentile (SHARE in 0..1) of VALUES; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def worker_lines(log_text: str) -> dict[str, str]:
    """Per worker (process id in the log): fallbacks sent and reloads picked up from the generation."""
    fallbacks: Counter[str] = Counter()
    refreshed: Counter[str] = Counter()
    for line in log_text.splitlines():
        match = _WORKER_LINE.match(line)
        if match is None:
            continue
        if "missed the" in match["message"] and "deadline" in match["message"]:
            fallbacks[match["pid"]] += 1
        elif match["message"].startswith("corpus generation") and "rebuilding the index" in match["message"]:
            refreshed[match["pid"]] += 1
    return {"fallbacks per worker (log)": ", ".join(f"{pid}: {n}" for pid, n in sorted(fallbacks.items())) or "none",
            "workers that rebuilt for the reload (log)": ", ".join(sorted(refreshed)) or "none"}  # fmt: skip


def worker_cpu(pid: int) -> str:
    """CPU seconds (user + system) of each worker process of the supervisor PID (Linux /proc)."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return "unknown (no /proc)"
    seconds = []
    for child in children:
        try:
            if b"spawn_main" not in Path(f"/proc/{child}/cmdline").read_bytes():
                continue  # multiprocessing's resource tracker, not a worker
            fields = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        seconds.append((int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"))
    return ", ".join(f"{s:.0f}" for s in seconds) or "none found"


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:,.0f} ms"


def report(args: Any, tally: Any, logged: int, facts: dict[str, str]) -> str:
    """The run as Markdown: what was asked of the targets, then the details."""
    errors = sum(tally.errors.values())
    rows = [
        ("messages sent (POSTs)", f"{tally.sent:,}", ""),
        ("answered (HTTP 200 with a reply)", f"{tally.answered:,}", "✅" if tally.answered == tally.sent else "❌"),
        ("… questions first answered by the 4 s fallback (late)", f"{tally.late:,}", ""),
        ("… 更多 sent to collect a late answer", f"{tally.fetches:,}", ""),
        ("errors (non-200, no reply, tracebacks, ERROR lines)", f"{errors:,}", "✅" if errors == 0 else "❌"),
        ("follow-ups resolved (key of the last turn in the reply)", f"{tally.resolved}/{tally.follow_ups}", ""),
        ("… of those one engine resolves", f"{tally.resolved_expected}/{tally.expected}",
         "✅" if tally.resolved_expected == tally.expected else "❌"),
        ("更多 after the follow-up continues the topic", f"{tally.more_resolved}/{tally.more_asked}", ""),
        ("… of those one engine continues", f"{tally.more_resolved_expected}/{tally.more_expected}",
         "✅" if tally.more_resolved_expected == tally.more_expected else "❌"),
        ("exchanges in the database", f"{logged:,}", "✅" if logged == tally.sent else "❌"),
        ("python -m bot reload (own process)", "–" if tally.reload_s is None else f"{tally.reload_s:.1f} s", ""),
        ("reload exit → every probe answers from the new article",
         "not reached" if tally.reach_s is None else f"{tally.reach_s:.1f} s", "✅" if tally.reach_s is not None else "❌"),
        ("replies after more than 5 s (WeChat would have given up and retried)",
         f"{sum(ms > 5000 for ms in tally.request_ms):,}", ""),
        ("request latency p50 / p95", f"{_ms(percentile(tally.request_ms, 0.5))} / {_ms(percentile(tally.request_ms, 0.95))}", ""),
        ("question → answer p50 / p95 (fetches included)",
         f"{_ms(percentile(tally.answer_ms, 0.5))} / {_ms(percentile(tally.answer_ms, 0.95))}", ""),
    ]  # fmt: skip
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    lines = [f"{args.chats} WeChat chats, serve --workers {args.workers}, {args.db}, EMBEDDING_MODEL={args.embedding}, "
             f"{when}, nproc {os.cpu_count()}", "", "| | value | |", "|---|---:|---|",
             *(f"| {name} | {value} | {mark} |" for name, value, mark in rows), ""]  # fmt: skip
    lines += [f"- {name}: {value}" for name, value in facts.items()]
    lines += [f"- {note}" for note in tally.notes]
    lines += [f"- error: {name} ×{n}" for name, n in tally.errors.items() if n]
    lines += [f"- unresolved: {miss} ×{n}" for miss, n in tally.misses.most_common(10)]
    return "\n".join(lines)
