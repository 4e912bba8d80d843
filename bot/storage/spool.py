"""Records that could not reach the database when the store closed, kept in a JSONL file.

The next store to open the same spool writes them, so a database outage at shutdown loses
nothing. Ids in the spool are already masked (hashed unless raw ids are configured).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any, Union

from bot.records import Exchange, Feedback, PassageRef, ReloadReport
from bot.storage.faults import report

Record = Union[Exchange, Feedback, ReloadReport]
_TYPES: dict[str, type] = {"exchange": Exchange, "feedback": Feedback, "reload": ReloadReport}
_NAMES = {cls: name for name, cls in _TYPES.items()}


def to_json(record: Record) -> dict[str, Any]:
    data = asdict(record)
    data["time"] = record.time.isoformat()
    data["type"] = _NAMES[type(record)]
    return data


def from_json(data: dict[str, Any]) -> Record:
    data = dict(data)
    cls = _TYPES[data.pop("type")]
    data["time"] = datetime.fromisoformat(data["time"])
    if cls is Exchange:
        data["passages"] = [PassageRef(**p) for p in data.get("passages", [])]
    if cls is ReloadReport:
        data["skipped"] = [tuple(s) for s in data.get("skipped", [])]
    return cls(**data)


def append(path: Path, records: list[Record]) -> None:
    """Append RECORDS; a new spool is created 0600 in a folder created 0700 (it holds user text)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with open(descriptor, "a", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(to_json(record), ensure_ascii=False) + "\n")


def keep(path: Path | None, records: list[Record], why: str, *, quiet: bool = False) -> None:
    """Spool RECORDS, saying WHY on stderr (only losses when QUIET: the reason was reported before)."""
    if path is None:
        report(f"{why}: {len(records)} record(s) lost (no spool file for this database)")
        return
    try:
        append(path, records)
    except OSError as exc:
        report(f"{why}: {len(records)} record(s) lost, cannot write {path}: {exc!r}")
        return
    if not quiet:
        report(f"{why}: {len(records)} record(s) kept in {path}; written at the next start")


def take(path: Path) -> tuple[list[Record], list[str]]:
    """Read and remove the spool: (records, problems). Unreadable lines are reported, not fatal."""
    if not path.exists():
        return [], []
    records: list[Record] = []
    problems: list[str] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            records.append(from_json(json.loads(line)))
        except (ValueError, KeyError, TypeError) as exc:
            problems.append(f"{path.name}:{number}: {exc!r}")
    path.unlink()
    return records, problems
