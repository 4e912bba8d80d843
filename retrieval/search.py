"""Search: rank passages with the library's retriever, rerank by answer type and coverage, decide.

The retriever (retrieval/retriever.py) scores every passage, lexically with context and
semantically; the pool of best passages is reranked by whether a passage holds the kind of
answer asked for and how much of the question it matches; the decision to answer or
decline, and its reason, is retrieval/decision.py's.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from retrieval.answer import TYPE_BONUS, answer_type_strength
from retrieval.decision import Evidence, bound_answer_asked, misfit, out_of_scope, unanswerable, weak
from retrieval.library import Library
from retrieval.passages import MAX_CHARS, Passage
from retrieval.query import Query
from retrieval.retriever import signals_of
from retrieval.tokenize import code_parts

RELATIVE_FLOOR = 0.3  # a hit scoring under this share of the best one is not worth showing
CANDIDATES = 10  # how many of the best passages (all those shown) may be the answer when the first doesn't fit


@dataclass(frozen=True)
class Hit:
    passage: Passage
    score: float
    terms: tuple[str, ...]  # query terms that occur in the passage (for highlighting)
    before: Passage | None = None  # the passage it was found through, shown first
    signals: dict[str, float] = field(default_factory=dict, compare=False)  # each ranker's raw score (hit test)

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
    evidence: Evidence | None = None  # about the passage answering (or the best one, when declined)

    @property
    def coverage(self) -> float:
        return self.evidence.coverage if self.evidence is not None else 0.0


def display_terms(query: Query, text: str) -> tuple[str, ...]:
    """The question's own terms (and the words that stand for them) as they appear in ``text``,
    longest first, for highlighting; an earlier turn's topic is searched with, not marked."""
    own = [*query.tokens, *(a for t in query.tokens for a in query.alternatives.get(t, ()))]
    own += [f"q:{p}" for code in query.codes for p in code_parts(code)]
    found = [t for t in dict.fromkeys(own) if not t.startswith("q:") and len(t) >= 2 and t in text]
    found += [t for t in dict.fromkeys(own) if t.startswith("q:") and f"“{t[2:]}”" in text]
    terms = [f"“{t[2:]}”" if t.startswith("q:") else t for t in found]
    return tuple(sorted(dict.fromkeys(terms), key=len, reverse=True))


def token_weight(library: Library, query: Query, token: str) -> float:
    """How much a question token matters: its idf (or its best known variant's), lone characters less."""
    index = library.index
    if index.knows(token):
        weight = index.idf_of(token)
    else:
        variants = (*query.alternatives.get(token, ()), *query.related.get(token, ()))
        known = [index.idf_of(t) for t in variants if index.knows(t)]
        weight = max(known) if known else (index.max_idf)
    weight = max(weight, 0.1)
    return weight * (0.3 if len(token) == 1 else 1.0)


def token_weights(library: Library, query: Query) -> dict[str, float]:
    """:func:`token_weight` of each question token (computed once per question, not once per passage)."""
    return {token: token_weight(library, query, token) for token in query.tokens}


def coverage(library: Library, query: Query, doc: int, weights: dict[str, float] | None = None) -> float:
    """Share of the question's weight found in passage ``doc`` or the passage before it
    (``weights``: :func:`token_weights` of the question, if already known)."""
    tokens = library.tokens_of(doc)
    if doc > 0 and library.same_section[doc]:
        tokens |= library.tokens_of(doc - 1)
    weights = weights if weights is not None else token_weights(library, query)
    total = matched = 0.0
    for token in query.tokens:
        weight = weights[token]
        total += weight
        if token in tokens:
            matched += weight
        elif any(t in tokens for t in query.alternatives.get(token, ())):
            matched += weight  # a synonym counts fully
        elif any(t in tokens for t in query.related.get(token, ())):
            # a word inside the unknown one or its dictionary synonym counts fully, a lone character half
            matched += weight if any(len(t) > 1 and t in tokens for t in query.related[token]) else weight / 2
    return matched / total if total else 0.0


def text_coverage(library: Library, query: Query, text: str, weights: dict[str, float] | None = None) -> float:
    """Share of the question's idf weight whose terms occur in ``text`` itself."""
    weights = weights if weights is not None else token_weights(library, query)
    total = matched = 0.0
    for token in query.tokens:
        weight = weights[token]
        total += weight
        matched += weight if token in text else 0.0
    return matched / total if total else 0.0


