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

from retrieval.english import cedict_names
from retrieval.library import Library

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
    found = {t for t in [*tokens, *tagged] if len(t) >= 2 and is_place(library, t, tagged)}
    longest = {p for p in found if not any(p != q and p in q for q in found)}
    return sorted(p for p in longest if not is_home(library, p))


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
    """The asked places a passage is not about."""
    scope = passage_scope(library, pid)
    return [p for p in places if place_base(p) not in scope and p not in scope]
