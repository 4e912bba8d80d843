"""One tokenization pipeline for passages and queries: jieba + a domain dictionary.

Segmentation runs on ``rjieba`` (jieba-rs: the same dictionary, HMM and search logic in
Rust, 5–15× faster); tests/test_tokenize.py checks that its tokens and part-of-speech tags equal
jieba's on every passage and heading of corpus/ with the corpus's words added.  Python jieba is
only loaded by the reference segmenter (it costs a second and a half at start).

Numbered programmes ("1226", "125510", "1+7+2+N", "5+4") stay whole; terms the
articles put in quotes (红色物业, 暖新之家, 七星九美十三香 …) become dictionary words
at load time; a quoted single number (“1”即…) becomes a marker token ``q:1`` so that
the paragraph that spells a programme out can be found from the programme's name.
"""

from __future__ import annotations

import importlib.util
import re
import sys
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from importlib.metadata import version
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from retrieval.diskcache import cached
from retrieval.segment import SEGMENTER, JiebaSegmenter, python_jieba, segmenter
from retrieval.text import fullwidth_to_ascii, strip_controls

__all__ = ["SEGMENTER", "Tokenizer", "code_parts", "program_codes", "quoted_terms", "word_tags"]

PROGRAM_CODE = re.compile(r"(?<![\d.])\d+(?:\s*[+＋]\s*(?:\d+|[A-Za-z]))+(?![\d.])|(?<![\d.%])\d{3,8}(?![\d.%年万亿元个名])")
QUOTED_NUMBER = re.compile(r"[“\"‘']\s*(\d{1,2}|[A-Za-z])\s*[”\"’']")
QUOTED_TERM = re.compile(r"[“\"]([\u4e00-\u9fffA-Za-z0-9+]{2,10})[”\"]")
_PROTECTED = re.compile(f"{QUOTED_NUMBER.pattern}|{PROGRAM_CODE.pattern}")
_TOKEN_OK = re.compile(r"[\w\u4e00-\u9fff]")
DOMAIN_FREQ = 200_000


def quoted_terms(text: str) -> set[str]:
    """Terms the text puts in quotes: candidate domain words."""
    return {m.group(1) for m in QUOTED_TERM.finditer(text) if not m.group(1).isdigit()}


def program_codes(text: str) -> list[str]:
    return [re.sub(r"\s+", "", m.group(0)).lower() for m in PROGRAM_CODE.finditer(fullwidth_to_ascii(text))]


def code_parts(code: str) -> list[str]:
    """The parts a programme code is spelled out by: 1226 → 1, 2, 6; 5+4 → 5, 4."""
    parts = code.split("+") if "+" in code else list(code)
    seen: list[str] = []
    for part in parts:
        if part and part not in seen:
            seen.append(part)
    return seen


