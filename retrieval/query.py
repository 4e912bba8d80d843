"""Query understanding: language, traditional→simplified, glossary, question type, expansions."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Literal

from retrieval.library import Library
from retrieval.english import pivot_synonyms, translate
from retrieval.names import asked_places, unknown_names
from retrieval.text import cjk_ratio, fullwidth_to_ascii, has_cjk, strip_controls
from retrieval.tokenize import Tokenizer, code_parts, program_codes

QuestionType = Literal["count", "rank", "when", "who", "where", "size", "define", "how", "other"]

MAX_QUERY_CHARS = 200
CODE_PART_WEIGHT = 0.6  # a quoted part (“1”, “2” …) of a programme asked about
SYNONYM_WEIGHT = 0.7
PIECE_WEIGHT = 0.5  # a known piece of a word the corpus never uses
PIVOT_WEIGHT = 0.5  # a word the corpus uses for one it doesn't, by the dictionary
SINGLE_CHAR_WEIGHT = 0.5  # lone characters (找, 想, 里) say little on their own

_QTYPE_PATTERNS: list[tuple[QuestionType, re.Pattern[str]]] = [
    ("when", re.compile(r"什么时候|何时|哪一?年|哪天|几月|几号|日期|when|what year|what date", re.I)),
    ("who", re.compile(r"谁|哪位|何人|姓名|名字|who", re.I)),
    ("size", re.compile(r"多大|面积|多少平方|how big|how large|\bsize\b|\barea\b", re.I)),
    ("rank", re.compile(r"第几|排名|名次|排在|what rank|which place|ranked", re.I)),
    # 几 shortly after 没/不, or after 好/十, is a vague number (没歇几天, 好几年, 十几个), not a question
    ("count", re.compile(r"多少|(?<![没不好十])(?<!没.)(?<!不.)(?<!没有)几|how many|how much|number of|population", re.I)),
    ("where", re.compile(r"哪里|哪儿|在哪[里儿]?[?？]|在哪条|哪条[路街]|何处|地址|什么地方|什么位置|where", re.I)),
    ("define", re.compile(r"是什么|什么是|指什么|是指|含义|意思|内容|what is|what are|what's|mean", re.I)),
    ("how", re.compile(r"怎么|怎样|如何|靠什么|通过什么|how", re.I)),
]


TITLE = re.compile(
    r"(?:党委|党支部|党总支|区委|市委|县委)?(?:书记|主任|区长|市长|县长|镇长|村长|主席|部长|局长|厅长|负责人|主理人"
    r"|院长|经理|队长|站长|董事长|总经理)"
)


def asked_title(question: str) -> str:
    """The title a 谁 question asks for (区委书记 in 天桥区的区委书记是谁), or ""."""
    found = [m.group(0) for m in TITLE.finditer(question)]
    return max(found, key=len) if found else ""


@dataclass
class Query:
    original: str
    text: str  # what is searched: simplified Chinese, glossary applied
    lang: Literal["zh", "en"]
    qtype: QuestionType
    tokens: list[str]  # content tokens, in order
    weights: dict[str, float] = field(default_factory=dict)
    codes: list[str] = field(default_factory=list)  # programme codes named in the question
    unknown: list[str] = field(default_factory=list)  # content tokens the corpus never uses
    alternatives: dict[str, tuple[str, ...]] = field(default_factory=dict)  # token → words that also count
    related: dict[str, tuple[str, ...]] = field(default_factory=dict)  # unknown token → its pieces, its dictionary synonyms
    unknown_names: list[str] = field(default_factory=list)  # places/people the corpus never mentions
    places: list[str] = field(default_factory=list)  # place names asked about
    focus: str = ""  # what a 多少/几 question counts: 党员 in 有多少党员
    counted: str = ""  # its head noun (岗位 in 多少个城乡公益性岗位): the answer's number must count it
    truncated: bool = False
    title: str = ""  # the title a 谁 question asks for: 区委书记
    years: list[str] = field(default_factory=list)  # years asked about: 2023
    semantic: str = ""  # what the question's embedding is made from: its own words (simplified), context first
    content: str = ""  # the same without a Chinese question's stop words ("" for English): Encoder.question_form

    @property
    def empty(self) -> bool:
        return not self.tokens


def detect_lang(text: str) -> Literal["zh", "en"]:
    """English when Latin letters make most of the text, or when English words outnumber the Chinese
    runs ("How big is 老商埠暖新之家?", a follow-up with the entity put in); a Chinese question with
    an acronym or two (历下区的GDP是多少) stays Chinese."""
    letters = sum(1 for c in text if c.isascii() and c.isalpha())
    words = re.findall(r"[A-Za-z]{2,}", text)
    if len(words) >= 3 and len(words) > len(re.findall(r"[\u4e00-\u9fff]+", text)):
        return "en"
    return "en" if letters >= 3 and cjk_ratio(text) < 0.2 else "zh"


def question_type(text: str) -> QuestionType:
    for qtype, pattern in _QTYPE_PATTERNS:
        if pattern.search(text):
            return qtype
    return "other"


def normalize_question(text: str) -> str:
    text = strip_controls(unicodedata.normalize("NFKC", fullwidth_to_ascii(text)))
    return re.sub(r"\s+", " ", text).strip()


_COUNT_WORD = re.compile(r"多少|若干|几")


def count_focus(tokenizer: Tokenizer, text: str) -> str:
    """The thing counted: the word right after 多少/几, else the one right before 是多少."""
    match = _COUNT_WORD.search(text)
    if match is None:
        return ""
    after = [t for t in tokenizer.tokenize(text[match.end() : match.end() + 8]) if len(t) > 1]
    if after:
        first = text.find(after[0], match.end())
        return max((t for t in after if text.find(t, match.end()) == first), key=len)
    before = [t for t in tokenizer.tokenize(text[max(0, match.start() - 8) : match.start()]) if len(t) > 1]
    return max(before[-2:], key=len) if before else ""


_CLASSIFIERS = "个名家处座条项位户次年天万亿元块种所辆件批级倍成斤亩"
_NOUN = ("n", "vn", "x", "j", "l")


def counted_thing(tokenizer: Tokenizer, text: str) -> str:
    """The head noun a 多少/几 question counts: 岗位 in 多少个城乡公益性岗位, 旅客 in 多少旅客进出,
    钱 in 多少钱; "" when the question doesn't say (是多少)."""
    matches = list(_COUNT_WORD.finditer(text))
    if not matches:
        return ""
    match = next((m for m in reversed(matches) if m.group(0) != "几"), matches[-1])  # 这几年…有多少人: 多少
    rest = text[match.end() :].lstrip(_CLASSIFIERS)[:12]
    run: list[str] = []
    for word, flag in tokenizer.tagged(rest):
        if not (flag.startswith(_NOUN) and has_cjk(word) and word not in tokenizer.stopwords):
            break
        run.append(word)
    longer = [w for w in run if len(w) > 1]
    head = (longer or run or [""])[-1]
    # 多少日子过得紧巴、找不着工作的人安排上了活干: the count's words open a clause ending in 的 + the
    # noun counted, which the sentence's own verb follows (not 多少党员参加了…的活动, where 的 ends it)
    clause = re.split(r"[？?。！!，,]", text[match.end() :].lstrip(_CLASSIFIERS), maxsplit=1)[0][:24]
    start = len("".join(run))
    if run and "的" in clause[start + 1 :]:
        after = clause[clause.rindex("的") + 1 :]
        nouns = []
        for word, flag in tokenizer.tagged(after):
            if not (flag.startswith(_NOUN) and has_cjk(word) and word not in tokenizer.stopwords):
                break
            nouns.append(word)
        if nouns and len("".join(nouns)) < len(after):
            return nouns[-1]
    return head


