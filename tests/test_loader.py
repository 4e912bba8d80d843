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


BODY = ("槐荫区坚持以党建引领基层治理，在老旧小区推行红色物业模式，由社区党组织牵头，物业企业、业主委员会共同参与，"
        "解决居民急难愁盼问题。街道党工委引入国有物业企业，成立小区党支部，组织党员志愿者每周开展环境整治，两年来共解决"
        "停车、绿化、管线改造等问题86件。下一步将继续完善联动机制，推动物业服务质量持续提升。") * 2


def test_a_txt_title_line_is_not_glued_to_a_hard_wrapped_first_paragraph(corpus_copy: Path):
    wrapped = "\n".join(BODY[i : i + 22] for i in range(0, len(BODY), 22))  # a scan's ~20-character lines
    for n, (title, gap) in enumerate([("槐荫区：以党建引领老旧小区治理", "\n"), ("党建领航，老旧小区焕新颜", "\n\n"),
                                      ("老旧小区焕新颜", "\n")]):  # fmt: skip
        _write(corpus_copy, f"wrapped{n}.txt", (title + gap + wrapped + "\n").encode())
    articles = build_library(corpus_copy).articles
    assert articles["wrapped0"].title == "槐荫区：以党建引领老旧小区治理"
    assert articles["wrapped1"].title == "党建领航，老旧小区焕新颜"
    assert articles["wrapped2"].title == "老旧小区焕新颜"
    for n in range(3):
        assert articles[f"wrapped{n}"].passages[0].text.startswith("槐荫区坚持")
