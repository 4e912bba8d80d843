"""What the admin changes from the console: each action once, for the pages' forms and the JSON API.

An action raises ``ValueError`` with a message the admin can read for bad input.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.admin.data import reload_result

if TYPE_CHECKING:
    from bot.app import Services

WHO = "admin"
ORIGIN = "console"
WORD_LISTS = {"synonyms": "synonyms.tsv", "glossary": "glossary.tsv"}
_BREAKS = re.compile(r"[\t\r\n\v\f\x00-\x08\x0e-\x1f\x7f\u0085\u2028\u2029]+")
_write_lock = threading.Lock()


def one_line(text: str) -> str:
    """TEXT with tabs, line breaks and other control characters turned into single spaces."""
    return " ".join(_BREAKS.sub(" ", text).split())


def reload(services: "Services") -> dict[str, Any]:
    return reload_result(services.reload(WHO, ORIGIN))


def add_word(services: "Services", list_name: str, term: str, words: str) -> dict[str, Any]:
    """Append ``term<TAB>words`` to corpus/synonyms.tsv or glossary.tsv, then reload everywhere."""
    file_name = WORD_LISTS.get(list_name)
    if file_name is None:
        raise ValueError(f"unknown word list {list_name!r}: use synonyms or glossary")
    term, words = one_line(term), one_line(words)
    if not term or not words:
        raise ValueError("both the term and its words are needed")
    if list_name == "glossary":
        term = term.lower()  # glossary phrases are matched case-folded
    path = Path(services.settings.corpus_dir) / file_name
    with _write_lock:
        existing = path.read_bytes() if path.exists() else b""
        with path.open("ab") as handle:
            if existing and not existing.endswith(b"\n"):
                handle.write(b"\n")
            handle.write(f"{term}\t{words}\n".encode("utf-8"))
    return {"list": list_name, "line": f"{term}\t{words}", "reload": reload(services)}


def upload(services: "Services", filename: str, data: bytes) -> str:
    """Save an uploaded article into corpus/articles; its id (ValueError for a file it can't take)."""
    from bot.corpus_files import save_upload

    if not filename:
        raise ValueError("no file was sent")
    if not data:
        raise ValueError(f"{filename} is empty")
    return save_upload(Path(services.settings.corpus_dir), filename, data)


def set_meta(services: "Services", article_id: str, title: str, year: str, districts: str) -> None:
    from bot.corpus_files import set_article_meta

    if article_id not in services.engine.library.articles:
        raise ValueError(f"no article {article_id!r}")
    names = tuple(d for d in re.split(r"[\s,，、;；]+", one_line(districts)) if d)
    set_article_meta(
        Path(services.settings.corpus_dir), article_id, title=one_line(title), year=one_line(year), districts=list(names)
    )


def mark_handled(services: "Services", key: str, question: str, note: str = "") -> None:
    from bot.storage.marks import mark_handled as mark

    if not key:
        raise ValueError("which question? (key is missing)")
    mark(services.store, key, one_line(question), who=WHO, note=one_line(note))


def unmark(services: "Services", key: str) -> None:
    from bot.storage.marks import unmark as clear

    clear(services.store, key)


def correct(services: "Services", question: str, article: str, paragraph: str | int) -> None:
    """From now on QUESTION (and close paraphrases) is answered with passage PARAGRAPH (its position in
    the article, as the hit test lists it) of ARTICLE; ValueError when there is no such passage."""
    question = one_line(question)
    if not question:
        raise ValueError("the question is missing")
    try:
        number = int(paragraph)
    except (TypeError, ValueError):
        raise ValueError(f"paragraph must be a number, not {paragraph!r}") from None
    services.correct(question, article, number, WHO)


def remove_correction(services: "Services", correction_id: str | int) -> None:
    try:
        number = int(correction_id)
    except (TypeError, ValueError):
        raise ValueError(f"not a correction id: {correction_id!r}") from None
    services.remove_correction(number)
