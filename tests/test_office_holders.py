"""Who holds a place's office, asked in English or Chinese; English names of places the articles
don't cover."""

import pytest

from bot.messages import Incoming
from retrieval.answer import best_sentences
from retrieval.decision import TYPED_BONUS, Evidence, bound_answer_asked
from retrieval.english import english_synonyms, translate
from retrieval.names import is_proper_name
from retrieval.query import understand


def ask(engine, text):
    return engine.handle(Incoming(text, chat_id="o", user_id="u"))


def test_english_synonyms_come_from_the_dictionary():
    assert "chief" in english_synonyms("head")  # 首领: head; boss; chief


def test_a_phrase_the_dictionary_lists_with_a_synonym(bm25_library):
    searched, _ = translate(bm25_library, "Who was the district head of Huaiyin?")
    assert "区长" in searched.split()  # "district chief" in CC-CEDICT


def test_the_holder_of_a_places_office_is_a_bound_answer(bm25_library):
    assert bound_answer_asked(understand(bm25_library, "槐荫区区长是谁？"))
    assert not bound_answer_asked(understand(bm25_library, "三涧溪村的党委书记叫什么名字？"))  # not the place's own office
    assert not bound_answer_asked(understand(bm25_library, "槐荫区有多少党员？"))
    plain = Evidence(pid=0, coverage=0.5, similarity=0.2, lexical_rank=1, semantic_rank=9, typical=0.1)
    typed = Evidence(pid=0, coverage=0.5, similarity=0.2, lexical_rank=1, semantic_rank=9, typical=0.1, typed=True)
    assert typed.confidence == pytest.approx(plain.confidence + TYPED_BONUS)


@pytest.mark.parametrize("question", ["Who was the district head of Huaiyin?", "槐荫区区长是谁？"])
def test_the_office_holder_is_the_direct_answer(make_engine, question):
    reply = ask(make_engine(), question)
    assert reply.answered, reply.reason
    assert "朱玉明" in "".join(reply.direct)  # the short attribution sentence names him: no lead-in


def test_a_short_sentence_with_the_answer_is_no_lead_in():
    text = "槐荫区现有基层党组织1300多个，党员2.7万名，是最可靠力量。“坚持把抓好党建作为最大政绩。”槐荫区区长朱玉明表示。"
    assert "朱玉明" in "".join(best_sentences(text, {"槐荫区": 1.0, "区长": 1.0}, "who"))


@pytest.mark.parametrize(
    "question, name",
    [("How many party members does Qingdao have?", "青岛"),
     ("What did Shinan district do for delivery riders?", "市南区"),
     ("Who is the district head of Qingdao's Shinan?", "青岛")],
)
def test_an_english_place_name_the_articles_never_mention_is_declined(make_engine, question, name):
    reply = ask(make_engine(), question)
    assert not reply.answered
    assert reply.reason.startswith("unknown name") and name in reply.reason


def test_english_words_are_not_taken_for_dictionary_names(bm25_library):
    question = "What does the Home offer, Long after it opened?"  # Home, Long: English words, also pinyin
    searched, _ = translate(bm25_library, question)
    assert not any(is_proper_name(t) for t in searched.split())
    assert not understand(bm25_library, question).unknown_names


def test_a_place_the_articles_spell_in_pinyin_stays_theirs(bm25_library):
    assert "杭州" in translate(bm25_library, "What did the delegation see in Hangzhou?")[0]
    assert not understand(bm25_library, "What did the delegation see in Hangzhou?").unknown_names
