"""The eval harness: hit@1/hit@3 per kind, no-answer accuracy, conversation accuracy.

A passage counts only within its first 600 characters, compared with the key after
NFKC and whitespace removal.  Questions of kind ``none`` are right when declined.
"""

from __future__ import annotations

import csv
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from bot.engine import Engine
from bot.messages import Incoming, Reply
from retrieval.text import fold_for_compare

WINDOW = 600


@dataclass
class Outcome:
    item_id: str
    kind: str
    question: str
    rank: int | None  # 1-based rank of the first passage holding a key; None: none does
    answered: bool

    @property
    def correct(self) -> bool:
        return (not self.answered) if self.kind == "none" else self.rank == 1


@dataclass
class Report:
    outcomes: list[Outcome] = field(default_factory=list)
    conversations: list[Outcome] = field(default_factory=list)

    def by_kind(self) -> dict[str, dict[str, float]]:
        groups: dict[str, list[Outcome]] = defaultdict(list)
        for outcome in self.outcomes:
            if outcome.kind != "none":
                groups[outcome.kind].append(outcome)
                groups["all"].append(outcome)
        return {
            kind: {
                "n": len(items),
                "hit@1": sum(1 for o in items if o.rank == 1) / len(items),
                "hit@3": sum(1 for o in items if o.rank is not None and o.rank <= 3) / len(items),
            }
            for kind, items in groups.items()
        }

    def none_accuracy(self) -> tuple[int, int]:
        nones = [o for o in self.outcomes if o.kind == "none"]
        return sum(1 for o in nones if not o.answered), len(nones)

    def conversation_accuracy(self) -> tuple[int, int]:
        return sum(1 for o in self.conversations if o.rank is not None and o.rank <= 3), len(self.conversations)

    def format(self) -> str:
        lines = ["kind    n   hit@1  hit@3"]
        for kind, row in sorted(self.by_kind().items(), key=lambda kv: (kv[0] == "all", kv[0])):
            lines.append(f"{kind:<6} {int(row['n']):>3}   {row['hit@1']:.2f}   {row['hit@3']:.2f}")
        right, total = self.none_accuracy()
        lines.append(f"none (declined correctly): {right}/{total}")
        right, total = self.conversation_accuracy()
        lines.append(f"conversations (key in top 3 at the last turn): {right}/{total}")
        misses = [o for o in self.outcomes + self.conversations if not o.correct]
        for o in misses:
            lines.append(f"  miss {o.item_id} [{o.kind}] rank={o.rank} answered={o.answered}: {o.question}")
        return "\n".join(lines)


def key_rank(reply: Reply, keys: str) -> int | None:
    wanted = [fold_for_compare(k) for k in keys.split("|") if k.strip()]
    for rank, quote in enumerate(reply.quotes, 1):
        window = fold_for_compare(quote.text[:WINDOW])
        if any(k in window for k in wanted):
            return rank
    return None


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def evaluate(engine: Engine, questions: Path, conversations: Path | None = None) -> Report:
    report = Report()
    run = uuid.uuid4().hex[:12]  # chats of their own: an earlier run's conversation state is not this one's
    for row in _rows(questions):
        reply = engine.handle(Incoming(row["question"], chat_id=f"eval-{run}-{row['id']}", channel="eval", source="eval"))
        rank = key_rank(reply, row.get("keys") or "") if row["kind"] != "none" else None
        report.outcomes.append(Outcome(row["id"], row["kind"], row["question"], rank, reply.answered))
    if conversations is not None and conversations.exists():
        for row in _rows(conversations):
            turns = [t for t in row["turns"].split("||") if t.strip()]
            reply = None
            for turn in turns:
                reply = engine.handle(Incoming(turn, chat_id=f"eval-{run}-{row['id']}", channel="eval", source="eval"))
            assert reply is not None
            rank = key_rank(reply, row.get("keys_last_turn") or "")
            report.conversations.append(Outcome(row["id"], "conversation", " || ".join(turns), rank, reply.answered))
    return report
