"""Text normalisation and cue vocabularies shared by the model's parts.

Ages are the strongest single signal of child status, so the normaliser rewrites them as
tokens: ``ageminor`` for under 18 and ``ageadult`` for 18 and over. Other numbers become
``num`` so that casualty counts generalise.
"""

from __future__ import annotations

import re

from training.schemas import LABELS

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


# ---- sentence cue features -----------------------------------------------------------------
# Bag-of-words weights cannot express "an act AND a child victim AND an armed conflict", which
# is what the annotation guide asks. These binary features state such conjunctions for every
# sentence, from word lists grounded in the taxonomy's cues; the logistic regressions learn how
# much each is worth.
def _words(pattern: str) -> re.Pattern:
    return re.compile(rf"\b(?:{pattern})\b")


CHILD = _words(
    r"child(?:ren)?|boys?|girls?|minors?|infants?|bab(?:y|ies)|toddlers?|teen(?:ager)?s?|"
    r"adolescents?|school(?:children|girls?|boys?)|pupils?|kids?|juveniles?|youngsters?|"
    r"newborns?|sons?|daughters?|orphans?|ageminor|under-age|underage|child-soldiers?"
)
CONFLICT = _words(
    r"armed|army|armies|militar\w*|militias?|militiamen|rebels?|insurgen\w*|fighters?|"
    r"combatants?|soldiers?|troops|forces|militants?|jihadis\w*|gunmen|bandits?|gangs?|"
    r"war|wars|warring|conflict|hostilities|fighting|offensive|air ?strikes?|airstrikes?|"
    r"shell(?:ing|ed|s)?|bombard\w*|drones?|missiles?|rockets?|artillery|mortars?|"
    r"siege|besieged|occupation|occupied|al-shabaa?b|boko|isis|isil|daesh|taliban|houthis?|"
    r"rsf|m23|codeco|adf|lra|farc|eln|hamas|hezbollah|tatmadaw|junta|janjaweed|wagner|"
    r"paramilitar\w*|coup|ceasefire|truce|peacekeep\w*|frontlines?|front-lines?"
)
NORMATIVE = _words(
    r"must|should|shall|urges?|urged|calls? on|calls? upon|appeal\w*|mandate\w*|resolutions?|"
    r"declaration|protocol|principles|commit\w*|refrain|endorse\w*|pledge\w*|ratif\w*|"
    r"to ensure|to prevent|to end|measures|guidelines?|training|definition|defined"
)
_ACTS = {
    "killing_maiming": r"kill\w*|dead|deaths?|died|dying|die|wound\w*|injur\w*|maim\w*|"
    r"casualt\w*|amputat\w*|shot|lost (?:his|her|their|both) \w+|bodies|body|fatalit\w*|"
    r"execut\w*|burn(?:ed|t) alive|blast|explosion|exploded|landmines?|ied|ieds|ordnance|"
    r"shrapnel|victims?|lost (?:their |his |her )?lives?|slain|massacre\w*|murder\w*",
    "recruitment_use": r"recruit\w*|conscript\w*|enlist\w*|soldiers?|fighters?|combatants?|"
    r"ranks|porters?|spies|spy|spying|messengers?|cooks?|guards?|lookouts?|informants?|"
    r"suicide|shields?|training camps?|trained|join(?:ed|ing)?|associated|association|"
    r"frontlines?|front line|took up arms|carry (?:arms|weapons)|bear(?:ing)? arms|"
    r"drafted|mobili[sz]\w*|used as|use of (?:children|boys|girls)|armed groups? used",
    "sexual_violence": r"rap(?:e|ed|es|ing|ist|ists)|sexual\w*|sex|slaves?|slavery|"
    r"marr(?:y|ied|iage|iages)|wives|wife|brides?|prostitut\w*|exploit\w*|abus\w*|"
    r"assault\w*|gang-rap\w*|molest\w*|pregnan\w*|traffick\w*|concubines?",
    "abduction": r"abduct\w*|kidnap\w*|seiz\w*|taken|took|captur\w*|captiv\w*|hostages?|"
    r"missing|disappear\w*|snatch\w*|carried off|forcibly (?:removed|taken|transferred)|"
    r"deport\w*|held|hold|holding|detain\w*|released|freed|rescued|escaped|whereabouts",
}
_FACILITY = _words(
    r"schools?|classrooms?|universit\w*|college|kindergartens?|madras+as?|education\w*|"
    r"hospitals?|clinics?|health (?:cent(?:re|er)s?|facilit\w*|posts?|workers?|care)|"
    r"medical|ambulances?|doctors?|nurses?|teachers?|students?|patients?|maternity|"
    r"p(?:a)?ediatric|wards?|healthcare|medics?|paramedics?|surgeons?"
)
_ATTACK = _words(
    r"attack\w*|struck|strikes?|bomb\w*|shell\w*|hit|raid\w*|storm\w*|loot\w*|burn\w*|"
    r"torch\w*|destroy\w*|destruction|damag\w*|occup\w*|barracks|bases?|ransack\w*|"
    r"target\w*|threat\w*|out of (?:service|operation)|set (?:on )?fire|fired|shot|killed|"
    r"abducted|kidnapped|arrested|detained|besieged|military use|positions|demolish\w*|"
    r"wreck\w*|razed|explosi\w*|airstrikes?|air strikes?|missiles?|rockets?"
)
_AID = _words(
    r"aid|humanitarian\w*|relief|convoys?|trucks?|lorr(?:y|ies)|supplies|deliver\w*|food|"
    r"medicines?|fuel|water|vaccin\w*|assistance|ngos?|agencies|workers?|warehouses?"
)
_BLOCK = _words(
    r"block\w*|den(?:y|ied|ial|ies)|loot\w*|attack\w*|obstruct\w*|imped\w*|restrict\w*|"
    r"prevent\w*|suspend\w*|halt\w*|cut off|turned back|stopped|closed|closure|barred|"
    r"refus\w*|seiz\w*|hijack\w*|killed|abducted|ambush\w*|confiscat\w*|diverted|"
    r"unable to reach|could not reach|no (?:aid|food|fuel)|hard-to-reach|difficult to reach"
)
_SIEGE = _words(
    r"sieges?|besieg\w*|encircl\w*|blockad\w*|starv\w*|famine|encircled|cordon\w*"
)
ACT_PATTERNS = {label: _words(p) for label, p in _ACTS.items()}
CUE_FEATURE_NAMES: tuple[str, ...] = (
    "child",
    "conflict_passage",
    "normative",
    *(
        f"{label}:{kind}"
        for label in LABELS
        for kind in ("act", "act_child", "act_child_conflict", "act_normative")
    ),
)


def _act(label: str, s: str) -> bool:
    if label == "attacks_schools_hospitals":
        return bool(_FACILITY.search(s) and _ATTACK.search(s))
    if label == "denial_humanitarian_access":
        return bool(_SIEGE.search(s) or (_AID.search(s) and _BLOCK.search(s)))
    return bool(ACT_PATTERNS[label].search(s))


def cue_features(sentence: str, conflict_in_passage: bool) -> list[float]:
    """Binary cue features of one normalised sentence, in ``CUE_FEATURE_NAMES`` order."""
    child = bool(CHILD.search(sentence))
    normative = bool(NORMATIVE.search(sentence))
    row = [float(child), float(conflict_in_passage), float(normative)]
    for label in LABELS:
        act = _act(label, sentence)
        row += [
            float(act),
            float(act and child),
            float(act and child and conflict_in_passage),
            float(act and normative),
        ]
    return row
