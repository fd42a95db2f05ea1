"""Split text into sentence-like segments with exact character offsets.

Real reports have quotes, bullet lists, abbreviations ("U.N.", "Gen.") and missing spaces
after full stops; the splitter is a small set of rules tuned for them. Offsets are Python
``str`` indices into the original text, so ``text[start:end]`` is always the segment.
"""

from __future__ import annotations

import re

# Words that end with a full stop without ending a sentence.
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof gen lt col maj capt sgt cpl st sr jr no nos vs etc approx dept gov "
    "rep sen pres est fig inc ltd co corp jan feb mar apr jun jul aug sep sept oct nov "
    "dec e.g i.e u.n u.s u.k a.m p.m".split()
)
# End of sentence: terminal punctuation, optional closing quotes/brackets, then whitespace.
_BOUNDARY = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s+[\"'“‘(\[]?[A-Z0-9À-ÖØ-Þ])")
# A full stop glued to the next sentence ("killed.The"): lowercase word, stop, capitalised word.
_GLUED = re.compile(r"(?<=[a-z]{2}[.!?])(?=[A-Z][a-z])")
_LINE_BREAK = re.compile(r"\n\s*")
_BULLET = re.compile(r"(?:[-*•▪◦·–—]|\d{1,2}[.)])\s+")
_WORD_BEFORE = re.compile(r"([\w.]+)$")
MAX_SEGMENT_CHARS = 600
_CLAUSE = re.compile(r"[;:]\s+|,\s+(?=(?:and|but|while|whereas|after|before|as)\s)")


def _is_abbreviation(text: str, stop: int) -> bool:
    """True when the full stop at ``stop`` closes an abbreviation or an initial."""
    m = _WORD_BEFORE.search(text, 0, stop)
    if not m:
        return False
    word = m.group(1).lower().rstrip(".")
    if word in _ABBREVIATIONS:
        return True
    # single capital initials and dotted acronyms: "J.", "U.N", "D.R"
    return bool(re.fullmatch(r"(?:[a-z]\.)*[a-z]", word))


def _cuts(text: str) -> list[int]:
    cuts = set()
    for m in _BOUNDARY.finditer(text):
        if text[m.start()] == "." and _is_abbreviation(text, m.start()):
            continue
        cuts.add(m.end())
    cuts.update(m.start() for m in _GLUED.finditer(text))
    cuts.update(m.start() for m in _LINE_BREAK.finditer(text))
    return sorted(cuts)


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    m = _BULLET.match(text, start, end)
    if m and m.end() < end:
        start = m.end()
    return start, end


def _split_long(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Break a very long segment at clause boundaries, then at fixed width."""
    out: list[tuple[int, int]] = []
    pos = start
    while end - pos > MAX_SEGMENT_CHARS:
        window_end = pos + MAX_SEGMENT_CHARS
        cut = None
        for m in _CLAUSE.finditer(text, pos + MAX_SEGMENT_CHARS // 4, window_end):
            cut = m.end()
        if cut is None:
            space = text.rfind(" ", pos + MAX_SEGMENT_CHARS // 2, window_end)
            cut = space + 1 if space > pos else window_end
        out.append((pos, cut))
        pos = cut
    out.append((pos, end))
    return out


def segment(text: str) -> list[tuple[int, int]]:
    """Sentence spans ``(start, end)`` covering the non-blank parts of ``text``, in order."""
    spans: list[tuple[int, int]] = []
    bounds = [0, *_cuts(text), len(text)]
    for a, b in zip(bounds, bounds[1:], strict=False):
        s, e = _trim(text, a, b)
        if s < e and any(ch.isalnum() for ch in text[s:e]):
            for ps, pe in _split_long(text, s, e):
                ps, pe = _trim(text, ps, pe)
                if ps < pe:
                    spans.append((ps, pe))
    return spans