def translated_count(searched: str) -> str:
    """An English count question's Chinese as counted_thing reads it: "What is the population of
    Huaiyin" → 多少人口 (the noun a count word like "population" names is what is counted)."""
    searched = searched.strip()
    return re.sub(r"(多少|几)\s+", r"\1", searched) if _COUNT_WORD.search(searched) else "多少" + searched


def meaning_text(text: str, searched: str, lang: str) -> str:
    """What the question's embedding is made from: an English question in its own words and in
    the dictionary's Chinese (the small multilingual model matches Chinese passages better so)."""
    if lang != "en" or searched == text:
        return text.strip()
    return f"{text.strip()} {searched.strip()}"


def content_words(tokenizer: Tokenizer, text: str, lang: str) -> str:
    """A Chinese question's words without its stop words (的, 了, 那个, 什么), for a model whose vector
    they only blur (USE); "" for English (the question's own words serve: stripping them cost an
    old-dev answer) and when nothing is left."""
    if lang == "en":
        return ""
    return "".join(w for w in tokenizer.words(text) if w.strip() and w not in tokenizer.stopwords)


def _dictionary_cut(tokenizer: Tokenizer, token: str) -> list[str]:
    parts = [p for p in tokenizer.pieces(token) if p not in tokenizer.stopwords]
    return parts or [token]


