"""Unit tests: Telegram HTML rendering, splitting, keyboards and the rate limiter."""

from __future__ import annotations

import re

import pytest
from telegram_harness import balanced, plain

from bot.channels.telegram.admin import reload_summary
from bot.channels.telegram.app import api_url, file_url
from bot.channels.telegram.keyboards import parse_callback, reply_keyboard, without
from bot.channels.telegram.ratelimit import SlidingWindowLimiter, Verdict
from bot.channels.telegram.render import highlight, render_reply, split_html, units
from bot.messages import Quote, Reply, ReplyKind, Source
from bot.records import ReloadReport

SOURCE = Source("a1", "槐荫<区>&党建", "2022", "第3版")


def quote(text: str, paragraph: int = 0) -> Quote:
    return Quote(text, SOURCE, paragraph, terms=("党建",))


def answer(*texts: str, **kw) -> Reply:
    values = dict(kind=ReplyKind.ANSWER, lang="zh", question="问<题>", answered=True, intro="据报道：",
                  direct=(texts[0][:40],), terms=("党建",), has_more=True)
    values.update(kw)
    return Reply(quotes=[quote(t, i) for i, t in enumerate(texts)], **values)


def test_highlight_escapes_before_bolding():
    out = highlight("<script>党建 & A&B 党建</script>", ["党建", "<script>"])
    assert out == "<b>&lt;script&gt;</b><b>党建</b> &amp; A&amp;B <b>党建</b>&lt;/script&gt;"


def test_highlight_prefers_longer_terms_and_ignores_case():
    assert highlight("Party building, party", ["party", "party building"]) == (
        "<b>Party building</b>, <b>party</b>"
    )


def test_answer_renders_direct_first_then_quotes_with_source():
    [html] = render_reply(answer("基层党建 <工作> 做得好。", "第二段 & 党建。"))
    direct, first, second = html.index("答："), html.index("<blockquote>"), html.rindex("<blockquote>")
    assert direct < first < second
    assert "&lt;工作&gt;" in html and "<工作>" not in html
    assert html.count("槐荫&lt;区&gt;&amp;党建") == 2 and "2022" in html and "第3版" in html
    assert "<b>党建</b>" in html and balanced(html)


def test_english_reply_uses_english_ui():
    reply = answer("党建", lang="en", intro="Here is what the articles say:")
    assert "A: " in render_reply(reply)[0]
    labels = [b.text for row in reply_keyboard(reply).inline_keyboard for b in row]
    assert labels[:2] == ["More", "Article"]


def test_footer_dropped_when_buttons_do_its_job():
    with_buttons = answer("党建", footer="回复“更多”")
    notice = Reply(ReplyKind.NOTICE, "zh", "x", intro="没有更多了", footer="换个问题")
    assert "回复“更多”" not in render_reply(with_buttons)[0]
    assert "换个问题" in render_reply(notice)[0]


def test_split_keeps_short_text_whole():
    assert split_html("<b>短</b>\n\n正文") == ["<b>短</b>\n\n正文"]


def test_split_cuts_between_blocks_first():
    blocks = [f"<blockquote>{'党建工作。' * 150}{n}</blockquote>\n— <i>来源{n}</i>" for n in range(6)]
    chunks = split_html("\n\n".join(blocks), 2000)
    assert len(chunks) > 1
    assert all(units(c) <= 2000 and balanced(c) for c in chunks)
    assert "\n\n".join(chunks) == "\n\n".join(blocks)  # nothing lost, nothing cut inside a block


def test_split_cuts_inside_an_oversized_block_at_sentence_ends_and_reopens_tags():
    text = "<blockquote expandable>" + "".join(f"第{n}句 <b>党建</b> &amp; 工作。" for n in range(600)) + "</blockquote>"
    chunks = split_html(text, 4096)
    assert len(chunks) >= 3
    for chunk in chunks:
        assert units(chunk) <= 4096 and balanced(chunk)
        assert chunk.startswith("<blockquote expandable>") and chunk.endswith("。</blockquote>")
        assert not re.search(r"&[#\w]*$|<[^>]*$", chunk.removesuffix("</blockquote>"))
    assert plain("".join(chunks)) == plain(text)


def test_split_of_one_huge_word_still_bounded():
    chunks = split_html("<b>" + "字" * 10000 + "</b>", 4096)
    assert all(units(c) <= 4096 and balanced(c) for c in chunks)
    assert "".join(plain(c) for c in chunks) == "字" * 10000


