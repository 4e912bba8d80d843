"""The console's JSON API: shapes the README documents, uploads of each format, reload, corrections."""

from __future__ import annotations

import pytest
from admin_support import HOSTILE, admin, admin_services, bearer, client  # noqa: F401
from starlette.testclient import TestClient

from bot.app import Services
from bot.messages import Incoming
from bot.storage.normalize import question_key

Admin = tuple[TestClient, str]
EXCHANGE_KEYS = {"time", "channel", "question", "reply", "answered", "kind", "reason", "latency_ms", "passages"}
RELOAD_KEYS = {"ok", "articles", "passages", "added", "changed", "removed", "skipped"}
ARTICLE_TEXT = "暖阳驿站建设情况\n\n历城区在港沟街道新建了七十二座暖阳驿站，为环卫工人和快递小哥提供热水、充电和休息的地方，驿站由社区党支部统一管理。\n"


def test_exchanges_shape_and_order(client: TestClient) -> None:
    items = client.get("/admin/api/exchanges", headers=bearer()).json()["items"]
    assert items and all(EXCHANGE_KEYS <= set(item) for item in items)
    assert all({"article", "title", "text", "score"} <= set(p) for item in items for p in item["passages"])
    assert [i["time"] for i in items] == sorted((i["time"] for i in items), reverse=True)
    hostile = next(i for i in items if i["question"] == HOSTILE)
    assert hostile["reply"] == "<img src=x onerror=alert(1)>" and hostile["answered"] is False  # JSON carries text as is
    assert hostile["reason"] == "weak match" and hostile["time"].endswith("+08:00")
    assert all(i["question"] != "ask run question 批量" for i in items)


def test_exchanges_search_and_limit(client: TestClient) -> None:
    found = client.get("/admin/api/exchanges?search=上海&limit=1", headers=bearer()).json()["items"]
    assert len(found) == 1 and "上海" in found[0]["question"]
    assert client.get("/admin/api/exchanges?limit=x", headers=bearer()).status_code == 400
    assert client.get("/admin/api/exchanges?status=maybe", headers=bearer()).status_code == 400


def test_queue_items(client: TestClient) -> None:
    items = client.get("/admin/api/queue", headers=bearer()).json()["items"]
    by_key = {i["key"]: i for i in items}
    rain = by_key[question_key("明天上海会下雨吗")]
    assert rain["count"] == 2 and rain["declined"] == 2 and rain["reason"].startswith("unknown name")
    assert rain["first_seen"] < rain["last_seen"]
    assert rain["best"]["text"] and rain["best"]["article"]
    assert by_key[question_key("红色物业有多少个")]["low_confidence"] == 1


def test_overview_json(client: TestClient) -> None:
    found = client.get("/admin/api/overview?since=7d", headers=bearer()).json()
    assert found["total"]["questions"] == 6 and found["total"]["down"] == 1
    assert set(found["channels"]) == {"telegram", "wechat"}
    assert sum(d["questions"] for d in found["days"]) == 6
    assert found["latency_p95_ms"] >= found["latency_p50_ms"] > 0


def test_search_is_the_hit_test(client: TestClient) -> None:
    found = client.get("/admin/api/search?q=1226工程是什么", headers=bearer()).json()
    assert found["answered"] is True and found["reason"] == ""
    first = found["passages"][0]
    assert {"article", "title", "paragraph", "text", "score", "bm25", "semantic", "fused"} <= set(first)
    assert "“1”即一个目标" in first["text"]
    declined = client.get("/admin/api/search?q=明天上海会下雨吗", headers=bearer()).json()
    assert declined["answered"] is False and declined["reason"]
    assert client.get("/admin/api/search?q=", headers=bearer()).status_code == 400


def test_articles_list(client: TestClient, admin_services: Services) -> None:
    items = client.get("/admin/api/articles", headers=bearer()).json()["items"]
    assert {i["id"] for i in items} == set(admin_services.engine.library.articles)
    first = items[0]
    assert {"title", "year", "districts", "passages", "changed"} <= set(first)
    assert first["passages"] > 0 and first["changed"].endswith("+08:00")


def _upload(client: TestClient, name: str, data: bytes) -> tuple[int, dict]:
    response = client.post("/admin/api/articles", headers=bearer(), files={"file": (name, data, "application/octet-stream")})
    return response.status_code, response.json()


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("nuanyang.txt", ARTICLE_TEXT.encode("utf-8")),
        ("nuanyang-gbk.txt", ARTICLE_TEXT.encode("gbk")),
        ("nuanyang.md", ("# 暖阳驿站建设情况\n\n" + ARTICLE_TEXT.split("\n\n", 1)[1]).encode("utf-8")),
        ("nuanyang.html", (
            "<html><head><title>暖阳驿站建设情况</title></head><body><nav>首页 | 新闻 | 党建</nav>"
            f"<article><h1>暖阳驿站建设情况</h1><p>{ARTICLE_TEXT.split(chr(10) * 2, 1)[1].strip()}</p></article></body></html>"
        ).encode("utf-8")),
    ],
)
def test_upload_each_format_then_reload_answers_from_it(client: TestClient, admin_services: Services, name: str, data: bytes) -> None:
    status, body = _upload(client, name, data)
    assert status == 201, body
    article = body["article"]
    assert (admin_services.settings.corpus_dir / "articles").glob(f"{article}.*")
    report = client.post("/admin/api/reload", headers=bearer()).json()
    assert RELOAD_KEYS <= set(report) and report["ok"] is True
    assert article in report["added"] + report["changed"]
    library = admin_services.engine.library
    assert "暖阳驿站" in library.articles[article].title
    assert "港沟街道" in " ".join(p.text for p in library.articles[article].passages)
    assert "首页" not in " ".join(p.text for p in library.articles[article].passages)


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("broken.txt", b"\x00\x01\x02\xff\xfe\x00" * 200),
        ("picture.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100),
        ("notes.docx", b"PK\x03\x04" + b"\x00" * 100),
        ("empty.txt", b""),
    ],
)
def test_upload_refuses_broken_binary_or_unsupported_files(client: TestClient, admin_services: Services, name: str, data: bytes) -> None:
    before = sorted(p.name for p in (admin_services.settings.corpus_dir / "articles").iterdir())
    status, body = _upload(client, name, data)
    assert status == 400 and body["error"]
    assert sorted(p.name for p in (admin_services.settings.corpus_dir / "articles").iterdir()) == before


