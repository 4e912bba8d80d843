"""The console's pages: what each shows, escaping of what users typed, and the forms' effects."""

from __future__ import annotations

import re
from html import unescape

import pytest
from admin_support import HOSTILE, admin, admin_services, client  # noqa: F401
from starlette.testclient import TestClient

from bot.app import Services
from bot.storage.normalize import question_key

Admin = tuple[TestClient, str]


def text_of(html: str) -> str:
    """The page's visible text (tags dropped, entities decoded)."""
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


@pytest.mark.parametrize("path", ["/admin/", "/admin/exchanges", "/admin/queue", "/admin/hit", "/admin/corpus", "/admin/correct"])
def test_every_page_renders_with_the_navigation_and_no_outside_resource(admin: Admin, path: str) -> None:
    client, _ = admin
    response = client.get(path)
    assert response.status_code == 200
    html = response.text
    for name in ("Overview", "Exchanges", "Review queue", "Hit test", "Corpus"):
        assert f">{name}</a>" in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html), "a resource from outside the console"
    assert "<script" not in html  # the pages need no script at all


def test_what_users_typed_is_shown_escaped_everywhere(admin: Admin) -> None:
    client, _ = admin
    for path in ["/admin/exchanges", "/admin/queue", "/admin/exchanges?search=script"]:
        html = client.get(path).text
        assert "<script>alert" not in html and "<img src=x" not in html
        assert "&lt;script&gt;alert(" in html
    reply = client.get("/admin/exchanges?search=红色物业是什么").text
    assert "&lt;img src=x onerror=alert(1)&gt;" in reply
    assert "&lt;b&gt;quoted&lt;/b&gt;" in reply  # a passage's text too


def test_overview_counts_user_traffic_only(admin: Admin, admin_services: Services) -> None:
    client, _ = admin
    html = client.get("/admin/?since=7d").text
    assert re.search(r'id="total-questions">6<', html)  # 7 seeded questions, one from an `ask` run
    assert html.count("<svg") == 5
    shown = text_of(html)
    assert "telegram" in shown and "wechat" in shown
    assert "1 / 1" in shown  # 👍 / 👎


def test_overview_with_an_unreadable_period_says_so(admin: Admin) -> None:
    client, _ = admin
    response = client.get("/admin/?since=yesterdayish")
    assert response.status_code == 200 and "not an age or a date" in text_of(response.text)


def test_exchanges_show_question_reply_passages_reason_latency_in_the_admins_zone(admin: Admin) -> None:
    client, _ = admin
    html = text_of(client.get("/admin/exchanges").text)
    assert "1226工程是什么？" in html and "reply to 1226工程是什么？" in html
    assert "章丘：凝心聚力书写创新发展新时代答卷" in html and "0.910" in html
    assert "Reason: unknown name: 上海" in html
    assert "ask run question" not in html  # the admin's own runs are not traffic
    assert "+08:00" in html and "Asia/Shanghai" in html
    assert re.search(r"\b12[0-9] ms\b", html)


@pytest.mark.parametrize(
    ("query", "present", "absent"),
    [
        ("status=declined", "明天上海会下雨吗", "1226工程是什么"),
        ("status=answered", "1226工程是什么", "明天上海会下雨吗"),
        ("channel=wechat", "明天上海会下雨吗", "1226工程是什么"),
        ("negative=1", "暖新之家在哪里", "1226工程是什么"),
        ("search=暖新", "暖新之家在哪里", "1226工程是什么"),
        ("since=10h", "暖新之家在哪里", "1226工程是什么"),
    ],
)
def test_exchange_filters(admin: Admin, query: str, present: str, absent: str) -> None:
    client, _ = admin
    html = text_of(client.get(f"/admin/exchanges?{query}").text)
    assert present in html and absent not in html


