"""Precision and recall of duplicate detection on syndicated copies built from the corpus.

Each original passage gets copies as outlets publish them: a dateline and agency byline added,
a different headline on top, the lead sentence rewritten, a sign-off appended, or several of
these at once. Distinct passages about the same violation in the same region are the hard
non-duplicates. Documents arrive originals first, copies shuffled among other originals.

A second set holds stories that are not duplicates but share text, as a news desk writes them:
groups of three reports of different incidents (corpus passages) that share a background
paragraph about the region's conflict, and often a quote and the outlet's boilerplate, in
either order. Half of those stories also get syndicated copies, so that precision and recall
are both measured on it.

    .venv/bin/python benchmarks/dedup_quality.py [--originals 1000] [--groups 300]
"""

from __future__ import annotations

import argparse
import bisect
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from service.batch.dedup import DuplicateIndex, content_hash, signature  # noqa: E402
from training.corpus import read_corpus  # noqa: E402
from training.segment import segment  # noqa: E402

DATELINES = ["GOMA, Nov 3 (Wire) - ", "ADEN (AFP) — ", "By Staff Reporter\n\n", "KHARTOUM: "]
HEADLINES = ["Fresh violence reported\n\n", "UN alarmed by new attacks\n\n", "Residents flee\n\n"]
SIGNOFFS = [
    " (Reporting by A. Writer; Editing by B. Editor)",
    " ©2026 Example News.",
    "\n\nRead more: example.org/world",
]
LEADS = [
    "Local sources gave this account on Wednesday. ",
    "The following was reported by officials in the area. ",
    "New details emerged this week about the events. ",
]


def copy_of(text: str, rng: random.Random) -> tuple[str, str]:
    """A syndicated copy of ``text`` and the kind of edit."""
    kind = rng.choice(["dateline", "headline", "lead", "signoff", "all"])
    out = text
    if kind in ("lead", "all"):
        spans = segment(text)
        rest = text[spans[1][0] :] if len(spans) > 1 else text  # drop the lead sentence
        out = rng.choice(LEADS) + rest
    if kind in ("dateline", "all"):
        out = rng.choice(DATELINES) + out
    if kind in ("headline", "all"):
        out = rng.choice(HEADLINES) + out
    if kind in ("signoff", "all"):
        out = out + rng.choice(SIGNOFFS)
    return out, kind


def build(originals: int, seed: int = 0) -> list[tuple[str, str, str | None]]:
    """``(id, text, id of the original or None)`` in arrival order."""
    rng = random.Random(seed)
    records = [r for r in read_corpus() if len(r.text) >= 200]
    rng.shuffle(records)
    chosen = records[:originals]
    stream = [(r.id, r.text, None) for r in chosen]
    copies = []
    for r in chosen[: originals // 2]:
        for j in range(rng.randint(1, 3)):
            text, kind = copy_of(r.text, rng)
            copies.append((f"{r.id}~{kind}{j}", text, r.id))
    rng.shuffle(copies)
    return stream + copies


QUOTES = [
    '"Children must never be a target," the UNICEF representative said in a statement.',
    '"We call on all parties to respect international humanitarian law," a UN spokesperson said.',
    '"The violence against civilians has to stop now," the regional governor told reporters.',
    '"Our teams are working around the clock to reach families in need," an aid worker said.',
]
BOILERPLATE = [
    "This story has been updated with additional reporting. Follow our live coverage for the "
    "latest developments.",
    "Additional reporting by our correspondents in the region. Sign up for our daily briefing.",
    "(Compiled by the World Desk; editing by the duty editor.) Read more from the region.",
]


def build_shared(groups: int, seed: int = 0) -> list[tuple[str, str, str | None]]:
    """Stories of different incidents sharing a background paragraph (and often a quote and
    boilerplate), three per group, then syndicated copies of half of them."""
    rng = random.Random(seed)
    records = read_corpus()
    incidents = [r for r in records if r.labels and len(r.text) >= 200]
    backgrounds = [r for r in records if not r.labels and len(r.text) >= 200]
    rng.shuffle(backgrounds)
    stream = []
    by_length = sorted(incidents, key=lambda r: len(r.text))
    lengths = [len(r.text) for r in by_length]
    used: set[str] = set()  # each report is used once: stories of different incidents
    for g in range(groups):
        background = backgrounds[g % len(backgrounds)].text
        shared = [background]
        if rng.random() < 0.5:
            shared.append(rng.choice(QUOTES))
        if rng.random() < 0.5:
            shared.append(rng.choice(BOILERPLATE))
        # a report is at least as long as its background paragraph
        start = bisect.bisect_left(lengths, len(background))
        unused = [r for r in by_length[start:] if r.id not in used]
        if len(unused) < 3:
            continue  # no three unused reports that long: skip this background
        for record in rng.sample(unused, 3):
            used.add(record.id)
            story = record.text
            parts = [story, *shared] if rng.random() < 0.7 else [shared[0], story, *shared[1:]]
            stream.append((f"g{g}s{record.id}", "\n\n".join(parts), None))
    copies = []
    for doc_id, text, _ in stream[::2]:
        for j in range(rng.randint(1, 2)):
            copy, kind = copy_of(text, rng)
            copies.append((f"{doc_id}~{kind}{j}", copy, doc_id))
    rng.shuffle(copies)
    return stream + copies


def measure(stream) -> dict:
    """A copy counts as found when it is matched to its original or to another copy of it."""
    index = DuplicateIndex()
    group = {doc_id: original or doc_id for doc_id, _, original in stream}
    tp = fp = fn = 0
    missed: dict[str, int] = {}
    for doc_id, text, original in stream:
        digest, sig = content_hash(text), signature(text)
        found = index.find(digest, sig)
        kind = doc_id.split("~")[1].rstrip("0123456789") if original else None
        if original is not None and (found is None or group[found] != original):
            fn += 1
            missed[kind] = missed.get(kind, 0) + 1
        if found is None:
            index.add(doc_id, digest, sig)
        elif original is not None and group[found] == original:
            tp += 1
        else:
            fp += 1
    copies = sum(o is not None for _, _, o in stream)
    kinds: dict[str, int] = {}
    for doc_id, _, original in stream:
        if original is not None:
            kind = doc_id.split("~")[1].rstrip("0123456789")
            kinds[kind] = kinds.get(kind, 0) + 1
    return {
        "recall_by_edit": {k: 1 - missed.get(k, 0) / n for k, n in sorted(kinds.items())},
        "documents": len(stream),
        "copies": copies,
        "precision": tp / (tp + fp) if tp + fp else 1.0,
        "recall": tp / copies if copies else 1.0,
        "false_positives": fp,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--originals", type=int, default=1000)
    parser.add_argument("--groups", type=int, default=300)
    args = parser.parse_args()
    for name, stream in (
        ("syndicated copies", build(args.originals)),
        ("stories sharing background paragraphs", build_shared(args.groups)),
    ):
        result = measure(stream)
        print(
            f"{name}: {result['documents']} documents, {result['copies']} copies: precision "
            f"{result['precision']:.3f}, recall {result['recall']:.3f} "
            f"({result['false_positives']} false positives)"
        )
        for kind, recall in result["recall_by_edit"].items():
            print(f"  recall, {kind} edited: {recall:.3f}")


if __name__ == "__main__":
    main()
