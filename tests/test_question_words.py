"""How a question's words are read: jieba's guesses at words no dictionary holds; an answer of the
asked type further down the passages found."""

import numpy as np
import pytest

from bot.messages import Incoming
from retrieval.retriever import DenseRetriever
from retrieval.query import Query, understand
import retrieval.search as search_module


def test_a_guessed_word_nobody_uses_is_read_as_its_dictionary_words(bm25_library):
    # jieba's HMM joins 往穷 and 村能 — no dictionary has them, the articles never use them
    query = understand(bm25_library, "济南往穷村子派驻村干部，是哪些村能派到？")
    assert "往穷" not in query.tokens and "村能" not in query.tokens
    assert "穷" in query.tokens and "干部" in query.tokens


def test_a_guessed_word_the_articles_use_stays(bm25_library):
    assert not bm25_library.tokenizer.is_word("孔玉")  # a name jieba guesses; the articles use it
    assert "孔玉" in understand(bm25_library, "孔玉是谁？").tokens


def test_the_answer_of_the_asked_type_may_come_from_any_passage_shown(make_engine, monkeypatch):
    question = "给外卖小哥歇脚的那个地方在哪条路上？"  # the address is in the 6th passage found
    reply = make_engine().handle(Incoming(question, chat_id="w", user_id="u"))
    assert reply.answered, reply.reason
    assert "纬五路17号" in reply.quotes[0].text
    monkeypatch.setattr(search_module, "CANDIDATES", 5)  # the first five only: declined, as before
    assert not make_engine().handle(Incoming(question, chat_id="w", user_id="u")).answered


def test_a_chinese_questions_content_words_leave_out_its_stop_words(bm25_library):
    query = understand(bm25_library, "那个被拍成电视剧的村子，现在怎么样了？")
    assert "电视剧" in query.content and "村子" in query.content
    assert not any(word in query.content for word in ("的", "了", "那个"))  # stop words: they only blur it
    assert query.semantic.startswith("那个被拍成电视剧的村子")  # the question as asked, for e5
    assert understand(bm25_library, "的了吗").content == ""  # nothing but stop words: the question serves
    assert understand(bm25_library, "What is the 1226 project?").content == ""  # English: its own words


@pytest.mark.parametrize("form, expected", [("content", "电视剧村子"), ("natural", "那个电视剧的村子呢")])
def test_the_dense_retriever_embeds_the_form_its_encoder_reads_best(form, expected):
    seen: list[str] = []

    def embed(text: str) -> np.ndarray:
        seen.append(text)
        return np.ones(2) / np.sqrt(2)

    query = Query(original="", text="", lang="zh", qtype="other", tokens=["电视剧"],
                  semantic="那个电视剧的村子呢", content="电视剧村子")
    DenseRetriever(np.eye(2, dtype=np.float32), embed, form=form).scores(query)
    assert seen == [expected]
