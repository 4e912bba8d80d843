from pathlib import Path

from retrieval.cleanup import clean_text
from retrieval.text import clean_inline, split_sentences

ARTICLES = Path(__file__).resolve().parent.parent / "corpus" / "articles"


def _blocks(name: str, library=None):
    text = next(ARTICLES.glob(f"{name}_*.txt")).read_text(encoding="utf-8")
    return clean_text(text, (library.tokenizer.is_word if library else (lambda s: False)))


def test_hard_wrapped_lines_are_rejoined_into_paragraphs(library):
    paragraphs = [b.text for b in _blocks("003", library) if b.kind == "paragraph"]
    first = paragraphs[0]
    assert first.startswith("近日，济南市槐荫区主要领导随济南市党政考察团赴杭州")
    assert first.endswith("全力打造省会发展重要增长极。")
    assert "\n" not in first
    headings = [b.text for b in _blocks("003", library) if b.kind == "heading"]
    assert "主导产业重点项目跑出“加速度”" in headings
    # a paragraph's first line that happens to be short is not mistaken for a heading
    assert not any(h.startswith("五里牌坊社区") for h in headings)


def test_spaces_inside_words_and_split_numbers_are_joined():
    assert clean_inline("沿经十西 路至长清界，先进 材 料") == "沿经十西路至长清界，先进材料"
    assert clean_inline("开工率85 . 48%，3月2 2日，党员2 . 7万名") == "开工率85.48%，3月22日，党员2.7万名"
    assert clean_inline("2023年10 月") == "2023年10月"
    assert clean_inline("Hello World") == "Hello World"


def test_half_width_punctuation_in_chinese_becomes_full_width():
    assert clean_inline('企业"抱团",实现了"1+1>2"的效果') == "企业“抱团”，实现了“1+1>2”的效果"


def test_paragraph_cut_mid_word_is_rejoined(library):
    texts = [b.text for b in _blocks("001", library)]
    assert any("“啄木鸟清单”墙" in t for t in texts)
    texts0 = [b.text for b in _blocks("000", library)]
    assert any("服务全区产业链精准招引" in t for t in texts0)


def test_furniture_bylines_and_captions_are_not_paragraphs(library):
    blocks = _blocks("000", library)
    paragraphs = " ".join(b.text for b in blocks if b.kind == "paragraph")
    for furniture in ("扫码下载齐鲁壹点", "找记者", "编辑", "组版"):
        assert furniture not in paragraphs
    assert [b.text for b in blocks if b.kind == "byline"] == ["记者 李梦瑶", "通讯员 杨振宇 韩宏伟"]
    captions = [b.text for b in blocks if b.kind == "caption"]
    assert "夜幕下流光溢彩的济南西站。" in captions
    assert "夜幕下流光溢彩的济南西站。" not in paragraphs


def test_sentences_keep_their_punctuation():
    assert split_sentences("他说：“好。”然后走了！还有吗？") == ["他说：“好。”", "然后走了！", "还有吗？"]


def test_passages_are_phone_sized_and_complete(library):
    assert library.passages
    for passage in library.passages:
        assert 0 < len(passage.text) <= 600
    long_ones = [p for p in library.passages if len(p.text) > 300]
    assert len(long_ones) <= len(library.passages) // 10


def test_layout_fragments_and_one_line_captions_are_not_headings(library):
    blocks = _blocks("001", library)
    headings = [b.text for b in blocks if b.kind == "heading"]
    assert "新使命新作的" not in headings and "但属于外卖小哥的“午高峰”才" not in headings
    assert "经十西路汽车产业带" in [b.text for b in blocks if b.kind == "caption"]
    sections = {p.section for p in library.articles["001_96bc3c7d1a43b40e"].passages}
    assert "城市有温度 外卖小哥有了“温暖的家”" in sections and "新使命新作的" not in sections


def test_caption_above_the_headline_is_not_a_paragraph(library):
    captions = [b.text for b in _blocks("004", library) if b.kind == "caption"]
    assert "天桥区工人新村南村街道西区社区组织网格长、党员群众代表，召开社区停车管理圆桌会议。" in captions
