"""Reading corpus/: article files in any supported format and encoding, their metadata, word lists.

The only I/O in retrieval/.  A file that can't be read is reported with the reason
and skipped; loading never raises for a bad file.  A link that leads out of the corpus
directory is not followed.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from charset_normalizer import from_bytes

ARTICLE_SUFFIXES = {".txt", ".md", ".markdown", ".html", ".htm"}
WORD_LISTS = ("glossary.tsv", "synonyms.tsv", "userdict.txt", "stopwords.txt", "examples.tsv")
MAX_BYTES = 5 * 1024 * 1024
OUTSIDE = "link leads outside the corpus directory"


class UnreadableFile(Exception):
    """Why a corpus file was skipped."""


@dataclass
class RawArticle:
    article_id: str
    path: Path
    text: str
    digest: str
    meta: dict[str, object] = field(default_factory=dict)


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), else GB18030/GBK, else the best charset guess."""
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise UnreadableFile("binary file (NUL bytes)")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    best = from_bytes(data).best()
    if best is None:
        raise UnreadableFile("unknown text encoding")
    return str(best)


_TITLE_PARTS = re.compile(r"\s*[|｜_]\s*|\s+[-–—－·]\s+")  # "headline_site name", "site - section - headline"


def _texts(tree: Any, xpath: str) -> list[str]:
    found = []
    for node in tree.xpath(xpath):
        text = node if isinstance(node, str) else node.text_content()
        text = " ".join(str(text).split())
        if text:
            found.append(text)
    return found


def html_title(tree: Any) -> str:
    """The headline of an HTML page: an ``<h1>`` that is not a link or the site's name, else the
    longest part of og:title or ``<title>`` once the site's name and the navigation's link texts are
    dropped, else the first ``<h2>``. "" when the page names none (never the navigation bar)."""
    links = set(_texts(tree, "//a"))
    site = set(_texts(tree, "//meta[@property='og:site_name']/@content"))
    heads = _texts(tree, "//meta[@property='og:title']/@content") + _texts(tree, "//title")
    parts = [part for head in heads for part in _TITLE_PARTS.split(head) if part.strip()]
    head = max((p for p in parts if p not in site and p not in links), key=len, default="")
    others = site | (set(parts) - {head})  # the site's name as <title> spells it
    for h1 in _texts(tree, "//h1[not(ancestor::a)]"):
        if h1 not in links and h1 not in others:
            return h1
    return head or next((h for h in _texts(tree, "//h2") if h not in links), "")


def html_article(html: str) -> tuple[str, str]:
    """(title, body text) of an HTML page: the body by trafilatura's main-content extraction, which
    leaves out navigation bars, breadcrumbs, sidebars, share buttons and footers."""
    import lxml.html  # loaded with the first HTML article
    import trafilatura

    try:
        tree = lxml.html.fromstring(html)
    except (ValueError, lxml.etree.ParserError) as exc:
        raise UnreadableFile(f"not HTML ({exc})") from exc
    title = html_title(tree)
    body = ""
    for precise in (True, False):  # a short page has too little text for the precise mode
        document = trafilatura.bare_extraction(html, favor_precision=precise, favor_recall=not precise,
                                               include_comments=False, include_tables=True)  # fmt: skip
        body = (getattr(document, "text", "") or "").strip()
        if body:
            break
    lines = [line.strip() for line in body.splitlines() if line.strip() and line.strip() != title]
    return title, "\n\n".join(lines)


def markdown_to_text(md: str) -> str:
    md = re.sub(r"```.*?```", "", md, flags=re.S)
    md = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", md)
    md = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", md)
    md = re.sub(r"^\s{0,3}(#{1,6}|>|[-*+]|\d+\.)\s+", "", md, flags=re.M)
    md = re.sub(r"(\*\*|__|\*|_|`)(.+?)\1", r"\2", md)
    return re.sub(r"^\s*([-*_]\s*){3,}$", "", md, flags=re.M)


