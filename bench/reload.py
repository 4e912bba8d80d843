"""End-to-end build and reload at scale: build_library over a synthetic corpus directory.

Cold build, then the engine's reload path (``build_library(cache=old.cache)``) with
nothing changed and with one article rewritten, while the old library stays alive
(as it does in Engine.reload).  Counts the texts handed to the tokenizer to show
that unchanged passages are not tokenized again.  Also times the full query path
(understand + search) over the scaled library.  Prints one JSON object.
"""

from __future__ import annotations

import random
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from bench.measure import size_main, CORPUS, maxrss_mb, percentiles, phase
from bench.synth import (
    SEED,
    bench_queries,
    paragraphs_for,
    real_headings,
    real_sentences,
    synth_passages,
    write_article,
    write_corpus,
)
from retrieval.library import Library, build_library
from retrieval.query import understand
from retrieval.search import search
from retrieval.tokenize import Tokenizer

PER_ARTICLE = 100


class TokenizeCounter:
    """Counts the texts passed to Tokenizer.tokenize_many while installed (the bench's own probe)."""

    def __init__(self) -> None:
        self.texts = 0
        self._original = Tokenizer.tokenize_many

    def __enter__(self) -> TokenizeCounter:
        counter, original = self, self._original

        def counting(tokenizer: Tokenizer, texts: Sequence[str], workers: int = 1) -> list[list[str]]:
            counter.texts += len(texts)
            return original(tokenizer, texts, workers=workers)

        Tokenizer.tokenize_many = counting  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: object) -> None:
        Tokenizer.tokenize_many = self._original  # type: ignore[method-assign]


def build_counted(corpus: Path, phases: dict[str, dict[str, object]], name: str, *, cache=None, workers: int = 2) -> Library:  # type: ignore[no-untyped-def]
    with TokenizeCounter() as counter, phase(name, phases) as record:
        library = build_library(corpus, cache=cache, workers=workers)
    record.extra.update({"tokenized_texts": counter.texts, "passages": len(library.passages)})
    phases[name].update(record.extra)
    return library


def search_latency(library: Library, texts: Sequence[str]) -> tuple[float, dict[str, float]]:
    """(first pass's slowest ms, percentiles of understand+search over ``texts`` once warm).

    The first pass pays what loads lazily (jieba's POS tagger for unknown words …)."""
    first_ms = 0.0
    for text in texts:
        started = time.perf_counter()
        search(library, understand(library, text))
        first_ms = max(first_ms, (time.perf_counter() - started) * 1000)
    times = []
    for text in texts:
        started = time.perf_counter()
        search(library, understand(library, text))
        times.append((time.perf_counter() - started) * 1000)
    return first_ms, percentiles(times)


def run_reload(n: int, *, n_queries: int = 240, workers: int = 2, seed: int = SEED, corpus: Path = CORPUS,
               workdir: Path | None = None) -> dict[str, object]:
    phases: dict[str, dict[str, object]] = {}
    real = build_library(corpus)
    sentences = real_sentences(real)
    paragraphs = paragraphs_for(sentences, n, seed)
    texts = [q.text for q in bench_queries(real, n_queries, seed)]
    with tempfile.TemporaryDirectory(prefix="bench-corpus-", dir=workdir) as tmp:
        root = Path(tmp)
        headings = real_headings(real)
        articles = write_corpus(root, paragraphs, headings, per_article=PER_ARTICLE, source=corpus, seed=seed)
        cold = build_counted(root, phases, "cold_build", workers=workers)
        first_ms, search_ms = search_latency(cold, texts)
        warm = build_counted(root, phases, "reload_unchanged", cache=cold.cache, workers=workers)
        del cold  # the engine drops the old library after the swap
        rewritten = synth_passages(sentences, PER_ARTICLE, seed + 1)
        write_article(root / "articles", 0, rewritten, headings, random.Random(seed + 1))
        changed = build_counted(root, phases, "reload_one_article_changed", cache=warm.cache, workers=workers)
        passages_built = len(changed.passages)
    return {
        "n": n,
        "paragraphs": len(paragraphs),
        "articles": articles,
        "passages_built": passages_built,
        "workers": workers,
        "first_pass_max_search_ms": round(first_ms, 2),
        "search_ms": search_ms,
        "process_maxrss_mb": round(maxrss_mb(), 1),
        "worker_maxrss_mb": round(maxrss_mb(children=True), 1),
        "phases": phases,
    }


def main(argv: Sequence[str] | None = None) -> None:
    size_main(run_reload, __doc__, argv)


if __name__ == "__main__":
    main()
