"""English word forms and place kinds: a question's words reach CC-CEDICT and the glossary in the
forms those list, and "<name> district" is the district's Chinese name."""

import pytest

from bot.messages import Incoming
from retrieval.answer import has_count
from retrieval.english import translate
from retrieval.inflection import american, lemma
from retrieval.lexicon import Lexicon
from retrieval.query import understand


@pytest.mark.parametrize(
    "word, base",
    [("renovating", "renovate"), ("involved", "involve"), ("companies", "company"), ("riders", "rider"),
     ("opened", "open"), ("huaiyin", "huaiyin")],
)
def test_dictionary_forms(word, base):
    assert lemma(word) == base


def test_british_spellings_become_american():
    assert american("old neighbourhoods, organisation, centre") == "old neighborhoods, organization, center"


def test_the_glossary_matches_british_spellings_and_plurals():
    lexicon = Lexicon(glossary={"old neighborhoods": ("老旧小区",), "first secretary": ("第一书记",)})
    assert "老旧小区" in lexicon.translate_english("renovating old neighbourhoods")
    assert "老旧小区" in lexicon.translate_english("an old neighborhood")
    assert "第一书记" in lexicon.translate_english("first secretaries")


def test_a_verb_form_is_looked_up_by_its_dictionary_form(bm25_library):
    searched, _ = translate(bm25_library, "renovating")
    assert "renovating" not in searched and searched.strip()  # renovate → a Chinese word


@pytest.mark.parametrize(
    "question, name",
    [("What has Huaiyin district done for riders?", "槐荫区"),
     ("How does Nancun subdistrict in Tianqiao work?", "南村街道")],
)
def test_a_place_kind_after_its_name_is_part_of_the_name(bm25_library, question, name):
    searched, _ = translate(bm25_library, question)
    assert name in searched.split()


def test_a_place_kind_alone_is_an_ordinary_word(bm25_library):
    searched, _ = translate(bm25_library, "Which district has the most members?")
    assert "区" not in searched.split()


def test_a_place_joined_to_a_translated_name_is_found_where_the_passage_names_it(make_engine):
    engine = make_engine()
    reply = engine.handle(Incoming(
        "How does Nancun subdistrict in Tianqiao get residents involved in renovating old neighbourhoods?",
        chat_id="n", user_id="u"))
    assert reply.answered, reply.reason  # was declined: "wrong place", the question's 南村 not seen as a place
    assert any("圆桌议事会" in q.text for q in reply.quotes[:3])


def test_an_english_place_name_has_no_space_in_it(bm25_library):
    query = understand(bm25_library, "Which brands gained value from Xijiazhuang village's online fame?")
    assert query.places and all(p == p.strip() for p in query.places)


def test_population_is_a_count_of_the_population(bm25_library):
    query = understand(bm25_library, "What is the population of Huaiyin district?")
    assert query.qtype == "count" and query.counted == "人口"
    assert understand(bm25_library, "How many party members does Huaiyin have?").counted == "党员"


@pytest.mark.parametrize("question", ["What is the population of Huaiyin district?", "What is the population of Huaiyin?"])
def test_population_is_declined_when_no_number_counts_it(make_engine, question):
    reply = make_engine().handle(Incoming(question, chat_id="p", user_id="u"))
    assert not reply.answered


def test_a_rate_per_head_does_not_count_the_heads():
    rate = "每万城镇人口社区工作者配备达20人。"
    assert not has_count(rate, "人口")
    assert has_count("全区常住人口达到98万人。", "人口")


def test_a_stop_word_in_another_form_is_still_a_stop_word(bm25_library):
    searched, _ = translate(bm25_library, "What has Huaiyin done for the riders?")
    assert "成了" not in searched  # done → do, a stop word (CC-CEDICT's "done" is 成了)
