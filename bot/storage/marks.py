"""Review-queue questions the admin marked handled, by their folded key (:func:`question_key`).

A mark hides its question from the review queue until the question comes back: asked (declined, 👎,
or answered with low confidence) again after the mark's time. Marking again moves the mark's time.
Written with INSERT … ON CONFLICT (key) DO UPDATE on SQLite and PostgreSQL, update-or-insert elsewhere.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot.storage.filters import HasSession
from bot.storage.models import ReviewMarkRow

KEY_LENGTH = 512  # review_marks.key is a String(512); longer keys are compared by their first 512 characters


def stored_key(key: str) -> str:
    """KEY as the review_marks table holds it."""
    return key[:KEY_LENGTH]


def mark_handled(store: HasSession, key: str, question: str, who: str = "", note: str = "", *,
                 now: datetime | None = None) -> None:  # fmt: skip
    """Mark the question of KEY handled (QUESTION: its wording, for the record); a second mark replaces the first."""
    if not key.strip():
        raise ValueError("an empty question key cannot be marked handled")
    values: dict[str, Any] = {"key": stored_key(key), "question": question, "who": who[:128], "note": note,
                              "time": now or datetime.now(timezone.utc)}  # fmt: skip
    with store.session() as session, session.begin():
        dialect = session.get_bind().dialect.name
        insert = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}.get(dialect)
        if insert is not None:
            statement = insert(ReviewMarkRow).values(**values)
            replaced = {name: statement.excluded[name] for name in ("question", "who", "note", "time")}
            session.execute(statement.on_conflict_do_update(index_elements=["key"], set_=replaced))
            return
        row = session.scalar(select(ReviewMarkRow).where(ReviewMarkRow.key == values["key"]))
        if row is None:
            session.add(ReviewMarkRow(**values))
        else:
            for name in ("question", "who", "note", "time"):
                setattr(row, name, values[name])


def unmark(store: HasSession, key: str) -> None:
    """Remove the mark of KEY (nothing happens when there is none): its question is back in the queue."""
    with store.session() as session, session.begin():
        session.execute(delete(ReviewMarkRow).where(ReviewMarkRow.key == stored_key(key)))


def handled_keys(store: HasSession) -> set[str]:
    """The keys marked handled (whether or not their question came back since)."""
    with store.session() as session:
        return set(session.scalars(select(ReviewMarkRow.key)))


def mark_times(session: Session) -> dict[str, datetime]:
    """Each marked key with the time of its mark."""
    return {key: time for key, time in session.execute(select(ReviewMarkRow.key, ReviewMarkRow.time))}