def test_split_counts_utf16_units():
    chunks = split_html("😀" * 3000, 4096)  # each emoji is two UTF-16 units
    assert len(chunks) == 2 and all(units(c) <= 4096 for c in chunks)


def test_rendered_long_reply_is_split_within_limit():
    reply = answer(*[f"段落{n}：" + "基层党建工作扎实推进。" * 60 for n in range(12)])
    chunks = render_reply(reply)
    assert len(chunks) > 1 and all(units(c) <= 4096 and balanced(c) for c in chunks)
    assert all(f"段落{n}：" in "".join(chunks) for n in range(12))


def test_keyboard_under_answer_and_callback_data_round_trip():
    reply = answer("党建")
    data = [b.callback_data for row in reply_keyboard(reply).inline_keyboard for b in row]
    assert data == ["m", "a:1", f"f:u:{reply.exchange_id}", f"f:d:{reply.exchange_id}"]
    assert all(len(d.encode()) <= 64 for d in data)
    feedback = parse_callback(data[3])
    assert feedback.kind == "feedback" and not feedback.up and feedback.exchange_id == reply.exchange_id
    assert parse_callback("a:3").page == 3 and parse_callback("q:2").index == 2
    for junk in ("", "x", "a:two", "f:x:abc", "f:u:ab-c", None):
        assert parse_callback(junk) is None


def test_no_more_button_without_more_and_article_navigation():
    assert [b.callback_data for b in reply_keyboard(answer("党建", has_more=False)).inline_keyboard[0]] == ["a:1"]
    page = Reply(ReplyKind.ARTICLE, "zh", "原文", quotes=[quote("x")], page=1, pages=3)
    assert [b.callback_data for b in reply_keyboard(page).inline_keyboard[0]] == ["p:2"]
    last = Reply(ReplyKind.ARTICLE, "zh", "原文", quotes=[quote("x")], page=3, pages=3)
    assert [b.callback_data for b in reply_keyboard(last).inline_keyboard[0]] == ["p:2"]
    assert reply_keyboard(Reply(ReplyKind.ARTICLE, "zh", "原文", quotes=[quote("x")], page=1, pages=1)) is None


def test_without_drops_buttons_and_empty_rows():
    markup = without(reply_keyboard(answer("党建")), ("f:",))
    assert [[b.callback_data for b in row] for row in markup.inline_keyboard] == [["m", "a:1"]]
    assert without(markup, ("m", "a:")) is None


def test_reload_summary_escapes_and_lists_changes():
    report = ReloadReport("telegram:1", "telegram", articles=5, passages=140, added=["new<1>"],
                          skipped=[("bad&.txt", "binary file (NUL bytes)")])
    text = reload_summary(report)
    assert "5 篇文章" in text and "140 个段落" in text and "新增 1: new&lt;1&gt;" in text
    assert "bad&amp;.txt: binary file" in text and balanced(text)
    failed = reload_summary(ReloadReport("x", "telegram", ok=False, error="no <article>"), "en")
    assert "Reload failed" in failed and "no &lt;article&gt;" in failed


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_rate_limiter_sliding_window():
    clock = Clock()
    limiter = SlidingWindowLimiter(3, window_s=60, clock=clock)
    assert [limiter.check("u") for _ in range(3)] == [Verdict.ALLOW] * 3
    assert limiter.check("u") == Verdict.WARN and limiter.check("u") == Verdict.DROP
    assert limiter.check("other") == Verdict.ALLOW
    clock.now += 59.9
    assert limiter.check("u") == Verdict.DROP
    clock.now += 0.2  # the first three leave the window
    assert [limiter.check("u") for _ in range(3)] == [Verdict.ALLOW] * 3
    assert limiter.check("u") == Verdict.WARN


@pytest.mark.parametrize("limit", [0, -1])
def test_rate_limiter_disabled(limit):
    limiter = SlidingWindowLimiter(limit)
    assert all(limiter.check("u") == Verdict.ALLOW for _ in range(100))


@pytest.mark.parametrize(
    ("configured", "api", "files"),
    [
        ("https://api.telegram.org/bot", "https://api.telegram.org/bot", "https://api.telegram.org/file/bot"),
        ("http://127.0.0.1:8081/", "http://127.0.0.1:8081/bot", "http://127.0.0.1:8081/file/bot"),
        ("http://proxy/tg/bot", "http://proxy/tg/bot", "http://proxy/tg/file/bot"),
    ],
)
def test_bot_api_urls(configured, api, files):
    assert api_url(configured) == api and file_url(configured) == files
