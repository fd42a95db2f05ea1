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
# The next sentence starts with a capital (Latin or Cyrillic), a digit, or an Arabic letter
# (Arabic script has no case).
_BOUNDARY = re.compile(
    r"[.!?…؟]+[\"'”’»)\]]*(?=\s+[\"'“‘«„(\[]?[A-Z0-9À-ÖØ-ÞА-ЯЁІЇЄҐ\u0621-\u064a\u0660-\u0669])"
)
# A full stop glued to the next sentence ("killed.The"): lowercase word, stop, capitalised word.
_GLUED = re.compile(r"[.!?](?=[A-Z][a-z])")  # cut after it when two lowercase letters precede
_LINE_BREAK = re.compile(r"\n\s*")
_BULLET = re.compile(r"(?:[-*•▪◦·–—]|\d{1,2}[.)])\s+")
_WORD_BEFORE = re.compile(r"[\w.]+$")
_LETTER = re.compile(r"[^\W\d_]")
_INITIALS = re.compile(r"(?:[a-z]\.)*[a-z]")
MAX_SEGMENT_CHARS = 600
_CLAUSE = re.compile(r"[;:]\s+|,\s+(?=(?:and|but|while|whereas|after|before|as)\s)")


def _is_abbreviation(text: str, stop: int) -> bool:
    """True when the full stop at ``stop`` closes an abbreviation or an initial."""
    word = text[max(0, stop - 8) : stop].rsplit(None, 1)[-1] if stop else ""
    if len(word) == 8 or not word:  # longer than any abbreviation, or nothing before the stop
        return "." in word and _is_dotted(text, stop)
    m = _WORD_BEFORE.search(word)
    if not m:
        return False
    word = m.group().lower().rstrip(".")
    return word in _ABBREVIATIONS or bool(_INITIALS.fullmatch(word))


def _is_dotted(text: str, stop: int) -> bool:
    """A long dotted acronym before ``stop`` ("U.N.D.P")."""
    m = _WORD_BEFORE.search(text, max(0, stop - 24), stop)
    return bool(m and _INITIALS.fullmatch(m.group().lower().rstrip(".")))


def _cuts(text: str) -> list[int]:
    cuts = []
    for m in _BOUNDARY.finditer(text):
        stop = m.start()
        if (
            text[stop] != "."
            # a word of seven letters or more is no abbreviation: skip the slower check
            or (stop >= 7 and text[stop - 7 : stop].isalpha())
            or not _is_abbreviation(text, stop)
        ):
            cuts.append(m.end())
    extra = [
        m.end()
        for m in _GLUED.finditer(text)
        if m.start() >= 2
        and text[m.start() - 2 : m.start()].isalpha()
        and text[m.start() - 2 : m.start()].islower()
    ]
    if "\n" in text:
        extra += [m.start() for m in _LINE_BREAK.finditer(text)]
    return sorted(set(cuts + extra)) if extra else cuts


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    piece = text[start:end]
    stripped = piece.lstrip()
    start += len(piece) - len(stripped)
    end = start + len(stripped.rstrip())
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
    """Sentence spans ``(start, end)`` covering the parts of ``text`` that hold a letter, in
    order (a line of numbers or signs alone is no sentence)."""
    spans: list[tuple[int, int]] = []
    start = 0
    for cut in [*_cuts(text), len(text)]:
        piece = text[start:cut]
        left = piece.lstrip()
        stripped = left.rstrip()
        if stripped and (stripped[0].isalpha() or _LETTER.search(stripped)):
            s = start + len(piece) - len(left)
            e = s + len(stripped)
            if not stripped[0].isalpha():
                bullet = _BULLET.match(text, s, e)
                if bullet and bullet.end() < e:
                    s = bullet.end()
            if e - s <= MAX_SEGMENT_CHARS:
                spans.append((s, e))
            else:
                for ps, pe in _split_long(text, s, e):
                    ps, pe = _trim(text, ps, pe)
                    if ps < pe:
                        spans.append((ps, pe))
        start = cut
    return spans
