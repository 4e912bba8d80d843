"""Scale run: our BM25Index vs rank-bm25's BM25Okapi scan over the same synthetic passages.

Meant to run in a fresh process per size (``python -m bench.scale --n 100000``) so
peak memory of one size does not leak into the next; prints one JSON object.
Our side runs first, then BM25Okapi in the same process over the same token lists.
"""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from rank_bm25 import BM25Okapi

from bench.measure import size_main, CORPUS, maxrss_mb, peak_mb, percentiles, phase, rss_mb
from bench.synth import BenchQuery, bench_queries, real_sentences, synth_passages
from retrieval.index import BM25Index
from retrieval.library import build_library

K = 10
SCORE_RTOL = 1e-6  # the index stores float32 weights


def latencies(queries: Sequence[BenchQuery], run: Callable[[list[str]], tuple[list[int], list[float]]]):
    """Run every query once (after one untimed warm-up); (per-query ms, per-query (top ids, top scores))."""
    if queries:
        run(queries[0].tokens)
    times: list[float] = []
    results: list[tuple[list[int], list[float]]] = []
    for query in queries:
        started = time.perf_counter()
        result = run(query.tokens)
        times.append((time.perf_counter() - started) * 1000)
        results.append(result)
    return times, results


def ours_runner(index: BM25Index) -> Callable[[list[str]], tuple[list[int], list[float]]]:
    def run(tokens: list[str]) -> tuple[list[int], list[float]]:
        scores = index.scores(tokens)
        top = index.top(scores, K)
        return top, [float(scores[i]) for i in top]

    return run


def okapi_runner(bm25: BM25Okapi) -> Callable[[list[str]], tuple[list[int], list[float]]]:
    def run(tokens: list[str]) -> tuple[list[int], list[float]]:
        scores = bm25.get_scores(tokens)
        top = np.argsort(-scores, kind="stable")[:K].tolist()
        return top, [float(scores[i]) for i in top]

    return run


def _positive(result: tuple[list[int], list[float]]) -> tuple[list[int], list[float]]:
    ids, scores = result
    keep = [j for j, s in enumerate(scores) if s > 0]
    return [ids[j] for j in keep], [scores[j] for j in keep]


def agreement(ours: Sequence[tuple[list[int], list[float]]], theirs: Sequence[tuple[list[int], list[float]]]):
    """How often the two top-10s match: identical id lists, or the same scores (different only among ties)."""
    identical = tie_equal = compared = 0
    for a, b in zip(ours, theirs):
        (ids_a, sc_a), (ids_b, sc_b) = _positive(a), _positive(b)
        compared += 1
        if ids_a == ids_b:
            identical += 1
            tie_equal += 1
        elif len(sc_a) == len(sc_b) and np.allclose(sc_a, sc_b, rtol=SCORE_RTOL, atol=1e-12):
            tie_equal += 1
    return {"queries": compared, "identical": identical, "same_up_to_ties": tie_equal}


def max_score_difference(index: BM25Index, bm25: BM25Okapi, queries: Sequence[BenchQuery], sample: int) -> float:
    """Largest |ours − BM25Okapi| over every document's score, for the first ``sample`` queries."""
    worst = 0.0
    for query in queries[:sample]:
        diff = np.abs(index.scores(query.tokens) - bm25.get_scores(query.tokens))
        worst = max(worst, float(diff.max()) if diff.size else 0.0)
    return worst


def run_scale(n: int, *, n_queries: int = 240, workers: int = 2, seed: int = 42, corpus: Path = CORPUS,
              check_sample: int = 20) -> dict[str, object]:
    out: dict[str, object] = {"n": n, "workers": workers, "queries": n_queries, "pid": os.getpid()}
    phases: dict[str, dict[str, object]] = {}
    with phase("setup", phases):
        library = build_library(corpus)
        sentences = real_sentences(library)
        passages = synth_passages(sentences, n, seed)
        queries = bench_queries(library, n_queries, seed)
    out["sentences"] = len(sentences)
    out["distinct_passages"] = len(set(passages))
    out["mean_passage_chars"] = round(sum(map(len, passages)) / max(1, n), 1)
    out["understand_ms"] = percentiles([q.understand_ms for q in queries])
    out["mean_query_tokens"] = round(sum(len(q.tokens) for q in queries) / max(1, len(queries)), 2)

    with phase("ours_tokenize", phases):
        tokens = library.tokenizer.tokenize_many(passages, workers=workers)
    out["mean_passage_tokens"] = round(sum(map(len, tokens)) / max(1, n), 1)
    out["worker_maxrss_mb"] = round(maxrss_mb(children=True), 1)
    with phase("ours_index", phases):
        index = BM25Index(tokens)
    out["vocabulary"] = len(index.vocab)
    with phase("ours_query", phases):
        ours_ms, ours_top = latencies(queries, ours_runner(index))
    out["ours_latency_ms"] = percentiles(ours_ms)

    gc.collect()
    with phase("okapi_build", phases):
        bm25 = BM25Okapi(tokens)
    with phase("okapi_query", phases):
        okapi_ms, okapi_top = latencies(queries, okapi_runner(bm25))
    out["okapi_latency_ms"] = percentiles(okapi_ms)

    out["agreement"] = agreement(ours_top, okapi_top)
    out["max_score_diff"] = max_score_difference(index, bm25, queries, check_sample)
    ours_p50 = out["ours_latency_ms"]["p50"]  # type: ignore[index]
    out["speedup_p50"] = out["okapi_latency_ms"]["p50"] / ours_p50 if ours_p50 else float("inf")  # type: ignore[index]
    out["ours_build_s"] = phases["ours_tokenize"]["seconds"] + phases["ours_index"]["seconds"]  # type: ignore[operator]
    out["ours_peak_mb"] = max(phases[p]["peak_mb"] for p in ("ours_tokenize", "ours_index", "ours_query"))  # type: ignore[type-var]
    out["okapi_peak_mb"] = max(phases[p]["peak_mb"] for p in ("okapi_build", "okapi_query"))  # type: ignore[type-var]
    out["rss_end_mb"] = round(rss_mb(), 1)
    out["peak_end_mb"] = round(peak_mb(), 1)
    out["process_maxrss_mb"] = round(maxrss_mb(), 1)
    out["phases"] = phases
    return out


def main(argv: Sequence[str] | None = None) -> None:
    size_main(run_scale, __doc__, argv)


if __name__ == "__main__":
    main()
