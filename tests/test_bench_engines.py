"""bench/engines.py at toy size: structure and invariants only, never timing."""

from __future__ import annotations

import pytest

from bench.engines import run_engines
from bench.synth import zipf_passages


def test_zipf_passages_grow_their_vocabulary_with_size():
    small, large = zipf_passages(200, ["真实的句子。"], seed=1), zipf_passages(2000, ["真实的句子。"], seed=1)
    assert large[:200] != [] and all(len(p) > 60 for p in large)
    vocabulary = [len({w for p in corpus for w in p.split("，")}) for corpus in (small, large)]
    assert vocabulary[1] > 5 * vocabulary[0]
    assert sum(p.startswith("真实的句子。") for p in large) > 300  # about REAL_SHARE of them


@pytest.mark.parametrize("engines", [("ours",)])
def test_engine_comparison_at_toy_size(engines):
    result = run_engines([200, 400], n_queries=8, workers=1, engines=engines)
    assert [size["n"] for size in result["sizes"]] == [200, 400]
    ours = result["sizes"][1]["ours"]
    assert ours["postings"] > 400 and ours["vocabulary"] > 100
    assert 8 <= ours["bytes_per_posting"] < 40  # 8 for the postings, plus the per-term arrays
    for key in ("query_ms", "full_path_ms", "bare_same_queries_ms"):
        assert set(ours[key]) == {"p50", "p95", "mean"}
    assert result["tokenizers"]["identical"] == result["tokenizers"]["texts"]
