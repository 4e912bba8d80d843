"""The admin's corrections: a question (and its close paraphrases) answered with the chosen passage,
verbatim; other places and other question types untouched; kept in the database for every process."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app import Services
from bot.config import Settings
from bot.correcting import correct, list_corrections, load_corrections, remove_correction
from bot.corrections import Correction
from bot.engine import Engine
from bot.messages import Incoming
from bot.records import MemorySink
from retrieval.library import Library

QUESTION = "槐荫区有多少党员？"


def ask(engine: Engine, text: str, chat: str = "c1", source: str = "user"):
    return engine.handle(Incoming(text, chat_id=chat, user_id="u", channel="cli", source=source))


def chosen_passage(library: Library, avoid: str):
    """A passage of another article than the one the bot quotes now: what 'wrong answer corrected' looks like."""
    return next(p for p in library.passages if p.article != avoid and len(p.text) > 60 and "党员" in p.text)


@pytest.fixture
def services(library: Library, tmp_path: Path) -> Services:
    from bot.storage import open_store

    settings = Settings(data_dir=tmp_path / "data", corpus_dir=tmp_path / "corpus")
    store = open_store(settings)
    made = Services(settings=settings, engine=Engine(library, sink=store), sink=store, store=store)
    yield made
    made.close()


def test_a_corrected_question_and_its_paraphrase_get_the_chosen_passage_verbatim(services: Services):
    engine = services.engine
    before = ask(engine, QUESTION)
    passage = chosen_passage(engine.library, before.quotes[0].source.article)
    correct(services, QUESTION, passage.article, passage.position, who="admin")

    for wording in (QUESTION, "槐荫區有多少黨員", "槐荫区一共有多少名党员？"):
        reply = ask(engine, wording, chat=wording)
        assert reply.answered
        assert reply.quotes[0].source.article == passage.article
        assert reply.quotes[0].text == passage.text  # verbatim, the corpus's own text


def test_another_place_or_another_kind_of_question_is_not_taken_by_a_correction(services: Services):
    engine = services.engine
    passage = chosen_passage(engine.library, ask(engine, QUESTION).quotes[0].source.article)
    correct(services, QUESTION, passage.article, passage.position)
    for other in ("章丘区有多少党员？", "槐荫区的党员在哪里活动？", "1226工程是什么？"):
        reply = ask(engine, other, chat=other)
        assert not reply.quotes or reply.quotes[0].text != passage.text, other


def test_corrections_live_in_the_database_for_every_process(services: Services, library: Library):
    passage = library.passages[10]
    made = correct(services, QUESTION, passage.article, passage.position, who="admin")
    other = Services(services.settings, Engine(library, sink=MemorySink()), MemorySink(), services.store)
    assert ask(other.engine, QUESTION).quotes[0].text != passage.text  # not loaded yet
    load_corrections(other)
    assert ask(other.engine, QUESTION, chat="again").quotes[0].text == passage.text
    # correcting again replaces it; removing it ends it everywhere
    second = library.passages[11]
    again = correct(services, QUESTION, second.article, second.position)
    assert [c["id"] for c in list_corrections(services)] == [again.id]
    assert remove_correction(services, again.id)
    load_corrections(other)
    assert list_corrections(other) == [] and list_corrections(services) == []
    assert not remove_correction(services, made.id)  # already retired by the second correction


def test_a_correction_naming_no_passage_or_no_question_is_refused(services: Services):
    with pytest.raises(ValueError):
        correct(services, QUESTION, "no-such-article", 0)
    with pytest.raises(ValueError):
        correct(services, "  ", services.engine.library.passages[0].article, 0)


def test_explain_shows_each_signal_and_the_decision_without_logging(library: Library):
    sink = MemorySink()
    engine = Engine(library, sink=sink)
    shown = engine.explain(QUESTION)
    assert shown["answered"] is True and shown["reason"] == ""
    first = shown["passages"][0]
    assert "2.7万" in first["text"]
    assert first["bm25"] > 0 and first["semantic"] is not None and first["fused"] > 0
    declined = engine.explain("明天上海会下雨吗？")
    assert declined["answered"] is False and declined["reason"]
    assert sink.exchanges == [] and not engine.conversations.get("cli", "c1").question


def test_the_log_keeps_the_reply_as_read_the_confidence_and_the_source(library: Library):
    sink = MemorySink()
    engine = Engine(library, sink=sink)
    answered = ask(engine, QUESTION, source="ask")
    ask(engine, "青岛市有多少党员？", chat="c2")
    first, declined = sink.exchanges
    assert first.source == "ask" and declined.source == "user"
    assert "2.7万" in first.reply and first.reply.startswith(answered.intro)
    assert first.confidence > 0 and first.passages[0].title and first.passages[0].text == answered.quotes[0].text
    assert not declined.answered and declined.reason
    assert declined.best_text and declined.passages[0].text == declined.best_text  # what the bot had
    assert "2.7万" not in declined.reply or declined.best_text not in declined.reply  # the user never saw it


def test_a_correction_made_in_one_process_reaches_the_others_through_the_generation(services: Services, library: Library):
    from bot.reloading import GenerationWatcher

    other = Services(services.settings, Engine(library, sink=MemorySink()), MemorySink(), services.store)
    watcher = GenerationWatcher(other)
    assert watcher.check() is None  # nothing published yet
    passage = library.passages[12]
    services.correct(QUESTION, passage.article, passage.position, who="admin")
    assert services.generation.value == other.generation.value + 1  # the maker is up to date
    assert watcher.check() is not None  # the other one refreshes …
    assert ask(other.engine, QUESTION).quotes[0].text == passage.text  # … and answers with the correction
    assert watcher.check() is None


def test_corrections_that_cannot_be_read_leave_the_engine_answering(library: Library, caplog):
    class DownStore:
        def session(self):
            raise ConnectionError("database is down")

    services = Services(Settings(_env_file=None), Engine(library, sink=MemorySink()), MemorySink(), None)
    services.store = DownStore()
    kept = Correction(7, QUESTION, library.passages[3].article, library.passages[3].position, library.passages[3].text)
    services.engine.corrections.add(kept)
    with caplog.at_level("WARNING"):
        load_corrections(services)
    assert "cannot read the answer corrections" in caplog.text and "database is down" in caplog.text
    assert services.engine.corrections.corrections == [kept]  # the ones it had stay in force
    assert ask(services.engine, QUESTION).quotes[0].text == library.passages[3].text


def test_paraphrases_are_told_by_the_judge_model(corpus_copy):
    """With two models in a row, a correction compares questions by the judge's (USE's) columns, the
    ones CLOSE_MEANING is calibrated for — not by the whole row, which would add e5's cosines."""
    import numpy as np

    from bot.corrections import _meaning
    from retrieval.embedding import HashEncoder, PairedEncoder
    from retrieval.library import build_library
    from retrieval.vectors import Embedder

    library = build_library(corpus_copy, embedder=Embedder(PairedEncoder(HashEncoder(64), HashEncoder(48))))
    vector = _meaning(library, "槐荫区有多少党员？")
    assert vector is not None and vector.shape == (48,)
    assert np.allclose(vector, HashEncoder(48).encode(["槐荫区有多少党员？"], query=True)[0])
    assert _meaning(build_library(corpus_copy), "槐荫区有多少党员？") is None  # BM25 alone: no embedding
