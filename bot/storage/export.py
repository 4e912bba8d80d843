"""Export the log as CSV (UTF-8 with BOM: Excel shows Chinese correctly) or JSON Lines.

The CSV is meant for a spreadsheet, so it follows OWASP's advice on CSV injection
(https://owasp.org/www-community/attacks/CSV_Injection): every cell is quoted, quotes are doubled, and a
text cell that a spreadsheet would read as a formula gets a leading single quote.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterable
from dataclasses import asdict
from pathlib import Path
from typing import IO, Any

from bot.storage.formatting import visible
from bot.storage.review import Filters, HasSession, LogEntry, iter_entries

FORMATS = ("csv", "jsonl")
FIELDS = [
    "time", "exchange_id", "channel", "source", "chat_id", "user_id", "message", "query", "answered", "kind",
    "reply", "confidence", "passages", "best_text", "reply_length", "latency_ms", "error", "reason",
    "feedback_up", "feedback_down",
]  # fmt: skip

# what makes a spreadsheet read a cell as a formula: OWASP's = + - @ tab CR, also LF and NUL
# (OWASP ASVS 1.2.10), the same signs after leading white space, and their full-width forms
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\0", "＝", "＋", "－", "＠")


def neutralise(value: object) -> object:
    """VALUE as a spreadsheet shows it as text: a formula-like text cell gets a leading single quote."""
    if isinstance(value, str) and (value.startswith(FORMULA_START) or value.lstrip().startswith(FORMULA_START)):
        return "'" + value
    return value


def as_dict(entry: LogEntry) -> dict[str, Any]:
    data = asdict(entry)
    data["time"] = entry.time.isoformat()
    return {name: data[name] for name in FIELDS}


class Visible:
    """A text stream for a terminal: what is written has its control characters shown as marks
    (``visible``), line ends excepted, so exported user text can't drive the terminal."""

    def __init__(self, handle: IO[str]) -> None:
        self.handle = handle

    def write(self, text: str) -> int:
        return self.handle.write("\n".join(visible(part) for part in text.split("\n")))


def write_csv(entries: Iterable[LogEntry], handle: IO[str] | Visible) -> int:
    terminator = "\n" if isinstance(handle, Visible) else "\r\n"
    writer = csv.DictWriter(handle, fieldnames=FIELDS, quoting=csv.QUOTE_ALL, lineterminator=terminator)
    writer.writeheader()
    count = 0
    for entry in entries:
        row = as_dict(entry)
        row["answered"] = "true" if entry.answered else "false"
        row["passages"] = json.dumps(entry.passages, ensure_ascii=False)
        writer.writerow({name: neutralise(value) for name, value in row.items()})
        count += 1
    return count


def write_jsonl(entries: Iterable[LogEntry], handle: IO[str] | Visible) -> int:
    count = 0
    for entry in entries:
        handle.write(json.dumps(as_dict(entry), ensure_ascii=False) + "\n")
        count += 1
    return count


def guess_format(target: str) -> str:
    return "jsonl" if target.lower().endswith((".jsonl", ".json", ".ndjson")) else "csv"


def export(store: HasSession, target: str | Path, fmt: str | None = None, filters: Filters | None = None) -> int:
    """Write the (filtered) log to TARGET, oldest first; ``-`` is stdout. Returns the row count."""
    fmt = fmt or guess_format(str(target))
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
    writer = write_csv if fmt == "csv" else write_jsonl
    entries = iter_entries(store, filters, limit=None, oldest_first=True)
    if str(target) == "-":
        return writer(entries, Visible(sys.stdout) if sys.stdout.isatty() else sys.stdout)
    encoding = "utf-8-sig" if fmt == "csv" else "utf-8"  # the BOM tells Excel the CSV is UTF-8
    with Path(target).open("w", encoding=encoding, newline="") as handle:
        return writer(entries, handle)
