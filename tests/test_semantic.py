"""The semantic side: retrievers alone and fused, the vector cache, the BM25-only fallback."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import bot.semantic as semantic
from bot.engine import Engine
from bot.messages import Incoming
from bot.records import MemorySink
from retrieval.embedding import HashEncoder
from retrieval.library import build_library, semantic_text
from retrieval.query import understand
from retrieval.retriever import BM25Retriever, DenseRetriever, FusedRetriever, normalised
from retrieval.vectors import Embedder, FileVectors, MemoryVectors


def test_each_retriever_alone_and_fused(library):
    query = understand(library, "暖新之家有多大？")
    lexical = BM25Retriever(library).scores(query)
    dense = DenseRetriever(library.vectors, library.embedder.query).scores(query)
    assert lexical.shape == dense.shape == (len(library.passages),)
    fused = FusedRetriever(BM25Retriever(library), DenseRetriever(library.vectors, library.embedder.query), lambda q: 0.5)
    signals = fused.signals(query)
    assert set(signals) == {"bm25", "dense", "fused"}
    best = int(np.argmax(signals["fused"]))
    assert "300平方米" in library.passages[best].text


def test_fusion_weighs_each_side_by_share():
    class Fixed:
        def __init__(self, name: str, scores: list[float]) -> None:
            self.name, self._scores = name, np.array(scores)

        def scores(self, query):  # noqa: ANN001
            return self._scores

    lexical, dense = Fixed("bm25", [4.0, 2.0, 0.0]), Fixed("dense", [0.1, 0.2, 0.9])
    assert np.argmax(FusedRetriever(lexical, dense, lambda q: 1.0).scores(None)) == 0
    assert np.argmax(FusedRetriever(lexical, dense, lambda q: 0.0).scores(None)) == 2
    # a semantic side where nothing stands out does not swing the ranking
    assert normalised(np.array([0.10, 0.11, 0.12]), "median", 0.25).max() < 0.1


def test_a_reload_embeds_only_changed_passages(corpus_copy: Path, tmp_path: Path):
    encoder = HashEncoder()
    embedder = Embedder(encoder, FileVectors(tmp_path / "vectors", encoder.name))
    first = build_library(corpus_copy, embedder=embedder)
    assert embedder.embedded == len({semantic_text(p) for p in first.passages})  # a cold start embeds them all
    calls = encoder.calls
    engine = Engine(first, sink=MemorySink())
    engine.reload()
    assert encoder.calls == calls  # nothing changed: nothing embedded
    article = sorted((corpus_copy / "articles").glob("*.txt"))[0]
    article.write_text(article.read_text(encoding="utf-8") + "\n\n新增一段关于社区食堂的报道，居民在这里吃上了热乎饭。\n", encoding="utf-8")
    engine.reload()
    assert 0 < encoder.calls - calls <= 3  # the new paragraph (and the passage it changed), not the corpus
    # a restart reads the vectors from the data dir
    restarted = Embedder(HashEncoder(), FileVectors(tmp_path / "vectors", encoder.name))
    build_library(corpus_copy, embedder=restarted)
    assert restarted.encoder.calls == 0


def test_a_broken_cache_file_is_made_again(tmp_path: Path, corpus_copy: Path):
    encoder = HashEncoder()
    (tmp_path / "vectors").mkdir()
    (tmp_path / "vectors" / f"{encoder.name}.npz").write_bytes(b"not a numpy file")
    library = build_library(corpus_copy, embedder=Embedder(encoder, FileVectors(tmp_path / "vectors", encoder.name)))
    assert library.vectors is not None and len(library.vectors) == len(library.passages)


def test_memory_vectors_keep_only_the_current_corpus():
    store = MemoryVectors()
    embedder = Embedder(HashEncoder(), store)
    embedder.passages(["甲", "乙"])
    embedder.passages(["乙"])
    assert len(store.vectors) == 1


def test_bm25_alone_when_the_model_cannot_load(monkeypatch, capsys, bm25_library):
    semantic._encoder.cache_clear()
    semantic._warned.clear()

    def broken(model: str):  # noqa: ANN202
        return None, f"embedding model {model!r} could not load: OSError('no weights')"

    monkeypatch.setattr(semantic, "load_encoder", broken)
    try:
        assert semantic.make_embedder("use-m3") is None
        assert semantic.make_embedder("use-m3") is None
        assert capsys.readouterr().err.count("BM25") == 1  # said once
    finally:
        semantic._encoder.cache_clear()
    engine = Engine(bm25_library, sink=MemorySink())
    assert bm25_library.vectors is None
    reply = engine.handle(Incoming("1226工程是什么？", chat_id="c"))
    assert reply.answered and "即两条主线" in reply.quotes[0].text


def test_embedding_model_none_is_bm25_alone(corpus_copy):
    engine = Engine.from_corpus(corpus_copy, model="none")
    assert engine.library.embedder is None
    assert isinstance(engine.library.retriever, BM25Retriever)


@pytest.mark.parametrize("text", ["", "  "])
def test_an_empty_text_embeds(text):
    assert HashEncoder().encode([text], query=True).shape == (1, 256)



def test_a_paired_encoder_keeps_each_model_in_its_own_columns():
    from retrieval.embedding import PairedEncoder

    ranker, judge = HashEncoder(64), HashEncoder(32)
    paired = PairedEncoder(ranker, judge)
    rows = paired.encode(["暖新之家", "红色物业"], query=False)
    assert rows.shape == (2, 96) and paired.name == "hash-64+hash-32"
    assert np.allclose(rows[:, paired.parts["rank"]], ranker.encode(["暖新之家", "红色物业"], query=False))
    assert np.allclose(rows[:, paired.parts["judge"]], judge.encode(["暖新之家", "红色物业"], query=False))
    assert np.allclose(np.linalg.norm(rows[:, paired.parts["judge"]], axis=1), 1.0)  # each part normalised alone


def test_the_judge_part_scores_beside_the_ranking(corpus_copy):
    from retrieval.embedding import PairedEncoder

    library = build_library(corpus_copy, embedder=Embedder(PairedEncoder(HashEncoder(64), HashEncoder(48))))
    signals = library.retriever.signals(understand(library, "暖新之家有多大？"))
    assert set(signals) == {"bm25", "dense", "fused", "judge"}
    judge = DenseRetriever(library.vectors, library.embedder.query, library.same_section, library.embedder.part("judge"),
                           form=library.embedder.encoder.question_form)
    assert np.allclose(signals["judge"], judge.scores(understand(library, "暖新之家有多大？")))
    assert not np.allclose(signals["judge"], signals["dense"])  # two models, two opinions


def test_a_question_is_embedded_once_for_both_parts():
    encoder = HashEncoder()
    embedder = Embedder(encoder)
    first = embedder.query("槐荫区有多少党员？")
    embedder.query("槐荫区有多少党员？")
    assert encoder.calls == 1 and np.array_equal(first, embedder.query("槐荫区有多少党员？"))


def test_an_english_question_is_embedded_with_its_dictionary_chinese(library):
    query = understand(library, "What does Hulutao village grow to make money?")
    assert query.semantic.startswith("What does Hulutao village grow") and "葫芦套" in query.semantic
    assert understand(library, "葫芦套村靠种什么致富？").semantic.rstrip("?？") == "葫芦套村靠种什么致富"
