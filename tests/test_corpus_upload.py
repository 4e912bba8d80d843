"""Articles added well: an upload of each format is saved safely and reads back with its title;
a bad file is refused with a reason; metadata edits keep the rest of articles.toml."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from bot.corpus_files import safe_name, save_upload, set_article_meta
from retrieval.library import build_library

ARTICLE = "暖泉社区：夜间议事厅\n\n暖泉社区推出“夜间议事厅”，每周三晚上请居民一起商量小区的事，已经解决停车难题12件。\n"
NAV_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8">
<title>山泉村的蜂蜜合作社_济南市历城区人民政府</title><meta property="og:site_name" content="济南市历城区人民政府">
</head><body>
<div class="nav"><a href="/">首页</a> | <a href="/xw">新闻</a> | <a href="/dj">党建</a></div>
<div class="crumb">当前位置：<a href="/">首页</a> &gt; <a href="/xw">新闻</a></div>
<div class="main"><h1>山泉村的蜂蜜合作社</h1>
<div class="info">发布时间：2024-05-06 来源：历城区委组织部 【打印】【关闭】</div>
<div class="content">
<p>山泉村党支部领办蜂蜜合作社，统一收购、统一品牌，带动40户村民增收，户均年增收8000元。</p>
<p>合作社还请来农技专家，每月在村里开一次养蜂课，今年已经培训村民200多人次。</p>
</div>
<div class="share">分享到：<a>微信</a><a>微博</a></div></div>
<div class="side"><h3>相关新闻</h3><ul><li><a href="/r1">市中区推进红色物业建设</a></li></ul></div>
<div class="footer">主办单位：济南市历城区人民政府办公室 鲁ICP备12345678号</div>
</body></html>"""


@pytest.fixture
def corpus(corpus_copy: Path) -> Path:
    return corpus_copy


def _article(corpus: Path, article_id: str):  # type: ignore[no-untyped-def]
    return build_library(corpus).articles[article_id]


def test_utf8_txt_is_saved_and_its_title_line_stays_apart(corpus: Path) -> None:
    article_id = save_upload(corpus, "夜间议事厅.txt", ARTICLE.encode("utf-8"))
    assert article_id == "夜间议事厅"
    article = _article(corpus, article_id)
    assert article.title == "暖泉社区：夜间议事厅"  # a title with "：" is not glued to the first paragraph
    assert article.passages[0].text.startswith("暖泉社区推出")


def test_gbk_txt_is_detected_and_kept_as_uploaded(corpus: Path) -> None:
    data = ARTICLE.encode("gbk")
    article_id = save_upload(corpus, "gbk-article.TXT", data)
    assert (corpus / "articles" / f"{article_id}.txt").read_bytes() == data  # bytes as uploaded, extension lower
    assert "夜间议事厅" in " ".join(p.text for p in _article(corpus, article_id).passages)


def test_markdown_upload(corpus: Path) -> None:
    article_id = save_upload(corpus, "书屋.md", "# 泉水社区的书屋\n\n泉水社区的**红色书屋**每天开放，藏书3000册。\n".encode())
    article = _article(corpus, article_id)
    assert article.title == "泉水社区的书屋" and "红色书屋每天开放" in article.passages[0].text


def test_html_with_a_navigation_bar_gets_its_headline_as_title(corpus: Path) -> None:
    article_id = save_upload(corpus, "hive.html", NAV_PAGE.encode("utf-8"))
    article = _article(corpus, article_id)
    assert article.title == "山泉村的蜂蜜合作社"
    text = " ".join(p.text for p in article.passages)
    assert "带动40户村民增收" in text and "养蜂课" in text
    for furniture in ("首页", "党建", "分享到", "ICP", "相关新闻", "红色物业"):
        assert furniture not in text and furniture not in article.title


