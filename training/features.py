"""Text normalisation and cue vocabularies shared by the model's parts.

Ages are the strongest single signal of child status, so the normaliser rewrites them as
tokens, in all six languages: ``ageminor`` for under 18 and ``ageadult`` for 18 and over.
Other numbers become ``num`` so that casualty counts generalise.
"""

from __future__ import annotations

import re

import numpy as np

from training.schemas import LABELS

# Numbers are found in one pass; the few words around each decide whether it is an age.
_NUMBER = re.compile(r"[0-9][0-9.,]*")  # trailing "." or "," is trimmed off
_YEARS_OLD_AFTER = re.compile(r"[\s-]*(?:year|yr)s?[\s-]*olds?\b")
_AGED_BEFORE = re.compile(r"\bage[ds]?\s+(?:between\s+|of\s+|from\s+)?$")  # "the ages of 12"
_YOUNG_BEFORE = re.compile(r"\b(?:as\s+young\s+as|no\s+older\s+than|younger\s+than)\s+$")
# Ages written as English words after the words that introduce one ("aged nine", "as young as
# four") become digits, so that the rules above read them.
_AGE_WORDS = {
    w: str(i)
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
        "fifteen sixteen seventeen eighteen".split()
    )
    if i
}
_AGE_WORD = re.compile(
    r"\b(aged?|ages\s+of|as\s+young\s+as|no\s+older\s+than|younger\s+than)\s+("
    + "|".join(_AGE_WORDS)
    + r")\b"
)
_UNDER_BEFORE = re.compile(r"\b(?:under|below)\s+(?:the\s+age\s+of\s+)?$")
_APPOSITION_BEFORE = re.compile(r"\w,\s+$")  # "Ahmed, 12, said"
_APPOSITION_AFTER = re.compile(r",\s+(?=[a-z])")
# The other five languages: "12-летний", "12-річна" are ages by their form; "12 ans",
# "12 años", "12 лет", "12 років", "12 عاما" are ages after a word that introduces one
# ("un garçon de 12 ans", "в возрасте 12 лет", "يبلغ من العمر 12 عاما"), and bounds of
# childhood after one that bounds ("moins de 18 ans", "до 18 лет", "دون سن 18").
_AGE_ADJECTIVE_AFTER = re.compile(r"\s?-\s?(?:летн|річн)\w*")
_AGE_UNIT_AFTER = re.compile(
    r"\s+(?:ans|an|años|año|лет|года|год|років|роки|рік|عاما|عام|سنوات|سنه)\b"
)
_AGE_INTRODUCED_BEFORE = re.compile(
    r"(?:\b(?:de|âgée?s?|agée?s?|edad|con|возрасте|віком|віці|вік|ему|ей|им|йому|їй|їм)"
    r"|العمر|عمره|عمرها|عمرهم|يبلغ|تبلغ|البالغ)\s+$"
)
_CHILDHOOD_BOUND_BEFORE = re.compile(
    r"(?:\b(?:moins\s+de|menos\s+de|menores\s+de|до|младше|моложе|молодше)|دون\s+سن|دون|اقل\s+من)\s+$"
)
# One table folds typographic variants that carry no meaning: curly quotes; dashes between
# words (an unspaced em-dash must not glue two words into one token); Arabic diacritics,
# tatweel and hamza/alef/ya variants; Cyrillic yo.
_FOLD = str.maketrans(
    {
        "’": "'", "‘": "'", "“": '"', "”": '"', "«": '"', "»": '"',
        "–": " - ", "—": " - ", "―": " - ",
        "أ": "ا", "إ": "ا", "آ": "ا", "ى": "ي", "ة": "ه", "ـ": None,
        **{chr(c): None for c in range(0x064B, 0x0653)},
        "ё": "е", "Ё": "Е",
    }
)  # fmt: skip


def _number_token(text: str, start: int, end: int) -> str:
    digits = text[start:end]
    if not digits.isdigit() or len(digits) > 3 or (start and text[start - 1].isalnum()):
        return "num"
    before = text[max(0, start - 24) : start]
    after = text[end : end + 12]
    age = int(digits)
    if _AGE_ADJECTIVE_AFTER.match(text, end):
        return "ageminor" if age < 18 else "ageadult"
    if _AGE_UNIT_AFTER.match(text, end) or (len(digits) <= 2 and "دون" in before):
        if len(digits) <= 2 and _CHILDHOOD_BOUND_BEFORE.search(before):
            return "ageminor"
        if _AGE_INTRODUCED_BEFORE.search(before):
            return "ageminor" if age < 18 else "ageadult"
    if (
        "y" not in after
        and "age" not in before
        and "," not in after
        and not ("under" in before or "below" in before)
        and not ("young" in before or "older" in before)
    ):
        return "num"  # the common case, decided without regular expressions
    if _YEARS_OLD_AFTER.match(text, end) or _AGED_BEFORE.search(before):
        return "ageminor" if age < 18 else "ageadult"
    if len(digits) <= 2 and _YOUNG_BEFORE.search(before):
        return "ageminor" if age < 18 else "ageadult"
    if len(digits) <= 2 and _UNDER_BEFORE.search(before):
        return "ageminor"
    if (
        len(digits) <= 2
        and _APPOSITION_BEFORE.search(before)
        and _APPOSITION_AFTER.match(text, end)
    ):
        return "ageminor" if age < 18 else "ageadult"
    return "num"


