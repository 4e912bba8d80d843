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
from html.parser import HTMLParser
from pathlib import Path

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


class _HTMLText(HTMLParser):
    BLOCKS = {"p", "div", "br", "h1", "h2", "h3", "h4", "h5", "h6", "li", "tr", "section", "article", "title"}
    SKIP = {"script", "style", "noscript", "head", "nav", "footer"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self._skip += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP and self._skip:
            self._skip -= 1
        elif tag in self.BLOCKS:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data.replace("\n", " "))


def html_to_text(html: str) -> str:
    parser = _HTMLText()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts)


def markdown_to_text(md: str) -> str:
    md = re.sub(r"```.*?```", "", md, flags=re.S)
    md = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", md)
    md = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", md)
    md = re.sub(r"^\s{0,3}(#{1,6}|>|[-*+]|\d+\.)\s+", "", md, flags=re.M)
    md = re.sub(r"(\*\*|__|\*|_|`)(.+?)\1", r"\2", md)
    return re.sub(r"^\s*([-*_]\s*){3,}$", "", md, flags=re.M)


def read_article_text(path: Path) -> tuple[str, str]:
    """The plain text of one article file and the sha256 of its bytes."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UnreadableFile(f"cannot read: {exc.strerror or exc}") from exc
    if not data.strip():
        raise UnreadableFile("empty file")
    if len(data) > MAX_BYTES:
        raise UnreadableFile(f"too large ({len(data)} bytes, limit {MAX_BYTES})")
    text = decode(data)
    suffix = path.suffix.lower()
    if suffix in (".html", ".htm"):
        text = html_to_text(text)
    elif suffix in (".md", ".markdown"):
        text = markdown_to_text(text)
    if not re.search(r"\w", text):
        raise UnreadableFile("no text in file")
    return text, hashlib.sha256(data).hexdigest()


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
            text, digest = read_article_text(path)
        except UnreadableFile as exc:
            skipped.append((path.name, str(exc)))
            continue
        article_id = path.stem
        articles.append(RawArticle(article_id, path, text, digest, metadata.get(article_id, {})))
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
