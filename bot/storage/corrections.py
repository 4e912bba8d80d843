"""The admin's answer corrections, kept in the database (every process of a deployment reads them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import select, update

from bot.storage.models import CorrectionRow
from bot.storage.normalize import question_key
from bot.storage.review import HasSession


@dataclass(frozen=True)
class StoredCorrection:
    id: int
    question: str
    article: str
    paragraph: int
    text: str
    time: datetime


def add_correction(store: HasSession, question: str, article: str, paragraph: int, text: str, who: str = "") -> StoredCorrection:
    """Store "answer QUESTION with this passage"; an earlier correction of the same question is retired."""
    key = question_key(question)
    now = datetime.now(timezone.utc)
    with store.session() as session, session.begin():
        session.execute(update(CorrectionRow).where(CorrectionRow.key == key).values(active=False))
        row = CorrectionRow(key=key, question=question.strip(), article=article, paragraph=paragraph,
                            text=text, who=who, time=now, active=True)  # fmt: skip
        session.add(row)
        session.flush()
        return _stored(row)


def active_corrections(store: HasSession) -> list[StoredCorrection]:
    """Every correction in force, oldest first."""
    stmt = select(CorrectionRow).where(CorrectionRow.active.is_(True)).order_by(CorrectionRow.id)
    with store.session() as session:
        return [_stored(row) for row in session.scalars(stmt)]


def retire_correction(store: HasSession, correction_id: int) -> bool:
    """Stop answering with a correction (it stays in the database); False if there was none in force."""
    with store.session() as session, session.begin():
        result = session.execute(
            update(CorrectionRow).where(CorrectionRow.id == correction_id, CorrectionRow.active.is_(True)).values(active=False)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


def _stored(row: CorrectionRow) -> StoredCorrection:
    return StoredCorrection(row.id, row.question, row.article, row.paragraph, row.text, row.time)