def understand(library: Library, question: str, extra: str = "") -> Query:
    """Turn a user's question into weighted search terms. ``extra`` is context from earlier turns."""
    text = normalize_question(question)
    truncated = len(text) > MAX_QUERY_CHARS
    text = text[:MAX_QUERY_CHARS]
    lexicon = library.lexicon
    lang = detect_lang(text)
    if lexicon.is_traditional(text):
        text = lexicon.to_simplified(text)
    qtype = question_type(text)
    searched, translated = translate(library, text) if lang == "en" else (text, {})
    expanded = lexicon.expand_synonyms(searched)
    tokenizer = library.tokenizer
    tokens = tokenizer.tokenize(searched) or tokenizer.tokenize(extra)  # "有多大？": the topic is the question
    guessed = [t for t in tokens if has_cjk(t) and not library.knows(t) and not tokenizer.is_word(t)]
    tokens = [p for t in tokens for p in (_dictionary_cut(tokenizer, t) if t in guessed else [t])]
    weights: dict[str, float] = {}
    for token in tokens:
        weights[token] = weights.get(token, 0.0) + (1.0 if len(token) > 1 else SINGLE_CHAR_WEIGHT)
    for token in tokenizer.tokenize(expanded):
        weights.setdefault(token, SYNONYM_WEIGHT)
    alternatives: dict[str, tuple[str, ...]] = {}
    for token in dict.fromkeys(tokens):
        variants = lexicon.synonyms.get(token, ())
        alternatives[token] = tuple(t for v in variants for t in tokenizer.tokenize(v)) + translated.get(token, ())
        for other in translated.get(token, ()):  # the other words of the same English word
            weights.setdefault(other, SYNONYM_WEIGHT)
    for token in tokenizer.tokenize(extra):
        weights.setdefault(token, 0.5)
    for code in program_codes(extra):  # "其中的4是指什么" after "5+4是什么": the bare 4 is a part
        parts = set(code_parts(code))
        for number in re.findall(r"(?<![\d.])\d{1,2}(?![\d.])", searched):
            if number in parts:
                weights[f"q:{number}"] = 1.0
    codes = program_codes(searched)
    for code in codes:
        for part in code_parts(code):
            weights.setdefault(f"q:{part}", CODE_PART_WEIGHT)
    unknown = [t for t in dict.fromkeys(tokens) if not library.knows(t)]
    places = asked_places(library, searched, tokens)
    related: dict[str, tuple[str, ...]] = {}
    for token in unknown:  # a word the articles never use: its known pieces, the dictionary's synonyms
        pieces = tuple(p for p in tokenizer.pieces(token) if library.knows(p) and p not in tokenizer.stopwords)
        synonyms = pivot_synonyms(library, token) if lang == "zh" and len(token) > 1 else ()
        for word, weight in [*((p, PIECE_WEIGHT) for p in pieces), *((w, PIVOT_WEIGHT) for w in synonyms)]:
            weights.setdefault(word, weight)
        related[token] = pieces + synonyms
    content = content_words(tokenizer, text, lang)
    return Query(
        original=question,
        text=" ".join([searched.strip(), extra.strip()]).strip(),
        lang=lang,
        qtype=qtype,
        tokens=list(dict.fromkeys(tokens)),
        weights=weights,
        codes=codes,
        unknown=unknown,
        unknown_names=unknown_names(library, unknown),
        places=places,
        focus=count_focus(tokenizer, searched) if qtype in ("count", "size") else "",
        counted=counted_thing(tokenizer, searched if lang == "zh" else translated_count(searched)) if qtype == "count" else "",
        alternatives=alternatives,
        related=related,
        truncated=truncated,
        semantic=" ".join([extra.strip(), meaning_text(text, searched, lang)]).strip(),
        content=" ".join([extra.strip(), content]).strip() if content else "",
        title=asked_title(searched) if qtype == "who" else "",
        years=list(dict.fromkeys(re.findall(r"(?<!\d)(?:19|20)\d{2}(?!\d)", searched))),
    )
