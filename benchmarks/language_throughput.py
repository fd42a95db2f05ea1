"""Scoring throughput per language and length, with 1 and 2 worker processes, beside a plain
word TF-IDF + logistic regression pipeline on the same texts in the same run.

Texts are built from the corpus evaluation split of each language: 600-character passages and
3,000-character articles (records joined until long enough, cut at a word). Each worker is a
process pinned to its own core that scores its share in batches and produces
prediction-schema objects (scores, evidence spans, language).

Targets (issue 12, 2 cores): English >= 1,500 documents/s of 600 characters, any other
language >= 300/s.

    .venv/bin/python benchmarks/language_throughput.py [--documents 1200] [--repeat 2]
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import multiprocessing as mp  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


from benchmarks.passages import plain_pipeline  # noqa: E402
from training.corpus import read_corpus, split_of  # noqa: E402
from training.registry import load_predictor  # noqa: E402
from training.schemas import LANGS  # noqa: E402

LENGTHS = (600, 3000)  # a passage and an article


def documents(pool: list[str], n: int, length: int) -> list[str]:
    """``n`` texts of about ``length`` characters, joined from ``pool`` in turn."""
    out, i = [], 0
    for _ in range(n):
        text = ""
        while len(text) < length:
            text += pool[i % len(pool)] + "\n\n"
            i += 1
        out.append(text[:length].rsplit(" ", 1)[0])
    return out


def _worker(args) -> float:
    core, scorer_name, texts, batch = args
    os.sched_setaffinity(0, {core})
    scorer = _SCORERS[scorer_name]
    scorer(texts[:16])  # warm caches (tokeniser tables, the encoder's weights)
    start = time.perf_counter()
    for i in range(0, len(texts), batch):
        scorer(texts[i : i + batch])
    return time.perf_counter() - start


_SCORERS: dict = {}


def rate(scorer_name: str, texts: list[str], workers: int, batch: int, repeat: int) -> float:
    """Documents per second over ``workers`` processes, each on its own core (best of
    ``repeat``); the wall time of the slowest worker counts."""
    cores = sorted(os.sched_getaffinity(0))[:workers]
    shares = [texts[i::workers] for i in range(workers)]
    best = 0.0
    ctx = mp.get_context("fork")
    for _ in range(repeat):
        with ctx.Pool(workers) as pool:
            seconds = pool.map(
                _worker, [(c, scorer_name, s, batch) for c, s in zip(cores, shares, strict=True)]
            )
        best = max(best, len(texts) / max(seconds))
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=1200)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--langs", default=",".join(LANGS))
    args = parser.parse_args()

    records = read_corpus()
    train = [r for r in records if split_of(r) == "train"]
    plain = plain_pipeline(train)
    predictor, _ = load_predictor()
    _SCORERS["gravewatch"] = predictor.predict
    _SCORERS["plain"] = plain.predict_proba

    print(
        f"{args.documents} documents per cell, batches of {args.batch}, best of {args.repeat}; "
        f"model {predictor.version}; documents/s"
    )
    print("| language | length | Gravewatch 1 worker | 2 workers | plain TF-IDF 1 | 2 |")
    print("|---|---|---|---|---|---|")
    for lang in args.langs.split(","):
        pool = [r.text for r in records if r.lang == lang and split_of(r) == "eval"]
        for length in LENGTHS:
            texts = documents(pool, args.documents, length)
            cells = [
                rate(name, texts, workers, args.batch, args.repeat)
                for name in ("gravewatch", "plain")
                for workers in (1, 2)
            ]
            print(f"| {lang} | {length} | " + " | ".join(f"{c:,.0f}" for c in cells) + " |")


if __name__ == "__main__":
    main()