def article_text(name: str, data: bytes) -> tuple[str, str]:
    """(plain text, title) of an article file named NAME holding DATA; the title is "" unless the
    format names one (an HTML page's headline). Raises UnreadableFile with the reason."""
    if not data.strip():
        raise UnreadableFile("empty file")
    if len(data) > MAX_BYTES:
        raise UnreadableFile(f"too large ({len(data)} bytes, limit {MAX_BYTES})")
    text = decode(data)
    title = ""
    suffix = Path(name).suffix.lower()
    if suffix in (".html", ".htm"):
        title, body = html_article(text)
        text = f"{title}\n\n{body}" if title else body
    elif suffix in (".md", ".markdown"):
        text = markdown_to_text(text)
    if not re.search(r"\w", text):
        raise UnreadableFile("no text in file")
    return text, title


def read_article_text(path: Path) -> tuple[str, str]:
    """The plain text of one article file and the sha256 of its bytes."""
    text, _, digest = _read_article(path)
    return text, digest


def _read_article(path: Path) -> tuple[str, str, str]:
    """(text, title, sha256 of the bytes) of one article file."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UnreadableFile(f"cannot read: {exc.strerror or exc}") from exc
    text, title = article_text(path.name, data)
    return text, title, hashlib.sha256(data).hexdigest()


def load_metadata(corpus_dir: Path) -> tuple[dict[str, dict[str, object]], list[tuple[str, str]]]:
    path = corpus_dir / "articles.toml"
    if not path.exists():
        return {}, []
    if not inside(path, corpus_dir):
        return {}, [(path.name, f"metadata not loaded: {OUTSIDE}")]
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        return {}, [(path.name, f"metadata not loaded: {exc}")]
    return {k: v for k, v in data.items() if isinstance(v, dict)}, []


def inside(path: Path, root: Path) -> bool:
    """Does PATH, links followed, stay within the directory ROOT (links followed too)?"""
    try:
        return path.resolve().is_relative_to(root.resolve())
    except (OSError, RuntimeError):  # a link loop
        return False


def article_files(corpus_dir: Path) -> list[Path]:
    """The article files under corpus/articles/, and the links to directories there (which are not
    descended into, so that one leading out of the corpus can be reported)."""
    folder = corpus_dir / "articles"
    if not folder.is_dir():
        return []
    return sorted(
        p for p in folder.rglob("*") if (p.is_file() and p.suffix.lower() in ARTICLE_SUFFIXES) or (p.is_symlink() and p.is_dir())
    )


def read_corpus(corpus_dir: Path) -> tuple[list[RawArticle], list[tuple[str, str]]]:
    """All readable articles under corpus/articles/, and the (file, reason) of those skipped and of
    the word lists that can't be read (those read as empty: see ``read_lines``)."""
    metadata, skipped = load_metadata(corpus_dir)
    articles: list[RawArticle] = []
    for path in article_files(corpus_dir):
        try:
            if not inside(path, corpus_dir):
                raise UnreadableFile(OUTSIDE)
            if path.is_dir():
                continue
            text, title, digest = _read_article(path)
        except UnreadableFile as exc:
            skipped.append((path.name, str(exc)))
            continue
        article_id = path.stem
        meta = dict(metadata.get(article_id, {}))
        if title and not meta.get("title"):
            meta["title"] = title  # an HTML page's headline, unless articles.toml names the article
        articles.append(RawArticle(article_id, path, text, digest, meta))
    for name in WORD_LISTS:
        try:
            read_word_list(corpus_dir / name)
        except UnreadableFile as exc:
            skipped.append((name, f"word list not loaded: {exc}"))
    return articles, skipped


def read_word_list(path: Path) -> list[str]:
    """A word list's non-empty, non-comment lines (missing file: none). Raises UnreadableFile for a
    file that can't be read or isn't text, or a link that leads out of the list's own directory."""
    if not path.exists() and not path.is_symlink():
        return []
    if not inside(path, path.parent):
        raise UnreadableFile(OUTSIDE)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UnreadableFile(f"cannot read: {exc.strerror or exc}") from exc
    if b"\x00" in data and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise UnreadableFile("binary file (NUL bytes)")
    lines = decode(data).splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def read_lines(path: Path) -> list[str]:
    """Like ``read_word_list``, but a list that can't be read is empty (``read_corpus`` names it)."""
    try:
        return read_word_list(path)
    except UnreadableFile:
        return []
