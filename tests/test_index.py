import numpy as np
from rank_bm25 import BM25Okapi

from retrieval.index import BM25Index

QUERIES = ["1226 工程", "暖新之家", "红色物业 建设", "党员 槐荫", "羊肚菌 葫芦套 销售", "济南 第一书记"]


def test_same_scores_and_top_results_as_rank_bm25_on_the_real_corpus(library):
    reference = BM25Okapi(library.body_tokens)
    ours = BM25Index(library.body_tokens)
    for text in QUERIES:
        tokens = library.tokenizer.tokenize(text)
        expected = reference.get_scores(tokens)
        got = ours.scores(tokens)
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
        top_ref = sorted(range(len(expected)), key=lambda i: (-expected[i], i))[:10]
        top_ours = ours.top(got, 10)
        # the same ranking: equal scores rank by position in both
        np.testing.assert_allclose(expected[top_ours], expected[top_ref], rtol=1e-9)
        assert top_ours[:3] == top_ref[:3] or np.allclose(expected[top_ours[:3]], expected[top_ref[:3]])


def test_weighted_query_and_unknown_terms():
    index = BM25Index([["a", "b"], ["b", "c"], ["c", "c", "d"]])
    assert index.scores(["zzz"]).tolist() == [0.0, 0.0, 0.0]
    plain = index.scores(["d"])
    doubled = index.scores({"d": 2.0})
    np.testing.assert_allclose(doubled, 2 * plain)
    assert index.top(plain, 1) == [2]
