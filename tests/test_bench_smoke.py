"""The benchmark's functions at toy size: structure and invariants, never timing."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # bench/ is run from the checkout, not installed

from bench.reload import run_reload  # noqa: E402
from bench.report import markdown  # noqa: E402
from bench.scale import agreement, run_scale  # noqa: E402
from bench.synth import question_texts, real_sentences, synth_passages, vary  # noqa: E402


def _sentence_counts(text: str, sentences: set[str]) -> set[int]:
    """How many of ``sentences`` can be concatenated to give exactly ``text`` (every way)."""
    counts: dict[int, set[int]] = {0: {0}}
    for end in range(1, len(text) + 1):
        for start in list(counts):
            if text[start:end] in sentences:
                counts.setdefault(end, set()).update(c + 1 for c in counts[start])
    return counts.get(len(text), set())


def test_synthetic_passages_are_reproducible_recombinations_of_real_sentences(library):
    sentences = real_sentences(library)
    passages = synth_passages(sentences, 40, seed=42)
    assert passages == synth_passages(sentences, 40, seed=42)
    assert passages != synth_passages(sentences, 40, seed=43)
    known = set(sentences)
    for passage in passages[:10]:
        assert _sentence_counts(passage, known) & {2, 3, 4, 5}, passage


def test_queries_cover_every_question_then_vary_them():
    texts = question_texts()
    assert len(texts) >= 20
    queries = vary(texts, 250)
    assert len(queries) == 250
    assert queries[: len(texts)] == texts
    assert all(q.startswith(texts[i % len(texts)] + " ") for i, q in enumerate(queries) if i >= len(texts))


def test_agreement_counts_ties_and_ignores_zero_scores():
    ours = [([1, 2, 3], [3.0, 2.0, 2.0]), ([4, 5], [1.0, 0.0]), ([7], [1.0])]
    theirs = [([1, 3, 2], [3.0, 2.0, 2.0]), ([4, 9], [1.0, 0.0]), ([8], [2.0])]
    assert agreement(ours, theirs) == {"queries": 3, "identical": 1, "same_up_to_ties": 2}


@pytest.fixture(scope="module")
def toy_scale():
    return run_scale(300, n_queries=24, workers=1)


def test_scale_run_reports_both_engines_on_the_same_queries(toy_scale):
    r = toy_scale
    assert r["n"] == 300 and r["distinct_passages"] <= 300
    for key in ("ours_latency_ms", "okapi_latency_ms", "understand_ms"):
        assert r[key]["n"] == 24
        assert 0 <= r[key]["p50"] <= r[key]["p99"] <= r[key]["max"]
    assert set(r["phases"]) == {"setup", "ours_tokenize", "ours_index", "ours_query", "okapi_build", "okapi_query"}
    assert r["agreement"]["queries"] == 24
    assert r["agreement"]["same_up_to_ties"] == 24  # the index gives BM25Okapi's ranking
    assert r["max_score_diff"] < 1e-5  # float32 weights: 1e-6 of scores of at most ~20
    assert r["mean_passage_tokens"] > 10 and r["vocabulary"] > 100
    assert r["ours_peak_mb"] > 0


def test_reload_reuses_tokens_of_unchanged_passages(tmp_path: Path):
    r = run_reload(600, n_queries=5, workers=1, workdir=tmp_path)  # 5 articles, one rewritten
    cold, same, changed = (r["phases"][k] for k in ("cold_build", "reload_unchanged", "reload_one_article_changed"))
    assert cold["tokenized_texts"] >= 500
    assert same["tokenized_texts"] == 0
    assert 0 < changed["tokenized_texts"] < cold["tokenized_texts"] / 2
    assert cold["passages"] == same["passages"] >= 500
    assert r["search_ms"]["n"] == 5
    assert not list(tmp_path.iterdir())  # the synthetic corpus is cleaned up


def test_markdown_report_has_every_section(toy_scale):
    text = markdown({
        "machine": {"date": "d", "nproc": 2, "usable_cpus": 2, "cpu": "cpu", "memory_gb": 1, "python": "3",
                    "numpy": "n", "jieba": "j", "rank_bm25": "r", "load_average": "0"},
        "scales": [toy_scale],
        "reloads": [],
        "engine": {"questions": 5, "passages": 9, "answered": 4, "process_maxrss_mb": 1,
                   "handle_ms": {"p50": 1.0, "p99": 3.0, "max": 3.0}, "first_pass_ms": {"p50": 1.0, "p99": 9.0, "max": 9.0}},
    })
    assert "| 300 | ours: BM25Index (1 workers)" in text
    assert "| 300 | rank-bm25 BM25Okapi scan" in text
    assert "real corpus: query ≤ 2 ms (Engine.handle p50; p99 shown) | p50 1.000 ms, p99 3.000 ms | ✅ met" in text
    assert text.count("| target |") == 1


# bench/semantic.py (issue 8) at toy size, with the model-free HashEncoder: no model is loaded

def _hash_embedder(data: Path):  # type: ignore[no-untyped-def]
    from retrieval.embedding import HashEncoder
    from retrieval.vectors import Embedder, FileVectors

    return Embedder(HashEncoder(), FileVectors(data / "vectors", "hash-256"))


def test_semantic_cold_build_reembeds_only_the_changed_article(tmp_path: Path):
    from bench.semantic import cold_build

    r = cold_build(300, _hash_embedder, workdir=tmp_path)  # 3 articles, one rewritten
    cold, same, changed = (r["phases"][k] for k in ("cold_build", "reload_unchanged", "reload_one_article_changed"))
    assert cold["embedded"] >= 250 and cold["passages"] >= 290
    assert same["embedded"] == 0 and same["tokenized_texts"] == 0
    assert 0 < changed["embedded"] < cold["embedded"] / 2
    assert 0 <= cold["embed_s"] <= cold["seconds"] and cold["rest_s"] > 0
    assert r["vector_cache_mb"] > 0 and r["encoder"] == "hash-256"
    assert not list(tmp_path.iterdir())


def test_semantic_engine_latency_and_encoder_speed_and_report(tmp_path: Path):
    from bench.semantic import dev_questions, encoder_speed, engine_latency
    from bench.semantic_report import markdown
    from retrieval.embedding import HashEncoder

    questions = dev_questions()
    assert len(questions) > 120 and len(set(questions)) == len(questions)
    engine = engine_latency("none", tmp_path, questions[:4])
    assert engine["handle_ms"]["n"] == 4 and engine["query_embeddings"] == 0 and engine["passages"] > 100
    speed = encoder_speed({"use-m3": HashEncoder, "e5-small": HashEncoder}, questions[:6], questions[:3], questions[:5])
    assert speed["models"]["use-m3"]["question_ms"]["n"] == 3 and speed["models"]["e5-small"]["extra_n"] == 5
    embedded = {**engine, "model": "use-m3", "query_embeddings": 4, "embed_ms": engine["handle_ms"]}
    first = {"model": "use-m3", "wall_s": 2.0, "import_s": 0.2, "model_s": 1.0, "build_s": 0.6, "handle_s": 0.1,
             "embedded": 0, "primer_embedded": 140, "runs": [2.0] * 5}
    phase = {"seconds": 9.0, "rest_s": 3.0, "embed_s": 6.0, "embed_cpu_s": 11.0, "embedded": 9, "passages": 9,
             "tokenized_texts": 9, "peak_mb": 300.0}
    cold = {"n": 10_000, "articles": 100, "encoder": "use-m3-0.2.1", "vector_cache_mb": 20.0, "worker_maxrss_mb": 1,
            "process_maxrss_mb": 700, "phases": {k: phase for k in ("model_load", "cold_build", "reload_unchanged",
                                                                    "reload_one_article_changed")}}
    text = markdown({"machine": {"date": "d", "nproc": 2, "usable_cpus": 2, "cpu": "c", "memory_gb": 1, "python": "3",
                                 "numpy": "n", "load_average": "0"}, "command": "python -m bench.semantic",
                     "engines": [embedded, engine], "first_answer": [first, {**first, "model": "none"}], "cold": cold,
                     "encoders": speed, "load_average_end": "0", "total_s": 1.0})
    assert "| start → first answer ≤ 3 s, warm vector cache (use-m3, median of 5) | 2.00 s | ✅ met |" in text
    assert "| fused, use-m3 (default) |" in text
    assert "passages built cold with embeddings ≤ 3 min | 9.00 s (model load 9.00 s apart) | ✅ met |" in text
    assert text.count("| target |") == 1 and "| BM25 alone |" in text
