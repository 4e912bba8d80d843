"""Corrections as the deployment sees them: stored in the database, applied by every running engine.

:class:`bot.app.Services` delegates here.  Without a database (the terminal chat with no store)
a correction lives in this process only.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from bot.corrections import Correction
from bot.storage.normalize import question_key

if TYPE_CHECKING:
    from bot.app import Services

log = logging.getLogger(__name__)


def load_corrections(services: Services, *, quiet: bool = False) -> None:
    """The engine answers with the corrections in the database (at start, and when another process changed
    them). A database that can't be read leaves them as they are, with a warning (QUIET: at start, where
    the store has already said the database is unavailable, only at debug level)."""
    if services.store is None:
        return
    from bot.storage.corrections import active_corrections
    from bot.storage.faults import describe

    try:
        stored = active_corrections(services.store)
    except Exception as exc:  # a database that can't be read: answer without them, say so once per try
        log.log(logging.DEBUG if quiet else logging.WARNING,
                "cannot read the answer corrections; answering without them (%s)", describe(exc))
        return
    services.engine.corrections.replace([Correction(c.id, c.question, c.article, c.paragraph, c.text, c.time)
                                         for c in stored])  # fmt: skip


def correct(services: Services, question: str, article: str, paragraph: int, who: str = "") -> Correction:
    """From now on QUESTION (and close paraphrases) is answered with passage PARAGRAPH of ARTICLE.
    ValueError when the library has no such passage."""
    library = services.engine.library
    found = library.articles.get(article)
    passage = next((p for p in found.passages if p.position == paragraph), None) if found else None
    if passage is None or not question.strip():
        raise ValueError(f"no passage {paragraph} in article {article!r}" if question.strip() else "empty question")
    if services.store is None:
        book = services.engine.corrections
        made = Correction(max((c.id for c in book.corrections), default=0) + 1, question.strip(), article, paragraph, passage.text)
    else:
        from bot.storage.corrections import add_correction

        stored = add_correction(services.store, question, article, paragraph, passage.text, who)
        made = Correction(stored.id, stored.question, stored.article, stored.paragraph, stored.text, stored.time)
        key = question_key(made.question)
        for old in [c for c in services.engine.corrections.corrections if question_key(c.question) == key]:
            services.engine.corrections.remove(old.id)  # retired by add_correction
    services.engine.corrections.add(made)
    _announce(services, "correction")
    return made


def list_corrections(services: Services) -> list[dict[str, Any]]:
    return [c.as_dict() for c in services.engine.corrections.corrections]


def remove_correction(services: Services, correction_id: int) -> bool:
    found = any(c.id == correction_id for c in services.engine.corrections.corrections)
    if services.store is not None:
        from bot.storage.corrections import retire_correction

        found = retire_correction(services.store, correction_id) or found
    services.engine.corrections.remove(correction_id)
    if found:
        _announce(services, "correction")
    return found


def _announce(services: Services, origin: str) -> None:
    """Tell the other processes of the deployment (they take up corrections when they refresh)."""
    services.publish(origin)
