"""Names in a question: the places it asks about, and the names the articles never mention.

A proper name is what CC-CEDICT spells with capitalised pinyin (杭州 [Hang2 zhou1]);
a place is such a name defined as a city, district, province … or a word jieba's
dictionary tags as a place, or one of the districts the articles are about (from
``articles.toml``).  The articles' home city — a place most articles mention — binds
nothing: every article is about it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from retrieval.english import cedict_names
from retrieval.library import Library

if TYPE_CHECKING:
    from retrieval.query import Query

PLACE_KINDS = re.compile(
    r"\b(city|district|county|province|municipality|prefecture|town|township|village|region|capital)\b", re.I
)
_SUFFIX = re.compile(r"(?<=..)(?:区|市|县|省|镇|乡|村|街道)$")
HOME_SHARE = 0.8  # a place (nearly) every article mentions is where they all are


def is_proper_name(word: str) -> bool:
    return word in cedict_names()


def place_base(place: str) -> str:
    """槐荫区 → 槐荫, 济南市 → 济南: the part an article may use alone."""
    return _SUFFIX.sub("", place)


def districts(library: Library) -> set[str]:
    found = library.memo.get("districts")
    if found is None:
        found = library.memo["districts"] = {d for a in library.articles.values() for d in a.districts if d}
    return found  # type: ignore[no-any-return]


def is_place(library: Library, word: str, tagged_places: Iterable[str] = ()) -> bool:
    """A district of the articles, a place name by CC-CEDICT, or a word jieba tags as a place that
    ends like one (…区, …村, …街道)."""
    if place_base(word) in districts(library) or (word in tagged_places and _SUFFIX.search(word)):
        return True
    definition = cedict_names().get(word, "")
    return bool(definition) and bool(PLACE_KINDS.search(definition.split(",")[0] + " " + definition))


def is_home(library: Library, place: str) -> bool:
    """Is ``place`` where the whole corpus is (济南 for articles on Jinan's districts)?"""
    base = place_base(place)
    key = f"home:{base}"
    if key not in library.memo:
        articles = list(library.articles)
        mentioning = sum(1 for a in articles if library.article_mentions(a, base))
        library.memo[key] = bool(articles) and mentioning >= HOME_SHARE * len(articles) and len(articles) > 1
    return bool(library.memo[key])


def asked_places(library: Library, text: str, tokens: Iterable[str]) -> list[str]:
    """The places a question asks about (longest form, home city left out)."""
    tagged = library.tokenizer.proper_nouns(text, ("ns",))
    named = named_places(library, text)
    found = {t for t in [*tokens, *tagged] if len(t) >= 2 and is_place(library, t, tagged)} | set(named)
    candidates = dict.fromkeys([*named, *tokens, *tagged])
    longest = [p for p in candidates if p in found and not any(p != q and p in q for q in found)]
    return [p for p in longest if not is_home(library, p)]


def unknown_names(library: Library, unknown: Iterable[str]) -> list[str]:
    """Words the articles never use that are proper names: a place or person they don't cover."""
    return [t for t in unknown if len(t) >= 2 and is_proper_name(t)]


def passage_scope(library: Library, pid: int) -> str:
    """Where a passage says it is: its text, its section, the passage before it, its article's title,
    and the article's district when it has only one."""
    passage = library.passages[pid]
    article = library.articles[passage.article]
    before = library.neighbour(passage, -1)
    parts = [passage.text, passage.section, article.title]
    if before is not None and before.section == passage.section:
        parts.append(before.text)
    if len(article.districts) == 1:
        parts.append(article.districts[0])
    text = " ".join(parts)
    return library.lexicon.to_simplified(text) if article.traditional else text


def places_elsewhere(library: Library, places: Iterable[str], pid: int) -> list[str]:
    """The asked places a passage is not about.  A district named beside a more precise place
    (天桥区 in 天桥区南村街道) is covered by the passage's article listing it among its districts
    once the precise place is in the passage."""
    places = list(places)
    scope = passage_scope(library, pid)
    missing = [p for p in places if place_base(p) not in scope and p not in scope]
    if len(missing) < len(places):
        listed = library.articles[library.passages[pid].article].districts
        missing = [p for p in missing if place_base(p) not in listed]
    return missing


_SUFFIX_CHARS = re.compile(r"[区市县省镇乡]|街道")
_FUNCTION = set("了的着在是和与及从向对把被给让为就也都又")  # no name starts with these
_PLACE_END = re.compile(r"村|社区|街道|小区|镇|片区|街")
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")


def named_places(library: Library, text: str) -> list[str]:
    """Places named with what they are (三涧溪村, 昆仑街社区, 姚家街道) that the articles mention too,
    longest form, in the order of ``text``."""
    found: list[tuple[int, str]] = []
    starts = library.tokenizer.word_starts(text)
    for end in _PLACE_END.finditer(text):
        for size in (4, 3, 2):
            start = end.start() - size
            name = text[max(start, 0) : end.end()]
            stem = text[start : end.start()]
            if (
                start in starts
                and _CJK_RUN.fullmatch(stem) is not None  # not " 席家庄" across a space
                and stem[0] not in _FUNCTION
                and not _SUFFIX_CHARS.search(stem)  # 天桥区南村 is two places
                and library.tokenizer.is_name(stem)
                and _in_corpus(library, name)
            ):
                found.append((start, name))
                break
    return [name for _, name in sorted(found) if not any(name != other and name in other for _, other in found)]


def _in_corpus(library: Library, text: str) -> bool:
    return any(library.article_mentions(a, text) for a in library.articles)


def main_entity(library: Library, query: Query) -> str:
    """What a question is about, for 它/这个/it in the next one: a programme or the articles' own
    term (1226, 暖新之家), else the place it asks about, the most specific (葫芦套村 after 柳埠街道)."""
    text = query.text.split(" ")[0] if query.lang == "zh" else query.text
    terms = [t for t in query.tokens if t in library.tokenizer.added_words or t in query.codes]
    if terms:
        return max(terms, key=lambda t: (len(t), -text.find(t)))
    places = [p for p in query.places if p in text]  # named ones (三涧溪村) included
    return max(places, key=text.rfind) if places else ""
