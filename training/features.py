"""Text normalisation and cue vocabularies shared by the model's parts.

Ages are the strongest single signal of child status, so the normaliser rewrites them as
tokens: ``ageminor`` for under 18 and ``ageadult`` for 18 and over. Other numbers become
``num`` so that casualty counts generalise.
"""

from __future__ import annotations

import re

_AGE_PATTERNS = [
    re.compile(r"\b(\d{1,3})[\s-]*(?:year|yr)s?[\s-]*olds?\b"),
    re.compile(r"\baged?\s+(?:between\s+|of\s+|from\s+)?(\d{1,3})\b"),
    re.compile(r"\b(?:under|below)\s+(?:the\s+age\s+of\s+)?(\d{1,2})\b"),
    re.compile(r"(?<=\w),\s+(\d{1,2}),\s+(?=[a-z])"),
]
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-"})


def _age_token(match: re.Match) -> str:
    age = int(match.group(1))
    tag = (
        "ageminor"
        if age < 18 or match.group(0).lstrip().startswith(("under", "below"))
        else "ageadult"
    )
    return match.group(0).replace(match.group(1), f" {tag} ", 1)


def normalise(text: str) -> str:
    """Lowercase, unify quotes, and replace ages and numbers by tokens."""
    text = text.translate(_APOSTROPHES).lower()
    for pattern in _AGE_PATTERNS:
        text = pattern.sub(_age_token, text)
    return _NUMBER.sub(" num ", text)


TOKEN_PATTERN = r"(?u)\b[^\W\d_][\w'-]*\b"

CHILD_CUES = frozenset(
    "child children childs boy boys girl girls minor minors infant infants baby babies "
    "toddler toddlers teenager teenagers teen teens adolescent adolescents schoolchildren "
    "schoolgirls schoolboys schoolgirl schoolboy pupil pupils kid kids juvenile juveniles "
    "youngster youngsters newborn newborns son sons daughter daughters orphan orphans ageminor".split()
)
ADULT_CUES = frozenset("ageadult adult adults men women man woman elderly".split())
ABSTRACT_CUES = frozenset(
    "must should urge urges urged calls call appeal appeals mandate resolution resolutions "
    "declaration protocol principles commitment commitments refrain endorse endorsed prevent "
    "prevention protect protection".split()
)
CUE_GROUPS: dict[str, frozenset[str]] = {
    "child": CHILD_CUES,
    "adult": ADULT_CUES,
    "abstract": ABSTRACT_CUES,
}
