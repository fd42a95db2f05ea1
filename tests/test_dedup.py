"""Duplicate detection: syndicated copies are found, distinct reports are not merged."""

from benchmarks.dedup_quality import build, measure
from service.batch.dedup import (
    MIN_COVERED,
    NUM_PERM,
    DuplicateIndex,
    _shingles,
    content_hash,
    covered,
    signature,
)


def test_whitespace_and_case_do_not_make_a_new_document():
    assert content_hash("Gunmen  took\nthe boys.") == content_hash("gunmen took the boys.")


def test_copies_with_datelines_headlines_and_signoffs_are_all_found():
    result = measure(build(300, seed=1))
    recall = result["recall_by_edit"]
    assert recall["dateline"] == recall["headline"] == recall["signoff"] == 1.0
    assert result["precision"] >= 0.98
    assert result["recall"] >= 0.8


def test_index_answers_with_the_first_document():
    index = DuplicateIndex()
    text = (
        "Fighters raided the village of Kalo at night and abducted fourteen boys, officials said."
    )
    index.add("first", content_hash(text), signature(text))
    copy = "KALO (Wire) - " + text + " (Reporting by A. Writer)"
    assert index.find(content_hash(copy), signature(copy)) == "first"
    other = "The council approved the budget for new roads and two clinics on Monday."
    assert index.find(content_hash(other), signature(other)) is None


BACKGROUND = (
    "The district has seen repeated fighting since armed groups seized the main road in March. "
    "Aid agencies say more than 40,000 people have fled their homes, and most schools in the "
    "area have been closed for months. The United Nations has called on all parties to protect "
    "civilians and to allow humanitarian convoys to pass."
)
STORIES = [  # three reports, each as long as the background paragraph they share
    "Two children were killed and three wounded when a mortar round struck a market in Kalo "
    "on Sunday morning, local officials said. The shell landed near a stall selling bread as "
    "families shopped before the curfew. A nurse at the district clinic said the wounded boys "
    "were aged between six and eleven, and that one was in a critical condition.",
    "Teachers in Kalo went on strike on Monday to demand salaries that have not been paid since "
    "July, leaving classrooms empty across the town. Union leaders said more than two hundred "
    "teachers had joined the walkout and would stay out until the provincial government paid "
    "them. Parents said their children had already lost most of the school year.",
    "Farmers near Kalo said the harvest had failed for a second year because of the drought, "
    "and that sorghum prices in the market had tripled since spring. Agronomists from the "
    "provincial office toured the fields on Thursday and promised seed for the next planting "
    "season, but many families said they had already sold their goats to buy food.",
]


def test_stories_sharing_a_background_paragraph_are_not_duplicates():
    index = DuplicateIndex()
    for n, story in enumerate(STORIES):
        text = story + "\n\n" + BACKGROUND
        assert index.find(content_hash(text), signature(text)) is None, STORIES[n]
        index.add(f"s{n}", content_hash(text), signature(text))
    copy = "KALO (Wire) - " + STORIES[0] + "\n\n" + BACKGROUND + " (Reporting by A. Writer)"
    assert index.find(content_hash(copy), signature(copy)) == "s0"


ORIGINAL = (
    "Gunmen on motorcycles stormed the village of Kalo before dawn on Sunday, abducting fourteen "
    "boys aged between ten and sixteen from their homes and setting fire to the primary school "
    "and two granaries near the well, local officials and residents said. The attackers fired "
    "into the air as they went from house to house, and parents said the boys were marched "
    "towards the forest east of the village. "
    "Two teachers who tried to stop them were beaten. The army said it had sent troops to the "
    "area and that a search was under way."
)
REWRITTEN_LEAD = (  # new headline, dateline and lead sentence, a sign-off: under 60% in common
    "Boys seized in night raid\n\n"
    "KALO, Nov 3 (Wire) - Armed men abducted fourteen boys in a raid on a village, officials said. "
    + ORIGINAL.split(". ", 1)[1]
    + "\n\n(Reporting by A. Writer; Editing by B. Editor)"
)


def test_a_copy_with_a_rewritten_lead_is_found():
    assert min(covered(signature(ORIGINAL), signature(REWRITTEN_LEAD))) < MIN_COVERED
    index = DuplicateIndex()
    index.add("first", content_hash(ORIGINAL), signature(ORIGINAL))
    assert index.find(content_hash(REWRITTEN_LEAD), signature(REWRITTEN_LEAD)) == "first"


def test_a_copy_is_found_by_a_signature_from_an_older_journal():
    """Journals written before the body was kept hold signatures without it."""
    old = signature(ORIGINAL)[: (NUM_PERM + 1 + len(_shingles(ORIGINAL))) * 4]
    index = DuplicateIndex()
    index.add("first", content_hash(ORIGINAL), old)
    copy = "KALO (Wire) - " + ORIGINAL + " (Reporting by A. Writer)"
    assert index.find(content_hash(copy), signature(copy)) == "first"


ONE_SENTENCE_REPORTS = [  # one-sentence reports, each longer than the background paragraph they share
    "Two children were killed and three wounded when a mortar round struck the crowded market "
    "in Kalo on Sunday morning as families shopped for bread and vegetables before the evening "
    "curfew, according to local officials and a nurse at the district clinic who said that the "
    "wounded boys were aged between six and eleven and that one was in a critical condition.",
    "Teachers across Kalo went on strike on Monday to demand salaries that have not been paid "
    "since July, leaving classrooms empty in every school in the town, and union leaders said "
    "more than two hundred teachers would stay out until the provincial government paid them, "
    "while parents said their children had already lost most of the school year to the fighting.",
]


def test_text_that_two_earlier_stories_share_is_background():
    index = DuplicateIndex()
    for n, report in enumerate(ONE_SENTENCE_REPORTS):
        text = report + "\n\n" + BACKGROUND
        assert index.find(content_hash(text), signature(text)) is None, report
        index.add(f"s{n}", content_hash(text), signature(text))
    text = "Residents gave this account on Wednesday. " + BACKGROUND
    assert index.find(content_hash(text), signature(text)) is None


def test_precision_on_documents_sharing_background_paragraphs():
    """Reports sharing a background paragraph are not duplicates. Measured on the corpus of
    7,112 records (2026-12-06), seeds 0-3: precision 0.991, 0.986, 0.994, 1.000; the misses
    are one-sentence reports the shared paragraph makes 60% of (README, Figures)."""
    from benchmarks.dedup_quality import build_shared

    result = measure(build_shared(150, seed=1))
    assert result["precision"] >= 0.98 and result["recall"] >= 0.9
