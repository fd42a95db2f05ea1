"""Which language a document is written in, and whether the model reads it.

Detection is py3langid's naive Bayes model over byte n-grams (BSD-3, its weights ship inside
the wheel; nothing is fetched). Regional Arabic varieties count as Arabic.
"""

from __future__ import annotations

import re
from functools import lru_cache

from py3langid.langid import MODEL_FILE, LanguageIdentifier

from training.schemas import LANGS

UNDETERMINED = "und"
"""The language of a text without a letter in any script (ISO 639-2's code for undetermined)."""
DETECT_CHARS = 2000  # the opening of a document decides its language
_ALIASES = {"ary": "ar", "arz": "ar"}  # Moroccan and Egyptian Arabic
_LETTER = re.compile(r"[^\W\d_]")
_MIN_LETTERS = 12  # fewer letters than this: choose among the supported languages only
_SCRIPTS = {"arabic": ("ar",), "cyrillic": ("ru", "uk"), "latin": ("en", "fr", "es")}


def _script_of(text: str) -> str:
    if any("\u0600" <= c <= "\u06ff" for c in text):
        return "arabic"
    if any("\u0400" <= c <= "\u04ff" for c in text):
        return "cyrillic"
    return "latin"


@lru_cache(maxsize=1)
def _identifiers() -> tuple[LanguageIdentifier, LanguageIdentifier]:
    every = LanguageIdentifier.from_model_file(MODEL_FILE)
    supported = LanguageIdentifier.from_model_file(MODEL_FILE)
    supported.set_languages(list(LANGS))
    return every, supported


def detect(text: str) -> str:
    """ISO 639-1 code of the language of ``text`` (any language py3langid knows)."""
    first = _LETTER.search(text)
    if first is None:
        return UNDETERMINED  # nothing to read: numbers, signs, emoji or blanks
    every, supported = _identifiers()
    sample = text[first.start() : first.start() + DETECT_CHARS]  # from the first letter
    letters = sum(c.isalpha() for c in sample[:200])
    if letters >= _MIN_LETTERS:
        lang = every.classify(sample)[0]
        return _ALIASES.get(lang, lang)
    # Too short to tell by n-grams alone: the script narrows the choice first.
    script = _SCRIPTS[_script_of(sample)]
    return next(lang for lang, _ in supported.rank(sample) if lang in script)


def is_supported(lang: str) -> bool:
    return lang in LANGS
