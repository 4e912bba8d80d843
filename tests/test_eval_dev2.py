"""Issue 8's targets on the dev2 set (questions written the way users ask), enforced.

Targets not reached yet are strict xfails carrying the figure measured when they were written:
the day one is reached, its test fails until the mark is removed.
"""

from pathlib import Path

import pytest

from bot.engine import Engine
from bot.evaluation import evaluate
from bot.messages import Incoming
from retrieval.text import fold_for_compare

DEV = Path(__file__).resolve().parent / "eval"


@pytest.fixture(scope="module")
def report(library):
    return evaluate(Engine(library), DEV / "dev2_questions.tsv", DEV / "dev2_conversations.tsv")


def test_zh_hit_at_1(report):
    assert report.by_kind()["zh"]["hit@1"] >= 0.95


def test_zh_hit_at_3(report):
    assert report.by_kind()["zh"]["hit@3"] >= 0.98


def test_trad_hit_at_3(report):
    assert report.by_kind()["trad"]["hit@3"] >= 0.90


@pytest.mark.xfail(strict=True, reason="measured 0.76 (2026-12-02, fourth session): everyday words no packaged model maps (一把手, 头儿)")
def test_para_hit_at_3(report):
    assert report.by_kind()["para"]["hit@3"] >= 0.80


def test_en_hit_at_3(report):
    assert report.by_kind()["en"]["hit@3"] >= 0.80


def test_none_declined(report):
    right, total = report.none_accuracy()
    assert right / total >= 0.90


def test_conversations(report):
    right, total = report.conversation_accuracy()
    assert total == 15 and right >= 13


def test_floors_hold(report):
    """What this release reaches: a regression below these fails even while the targets above don't hold."""
    kinds = report.by_kind()
    assert kinds["para"]["hit@3"] >= 0.74


def test_every_quote_is_verbatim(library, engine):
    corpus = fold_for_compare("".join(p.text for p in library.passages))
    for line in (DEV / "dev2_questions.tsv").read_text(encoding="utf-8").splitlines()[1:]:
        question = line.split("\t")[2]
        reply = engine.handle(Incoming(question, chat_id="v"))
        for piece in [*reply.direct, *(p for q in reply.quotes for p in q.display.split("……"))]:
            for part in piece.split("\n"):
                assert fold_for_compare(part) in corpus, (question, part)
