"""Word lists kept in corpus/: stop words, domain words, the English glossary, Chinese variants.

Also traditional→simplified conversion (OpenCC tables), so that 紅色物業 finds 红色物业.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from retrieval.inflection import american
from retrieval.loader import read_lines

ENGLISH_STOPWORDS = frozenset(
    """a an the is are was were be been being am do does did doing have has had of in on at to for from by with
    about as into over under what which who whom whose where when why how this that these those it its it's they them
    their there here i me my we our you your he she his her tell please can could would should will shall may might
    must any some much many more most very also and or but if then than so such not no yes does mean means called
    name named give show describe explain know like get got one ones kind sort s""".split()
)


@lru_cache(maxsize=1)
def _converter():  # type: ignore[no-untyped-def]
    from opencc import OpenCC

    return OpenCC("t2s")


@dataclass
class Lexicon:
    stopwords: frozenset[str] = frozenset()
    user_words: tuple[str, ...] = ()
    glossary: dict[str, tuple[str, ...]] = field(default_factory=dict)  # english phrase → chinese terms
    synonyms: dict[str, tuple[str, ...]] = field(default_factory=dict)  # variant → words the articles use
    _glossary_re: re.Pattern[str] | None = None
    _keyed: dict[str, tuple[str, ...]] = field(default_factory=dict)  # glossary by english_key

    def to_simplified(self, text: str) -> str:
        return str(_converter().convert(text))

    def is_traditional(self, text: str) -> bool:
        sample = "".join(ch for ch in text[:2000] if "\u4e00" <= ch <= "\u9fff")
        if not sample:
            return False
        converted = self.to_simplified(sample)
        changed = sum(1 for a, b in zip(sample, converted) if a != b)
        return changed >= max(1, len(sample) // 50)

    def glossary_pattern(self) -> re.Pattern[str] | None:
        if self._glossary_re is None and self.glossary:
            self._keyed = {english_key(phrase, self.glossary): terms for phrase, terms in self.glossary.items()}
            phrases = sorted(self._keyed, key=len, reverse=True)
            self._glossary_re = re.compile(
                r"(?<![a-z])(" + "|".join(re.escape(p) for p in phrases) + r")(?![a-z])", re.IGNORECASE
            )
        return self._glossary_re

    def translate_english(self, text: str) -> str:
        """Replace glossary phrases in English text by their Chinese terms; other words stay.
        Words are compared singular and in American spelling on both sides ("old
        neighbourhoods" finds the entry "old neighborhoods")."""
        pattern = self.glossary_pattern()
        if pattern is None:
            return text
        text = re.sub(r"[A-Za-z]+", lambda m: english_key(m.group(0), self.glossary), text)
        return pattern.sub(lambda m: " " + " ".join(self._keyed[m.group(1).lower()]) + " ", text)

    def expand_synonyms(self, text: str) -> str:
        for variant, words in self.synonyms.items():
            if variant in text:
                text = text.replace(variant, " " + " ".join(words) + " ")
        return text


def english_key(text: str, known: dict[str, tuple[str, ...]] | frozenset[str] = frozenset()) -> str:
    """Each word of ``text`` lower-cased, singular and spelt the American way (unless known as it is)."""
    return re.sub(r"[a-z]+", lambda m: american(singular(m.group(0), known)), text.lower())


def singular(word: str, known: dict[str, tuple[str, ...]] | frozenset[str] = frozenset()) -> str:
    """A plural English noun's singular, unless the word is known as it is."""
    if word in known or len(word) <= 3 or word in ENGLISH_STOPWORDS:
        return word
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "sses", "xes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _pairs(path: Path) -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for line in read_lines(path):
        if "\t" not in line:
            continue
        key, value = line.split("\t", 1)
        out[key.strip().lower()] = tuple(value.split())
    return out


def load_lexicon(corpus_dir: Path) -> Lexicon:
    corpus_dir = Path(corpus_dir)
    synonyms = _pairs(corpus_dir / "synonyms.tsv")
    return Lexicon(
        stopwords=frozenset(read_lines(corpus_dir / "stopwords.txt")) | ENGLISH_STOPWORDS,
        user_words=tuple(read_lines(corpus_dir / "userdict.txt")),
        glossary=_pairs(corpus_dir / "glossary.tsv"),
        synonyms=dict(sorted(synonyms.items(), key=lambda kv: len(kv[0]), reverse=True)),
    )
