"""What kind of answer a question asks for, and whether a passage holds one."""

import pytest

from retrieval.answer import has_typed_answer
from retrieval.query import question_type


@pytest.mark.parametrize(
    "question, qtype",
    [
        ("哪个街坊管事的在棚改时累出心脏病，没歇几天就又回去干活了？", "other"),  # 没几天: a vague number
        ("他好几年没回村了，村里变成什么样？", "other"),
        ("没有几个人知道的那个村叫什么？", "other"),
        ("村里有十几个合作社吗，叫什么？", "other"),
        ("昆仑街社区破解了老旧小区的几大难题？", "count"),
        ("章丘有几个街道？", "count"),
        ("槐荫区有多少党员？", "count"),
    ],
)
def test_ji_is_a_question_only_when_it_asks(question, qtype):
    assert question_type(question) == qtype


@pytest.mark.parametrize(
    "text, held",
    [
        ("党员每个月最后一个周五参加主题党日活动。", True),
        ("每周三下午，志愿者到社区服务。", True),
        ("2019年6月，暖新之家建成。", True),
        ("志愿者到社区为老人服务，深受好评。", False),
    ],
)
def test_a_recurring_day_answers_a_when_question(text, held):
    assert has_typed_answer("when", text) is held


@pytest.mark.parametrize(
    "question, counted",
    [
        ("章丘帮多少日子过得紧巴、找不着工作的人安排上了活干？", "人"),  # the clause's head noun
        ("多少党员参加了志愿服务的活动？", "党员"),  # 的 ends the sentence: the count's own noun
        ("有多少人的生活得到改善？", "人"),
        ("章丘提供了多少个城乡公益性岗位？", "岗位"),
        ("济南西站每天大概有多少旅客进出？", "旅客"),
    ],
)
def test_the_counted_thing(bm25_library, question, counted):
    from retrieval.query import counted_thing

    assert counted_thing(bm25_library.tokenizer, question) == counted
