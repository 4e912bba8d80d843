"""The decision to answer: several signals, one verdict, and the reason for a decline.

Checks, in order — the first that fails names the reason the admin sees:

1. *unknown term*: a programme number or a foreign word the articles never use (7799工程, GDP);
2. *unknown name*: a place or person the articles never mention (青岛市, 米其林) — a proper name
   by CC-CEDICT; an ordinary word the articles don't use (入党, 一把手) is no reason;
3. *wrong place* / *wrong time*: no passage found is about the place or the year asked (天桥区
   asked, only 槐荫 found; 2023 asked, a 2021 report found) — passages about it come first;
4. *no answer of the asked type*: a 谁/多少/第几/何时/哪里 question whose passage holds no name with
   the asked title (for the asked place), no number counting the asked thing, no rank, no date, no
   address.  Checks 3 and 4 look at the passages found, in the asked place first: of the first
   five there, the first that fits becomes the answer;
5. *weak match*: the lexical coverage of the best passage, the judge model's similarity for
   it and how far that stands above the median passage's, with a bonus when BM25 and the
   embeddings agree on it, fall short of a threshold calibrated on the dev sets (README:
   precision/recall table).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from retrieval.answer import LOCAL_OFFICE, has_typed_answer
from retrieval.english import cedict_definitions
from retrieval.library import Library
from retrieval.names import passage_scope, place_base, places_elsewhere
from retrieval.query import Query

MIN_COVERAGE = 0.5  # BM25 alone: share of the question's weight the best passage must match
SIMILARITY_WEIGHT = 1.0  # one unit of the judge's cosine similarity is worth this much coverage
STANDOUT_WEIGHT = 3.0  # … and one unit of it above the median passage's this much more
AGREEMENT_BONUS = 0.15  # both rankers put the best passage in their top AGREEMENT_RANK
AGREEMENT_RANK = 3
TYPED_BONUS = 0.5  # the passage names the holder of the asked place's own office (槐荫区区长朱玉明)
CONFIDENCE = {"zh": 0.89, "en": 0.99}  # coverage + weighted similarity and standout (+ agreement); README: calibration
_DIGIT = re.compile(r"\d")
_LATIN = re.compile(r"^[a-z]+$")
_NUMERAL = re.compile(r"^第?[〇零一二两三四五六七八九十百千万亿]{2,}[次届年个名]?$")


@dataclass(frozen=True)
class Evidence:
    """What the search knows about its best passage."""

    pid: int
    coverage: float  # share of the question's weight found in it (or in its context)
    similarity: float | None  # cosine similarity of question and passage; None without embeddings
    lexical_rank: int  # 1-based rank among all passages by BM25 alone
    semantic_rank: int | None  # … by the embeddings alone
    typical: float | None = None  # the median passage's similarity to the question (how far the best stands out)
    typed: bool = False  # it holds the answer of the asked type, bound to what was asked (a 谁/多少/何时 … question)

    @property
    def agree(self) -> bool:
        return self.semantic_rank is not None and max(self.lexical_rank, self.semantic_rank) <= AGREEMENT_RANK

    @property
    def standout(self) -> float | None:
        """How far the best passage's similarity stands above the median passage's: comparable
        across models, where raw cosines are not (e5's bunch near 0.8, USE's spread from 0)."""
        if self.similarity is None:
            return None
        return self.similarity - (self.typical or 0.0)

    @property
    def confidence(self) -> float:
        standout = self.standout
        if self.similarity is None or standout is None:
            return self.coverage
        return (self.coverage + SIMILARITY_WEIGHT * self.similarity + STANDOUT_WEIGHT * standout
                + (AGREEMENT_BONUS if self.agree else 0.0) + (TYPED_BONUS if self.typed else 0.0))


def strange_terms(query: Query) -> list[str]:
    """Unknown tokens the articles can't be about: a number (a programme code, 第十四次), a Latin
    word in a Chinese question."""
    return [
        t
        for t in query.unknown
        if _DIGIT.search(t) or _NUMERAL.match(t) or (query.lang == "zh" and _LATIN.match(t))
    ]


def bound_answer_asked(query: Query) -> bool:
    """Does the question ask for an answer the type check binds to what it names: the holder of a
    place's own office (区长 of 槐荫区: the name right after the title, the place right before it)?
    Looser bindings (a number in a sentence with the counted word, a date, any name) earn no bonus."""
    return query.qtype == "who" and bool(query.places) and bool(LOCAL_OFFICE.match(query.title))


def unanswerable(query: Query) -> str:
    """Why no passage can answer the question, whatever it says: "" if one may."""
    strange = strange_terms(query)
    if strange:
        return f"unknown term: {', '.join(strange)}"
    if query.unknown_names:
        return f"unknown name: {', '.join(query.unknown_names)}"
    return ""


_MONEY = re.compile(r"\b(money|sum|amount|fund|funds|price|cost|fee|income|revenue)\b")
_PEOPLE = re.compile(r"\b(person|people|persons|member|members|worker|workers|staff|population)\b")


def counted_kind(library: Library, counted: str) -> str:
    """What the answer's number must count: the word itself when the articles use it; for a word
    they don't, 钱 or 人 when the dictionary defines it as money or people (金额, 人员); else "?"
    (nothing the articles count: 地铁线)."""
    if len(counted) < 2 or library.knows(counted):
        return counted
    definition = cedict_definitions().get(counted, "")
    if _MONEY.search(definition):
        return "钱"
    if _PEOPLE.search(definition):
        return "人"
    return "?"


def out_of_scope(library: Library, query: Query, pid: int) -> str:
    """Why passage ``pid`` is not about what was asked — another place, another year — or ""."""
    elsewhere = places_elsewhere(library, query.places, pid)
    if elsewhere:
        return f"wrong place: {', '.join(elsewhere)}"
    if query.years:
        article = library.articles[library.passages[pid].article]
        scope = passage_scope(library, pid) + article.year
        if not any(year in scope for year in query.years):
            return f"wrong time: {', '.join(query.years)}"
    return ""


def misfit(library: Library, query: Query, text: str) -> str:
    """Why ``text`` (a passage as it will be quoted) holds no answer of the asked type (a name with
    the title, a number counting the asked thing, a rank, a date, an address), or ""."""
    places = tuple(place_base(p) for p in query.places)
    counted = counted_kind(library, query.counted)
    terms = tuple(t for t in query.tokens if t not in query.places and t not in places)
    if not has_typed_answer(query.qtype, text, title=query.title, places=places, counted=counted, terms=terms):
        return f"no answer of the asked type ({query.qtype})"
    return ""


LOW_CONFIDENCE_MARGIN = 0.15  # an answer this close above the threshold is worth the admin's review


def low_confidence_below(semantic: bool) -> float:
    """The confidence under which an answer counts as low-confidence (the review queue lists those)."""
    return (max(CONFIDENCE.values()) if semantic else MIN_COVERAGE) + LOW_CONFIDENCE_MARGIN


def weak(evidence: Evidence, lang: str) -> str:
    """Why the best passage is too weak a match to answer with, or ""."""
    threshold = CONFIDENCE.get(lang, CONFIDENCE["zh"]) if evidence.similarity is not None else MIN_COVERAGE
    if evidence.confidence < threshold:
        return f"weak match (confidence {evidence.confidence:.2f} < {threshold:.2f})"
    return ""