def test_an_html_title_that_is_only_the_navigation_is_not_the_title(corpus: Path) -> None:
    page = ("<html><head><title>首页 | 新闻 | 党建</title></head><body><ul><li><a href='/'>首页</a></li>"
            "<li><a href='/xw'>新闻</a></li><li><a href='/dj'>党建</a></li></ul><h2>山泉村的合作社</h2>"
            "<p>山泉村成立了蜂蜜合作社，带动40户增收。</p></body></html>")  # fmt: skip
    article = _article(corpus, save_upload(corpus, "nav.html", page.encode()))
    assert article.title == "山泉村的合作社"


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("photo.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4, "binary"),
        ("empty.txt", b"", "empty"),
        ("blank.md", b"  \n\r\n\t", "empty"),
        ("undecodable.txt", bytes(range(0x80, 0x100)) * 8, "encoding"),
        ("report.pdf", b"%PDF-1.4 hello", "unsupported file type .pdf"),
        ("noext", "山泉村".encode(), "unsupported file type"),
        ("...txt", "山泉村".encode(), "no usable name"),
        (".txt", "山泉村".encode(), "no usable name"),
    ],
)
def test_bad_files_are_refused_with_a_reason(corpus: Path, name: str, data: bytes, reason: str) -> None:
    before = sorted(p.name for p in (corpus / "articles").iterdir())
    with pytest.raises(ValueError, match=reason):
        save_upload(corpus, name, data)
    assert sorted(p.name for p in (corpus / "articles").iterdir()) == before  # nothing left behind


@pytest.mark.parametrize("name", ["../../x.txt", "..\\..\\x.txt", "/etc/x.txt", "sub/../x.txt", ".x.txt", "x\x00\n.txt"])
def test_a_path_in_the_name_never_leaves_the_articles_folder(corpus: Path, name: str) -> None:
    article_id = save_upload(corpus, name, ARTICLE.encode())
    saved = corpus / "articles" / f"{article_id}.txt"
    assert saved.is_file() and saved.parent == corpus / "articles"
    assert not saved.name.startswith(".") and article_id.startswith("x")
    assert not (corpus.parent / "x.txt").exists() and not (corpus / "x.txt").exists()


def test_a_taken_name_keeps_both_and_the_same_bytes_again_are_one_article(corpus: Path) -> None:
    first = save_upload(corpus, "议事厅.txt", ARTICLE.encode())
    again = save_upload(corpus, "议事厅.txt", ARTICLE.encode())
    other = save_upload(corpus, "议事厅.md", (ARTICLE + "第二版。\n").encode())  # same id, other extension
    assert first == again == "议事厅" and other == "议事厅-2"
    assert (corpus / "articles" / "议事厅.txt").read_text(encoding="utf-8") == ARTICLE  # not overwritten
    ids = set(build_library(corpus).articles)
    assert {"议事厅", "议事厅-2"} <= ids


def test_safe_name_keeps_chinese_and_drops_the_rest() -> None:
    assert safe_name("  山泉村 合作社 (2).HTML ") == "山泉村_合作社_(2).html"
    assert safe_name("C:\\Users\\me\\文章.md") == "文章.md"


def test_set_article_meta_changes_one_entry_and_keeps_the_rest(corpus: Path) -> None:
    path = corpus / "articles.toml"
    original = path.read_text(encoding="utf-8")
    article_id = save_upload(corpus, "hive.html", NAV_PAGE.encode())
    set_article_meta(corpus, article_id, title="山泉村\"蜂蜜\"合作社", year=2024, districts=["历城"])
    set_article_meta(corpus, "002_2e80cddfbcd62056", year="2021")
    text = path.read_text(encoding="utf-8")
    assert text.startswith(original.split("\n[", 1)[0])  # the header comments are kept
    data = tomllib.loads(text)
    assert data[article_id] == {"title": "山泉村\"蜂蜜\"合作社", "year": "2024", "districts": ["历城"]}
    assert data["002_2e80cddfbcd62056"]["year"] == "2021"
    assert data["002_2e80cddfbcd62056"]["title"].startswith("章丘")  # the fields not given are kept
    assert data["000_800f1e13c1cdd205"] == tomllib.loads(original)["000_800f1e13c1cdd205"]
    article = build_library(corpus).articles[article_id]
    assert (article.title, article.year, article.districts) == ("山泉村\"蜂蜜\"合作社", "2024", ("历城",))
    set_article_meta(corpus, article_id, title="")  # removed: the page's headline is the title again
    assert build_library(corpus).articles[article_id].title == "山泉村的蜂蜜合作社"


def test_set_article_meta_refuses_control_characters(corpus: Path) -> None:
    with pytest.raises(ValueError, match="control"):
        set_article_meta(corpus, "002_2e80cddfbcd62056", title="bad\x1b[31m")
