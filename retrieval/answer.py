"""Answer selection: which passages carry the kind of answer asked for, which sentences to quote.

A "多少" question wants the sentence with the number, a "什么时候" question the date,
"谁" a name with a title, "是什么" a definition.  Every sentence returned is a
verbatim slice of the passage.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from retrieval.query import QuestionType
from retrieval.text import split_sentences

_NUM = r"(?:\d+(?:\.\d+)?|[二两三四五六七八九十百千万亿][一二两三四五六七八九十百千万亿]*)"
NEAR = 12  # characters between an answer (number, date …) and a question term for them to belong together
ANSWER_PATTERNS: dict[str, re.Pattern[str]] = {
    "count": re.compile(
        _NUM + r"\s*(?:余|多|来)?\s*(?:个|名|万|亿|元|块|家|处|人|户|斤|亩|项|条|%|倍|平方米|公里|所|座|场|次|位|件|支|村|批)"
    ),
    "when": re.compile(
        r"\d{4}年|\d{1,2}月\d{1,2}日|\d{1,2}月(?:初|底|份)?|\d{1,2}日|年底|年初|今年|去年"
        r"|(?:周|星期|礼拜)[一二三四五六日天末]|每(?:个)?[年月周天]"  # a day of the week, a recurring time
    ),
    "size": re.compile(_NUM + r"\s*(?:余|多)?\s*(?:平方米|平方公里|亩|公顷|米)"),
    "who": re.compile(
        r"(?:书记|主任|主理人|负责人|区长|市长|总监|代表|院长|经理|队长)[、，\s]*[\u4e00-\u9fff]{2,3}"
        r"|[\u4e00-\u9fff]{2,3}(?:说|介绍|表示|指出)"
    ),
    "define": re.compile(r"即|就是|是指|指的是|具体是|包括"),
    "where": re.compile(r"[\u4e00-\u9fff]{1,8}(?:路|街|大道|巷)\d+号|位于|坐落|地处|地址|落户|选址"),
}
LONG_SENTENCE = 120  # characters: longer than this, the direct answer is narrowed to clauses
LONG_DEFINITION = 200  # a definition is cut less readily: its parts are the answer
SHORT_SENTENCE = 60  # a neighbour sentence joins the direct answer only when this short
JOIN_UNDER = 40  # … and the answering sentence shorter than this
DIRECT_CHARS = 90  # at most this many characters of clauses
TYPE_BONUS = 1.0  # boost of a passage whose one sentence holds the answer type and all the terms


def answer_type_strength(qtype: QuestionType, text: str, weights: dict[str, float], focus: str = "") -> float:
    """How well ``text`` answers this kind of question: the best share of the question's terms
    found in one sentence that also holds the answer type (a number, a date, a name …); 0 if none."""
    pattern = ANSWER_PATTERNS.get(qtype)
    terms = {t: weights[t] for t in _plain_terms(weights)}
    total = sum(terms.values())
    if pattern is None or not total:
        return 0.0
    best = 0.0
    for sentence in split_sentences(text):
        spans = [m.span() for m in pattern.finditer(sentence)]
        if not spans:
            continue
        share = sum(w for t, w in terms.items() if t in sentence) / total
        near = _near(sentence, focus, spans) if focus else any(_near(sentence, term, spans) for term in terms)
        best = max(best, share if near else share / 2)
    return best


def _near(sentence: str, term: str, spans: list[tuple[int, int]], near: int = NEAR) -> bool:
    if not term:
        return False
    start = sentence.find(term)
    while start >= 0:
        end = start + len(term)
        if any(a - near <= end and start <= b + near for a, b in spans):
            return True
        start = sentence.find(term, start + 1)
    return False


def _plain_terms(weights: dict[str, float]) -> list[str]:
    """The question's words that may stand in a sentence (not lone characters, not quoted code parts)."""
    return [t for t in weights if len(t) >= 2 and not t.startswith("q:")]