def test_upload_needs_the_file_field(client: TestClient) -> None:
    response = client.post("/admin/api/articles", headers=bearer(), files={"other": ("a.txt", b"x", "text/plain")})
    assert response.status_code == 400 and "file" in response.json()["error"]
    assert client.post("/admin/api/articles", headers=bearer(), json={"file": "x"}).status_code == 400


def test_upload_form_from_the_corpus_page(admin: Admin, admin_services: Services) -> None:
    client, token = admin
    response = client.post("/admin/corpus/upload", data={"csrf": token},
                           files={"file": ("form-upload.txt", ("表单上传的文章\n\n" + ARTICLE_TEXT).encode("gbk"), "text/plain")})  # fmt: skip
    assert response.status_code == 200 and "Saved as" in response.text
    refused = client.post("/admin/corpus/upload", data={"csrf": token}, files={"file": ("x.bin", b"\x00\xff" * 50, "application/octet-stream")})
    assert "Upload refused" in refused.text


def test_metadata_edit(client: TestClient, admin_services: Services) -> None:
    article = sorted(admin_services.engine.library.articles)[0]
    response = client.post(f"/admin/api/articles/{article}/meta", headers=bearer(),
                           json={"title": "新标题\n<b>x</b>", "year": "2023", "districts": "槐荫, 历下"})  # fmt: skip
    assert response.status_code == 200, response.text
    client.post("/admin/api/reload", headers=bearer())
    meta = admin_services.engine.library.articles[article]
    assert meta.title == "新标题 <b>x</b>" and meta.year == "2023" and meta.districts == ("槐荫", "历下")
    assert client.post("/admin/api/articles/nope/meta", headers=bearer(), json={"title": "x"}).status_code == 400


def test_wordlist_api(client: TestClient, admin_services: Services) -> None:
    response = client.post("/admin/api/wordlist", headers=bearer(), json={"list": "glossary", "term": "Warm Sun Station", "words": "暖阳驿站"})
    assert response.status_code == 201 and response.json()["reload"]["ok"] is True
    assert admin_services.engine.library.lexicon.glossary["warm sun station"] == ("暖阳驿站",)
    assert client.post("/admin/api/wordlist", headers=bearer(), json={"list": "x", "term": "a", "words": "b"}).status_code == 400
    assert client.post("/admin/api/wordlist", headers=bearer(), json=["not", "an", "object"]).status_code == 400


def test_correction_makes_the_bot_answer_with_the_chosen_passage(client: TestClient, admin_services: Services) -> None:
    question = "济东强区的固本强基怎么搞"
    found = client.get("/admin/api/search", params={"q": "1226工程是什么"}, headers=bearer()).json()
    chosen = found["passages"][0]
    response = client.post("/admin/api/corrections", headers=bearer(),
                           json={"question": question, "article": chosen["article"], "paragraph": chosen["paragraph"]})  # fmt: skip
    assert response.status_code == 201, response.text
    items = client.get("/admin/api/corrections", headers=bearer()).json()["items"]
    made = next(c for c in items if c["question"] == question)
    reply = admin_services.engine.handle(Incoming(question, chat_id="check", channel="test"))
    assert reply.answered and reply.best is not None
    assert (reply.best.source.article, reply.best.paragraph) == (chosen["article"], chosen["paragraph"])
    explained = client.get("/admin/api/search", params={"q": question}, headers=bearer()).json()
    assert explained["answered"] and explained["passages"][0]["article"] == chosen["article"]
    assert client.delete(f"/admin/api/corrections/{made['id']}", headers=bearer()).status_code == 200
    assert all(c["question"] != question for c in client.get("/admin/api/corrections", headers=bearer()).json()["items"])
    bad = client.post("/admin/api/corrections", headers=bearer(), json={"question": question, "article": "nope", "paragraph": 0})
    assert bad.status_code == 400


def test_mark_handled_api(client: TestClient) -> None:
    key = question_key("红色物业有多少个")
    assert client.post("/admin/api/queue/handled", headers=bearer(), json={"key": key, "question": "红色物业有多少个"}).status_code == 200
    assert key not in {i["key"] for i in client.get("/admin/api/queue", headers=bearer()).json()["items"]}
    handled = client.get("/admin/api/queue?handled=1", headers=bearer()).json()["items"]
    assert next(i for i in handled if i["key"] == key)["handled"] is True
    client.post("/admin/api/queue/unhandled", headers=bearer(), json={"key": key})
    assert key in {i["key"] for i in client.get("/admin/api/queue", headers=bearer()).json()["items"]}
    assert client.post("/admin/api/queue/handled", headers=bearer(), json={"question": "x"}).status_code == 400
