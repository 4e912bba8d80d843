"""Search: BM25 with section and neighbour context, answer-type reranking, and the decision to decline.

A passage is scored on its own text; for the question terms it lacks, its section heading
and the passage just before it in the same section fill in: a programme is often named in
one paragraph and spelled out in the next, which never repeats the name.  A question is
declined when the best passage leaves most of what was asked unmatched, when it names
something the articles never mention (a programme number, a foreign word, a person), or
when it names a place the answering article is not about.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from retrieval.answer import TYPE_BONUS, answer_type_strength
from retrieval.library import Library
from retrieval.passages import MAX_CHARS, Passage
from retrieval.query import Query
from retrieval.retriever import signals_of

MIN_COVERAGE = 0.5  # share of the question's weight the best passage must match
RELATIVE_FLOOR = 0.3  # a hit scoring under this share of the best one is not worth showing
_DIGIT = re.compile(r"\d")
_LATIN = re.compile(r"^[a-z]+$")


def _is_strange(query: Query, token: str) -> bool:
    """An unknown token the articles can't be about: a programme number, a foreign name
    (a Latin word in a Chinese question, or a capitalised one inside an English question)."""
    if _DIGIT.search(token):
        return True
    if not _LATIN.match(token):
        return False
    if query.lang == "zh":
        return True
    return bool(re.search(rf"(?<!^)(?<![.?!]\s)\b{token[0].upper()}{token[1:]}\b", query.original.strip()))


@dataclass(frozen=True)
class Hit:
    passage: Passage
    score: float
    terms: tuple[str, ...]  # query terms that occur in the passage (for highlighting)
    before: Passage | None = None  # the passage it was found through, shown first

    @property
    def text(self) -> str:
        if self.before is None:
            return self.passage.text
        return self.before.text + "\n" + self.passage.text


@dataclass
class SearchResult:
    query: Query
    hits: list[Hit] = field(default_factory=list)
    answerable: bool = False
    reason: str = ""
    coverage: float = 0.0


def display_terms(query: Query, text: str) -> tuple[str, ...]:
    """The query's terms as they appear in ``text``, longest first, for highlighting."""
    found = [t for t in query.weights if not t.startswith("q:") and len(t) >= 2 and t in text]
    found += [t for t in query.weights if t.startswith("q:") and f"“{t[2:]}”" in text]
    terms = [f"“{t[2:]}”" if t.startswith("q:") else t for t in found]
    return tuple(sorted(dict.fromkeys(terms), key=len, reverse=True))


def token_weight(library: Library, query: Query, token: str) -> float:
    """How much a question token matters: its idf (or its best known variant's), lone characters less."""
    index = library.index
    if index.knows(token):
        weight = index.idf_of(token)
    else:
        known = [index.idf_of(t) for t in query.alternatives.get(token, ()) if index.knows(t)]
        weight = max(known) if known else (index.max_idf)
    weight = max(weight, 0.1)
    return weight * (0.3 if len(token) == 1 else 1.0)


def coverage(library: Library, query: Query, doc: int) -> float:
    """Share of the question's weight found in passage ``doc`` or the passage before it."""
    tokens = library.tokens_of(doc)
    if doc > 0 and library.same_section[doc]:
        tokens |= library.tokens_of(doc - 1)
    total = matched = 0.0
    for token in query.tokens:
        weight = token_weight(library, query, token)
        total += weight
        if token in tokens:
            matched += weight
        elif any(t in tokens for t in query.alternatives.get(token, ())):
            # a synonym counts fully; a lone character of an unknown word only half
            matched += weight if any(len(t) > 1 and t in tokens for t in query.alternatives[token]) else weight / 2
    return matched / total if total else 0.0


def text_coverage(library: Library, query: Query, text: str) -> float:
    """Share of the question's idf weight whose terms occur in ``text`` itself."""
    total = matched = 0.0
    for token in query.tokens:
        weight = token_weight(library, query, token)
        total += weight
        matched += weight if token in text else 0.0
    return matched / total if total else 0.0


def _hit(library: Library, query: Query, i: int, score: float) -> Hit:
    """A hit; found through the passage before it, it shows that passage too."""
    passage = library.passages[i]
    before = library.neighbour(passage, -1)
    if before is not None and (
        before.section != passage.section or len(before.text) + len(passage.text) + 1 > MAX_CHARS
    ):
        before = None
    if before is not None:
        alone = text_coverage(library, query, passage.text)
        if alone >= 0.5 or text_coverage(library, query, before.text + passage.text) < alone + 0.25:
            before = None
    text = passage.text if before is None else before.text + passage.text
    return Hit(passage, score, display_terms(query, text), before)


def search(library: Library, query: Query, k: int = 10) -> SearchResult:
    result = SearchResult(query=query)
    if query.empty:
        result.reason = "empty"
        return result
    signals = signals_of(library.retriever, query)
    scores = signals["fused"].copy()
    pool = [i for i in library.index.top(scores, k * 3) if scores[i] > 0]
    covered = {i: coverage(library, query, i) for i in pool}
    for i in pool:
        scores[i] *= 1 + TYPE_BONUS * answer_type_strength(
            query.qtype, library.passages[i].text, query.weights, query.focus
        )
        scores[i] *= 0.5 + 0.5 * covered[i]  # coordination: favour matching more of the question
    top = sorted(pool, key=lambda i: (-scores[i], i))[:k]
    if top:
        top = [i for i in top if scores[i] >= RELATIVE_FLOOR * scores[top[0]]]
    result.hits = [_hit(library, query, i, float(scores[i])) for i in top]
    if not result.hits:
        result.reason = "no match"
        return result
    strange = [t for t in query.unknown if _is_strange(query, t)] + query.unknown_names
    if strange:
        result.reason = f"unknown terms: {', '.join(strange)}"
        return result
    result.coverage = covered[top[0]]
    if result.coverage < MIN_COVERAGE:
        result.reason = f"weak match (coverage {result.coverage:.2f})"
        return result
    elsewhere = [p for p in query.places if not library.article_mentions(result.hits[0].passage.article, p)]
    if elsewhere:
        result.reason = f"the best passage's article is not about {', '.join(elsewhere)}"
        return result
    result.answerable = True
    return result
