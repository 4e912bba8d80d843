"""Hostile or broken files in corpus/: a binary word list is skipped and named, links that leave the
corpus are not followed, and neither stops `ask` or a reload."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.engine import Engine
from bot.messages import Incoming
from bot.records import MemorySink
from retrieval.library import build_library
from retrieval.loader import read_corpus, read_lines

WORD_LISTS = ["synonyms.tsv", "glossary.tsv", "userdict.txt", "stopwords.txt", "examples.tsv"]
BINARY = b"\x7fELF\x02\x01\x01\x00\x00\x00" + bytes(range(256)) * 8
SECRET = "绝密口令 outside-the-corpus 12345"


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, corpus_copy: Path):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("CORPUS_DIR", str(corpus_copy))
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("DATABASE_URL", raising=False)

    def invoke(*args: str) -> str:
        result = CliRunner().invoke(main, list(args))
        assert result.exit_code == 0, result.output
        return result.output  # stdout and stderr

    return invoke


@pytest.mark.parametrize("name", WORD_LISTS)
def test_a_binary_word_list_is_skipped_and_named(corpus_copy: Path, name: str) -> None:
    (corpus_copy / name).write_bytes(BINARY)
    library = build_library(corpus_copy)  # does not raise
    assert len(library.articles) == 5
    reasons = dict(library.skipped)
    assert "binary" in reasons[name]
    assert read_lines(corpus_copy / name) == []
    engine = Engine(library, sink=MemorySink())
    assert engine.handle(Incoming("1226工程是什么？", chat_id="c")).answered
    report = engine.reload(who="admin", origin="telegram")
    assert report.ok and name in dict(report.skipped)  # what a Telegram /reload shows


@pytest.mark.parametrize("name", ["synonyms.tsv", "examples.tsv"])
def test_ask_and_reload_warn_about_a_binary_word_list(cli, corpus_copy: Path, name: str) -> None:  # type: ignore[no-untyped-def]
    (corpus_copy / name).write_bytes(BINARY)
    out = cli("ask", "1226工程是什么？")
    assert f"warning: skipped {name}: word list not loaded: binary" in out
    assert "据报道" in out
    assert f"skipped {name}: word list not loaded: binary" in cli("reload")


def test_links_out_of_the_corpus_are_refused(tmp_path: Path, corpus_copy: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text(f"机密文件\n\n{SECRET}。\n", encoding="utf-8")
    articles = corpus_copy / "articles"
    (articles / "passwd.txt").symlink_to(outside / "secret.txt")
    (articles / "relative.md").symlink_to(os.path.relpath(outside / "secret.txt", articles))
    (articles / "elsewhere").symlink_to(outside, target_is_directory=True)
    (corpus_copy / "extra").mkdir()
    (corpus_copy / "extra" / "local.txt").write_text("清泉社区\n\n清泉社区成立“板凳议事会”。\n", encoding="utf-8")
    (articles / "local.txt").symlink_to(Path("..") / "extra" / "local.txt")  # stays inside: followed
    (corpus_copy / "userdict.txt").unlink()
    (corpus_copy / "userdict.txt").symlink_to(outside / "secret.txt")

    loaded, skipped = read_corpus(corpus_copy)
    reasons = dict(skipped)
    for name in ("passwd.txt", "relative.md", "elsewhere", "userdict.txt"):
        assert "outside the corpus" in reasons[name], name
    assert {a.article_id for a in loaded} >= {"local"}
    assert not any(SECRET in a.text for a in loaded)
    library = build_library(corpus_copy)
    assert not any("outside-the-corpus" in p.text for p in library.passages)
    assert "outside-the-corpus" not in library.lexicon.user_words


def test_links_inside_the_corpus_and_loops(corpus_copy: Path) -> None:
    articles = corpus_copy / "articles"
    (articles / "loop.txt").symlink_to("loop.txt")
    (articles / "dangling.txt").symlink_to("missing.txt")
    loaded, skipped = read_corpus(corpus_copy)
    assert len(loaded) == 5  # the bundled articles; a loop or a dangling link is no article
    assert "loop.txt" not in {a.path.name for a in loaded}
