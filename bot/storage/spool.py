"""Records that could not reach the database when the store closed, kept in a JSONL file.

The next store to open the same spool writes them, so a database outage at shutdown loses
nothing. Ids in the spool are already masked (hashed unless raw ids are configured).
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any, Union

from bot.records import Exchange, Feedback, PassageRef, ReloadReport

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
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(to_json(record), ensure_ascii=False) + "\n")


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