def _hit(library: Library, query: Query, i: int, score: float, signals: dict[str, float] | None = None,
         weights: dict[str, float] | None = None) -> Hit:
    """A hit; found through the passage before it, it shows that passage too."""
    passage = library.passages[i]
    before = library.neighbour(passage, -1)
    if before is not None and (
        before.section != passage.section or len(before.text) + len(passage.text) + 1 > MAX_CHARS
    ):
        before = None
    if before is not None:
        weights = weights if weights is not None else token_weights(library, query)
        alone = text_coverage(library, query, passage.text, weights)
        if alone >= 0.5 or text_coverage(library, query, before.text + passage.text, weights) < alone + 0.25:
            before = None
    text = passage.text if before is None else before.text + passage.text
    return Hit(passage, score, display_terms(query, text), before, signals or {})


def search(library: Library, query: Query, k: int = 10) -> SearchResult:
    result = SearchResult(query=query)
    if query.empty:
        result.reason = "empty"
        return result
    signals = signals_of(library.retriever, query)
    scores = signals["fused"].copy()
    pool = [i for i in library.index.top(scores, k * 3) if scores[i] > 0]
    weights = token_weights(library, query)
    covered = {i: coverage(library, query, i, weights) for i in pool}
    for i in pool:
        scores[i] *= 1 + TYPE_BONUS * answer_type_strength(
            query.qtype, library.passages[i].text, query.weights, query.focus
        )
        scores[i] *= 0.5 + 0.5 * covered[i]  # coordination: favour matching more of the question
    top = sorted(pool, key=lambda i: (-scores[i], i))[:k]
    if top:
        top = [i for i in top if scores[i] >= RELATIVE_FLOOR * scores[top[0]]]
    result.hits = [_hit(library, query, i, float(scores[i]), {n: float(v[i]) for n, v in signals.items()}, weights)
                   for i in top]
    if not result.hits:
        result.reason = "no match"
        return result
    typical = _typical(signals)
    first = _evidence(signals, top[0], covered[top[0]], typical)
    result.reason = unanswerable(query) or _fitting_first(library, query, result.hits)
    best = result.hits[0].passage.pid
    result.evidence = first if best == top[0] else _evidence(signals, best, covered.get(best, 0.0), typical)
    if not result.reason and bound_answer_asked(query):  # the answer found is of the asked type, bound
        result.evidence = replace(result.evidence, typed=True)
    # how well the question matches the articles is the best passage's match — the first found,
    # unless that one was about another place or year
    judged = result.evidence if out_of_scope(library, query, top[0]) else max(first, result.evidence, key=_confidence)
    result.reason = result.reason or weak(judged, query.lang)
    result.answerable = not result.reason
    return result


def corrected(library: Library, result: SearchResult, passage: Passage) -> SearchResult:
    """RESULT answered with PASSAGE first (an admin's correction): the other hits follow it."""
    query = result.query
    score = max([h.score for h in result.hits] + [1.0])
    first = Hit(passage, score, display_terms(query, passage.text), None, {"corrected": 1.0})
    hits = [first] + [h for h in result.hits if h.passage.pid != passage.pid]
    return SearchResult(query=query, hits=hits, answerable=True, reason="", evidence=result.evidence)


def _fitting_first(library: Library, query: Query, hits: list[Hit]) -> str:
    """Passages about the asked place and year first; of those, the first of the top CANDIDATES
    that holds an answer of the asked type first of all.  Else why none can answer."""
    scope = [out_of_scope(library, query, hit.passage.pid) for hit in hits]
    if all(scope):
        return scope[0]
    hits[:] = [h for h, why in zip(hits, scope) if not why] + [h for h, why in zip(hits, scope) if why]
    reasons = [misfit(library, query, hit.text) for hit in hits[: min(CANDIDATES, scope.count(""))]]
    if all(reasons):
        return reasons[0]
    hits.insert(0, hits.pop(reasons.index("")))
    return ""


def _confidence(evidence: Evidence) -> float:
    return evidence.confidence


def _rank(scores: np.ndarray, i: int) -> int:
    """1-based rank of passage ``i``; last when it scores nothing (a lexical 0 is no agreement)."""
    if scores[i] <= 0:
        return len(scores)
    return int((scores > scores[i]).sum()) + 1


def _judge(signals: dict[str, np.ndarray]) -> np.ndarray | None:
    """The similarities that tell answerable from not: the judge model's, else the ranking one's."""
    return signals.get("judge", signals.get("dense"))


def _typical(signals: dict[str, np.ndarray]) -> float | None:
    """The median passage's similarity to the question (once per question: a median reads every passage)."""
    judge = _judge(signals)
    return float(np.median(judge)) if judge is not None and len(judge) else None


def _evidence(signals: dict[str, np.ndarray], best: int, covered: float, typical: float | None) -> Evidence:
    dense, judge = signals.get("dense"), _judge(signals)
    return Evidence(
        pid=best,
        coverage=covered,
        similarity=float(judge[best]) if judge is not None else None,
        lexical_rank=_rank(signals["bm25"], best),
        semantic_rank=_rank(dense, best) if dense is not None else None,
        typical=typical,
    )
