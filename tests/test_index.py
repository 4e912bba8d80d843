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


# Stored weights are float32 (8 bytes a posting with the int32 document id): a score is a sum of a
# few weights each rounded to 2^-24 relative, so scores agree with rank_bm25's float64 to 1e-6 of
# the best score — orders of magnitude below the gap between passages that differ in any term.
RTOL = 1e-6


def random_corpus(seed: int, docs: int = 600, vocab: int = 400) -> tuple[list[list[str]], list[str], list[float]]:
    import random

    rng = random.Random(seed)
    words = [f"t{i}" for i in range(vocab)]
    zipf = [1 / (i + 1) for i in range(vocab)]
    corpus = [rng.choices(words, zipf, k=rng.randint(0, 40)) for _ in range(docs)]
    return corpus, words, zipf


def assert_scores_equal(index: BM25Index, reference: BM25Okapi, query: list[str]) -> None:
    expected = reference.get_scores(query)
    scale = max(1.0, float(np.abs(expected).max())) if len(expected) else 1.0
    np.testing.assert_allclose(index.scores(query), expected, rtol=0, atol=RTOL * scale)


def test_scores_equal_rank_bm25_on_small_corpora_with_odd_queries():
    import random

    rng = random.Random(7)
    for seed in range(4):
        corpus, words, zipf = random_corpus(seed)
        index, reference = BM25Index(corpus), BM25Okapi(corpus)
        queries = [[], ["nowhere"], ["t0", "t0", "t0"], ["t1", "nowhere", "t1"], words[:1] + words[-1:]]
        queries += [rng.choices(words, zipf, k=rng.randint(1, 8)) for _ in range(40)]
        for query in queries:
            assert_scores_equal(index, reference, query)
    tiny = [["a", "b"], ["b", "c"], ["c", "c", "d"], []]  # idf below 0 floored at eps × mean idf
    assert_scores_equal(BM25Index(tiny), BM25Okapi(tiny), ["b", "c", "c"])
    empty = BM25Index([])
    assert empty.scores(["a"]).tolist() == [] and empty.search(["a"], 5)[0].tolist() == []


def test_top_k_equals_a_full_sort_including_ties():
    import random

    rng = random.Random(11)
    for seed in range(3):
        corpus, words, zipf = random_corpus(seed, docs=2500, vocab=300)
        corpus += [["t0", "t1"]] * 30  # many equal scores: ties go to the lower document
        index = BM25Index(corpus)
        for _ in range(60):
            query = rng.choices(words, zipf, k=rng.randint(1, 7))
            scores = index.scores(query)
            for k in (1, 10, 30):
                full = sorted((i for i in range(len(scores)) if scores[i] > 0), key=lambda i: (-scores[i], i))[:k]
                ids, values = index.search(query, k)
                assert ids.tolist() == full
                np.testing.assert_allclose(values, scores[full], rtol=1e-12)
                assert index.top(scores, k)[: len(full)] == full


def test_postings_take_eight_bytes_and_terms_of_a_document_come_back():
    corpus, _, _ = random_corpus(3)
    index = BM25Index(corpus)
    assert index.postings_doc.dtype == np.int32 and index.postings_weight.dtype == np.float32
    assert len(index.postings_doc) == sum(len(set(doc)) for doc in corpus)
    assert sorted(index.terms_of(5)) == sorted(set(corpus[5]))
    docs, _ = index.postings("t0")
    assert np.all(np.diff(docs) > 0)  # each term's documents in increasing order (merges rely on it)


def test_sparse_context_scores_equal_the_dense_definition(bm25_library):
    """BM25Retriever touches only passages holding a question term; the scores are those of the
    dense definition (own score + heading and previous-passage context for missing terms)."""
    from retrieval.query import understand
    from retrieval.retriever import HEADING_WEIGHT, PREVIOUS_SHARE, BM25Retriever

    library = bm25_library
    for text in ["暖新之家有多大？", "槐荫区有多少党员？", "1226工程是什么", "第一书记 济南"]:
        query = understand(library, text)
        own = np.zeros(len(library.passages))
        context = np.zeros(len(library.passages))
        for term, weight in query.weights.items():
            body = library.index.scores({term: weight})
            own += body
            missing = body == 0
            context[1:] += PREVIOUS_SHARE * body[:-1] * library.same_section[1:] * missing[1:]
            context += HEADING_WEIGHT * library.heading_index.scores({term: weight}) * missing
        sparse = BM25Retriever(library).scores(query)
        np.testing.assert_allclose(np.asarray(sparse), own + context, rtol=1e-12, atol=1e-12)
        assert len(sparse.ids) < len(library.passages)
        assert sparse.top(5) == library.index.top(own + context, 5)


def test_a_term_repeated_hundreds_of_times_in_one_passage_keeps_its_count():
    corpus = [["a"] * 300 + ["b"], ["b", "c"] * 2, ["a", "c"], []] * 3  # tf 300 does not fit the build's uint8
    assert_scores_equal(BM25Index(corpus), BM25Okapi(corpus), ["a", "b", "c"])


def test_add_up_with_zero_and_cancelling_values_names_each_passage_once():
    from retrieval.sparse import add_up

    index = BM25Index([["a"]] * 8)
    parts = [(np.array([1, 3, 5]), np.array([0.0, 2.0, -1.0])), (np.array([3, 5, 6]), np.array([1.0, 1.0, 0.0])),
             (np.array([1, 6]), np.array([0.5, 0.0]))]
    ids, values = add_up(parts, index.scratch())
    assert sorted(ids.tolist()) == [1, 3, 5, 6]  # 5 sums to 0 and 6 is only ever 0: still once each
    assert dict(zip(ids.tolist(), values.tolist())) == {1: 0.5, 3: 3.0, 5: 0.0, 6: 0.0}
    positive = [(np.array([0, 2]), np.array([1.0, 2.0])), (np.array([2, 4]), np.array([0.5, 0.25]))]
    ids, values = add_up(positive, index.scratch())
    assert dict(zip(ids.tolist(), values.tolist())) == {0: 1.0, 2: 2.5, 4: 0.25}
    acc, seen = index.scratch()
    assert not acc.any() and not seen.any()  # left all-zero for the next query


def test_search_on_an_index_with_zero_weights_equals_the_full_sort():
    corpus = [["a", "b"], ["a", "c"], ["a", "b", "c"], ["d"]]  # "a" in 3 of 4: idf floored, weights may be 0
    index = BM25Index(corpus, epsilon=0.0)
    assert not index.positive
    for query in (["a", "b"], ["a", "c", "d"], ["b", "c"]):
        scores = index.scores(query)
        full = sorted((i for i in range(len(scores)) if scores[i] > 0), key=lambda i: (-scores[i], i))[:2]
        assert index.search(query, 2)[0].tolist() == full
    assert BM25Index(random_corpus(1)[0]).positive
