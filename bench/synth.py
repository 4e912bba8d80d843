"""Scale corpora and query sets made from the bundled corpus's own text.

A synthetic passage is 2–5 sentences of the real library, drawn with a fixed seed
and joined: the vocabulary, sentence lengths and term statistics stay those of the
newspaper articles, only the number of passages grows.
"""

from __future__ import annotations

import random
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench.measure import CORPUS, DEV_QUESTIONS
from retrieval.library import Library
from retrieval.passages import chunk_paragraph
from retrieval.loader import read_lines
from retrieval.query import understand
from retrieval.text import split_sentences

SEED = 42
LEXICON_FILES = ("stopwords.txt", "userdict.txt", "synonyms.tsv", "glossary.tsv", "examples.tsv")


def real_sentences(library: Library) -> list[str]:
    """Every sentence of the library's passages, in order (duplicates kept: they are the corpus's)."""
    return [s for p in library.passages for s in split_sentences(p.text) if s.strip()]


def synth_passages(sentences: list[str], n: int, seed: int = SEED) -> list[str]:
    """``n`` passages of 2–5 sentences each, drawn with ``random.Random(seed)``."""
    if not sentences:
        raise ValueError("no sentences to recombine")
    rng = random.Random(seed)
    return ["".join(rng.choice(sentences) for _ in range(rng.randint(2, 5))) for _ in range(n)]