def test_queue_groups_declined_downvoted_and_low_confidence(admin: Admin) -> None:
    client, _ = admin
    html = text_of(client.get("/admin/queue").text)
    assert "明天上海会下雨吗" in html or "明天上海會下雨嗎？" in html
    assert "2 wordings" in html  # simplified and traditional folded into one question
    assert "暖新之家在哪里" in html and "👎 1" in html
    assert "红色物业有多少个" in html and "low confidence 1" in html
    assert "1226工程是什么" not in html  # answered confidently, up-voted


def test_mark_handled_and_back(admin: Admin) -> None:
    client, token = admin
    key = question_key("暖新之家在哪里")
    done = client.post("/admin/queue/handled", data={"csrf": token, "key": key, "question": "暖新之家在哪里"})
    assert done.status_code == 200 and "Marked handled" in text_of(done.text)
    assert "暖新之家在哪里" not in text_of(client.get("/admin/queue").text.split("<h2>")[0])
    assert "(handled)" in client.get("/admin/queue?handled=1").text
    client.post("/admin/queue/handled", data={"csrf": token, "key": key, "question": "暖新之家在哪里", "undo": "1"})
    assert "暖新之家在哪里" in text_of(client.get("/admin/queue").text)


def test_word_list_entry_is_written_on_one_line_then_reloaded(admin: Admin, admin_services: Services) -> None:
    client, token = admin
    path = admin_services.settings.corpus_dir / "synonyms.tsv"
    before = path.read_text(encoding="utf-8")
    response = client.post("/admin/queue/word", data={"csrf": token, "list": "synonyms", "term": "红\t物\n业", "words": "红色物业\r\n 物业"})
    assert response.status_code == 200
    assert "Added to synonyms" in text_of(response.text) and "Reloaded:" in text_of(response.text)
    added = path.read_text(encoding="utf-8")[len(before):]
    assert added == "红 物 业\t红色物业 物业\n"
    assert admin_services.engine.library.lexicon.synonyms["红 物 业"] == ("红色物业", "物业")


def test_word_list_refuses_an_unknown_list_or_empty_entry(admin: Admin, admin_services: Services) -> None:
    client, token = admin
    stopwords = (admin_services.settings.corpus_dir / "stopwords.txt").read_text(encoding="utf-8")
    bad = client.post("/admin/queue/word", data={"csrf": token, "list": "stopwords", "term": "a", "words": "b"})
    assert "unknown word list" in text_of(bad.text)
    empty = client.post("/admin/queue/word", data={"csrf": token, "list": "glossary", "term": " \t", "words": "党建"})
    assert "both the term and its words are needed" in text_of(empty.text)
    assert (admin_services.settings.corpus_dir / "stopwords.txt").read_text(encoding="utf-8") == stopwords


def test_hit_test_shows_each_signal_and_the_decision_without_logging(admin: Admin, admin_services: Services) -> None:
    client, _ = admin
    before = client.get("/admin/api/exchanges?limit=1000").json()["items"]
    html = client.get("/admin/hit?q=1226工程是什么").text
    shown = text_of(html)
    assert "Answered" in shown and "BM25" in shown and "semantic" in shown and "fused" in shown
    assert "“1”即一个目标" in shown
    declined = text_of(client.get("/admin/hit?q=明天上海会下雨吗").text)
    assert "Declined" in declined and "reason:" in declined
    assert admin_services.store.flush(timeout=10)
    assert client.get("/admin/api/exchanges?limit=1000").json()["items"] == before


def test_corpus_page_lists_the_articles(admin: Admin, admin_services: Services) -> None:
    client, _ = admin
    html = client.get("/admin/corpus").text
    for article in admin_services.engine.library.articles.values():
        assert article.article_id in html
        assert f'value="{article.year}"' in html
    assert 'enctype="multipart/form-data"' in html and "Reload every running bot" in html


def test_reload_form_reports_what_changed(admin: Admin, admin_services: Services) -> None:
    client, token = admin
    count = len(admin_services.engine.library.articles)
    shown = text_of(client.post("/admin/corpus/reload", data={"csrf": token}).text)
    assert f"Reloaded: {count} articles" in shown
    assert "added: —" in shown and "removed: —" in shown