class Tokenizer:
    """jieba in search mode with the corpus's own words; stop words removed."""

    def __init__(self, words: Iterable[str] = (), stopwords: Iterable[str] = (), engine: str = "rjieba") -> None:
        self._segmenter = segmenter(engine)
        self._python: Any = None  # for the POS tagger, made on first use
        self.stopwords = frozenset(stopwords)
        self.added_words: set[str] = set()
        self._pos: Any = None  # jieba.posseg.POSTokenizer, made on first use
        self._pos_lock = threading.Lock()
        self._tag_cache: dict[str, tuple[tuple[str, str], ...]] = {}
        for word in words:
            self.add_word(word)

    def add_word(self, word: str) -> None:
        word = word.strip()
        if len(word) >= 2 and word not in self.added_words:
            self._segmenter.add_word(word, DOMAIN_FREQ, None)
            with self._pos_lock:
                self.added_words.add(word)
                if self._python is not None:
                    self._python.add_word(word, freq=DOMAIN_FREQ)

    def is_word(self, text: str) -> bool:
        return self._segmenter.has_word(text)

    def _segment(self, text: str) -> Iterable[str]:
        """jieba's search mode, but every dictionary word inside a long word, not only 2–3 grams."""
        has_word = self._segmenter.has_word
        for word in self._segmenter.cut(text, True):
            if word in self.stopwords:
                continue  # nor its pieces: 什么时候 is no question about 时候
            n = len(word)
            if n > 2:
                for size in range(2, n):
                    for start in range(n - size + 1):
                        piece = word[start:start + size]
                        if has_word(piece):
                            yield piece
            yield word

    def raw_tokens(self, text: str) -> list[str]:
        """Tokens before single stop words are dropped."""
        text = unicodedata.normalize("NFKC", fullwidth_to_ascii(strip_controls(text))).lower()
        tokens: list[str] = []
        last = 0
        for match in _PROTECTED.finditer(text):
            tokens.extend(self._segment(text[last:match.start()]))
            if match.group(1):
                tokens.append(f"q:{match.group(1)}")
            else:
                tokens.append(re.sub(r"\s+", "", match.group(0)))
            last = match.end()
        tokens.extend(self._segment(text[last:]))
        return [t.strip() for t in tokens if t.strip() and _TOKEN_OK.search(t)]

    def is_name(self, word: str) -> bool:
        """Could ``word`` be a name (place, person, organisation, the corpus's own term)?
        Words jieba's dictionary knows as something else (背景, 发展) are not."""
        tag = word_tags().get(word)  # the dictionary's tags (words added here have none)
        return word in self.added_words or tag is None or tag.startswith(("ns", "nr", "nt", "nz"))

    def _tagger(self) -> Any:
        """jieba's part-of-speech tagger over this dictionary, made on first use (once: a second
        caller waits for the first)."""
        if self._pos is None:
            with self._pos_lock:
                if self._pos is None:
                    python = python_jieba().Tokenizer()
                    python.initialize()
                    for word in self.added_words:
                        python.add_word(word, freq=DOMAIN_FREQ)
                    self._python = python
                    self._pos = _pos_tagger(python)
        return self._pos

    def tagged(self, text: str) -> tuple[tuple[str, str], ...]:
        """(word, part of speech) of ``text``; the last few texts are remembered (a question asks twice)."""
        cached = self._tag_cache.get(text)
        if cached is None:
            if isinstance(self._segmenter, JiebaSegmenter):
                cached = tuple((w.word, w.flag) for w in self._tagger().cut(text, HMM=False))
            else:
                cached = tuple(self._rust_tags(text))
            if len(self._tag_cache) >= 8:  # only what one question asks for again
                self._tag_cache.clear()
            self._tag_cache[text] = cached
        return cached

    def _rust_tags(self, text: str) -> Iterable[tuple[str, str]]:
        """rjieba's tags as jieba.posseg (no HMM) gives them: a word outside the dictionary is
        "eng" when ASCII letters and digits (rjieba: "m" for digits), else "x"; a word added
        without a tag is "x" (rjieba: "")."""
        has_word = self._segmenter.has_word
        for word, flag in self._segmenter.tag(text, False):
            if not has_word(word):
                flag = "eng" if word.isascii() and word.isalnum() else "x"
            yield word, flag or "x"

    def proper_nouns(self, text: str, flags: tuple[str, ...] = ("ns", "nr", "nrt", "nt")) -> set[str]:
        """Place (ns), person (nr) and organisation (nt) names jieba sees in ``text``."""
        return {word for word, flag in self.tagged(text) if flag in flags and len(word) > 1}

    def word_starts(self, text: str) -> set[int]:
        """Offsets in ``text`` where jieba starts a word."""
        starts, offset = set(), 0
        for word in self._segmenter.cut(text, True):
            starts.add(offset)
            offset += len(word)
        return starts

    def words(self, text: str) -> list[str]:
        """jieba's words of ``text`` as they are (stop words, punctuation and all)."""
        return list(self._segmenter.cut(text, True))

    def pieces(self, word: str) -> list[str]:
        """Smaller units of a word: its dictionary sub-words, else its characters."""
        parts = [p for p in self._segmenter.cut(word, False) if p != word]
        return parts if len(parts) > 1 else [c for c in word if c != word]

    def tokenize(self, text: str) -> list[str]:
        return [t for t in self.raw_tokens(text) if t not in self.stopwords]

    def tokenize_many(self, texts: Sequence[str], workers: int = 1) -> list[list[str]]:
        """Tokenize many texts, over ``workers`` processes when it pays (fork shares the dictionary)."""
        if workers <= 1 or len(texts) < 2000:
            results = [self.tokenize(t) for t in texts]
        else:
            global _WORKER
            _WORKER = self
            chunk = max(1, len(texts) // (workers * 8))
            with get_context("fork").Pool(workers) as pool:
                results = pool.map(_tokenize_in_worker, texts, chunksize=chunk)
        # one string object per distinct token, not one per occurrence (a tenth of the memory at 100k
        # passages); replaced in place so the copies can go as we go
        for i, tokens in enumerate(results):
            results[i] = [sys.intern(t) for t in tokens]
        return results


_WORKER: Tokenizer | None = None


_TAGS: dict[str, dict[str, str]] = {}  # jieba's dictionary file → its word → tag table
_TAGS_LOCK = threading.Lock()


def word_tags(dictionary: str | None = None) -> dict[str, str]:
    """The word → part-of-speech table of jieba's dictionary (its default one unless named): a
    second to parse, a tenth of that from the disk cache; once per process (may run in a thread
    before any Tokenizer exists)."""
    path = Path(dictionary or _default_dictionary())
    with _TAGS_LOCK:
        if str(path) not in _TAGS:
            def parse() -> dict[str, str]:
                python_jieba()
                import jieba.posseg  # 0.2 s to import

                table = jieba.posseg.POSTokenizer.__new__(jieba.posseg.POSTokenizer)
                with path.open("rb") as handle:
                    jieba.posseg.POSTokenizer.load_word_tag(table, handle)
                return dict(table.word_tag_tab)

            key = f"jieba-{version('jieba')}-tags-{path.stat().st_size}.marshal"
            _TAGS[str(path)] = cached(key, parse)
        return _TAGS[str(path)]


def _default_dictionary() -> str:
    """jieba's dictionary file, found without importing jieba."""
    spec = importlib.util.find_spec("jieba")
    if spec is None or not spec.submodule_search_locations:
        return str(python_jieba().get_dict_file().name)
    return str(Path(next(iter(spec.submodule_search_locations))) / "dict.txt")


def _pos_tagger(tokenizer: Any) -> Any:
    """jieba's POS tagger over ``tokenizer``, its tag table from :func:`word_tags`."""
    import jieba.posseg

    tagger = jieba.posseg.POSTokenizer.__new__(jieba.posseg.POSTokenizer)
    tagger.tokenizer = tokenizer
    dictionary = tokenizer.get_dict_file()
    dictionary.close()
    tagger.word_tag_tab = dict(word_tags(dictionary.name))  # a copy: user words are added to it
    return tagger


def _tokenize_in_worker(text: str) -> list[str]:
    assert _WORKER is not None
    # interned here too: pickling a chunk then sends each distinct token once
    return [sys.intern(t) for t in _WORKER.tokenize(text)]