def paragraphs_for(sentences: list[str], passages: int, seed: int = SEED) -> list[str]:
    """Synthetic paragraphs that the library's chunking turns into about ``passages`` passages
    (a paragraph longer than the passage target is split in two)."""
    pool = synth_passages(sentences, passages * 3 // 2 + 10, seed)  # a prefix of the same draw
    total = 0
    for count, paragraph in enumerate(pool, 1):
        total += len(chunk_paragraph(paragraph))
        if total >= passages:
            return pool[:count]
    return pool


@dataclass(frozen=True)
class BenchQuery:
    text: str
    tokens: list[str]  # what understand() would search with (its content tokens)
    understand_ms: float  # query-side cost: normalisation, language, tokenization …


def question_texts(corpus_dir: Path = CORPUS, dev_questions: Path = DEV_QUESTIONS) -> list[str]:
    """The dev questions (all kinds) and the example questions, as plain text."""
    texts: list[str] = []
    for line in read_lines(dev_questions):
        cols = line.split("\t")
        if len(cols) >= 3 and cols[0] != "id" and cols[2].strip():
            texts.append(cols[2].strip())
    for line in read_lines(corpus_dir / "examples.tsv"):
        cols = line.split("\t", 1)
        if len(cols) == 2 and cols[1].strip():
            texts.append(cols[1].strip())
    return list(dict.fromkeys(texts))


def vary(texts: list[str], n: int, seed: int = SEED) -> list[str]:
    """``n`` query texts: the questions as they are, then each with a word of another question appended."""
    if not texts:
        raise ValueError("no questions")
    rng = random.Random(seed)
    words = [w for t in texts for w in _cjk_runs(t)] or texts
    out: list[str] = []
    for i in range(n):
        base = texts[i % len(texts)]
        out.append(base if i < len(texts) else f"{base} {rng.choice(words)}")
    return out


def _cjk_runs(text: str) -> list[str]:
    """Runs of 2–4 CJK characters cut from a question: plausible extra keywords."""
    runs: list[str] = []
    current = ""
    for ch in text + " ":
        if "\u4e00" <= ch <= "\u9fff":
            current += ch
            continue
        for start in range(0, len(current) - 1, 4):
            piece = current[start:start + 4]
            if len(piece) >= 2:
                runs.append(piece)
        current = ""
    return runs


def bench_queries(library: Library, n: int, seed: int = SEED) -> list[BenchQuery]:
    """``n`` queries, tokenized by the real pipeline (understand) outside any timed section.

    A first untimed pass loads what understand() loads lazily (jieba's POS tagger), so
    ``understand_ms`` is the steady-state cost; the cold first answer is measured elsewhere.
    """
    texts = vary(question_texts(library.corpus_dir), n, seed)
    for text in texts:
        understand(library, text)
    queries = []
    for text in texts:
        started = time.perf_counter()
        query = understand(library, text)
        queries.append(BenchQuery(text, list(query.tokens), (time.perf_counter() - started) * 1000))
    return queries


def real_headings(library: Library) -> list[str]:
    """The section headings of the real articles (what synthetic articles are divided by)."""
    return sorted({p.section for p in library.passages if p.section}) or ["工作综述"]


def write_corpus(target: Path, passages: list[str], headings: list[str], *, per_article: int = 100,
                 per_section: int = 10, source: Path = CORPUS, seed: int = SEED) -> int:
    """A corpus directory of synthetic articles (one paragraph per passage, a real heading every
    ``per_section`` paragraphs) with the real word lists.  Returns the number of articles."""
    articles = target / "articles"
    articles.mkdir(parents=True, exist_ok=True)
    for name in LEXICON_FILES:
        if (source / name).exists():
            shutil.copy(source / name, target / name)
    rng = random.Random(seed)
    count = 0
    for start in range(0, len(passages), per_article):
        write_article(articles, count, passages[start:start + per_article], headings, rng, per_section)
        count += 1
    return count


def write_article(articles: Path, number: int, paragraphs: list[str], headings: list[str], rng: random.Random,
                  per_section: int = 10) -> Path:
    blocks = [f"合成文章第{number}篇"]
    for i, paragraph in enumerate(paragraphs):
        if i % per_section == 0:
            blocks.append(rng.choice(headings))
        blocks.append(paragraph)
    path = articles / f"synth_{number:05d}.txt"
    path.write_text("\n\n".join(blocks) + "\n", encoding="utf-8")
    return path


# -- a corpus whose vocabulary grows with its size --------------------------------------------
PASSAGE_CHARS = 145  # the People's Daily 1998 passages of issue 11 averaged 145 characters
REAL_SHARE = 0.3  # share of passages that carry one sentence of the real articles (domain terms)


def jieba_frequencies() -> tuple[list[str], np.ndarray]:
    """jieba's dictionary: its 349k words and their corpus counts (from People's Daily and others)."""
    import jieba

    words: list[str] = []
    counts: list[int] = []
    with open(jieba.get_dict_file().name, encoding="utf-8") as handle:
        for line in handle:
            parts = line.split()
            if len(parts) >= 2 and parts[1].isdigit() and not parts[0].isascii():
                words.append(parts[0])
                counts.append(int(parts[1]))
    return words, np.asarray(counts, dtype=np.float64)


def zipf_passages(n: int, sentences: list[str], seed: int = SEED, chars: int = PASSAGE_CHARS) -> list[str]:
    """``n`` passages of about ``chars`` characters: words drawn independently with jieba's
    dictionary frequencies (a real, Zipfian term distribution: the vocabulary keeps growing with
    the corpus, unlike recombined sentences), a comma every 4–9 words; ``REAL_SHARE`` of them start
    with a sentence of the real articles, so the questions' own terms occur too."""
    words, counts = jieba_frequencies()
    cumulative = np.cumsum(counts / counts.sum())
    rng = np.random.default_rng(seed)
    mean_chars = float(np.dot(counts / counts.sum(), [len(w) for w in words]))
    per_passage = max(4, round(chars / mean_chars))
    out: list[str] = []
    batch = 20_000
    for start in range(0, n, batch):
        size = min(batch, n - start)
        drawn = np.minimum(np.searchsorted(cumulative, rng.random(size * per_passage)), len(words) - 1)
        commas = rng.integers(4, 10, size)
        real = rng.random(size) < REAL_SHARE
        picks = rng.integers(0, max(1, len(sentences)), size)
        for i in range(size):
            chosen = [words[j] for j in drawn[i * per_passage:(i + 1) * per_passage]]
            step = int(commas[i])
            text = "，".join("".join(chosen[k:k + step]) for k in range(0, len(chosen), step)) + "。"
            out.append(sentences[int(picks[i])] + text if real[i] and sentences else text)
    return out
