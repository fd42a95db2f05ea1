"""Which language a document is written in, and whether the model reads it.

Detection is py3langid's naive Bayes model over byte n-grams (BSD-3, its weights ship inside
the wheel; nothing is fetched). Regional Arabic varieties count as Arabic.
"""

from __future__ import annotations

from functools import lru_cache

from py3langid.langid import MODEL_FILE, LanguageIdentifier

from training.schemas import LANGS

DETECT_CHARS = 2000  # the opening of a document decides its language
_ALIASES = {"ary": "ar", "arz": "ar"}  # Moroccan and Egyptian Arabic
_MIN_LETTERS = 12  # fewer letters than this: choose among the supported languages only


@lru_cache(maxsize=1)
def _identifiers() -> tuple[LanguageIdentifier, LanguageIdentifier]:
    every = LanguageIdentifier.from_model_file(MODEL_FILE)
    supported = LanguageIdentifier.from_model_file(MODEL_FILE)
    supported.set_languages([*LANGS, *_ALIASES])
    return every, supported


def detect(text: str) -> str:
    """ISO 639-1 code of the language of ``text`` (any language py3langid knows)."""
    every, supported = _identifiers()
    sample = text[:DETECT_CHARS]
    letters = sum(c.isalpha() for c in sample[:200])
    ident = supported if letters < _MIN_LETTERS else every
    lang = ident.classify(sample)[0]
    return _ALIASES.get(lang, lang)


def is_supported(lang: str) -> bool:
    return lang in LANGS