def normalise(text: str) -> str:
    """Lowercase, fold typographic variants (``_FOLD``), and replace ages (``ageminor``, ``ageadult``) and other
    numbers (``num``) by tokens."""
    text = text.translate(_FOLD).lower()
    text = _AGE_WORD.sub(lambda m: f"{m[1]} {_AGE_WORDS[m[2]]}", text)
    parts, pos = [], 0
    for m in _NUMBER.finditer(text):
        start, end = m.span()
        while text[end - 1] in ".,":
            end -= 1
        parts += [text[pos:start], " ", _number_token(text, start, end), " "]
        pos = end
    parts.append(text[pos:])
    return "".join(parts)


TOKEN_PATTERN = r"(?u)[^\W\d_][\w'-]*\b"  # a word starts with a letter; digits are gone


# ---- sentence cue features -----------------------------------------------------------------
# Bag-of-words weights cannot express "an act AND a child victim AND an armed conflict", which
# is what the annotation guide asks. Cue families are word lists grounded in the taxonomy's cues
# (each a pattern a whole token must match, plus two-word phrases); ``cue_matrix`` turns the
# families a sentence contains into binary conjunctions, and the logistic regressions learn how
# much each is worth.
def _family(pattern: str) -> re.Pattern:
    return re.compile(pattern)


