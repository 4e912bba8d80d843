"""English questions that spell the articles' own terms in pinyin, and English follow-ups."""

import pytest

from bot.messages import Incoming
from retrieval.english import translate
from retrieval.query import detect_lang
from retrieval.text import fold_for_compare


def test_a_quoted_term_spelled_in_pinyin_is_the_term(bm25_library):
    searched, _ = translate(bm25_library, "What is the Laoshangbu Nuanxin Home in Huaiyin?")
    assert "老商埠暖新之家" in searched  # “老商埠暖新之家”'s leading part, in pinyin, stands for the term
    assert "槐荫" in searched


@pytest.mark.parametrize("question", ["What is the long term plan?", "Where can I sit down for a bit?"])
def test_short_english_words_are_not_taken_for_pinyin(bm25_library, question):
    searched, _ = translate(bm25_library, question)
    assert not any(term in searched for term in bm25_library.tokenizer.added_words)


def test_an_english_follow_up_about_a_pinyin_name(make_engine):
    engine = make_engine()
    first = engine.handle(Incoming("What is the Laoshangbu Nuanxin Home in Huaiyin?", chat_id="p", user_id="u"))
    assert first.answered and "暖新之家" in first.quotes[0].text
    reply = engine.handle(Incoming("How big is it?", chat_id="p", user_id="u"))
    assert reply.answered, reply.reason
    assert any("300平方米" in fold_for_compare(q.text) for q in reply.quotes[:3])
    assert reply.lang == "en"


@pytest.mark.parametrize(
    "text, lang",
    [
        ("How big is 老商埠暖新之家?", "en"),  # a follow-up with the entity put in
        ("Is 暖新之家 open at night in 槐荫?", "en"),
        ("历下区2023年的GDP是多少？", "zh"),  # an acronym in a Chinese question
        ("章丘的red property是什么", "zh"),
        ("What is the 1226 project?", "en"),
        ("槐荫区有多少党员？", "zh"),
    ],
)
def test_the_language_of_a_mixed_question(text, lang):
    assert detect_lang(text) == lang