def _answer_by_term(sentence: str, qtype: QuestionType, terms: list[str]) -> tuple[bool, list[tuple[int, int]]]:
    """Does the sentence hold an answer of the asked type next to a question term; and where its answers are."""
    pattern = ANSWER_PATTERNS.get(qtype)
    spans = [m.span() for m in pattern.finditer(sentence)] if pattern is not None else []
    return bool(spans) and any(_near(sentence, t, spans) for t in terms), spans


def _sentence_score(sentence: str, weights: dict[str, float], qtype: QuestionType, focus: str) -> float:
    terms = _plain_terms(weights)
    score = sum(weights[t] for t in terms if t in sentence)
    score += sum(0.5 * w for t, w in weights.items() if t.startswith("q:") and f"“{t[2:]}”" in sentence)
    by_term, spans = _answer_by_term(sentence, qtype, terms)
    if spans:
        score += 1.5 if by_term else 0.5
        if focus and _near(sentence, focus, spans, 4):
            score += 1.5  # "第一书记2278人" for "多少名第一书记"
    return score


_TYPED = ("who", "count", "when", "where", "size")  # answers of a form (a name, a number, a date, an address)


def _typed(sentence: str, weights: dict[str, float], qtype: QuestionType) -> bool:
    """Does the sentence hold a 谁/多少/何时/哪里 answer next to a question term ("槐荫区区长朱玉明表示。" is
    short, but no lead-in)?"""
    return qtype in _TYPED and _answer_by_term(sentence, qtype, _plain_terms(weights))[0]


LEAD_IN = re.compile(r"为例|如下|以下几|好办法|答案|答卷|[:：]$")  # says an answer follows, isn't one
MIN_NEW = 12  # Chinese characters a direct answer must add to the question's own words


def is_lead_in(sentence: str, terms: Iterable[str]) -> bool:
    """A sentence that only announces the answer: 以“红色物业”建设为例。 / 南村街道想了一个好办法。"""
    rest = sentence
    for term in sorted((t for t in terms if not t.startswith("q:")), key=len, reverse=True):
        rest = rest.replace(term, "")
    return sum(1 for c in rest if "\u4e00" <= c <= "\u9fff") < MIN_NEW or bool(LEAD_IN.search(sentence))


def best_sentences(
    text: str, weights: dict[str, float], qtype: QuestionType, limit: int = 2, focus: str = ""
) -> tuple[str, ...]:
    """1–``limit`` consecutive sentences of ``text`` that best answer the question, verbatim.
    A sentence too long for a phone's first glance is narrowed to its best run of clauses."""
    sentences = split_sentences(text)
    if not sentences:
        return ()
    scores = [_sentence_score(s, weights, qtype, focus) for s in sentences]
    # a lead-in is the answer only when nothing else matches
    ranked = [scores[i] * (0.25 if is_lead_in(s, weights) and not _typed(s, weights, qtype) else 1.0)
              for i, s in enumerate(sentences)]
    best = max(range(len(sentences)), key=lambda i: (ranked[i], -i))
    if len(sentences[best]) > (LONG_DEFINITION if qtype == "define" else LONG_SENTENCE):
        return (best_clauses(sentences[best], weights, qtype, focus),)
    chosen = [best]
    # a short sentence rarely stands alone: take its neighbour that also matches
    if limit > 1 and len(sentences[best]) < JOIN_UNDER:
        after = best + 1
        if after < len(sentences) and scores[after] > 0 and len(sentences[after]) <= SHORT_SENTENCE:
            chosen.append(after)
        elif best > 0 and scores[best - 1] > 0 and len(sentences[best - 1]) <= SHORT_SENTENCE:
            chosen.insert(0, best - 1)
    return tuple(sentences[i] for i in chosen)


def best_clauses(sentence: str, weights: dict[str, float], qtype: QuestionType, focus: str = "") -> str:
    """The run of clauses (cut at ，；：) of a long sentence that best answers, at most DIRECT_CHARS long.
    Verbatim; the clause punctuation at its end is dropped."""
    clauses = [c for c in re.split(r"(?<=[，；：,;:])", sentence) if c]
    best_run, best_score = sentence[:DIRECT_CHARS], -1.0
    for start in range(len(clauses)):
        run = ""
        for end in range(start, len(clauses)):
            if run and len(run) + len(clauses[end]) > DIRECT_CHARS:
                break
            run += clauses[end]
            # the answer's own clauses, not neighbours that merely repeat a term: shorter wins ties
            score = _sentence_score(run, weights, qtype, focus) - len(run) / 1000
            if score > best_score:
                best_run, best_score = run, score
    return best_run.rstrip("，；：,;:")



