"""Factory fixtures shared by the suite: the bundled corpus, an engine over it, temp corpora."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.engine import Engine
from bot.records import MemorySink
from bot.semantic import make_embedder
from retrieval.embedding import DEFAULT_MODEL
from retrieval.library import Library, build_library

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"


@pytest.fixture(scope="session")
def library() -> Library:
    """The bundled corpus as the bot runs it: BM25 fused with the default embedding model."""
    return build_library(CORPUS, embedder=make_embedder(DEFAULT_MODEL))


@pytest.fixture(scope="session")
def bm25_library() -> Library:
    """The bundled corpus on BM25 alone (the fallback when no embedding model loads)."""
    return build_library(CORPUS)


@pytest.fixture
def make_engine(library: Library) -> Callable[..., Engine]:
    """A fresh engine (own conversations and sink) over the shared bundled library."""

    def make(**kwargs: object) -> Engine:
        kwargs.setdefault("sink", MemorySink())
        return Engine(library, **kwargs)  # type: ignore[arg-type]

    return make


@pytest.fixture
def engine(make_engine: Callable[..., Engine]) -> Engine:
    return make_engine()


@pytest.fixture
def corpus_copy(tmp_path: Path) -> Path:
    """A writable copy of corpus/ for tests that add or break files."""
    target = tmp_path / "corpus"
    shutil.copytree(CORPUS, target)
    return target
from pg_support import db_url, own_postgres, pg_url, postgres_server  # noqa: E402,F401  # a real PostgreSQL