CUE_FAMILIES: dict[str, re.Pattern] = {
    "child": _family(
        r"child|children|childs|boys?|girls?|minors?|infants?|bab(?:y|ies)|toddlers?|teens?|"
        r"teenagers?|adolescents?|school(?:children|girls?|boys?)|pupils?|kids?|juveniles?|"
        r"youngsters?|newborns?|sons?|daughters?|orphans?|ageminor|under-?age|child-soldiers?"
    ),
    "adult": _family(r"ageadult|adults?|men|women|man|woman|elderly"),
    "conflict": _family(
        r"armed|army|armies|militar\w*|militias?|militiamen|rebels?|insurgen\w*|fighters?|"
        r"combatants?|soldiers?|troops|forces|militants?|jihadis\w*|gunmen|bandits?|gangs?|"
        r"wars?|warring|conflicts?|hostilities|fighting|offensive|airstrikes?|shell(?:ing|ed|s)?|"
        r"bombard\w*|drones?|missiles?|rockets?|artillery|mortars?|siege|besieged|occupation|"
        r"occupied|al-shaba+b|shaba+b|boko|isis|isil|daesh|taliban|houthis?|rsf|m23|codeco|"
        r"adf|lra|farc|eln|hamas|hezbollah|tatmadaw|junta|janjaweed|wagner|paramilitar\w*|"
        r"coup|ceasefire|truce|peacekeep\w*|front-?lines?"
    ),
    "normative": _family(
        r"must|should|shall|urges?|urged|appeal\w*|mandate\w*|resolutions?|declaration|"
        r"protocol|principles|commit\w*|refrain|endorse\w*|pledge\w*|ratif\w*|measures|"
        r"guidelines?|training|definition|defined"
    ),
    "killing_maiming": _family(
        r"kill\w*|dead|deaths?|died|dying|die|wound\w*|injur\w*|maim\w*|casualt\w*|amputat\w*|"
        r"shot|bodies|body|fatalit\w*|execut\w*|blast|explosions?|exploded|landmines?|ieds?|"
        r"ordnance|shrapnel|victims?|slain|massacre\w*|murder\w*|lives"
    ),
    "recruitment_use": _family(
        r"recruit\w*|conscript\w*|enlist\w*|soldiers?|fighters?|combatants?|ranks|porters?|"
        r"spies|spy|spying|messengers?|cooks?|guards?|lookouts?|informants?|suicide|shields?|"
        r"trained|join|joined|joining|associated|association|front-?lines?|drafted|mobili[sz]\w*"
    ),
    "sexual_violence": _family(
        r"rap(?:e|ed|es|ing|ist|ists)|sexual\w*|sex|slaves?|slavery|marry|married|marriages?|"
        r"wives|wife|brides?|prostitut\w*|exploit\w*|abus\w*|assault\w*|gang-rap\w*|molest\w*|"
        r"pregnan\w*|traffick\w*|concubines?"
    ),
    "abduction": _family(
        r"abduct\w*|kidnap\w*|seiz\w*|taken|took|captur\w*|captiv\w*|hostages?|missing|"
        r"disappear\w*|snatch\w*|deport\w*|held|hold|holding|detain\w*|released|freed|"
        r"rescued|escaped|whereabouts"
    ),
    "facility": _family(
        r"schools?|classrooms?|universit\w*|colleges?|kindergartens?|madras+as?|education\w*|"
        r"hospitals?|clinics?|medical|ambulances?|doctors?|nurses?|teachers?|students?|"
        r"patients?|maternity|pa?ediatric|wards?|healthcare|medics?|paramedics?|surgeons?"
    ),
    "attack": _family(
        r"attack\w*|struck|strikes?|bomb\w*|shell\w*|hit|raid\w*|storm\w*|loot\w*|burn\w*|"
        r"torch\w*|destroy\w*|destruction|damag\w*|occup\w*|barracks|bases?|ransack\w*|"
        r"target\w*|threat\w*|fired|shot|killed|abducted|kidnapped|arrested|detained|besieged|"
        r"positions|demolish\w*|wreck\w*|razed|explosi\w*|airstrikes?|missiles?|rockets?"
    ),
    "aid": _family(
        r"aid|humanitarian\w*|relief|convoys?|trucks?|lorr(?:y|ies)|supplies|deliver\w*|food|"
        r"medicines?|fuel|water|vaccin\w*|assistance|ngos?|agencies|workers?|warehouses?"
    ),
    "block": _family(
        r"block\w*|den(?:y|ied|ial|ies)|loot\w*|attack\w*|obstruct\w*|imped\w*|restrict\w*|"
        r"prevent\w*|suspend\w*|halt\w*|stopped|closed|closure|barred|refus\w*|seiz\w*|"
        r"hijack\w*|killed|abducted|ambush\w*|confiscat\w*|diverted|hard-to-reach"
    ),
    "siege": _family(r"sieges?|besieg\w*|encircl\w*|blockad\w*|starv\w*|famine|cordon\w*"),
}
CUE_PHRASES: dict[str, tuple[str, ...]] = {
    "conflict": ("air strike", "air strikes", "armed conflict"),
    "normative": ("calls on", "call on", "calls upon", "call upon", "to ensure", "to prevent"),
    "killing_maiming": ("burned alive", "lost both", "lost his", "lost her", "lost their"),
    "recruitment_use": (
        "training camp",
        "training camps",
        "took up",
        "front line",
        "bear arms",
        "bearing arms",
        "carry weapons",
        "used as",
        "use of",
    ),
    "abduction": ("carried off", "forcibly removed", "forcibly taken", "forcibly transferred"),
    "facility": (
        "health centre",
        "health centres",
        "health center",
        "health centers",
        "health facility",
        "health facilities",
        "health post",
        "health posts",
        "health worker",
        "health workers",
        "health care",
    ),
    "attack": ("set fire", "on fire", "military use", "air strike", "air strikes"),
    "block": ("cut off", "turned back", "to reach", "no aid", "no food", "no fuel"),
}
FAMILY_BITS: dict[str, int] = {name: 1 << i for i, name in enumerate(CUE_FAMILIES)}


CUE_COLUMN_LABELS: tuple[str | None, ...] = (None, None, None) + tuple(
    label for label in LABELS for _ in range(4)
)
"""The label whose act each column of ``cue_matrix`` tests (None: a child, a conflict, normative
wording, which every label reads)."""


def cue_matrix(masks: np.ndarray, owner: np.ndarray, n_passages: int) -> np.ndarray:
    """Binary features ``(n_sentences, 3 + 4 * len(LABELS))`` from sentence cue masks: a child
    is named, the passage names an armed conflict, normative wording; then per label an act of
    its kind, with a child, with a child in a conflict, in normative wording.

    ``owner[i]`` is the passage of sentence ``i``; a passage names an armed conflict when any of
    its sentences does."""

    def has(name: str) -> np.ndarray:
        return (masks & FAMILY_BITS[name]) != 0

    child, normative = has("child"), has("normative")
    in_conflict = np.zeros(n_passages, dtype=bool)
    np.logical_or.at(in_conflict, owner, has("conflict"))
    conflict = in_conflict[owner]
    acts = {
        "killing_maiming": has("killing_maiming"),
        "recruitment_use": has("recruitment_use"),
        "sexual_violence": has("sexual_violence"),
        "attacks_schools_hospitals": has("facility") & has("attack"),
        "abduction": has("abduction"),
        "denial_humanitarian_access": has("siege") | (has("aid") & has("block")),
    }
    columns = [child, conflict, normative]
    for label in LABELS:
        act = acts[label]
        columns += [act, act & child, act & child & conflict, act & normative]
    return np.column_stack(columns).astype(np.float32)