_NAME = r"[、，,\s]*[\u4e00-\u9fff]{2,3}"
BOUND = 16  # characters between the asked place and the title that belongs to it
LOCAL_OFFICE = re.compile(r"^(?:区委|市委|县委)书记$|^[区市县镇乡村]长$")  # a title that belongs to a place


UNIT_OF = {"钱": re.compile(r"\d[\d.]*\s*(?:余|多|来)?\s*(?:万|亿)?\s*(?:元|块)|[十百千万]来?块钱"),
           "人": re.compile(_NUM + r"\s*(?:余|多)?\s*(?:万|亿)?\s*(?:人|名)")}
RANK = re.compile(r"第\s*[\d一二三四五六七八九十]+\s*(?:名|位)|排名|名列|位居|位列")


def has_count(text: str, counted: str = "", terms: tuple[str, ...] = ()) -> bool:
    """A number that counts ``counted``: in one sentence with it (岗位 … 3930个); for 钱/人 an amount of
    money or of people in a sentence that shares a word with the question; any number otherwise."""
    if counted == "?":  # something the articles never count
        return False
    unit = UNIT_OF.get(counted)
    for sentence in split_sentences(text):
        if unit is not None:
            if unit.search(sentence) and any(t in sentence for t in terms):
                return True
        elif ANSWER_PATTERNS["count"].search(sentence) and (len(counted) < 2 or _counts(sentence, counted)):
            return True
    return False


_PER = re.compile(r"每[十百千万]?[\u4e00-\u9fff]{0,3}$")  # 每万城镇人口: per head of the population, not a count of it


def _counts(sentence: str, counted: str) -> bool:
    """Does ``sentence`` name ``counted`` other than as what a rate is per (每万城镇人口…20人 counts
    community workers, not the population)?"""
    start = sentence.find(counted)
    while start >= 0:
        if not _PER.search(sentence[max(0, start - 4) : start]):
            return True
        start = sentence.find(counted, start + 1)
    return False


def has_typed_answer(
    qtype: QuestionType,
    text: str,
    *,
    title: str = "",
    places: tuple[str, ...] = (),
    counted: str = "",
    terms: tuple[str, ...] = (),
) -> bool:
    """Does ``text`` hold an answer of the asked type, bound to what was asked?

    谁 with a title: a sentence with that title and a name — for a place's own office (区委书记,
    区长), the name right after the title and the asked place just before it ("天桥区的区委书记" is
    not answered by 槐荫区委书记孙常建); 谁 without one: a name with any title.  多少/几: a number with a unit.  多大: a size or a
    number.  何时: a date.  哪里: an address or where a thing stands.  Other questions: always (a definition or a description has no one form)."""
    if qtype == "who":
        if not title:
            return bool(ANSWER_PATTERNS["who"].search(text))
        local = bool(places) and bool(LOCAL_OFFICE.match(title))
        for sentence in split_sentences(text):
            if not local:
                if title in sentence and ANSWER_PATTERNS["who"].search(sentence):
                    return True
                continue
            for match in re.finditer(re.escape(title) + _NAME, sentence):
                if any(p in sentence[max(0, match.start() - BOUND) : match.start()] for p in places):
                    return True
        return False
    if qtype == "size":
        return bool(ANSWER_PATTERNS["size"].search(text) or ANSWER_PATTERNS["count"].search(text))
    if qtype == "count":
        return has_count(text, counted, terms)
    if qtype == "rank":  # 第几: a rank, said of something the question names
        return any(RANK.search(s) and any(len(t) > 1 and t in s for t in terms) for s in split_sentences(text))
    if qtype in ("when", "where"):
        return bool(ANSWER_PATTERNS[qtype].search(text))
    return True
