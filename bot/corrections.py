"""Answer corrections: the admin's "answer this question — and close paraphrases of it — with that passage".

A correction names a passage by its text (found again after a reload, wherever its article now puts
it); the answer stays a verbatim quote of it.  A question matches a correction when it folds to the
same key (traditional/simplified, punctuation, case), or when it is a close paraphrase: the same
question type about the same places, years and programme codes, and either close in meaning (sentence
embeddings) or sharing most of its words.  "槐荫区有多少党员" never takes "章丘区有多少党员"'s
correction, nor "暖新之家在哪里" that of "暖新之家有多大".
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from bot.storage.normalize import question_key  # the same folding as the review queue's groups
from retrieval.library import Library
from retrieval.passages import Passage
from retrieval.query import Query, understand
from retrieval.saved_passages import passage_texts

CLOSE_MEANING = 0.85  # cosine similarity of two questions' embeddings that makes them paraphrases
SHARED_WORDS = 0.6  # … or the share of content words they have in common (Jaccard)


@dataclass(frozen=True)
class Correction:
    id: int
    question: str
    article: str
    paragraph: int
    text: str  # the passage's text when it was chosen
    time: datetime | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id, "question": self.question, "article": self.article, "paragraph": self.paragraph,
            "text": self.text, "time": self.time.isoformat() if self.time else None,
        }  # fmt: skip


@dataclass
class _Known:
    correction: Correction
    query: Query
    vector: np.ndarray | None
    passage: Passage | None  # where the corrected passage is in the library it was understood against


def _scope(query: Query) -> tuple[object, ...]:
    return (query.qtype, frozenset(query.places), frozenset(query.years), frozenset(query.codes))


def _shared(a: Query, b: Query) -> float:
    left, right = set(a.tokens), set(b.tokens)
    return len(left & right) / len(left | right) if left | right else 0.0


@dataclass
class CorrectionBook:
    """The corrections one engine answers with, understood against its current library."""

    corrections: list[Correction] = field(default_factory=list)
    _known: list[_Known] = field(default_factory=list)
    _library: Library | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def replace(self, corrections: list[Correction]) -> None:
        with self._lock:
            self.corrections = list(corrections)
            self._library = None  # understood again on the next question

    def add(self, correction: Correction) -> None:
        with self._lock:
            self.corrections = [c for c in self.corrections if c.id != correction.id] + [correction]
            self._library = None

    def remove(self, correction_id: int) -> None:
        with self._lock:
            self.corrections = [c for c in self.corrections if c.id != correction_id]
            self._library = None

    def _understood(self, library: Library) -> list[_Known]:
        with self._lock:
            if self._library is not library:
                texts = passage_texts(library.passages) if self.corrections else []
                self._known = [
                    _Known(c, understand(library, c.question), _meaning(library, c.question),
                           passage_for(library, c, texts))
                    for c in self.corrections
                ]  # fmt: skip
                self._library = library
            return self._known

    def match(self, library: Library, query: Query) -> Passage | None:
        """The passage of the correction that answers QUERY (the newest, when several do), or None
        (also when that passage is no longer in the library)."""
        if not self.corrections:
            return None
        key = question_key(query.original)
        vector = None
        for known in reversed(self._understood(library)):
            if question_key(known.correction.question) == key:
                return known.passage
            if _scope(known.query) != _scope(query):
                continue
            if _shared(known.query, query) >= SHARED_WORDS:
                return known.passage
            if known.vector is not None:
                vector = _meaning(library, query.original) if vector is None else vector
                if vector is not None and float(known.vector @ vector) >= CLOSE_MEANING:
                    return known.passage
        return None


def _meaning(library: Library, question: str) -> np.ndarray | None:
    """The question's embedding in the judge's columns (USE's, whose cosine CLOSE_MEANING is for:
    with e5+use a whole row would add e5's bunched cosines to it), or None without embeddings."""
    embedder = library.embedder
    return embedder.query(question)[embedder.part("judge")] if embedder is not None else None


def passage_for(library: Library, correction: Correction, texts: list[str] | None = None) -> Passage | None:
    """The corrected passage in LIBRARY: by its text (TEXTS: the library's passage texts, when at
    hand), else where it was (same article and position)."""
    texts = passage_texts(library.passages) if texts is None else texts
    try:
        return library.passages[texts.index(correction.text)]
    except ValueError:
        pass
    article = library.articles.get(correction.article)
    return next((p for p in article.passages if p.position == correction.paragraph), None) if article else None
