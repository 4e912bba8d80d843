from pathlib import Path

from retrieval.library import build_library
from retrieval.loader import read_corpus


def _write(corpus: Path, name: str, data: bytes) -> None:
    (corpus / "articles" / name).write_bytes(data)


ARTICLE = "暖泉社区的新做法\n\n　　暖泉社区推出“夜间议事厅”，每周三晚上请居民一起商量小区的事。已经解决停车难题12件。\n"


def test_gb18030_markdown_and_html_articles_load(corpus_copy: Path):
    _write(corpus_copy, "new_gbk.txt", ARTICLE.encode("gb18030"))
    _write(corpus_copy, "new_md.md", "# 泉水社区的书屋\n\n泉水社区的**红色书屋**每天开放，藏书3000册。\n".encode())
    _write(
        corpus_copy,
        "new_html.html",
        "<html><head><title>t</title><style>p{}</style></head><body><h1>山泉村的合作社</h1>"
        "<p>山泉村成立了蜂蜜合作社，带动&nbsp;40户增收。</p><script>alert(1)</script></body></html>".encode(),
    )
    lib = build_library(corpus_copy)
    titles = {a.article_id: a.title for a in lib.articles.values()}
    assert titles["new_gbk"] == "暖泉社区的新做法"  # no metadata: first heading is the title
    assert titles["new_md"] == "泉水社区的书屋"
    assert titles["new_html"] == "山泉村的合作社"
    texts = " ".join(p.text for p in lib.passages)
    assert "夜间议事厅" in texts and "红色书屋" in texts and "蜂蜜合作社" in texts
    assert "alert" not in texts and "**" not in texts


def test_unreadable_files_are_skipped_with_reasons(corpus_copy: Path):
    _write(corpus_copy, "binary.txt", b"\x00\x01\x02garbage\x00" * 50)
    _write(corpus_copy, "empty.txt", b"   \n")
    articles, skipped = read_corpus(corpus_copy)
    reasons = dict(skipped)
    assert "binary" in reasons["binary.txt"]
    assert "empty" in reasons["empty.txt"]
    assert len(articles) == 5  # the bundled ones still load


def test_metadata_gives_title_year_and_districts(library):
    article = library.articles["002_2e80cddfbcd62056"]
    assert article.title.startswith("章丘")
    assert article.year == "2022"
    assert "章丘" in article.districts


def test_traditional_article_is_found_by_simplified_questions_and_quoted_as_written(corpus_copy: Path):
    _write(corpus_copy, "trad.txt", "翠湖社區的議事會\n\n翠湖社區成立“板凳議事會”，每週收集居民意見，已解決停車難題十二件。\n".encode())
    from bot.engine import Engine
    from bot.messages import Incoming

    engine = Engine(build_library(corpus_copy))
    reply = engine.handle(Incoming("板凳议事会是什么？", chat_id="t"))
    assert reply.answered
    assert "板凳議事會" in reply.quotes[0].text


def test_reload_reuses_cleaned_text_of_unchanged_files(corpus_copy: Path):
    first = build_library(corpus_copy)
    second = build_library(corpus_copy, cache=first.cache)
    assert second.articles["002_2e80cddfbcd62056"].blocks is first.articles["002_2e80cddfbcd62056"].blocks
    assert [p.text for p in second.passages] == [p.text for p in first.passages]
