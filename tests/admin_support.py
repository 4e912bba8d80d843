"""Shared by the admin console tests: services over a temp corpus and data dir, a logged-in client, seeded traffic."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from bot.app import Services, build_services
from bot.config import Settings
from bot.http_app import build_http_app
from bot.records import Exchange, Feedback, PassageRef

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "s3cret-admin"
HOSTILE = "<script>alert('x')</script> 红色物业是什么"
ZONE = "Asia/Shanghai"


def console_settings(tmp: Path, **overrides: Any) -> Settings:
    """A console over a copy of corpus/ and an empty data dir in TMP (BM25 only: fast)."""
    corpus = tmp / "corpus"
    if not corpus.exists():
        shutil.copytree(ROOT / "corpus", corpus)
    values: dict[str, Any] = dict(
        corpus_dir=corpus, data_dir=tmp / "data", database_url="", embedding_model="none",
        admin_password=PASSWORD, admin_timezone=ZONE, id_hash_key="test-key",
    )  # fmt: skip
    values.update(overrides)
    return Settings(**values)


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF field in the page"
    return found.group(1)


def log_in(client: TestClient, password: str = PASSWORD) -> str:
    """Log CLIENT in through the login form; the session's CSRF token."""
    page = client.get("/admin/login")
    response = client.post("/admin/login", data={"csrf": csrf_of(page.text), "password": password}, follow_redirects=False)
    assert response.status_code == 303, response.text
    return csrf_of(client.get("/admin/").text)


NOW = datetime.now(timezone.utc).replace(microsecond=0)


def _exchange(n: int, message: str, *, answered: bool, hours_ago: float, **fields: Any) -> Exchange:
    passage = PassageRef("002_2e80cddfbcd62056", 1, 0.91, title="章丘：凝心聚力书写创新发展新时代答卷", text="“1”即一个目标 <b>quoted</b>")
    return Exchange(
        exchange_id=f"seed{n:04d}", channel=fields.pop("channel", "telegram"), chat_id="c", user_id="u",
        message=message, query=message, answered=answered, kind="answer" if answered else "no_answer",
        passages=[passage], best_text=passage.text, latency_ms=fields.pop("latency_ms", 120.0 + n),
        time=NOW - timedelta(hours=hours_ago), reply=fields.pop("reply", f"reply to {message}"), **fields,
    )  # fmt: skip


def seed_traffic(services: Services) -> None:
    """A small log: answered, declined (twice, once traditional), 👎, low confidence, an `ask` run, a hostile question."""
    records: list[Any] = [
        _exchange(1, "1226工程是什么？", answered=True, hours_ago=30, confidence=0.95),
        _exchange(2, "明天上海会下雨吗", answered=False, hours_ago=20, reason="unknown name: 上海", channel="wechat"),
        _exchange(3, "明天上海會下雨嗎？", answered=False, hours_ago=2, reason="unknown name: 上海"),
        _exchange(4, "暖新之家在哪里", answered=True, hours_ago=5, confidence=0.97),
        _exchange(5, "红色物业有多少个", answered=True, hours_ago=3, confidence=0.05),
        _exchange(6, "ask run question 批量", answered=True, hours_ago=1, source="ask", confidence=0.99),
        _exchange(7, HOSTILE, answered=False, hours_ago=1, reason="weak match", reply="<img src=x onerror=alert(1)>"),
        Feedback("seed0004", up=False, channel="telegram", chat_id="c", user_id="u", time=NOW - timedelta(hours=4)),
        Feedback("seed0001", up=True, channel="telegram", chat_id="c", user_id="u", time=NOW - timedelta(hours=29)),
    ]
    for record in records:
        if isinstance(record, Exchange):
            services.store.record_exchange(record)
        else:
            services.store.record_feedback(record)
    assert services.store.flush(timeout=10), "seed records were not written"


@pytest.fixture(scope="module")
def admin_services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    """Services for one test module: temp corpus and database, seeded traffic."""
    services = build_services(console_settings(tmp_path_factory.mktemp("admin")))
    seed_traffic(services)
    yield services
    services.close()


@pytest.fixture
def client(admin_services: Services) -> Iterator[TestClient]:
    """A fresh app (its own login limiter) and a client that is not logged in."""
    with TestClient(build_http_app(admin_services), base_url="http://testserver") as test_client:
        yield test_client


@pytest.fixture
def admin(client: TestClient) -> tuple[TestClient, str]:
    """A logged-in client and its CSRF token."""
    return client, log_in(client)


def bearer(password: str = PASSWORD) -> dict[str, str]:
    return {"Authorization": f"Bearer {password}"}
