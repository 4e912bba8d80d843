"""English word forms: British spellings as American ones, a word's dictionary form (simplemma).

CC-CEDICT spells the American way and lists base forms; users write "neighbourhoods",
"renovating", "involved".  simplemma (a maintained lemmatizer, its word lists in the
wheel) gives the dictionary form without hand-made suffix rules.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable

_AMERICAN = [  # British spellings → American ones
    (re.compile(r"(?<=[a-z]{2})our(?=s?\b|ed\b|ing\b|hoods?\b|able\b)"), "or"),  # honours, neighbourhood
    (re.compile(r"(?<=[a-z]{2})is(?=e[ds]?\b|ing\b|ations?\b)"), "iz"),  # organisation, recognised
    (re.compile(r"(?<=[a-z]{2})tre(?=s?\b)"), "ter"),  # centre
    (re.compile(r"(?<=[a-z])yse(?=[ds]?\b)"), "yze"),  # analyse
]
_LOCK = threading.Lock()
_LEMMATIZE: list[Callable[[str], str]] = []


def american(text: str) -> str:
    """``text`` (lower case) with British spellings made American: neighbourhoods → neighborhoods."""
    for pattern, replacement in _AMERICAN:
        text = pattern.sub(replacement, text)
    return text


def lemma(word: str) -> str:
    """The dictionary form of an English word: renovating → renovate, involved → involve,
    companies → company; a word simplemma doesn't know stays as it is."""
    if not _LEMMATIZE:
        with _LOCK:
            if not _LEMMATIZE:
                import simplemma

                _LEMMATIZE.append(lambda w: str(simplemma.lemmatize(w, lang="en")))
    return _LEMMATIZE[0](word).lower()
