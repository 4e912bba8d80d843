"""The library saved in the data dir: loaded back equal, rebuilt when the corpus changes or the
saved copy is damaged, written atomically when two workers start together."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from retrieval.embedding import HashEncoder
from retrieval.library import Library
from retrieval.persist import FOLDER, corpus_digest, open_library
from retrieval.saved_index import TermLists
from retrieval.query import understand
from retrieval.saved_passages import SavedPassages
from retrieval.search import search
from retrieval.vectors import Embedder, MemoryVectors

QUESTIONS = ["暖新之家有多大？", "1226工程是什么", "槐荫区有多少党员？", "红色物业", "羊肚菌 葫芦套 销售"]


def saved_folders(data: Path) -> list[Path]:
    return sorted(p for p in (data / FOLDER).iterdir() if p.is_dir() and not p.name.startswith("."))


def answers(library: Library) -> list[list[tuple[int, float]]]:
    out = []
    for text in QUESTIONS:
        result = search(library, understand(library, text))
        out.append([(h.passage.pid, round(h.score, 9)) for h in result.hits])
    return out


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> tuple[Library, Library, Path]:
    """A library built (and saved), and the same corpus loaded back from the data dir."""
    data = tmp_path_factory.mktemp("data")
    corpus = Path(__file__).resolve().parent.parent / "corpus"
    built = open_library(corpus, data)
    loaded = open_library(corpus, data)
    return built, loaded, data


def test_a_saved_index_loads_back_equal_to_the_built_one(saved):
    built, loaded, data = saved
    assert not isinstance(built.body_tokens, TermLists) and isinstance(loaded.body_tokens, TermLists)
    assert len(saved_folders(data)) == 1
    assert isinstance(loaded.index.postings_doc, np.memmap)
    assert [p.text for p in loaded.passages] == [p.text for p in built.passages]
    assert [(p.pid, p.article, p.section, p.paragraph) for p in loaded.passages] == [
        (p.pid, p.article, p.section, p.paragraph) for p in built.passages
    ]
    for name, array in built.index.arrays().items():
        np.testing.assert_array_equal(getattr(loaded.index, name), array, err_msg=name)
    assert loaded.index.terms == built.index.terms
    np.testing.assert_array_equal(loaded.same_section, built.same_section)
    assert loaded.tokenizer.added_words == built.tokenizer.added_words
    assert all(loaded.tokens_of(i) == built.tokens_of(i) for i in range(len(built.passages)))
    assert isinstance(loaded.passages, SavedPassages)  # made when asked for, not at load
    for article_id, article in built.articles.items():
        twin = loaded.articles[article_id]
        assert list(twin.passages) == article.passages and twin.passages[1:3] == article.passages[1:3]
        assert (twin.title, twin.districts, twin.digest, twin.headings) == (
            article.title, article.districts, article.digest, article.headings)
    assert loaded.passages[-1] == built.passages[-1]
    with pytest.raises(IndexError):
        loaded.passages[len(built.passages)]
    assert all(loaded.cache.blocks[a.digest] == a.blocks for a in built.articles.values())  # read on demand
    assert answers(loaded) == answers(built)
    assert any(hits for hits in answers(loaded))


def test_a_changed_corpus_gets_a_new_saved_index(corpus_copy: Path, tmp_path: Path):
    data = tmp_path / "data"
    before = corpus_digest(corpus_copy)
    first = open_library(corpus_copy, data)
    (corpus_copy / "articles" / "new_article.txt").write_text(
        "新文章\n\n济南市历下区建成了首个蓝鲸驿站，为快递小哥提供歇脚服务。\n", encoding="utf-8"
    )
    assert corpus_digest(corpus_copy) != before
    second = open_library(corpus_copy, data)
    assert len(second.passages) == len(first.passages) + 1
    assert second.index.knows("蓝鲸") and not first.index.knows("蓝鲸")
    assert len(saved_folders(data)) == 2
    (corpus_copy / "userdict.txt").write_text("蓝鲸驿站\n", encoding="utf-8")  # a word list counts too
    third = open_library(corpus_copy, data)
    assert third.index.knows("蓝鲸驿站") and len(saved_folders(data)) == 3


@pytest.mark.parametrize("damage", ["truncate_postings", "garbage_meta", "garbage_library", "missing_terms",
                                    "truncate_texts", "short_passage_column", "unknown_section"])
def test_a_damaged_saved_index_is_rebuilt_with_a_warning(corpus_copy: Path, tmp_path: Path, caplog, damage: str):
    data = tmp_path / "data"
    reference = answers(open_library(corpus_copy, data))
    (folder,) = saved_folders(data)
    if damage == "truncate_postings":
        path = folder / "body.postings_doc.npy"
        path.write_bytes(path.read_bytes()[:200])
    elif damage == "garbage_meta":
        (folder / "meta.json").write_text("{not json", encoding="utf-8")
    elif damage == "garbage_library":
        (folder / "library.marshal").write_bytes(b"\x00garbage")
    elif damage == "truncate_texts":
        path = folder / "passages.texts"
        path.write_bytes(path.read_bytes()[:100])
    elif damage == "short_passage_column":
        np.save(folder / "passages.position.npy", np.zeros(3, dtype=np.int32))
    elif damage == "unknown_section":
        (folder / "passages.sections").write_bytes(b"")  # every section id now points past the list
    else:
        (folder / "body.terms").unlink()
    with caplog.at_level(logging.WARNING, logger="retrieval.persist"):
        rebuilt = open_library(corpus_copy, data)
    assert "unreadable" in caplog.text and "rebuilding" in caplog.text
    assert answers(rebuilt) == reference
    assert not isinstance(rebuilt.body_tokens, TermLists)  # built, not loaded
    caplog.clear()
    again = open_library(corpus_copy, data)  # the rebuilt copy was saved in its place
    assert isinstance(again.body_tokens, TermLists) and "unreadable" not in caplog.text


def test_two_workers_starting_together_save_one_copy(corpus_copy: Path, tmp_path: Path):
    data = tmp_path / "data"
    results: list[Library] = []
    errors: list[BaseException] = []

    def start() -> None:
        try:
            results.append(open_library(corpus_copy, data))
        except BaseException as exc:  # noqa: BLE001 — reported below
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and len(results) == 2
    assert len(saved_folders(data)) == 1
    assert not [p for p in (data / FOLDER).iterdir() if p.name.startswith(".")]  # no temporary leftovers
    assert answers(results[0]) == answers(results[1]) == answers(open_library(corpus_copy, data))


def test_passage_vectors_are_saved_beside_the_index(corpus_copy: Path, tmp_path: Path):
    data = tmp_path / "data"
    encoder = HashEncoder()
    first = open_library(corpus_copy, data, embedder=Embedder(encoder, MemoryVectors()))
    assert encoder.calls >= len(first.passages)
    restarted = HashEncoder()
    second = open_library(corpus_copy, data, embedder=Embedder(restarted, MemoryVectors()))
    assert restarted.calls == 0  # nothing embedded again: the saved vectors were mapped
    assert isinstance(second.vectors, np.memmap)
    np.testing.assert_array_equal(second.vectors, first.vectors)
    (folder,) = saved_folders(data)
    (folder / f"vectors-{encoder.name}.npy").write_bytes(b"not an array")
    third = open_library(corpus_copy, data, embedder=Embedder(HashEncoder(), MemoryVectors()))
    np.testing.assert_array_equal(third.vectors, first.vectors)


def test_the_digest_reuses_file_stamps_and_sees_a_change(corpus_copy: Path, tmp_path: Path):
    import os

    known = tmp_path / "digest.json"
    old = time.time() - 60
    for path in corpus_copy.rglob("*"):
        os.utime(path, (old, old))
    first = corpus_digest(corpus_copy, known)
    assert known.exists() and corpus_digest(corpus_copy, known) == first == corpus_digest(corpus_copy)
    article = next((corpus_copy / "articles").iterdir())
    article.write_text(article.read_text(encoding="utf-8") + "\n补充一段。\n", encoding="utf-8")
    changed = corpus_digest(corpus_copy, known)
    assert changed != first and changed == corpus_digest(corpus_copy)


def test_without_a_data_dir_the_library_is_just_built(corpus_copy: Path):
    library = open_library(corpus_copy, None)
    assert library.passages and not isinstance(library.body_tokens, TermLists)


def test_a_reload_loads_the_version_another_process_saved(corpus_copy: Path, tmp_path: Path, monkeypatch):
    """Worker A reloads a changed corpus (built and saved); worker B's reload then loads A's copy."""
    import retrieval.persist as persist
    from bot.engine import Engine

    data = tmp_path / "data"
    first = Engine.from_corpus(corpus_copy, model="none", data_dir=data)
    second = Engine.from_corpus(corpus_copy, model="none", data_dir=data)
    (corpus_copy / "articles" / "new_hall.txt").write_text("暖泉社区的夜间议事厅\n\n暖泉社区推出“夜间议事厅”，每周三晚上议事。\n",
                                                            encoding="utf-8")  # fmt: skip
    assert first.reload("admin", "cli").ok
    assert len(saved_folders(data)) == 2

    def no_build(*args, **kwargs):
        raise AssertionError("the saved version should have been loaded, not built")

    monkeypatch.setattr(persist, "build_library", no_build)
    report = second.reload("", "sync")
    assert report.ok and report.added == ["new_hall"]
    assert second.passage_count == first.passage_count
