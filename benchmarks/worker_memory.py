"""Peak memory of a scoring worker: a process that loads the active model and scores
3,000-character articles (built from the corpus evaluation split, every language) in batches,
beside the same process before it loads the model (the baseline in the same run).

Target (issue 12): a worker under 1 GB.

    .venv/bin/python benchmarks/worker_memory.py [--articles 330] [--batch 256]
"""

from __future__ import annotations

import argparse
import resource
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.language_throughput import documents  # noqa: E402
from training.corpus import read_corpus, split_of  # noqa: E402
from training.registry import load_predictor  # noqa: E402


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=330)
    parser.add_argument("--batch", type=int, default=256)
    args = parser.parse_args()
    pool = [r.text for r in read_corpus() if split_of(r) == "eval"]
    texts = documents(pool, args.articles, 3000)
    before = peak_mb()
    predictor, _ = load_predictor()
    loaded = peak_mb()
    for i in range(0, len(texts), args.batch):
        predictor.predict(texts[i : i + args.batch])
    print(
        f"model {predictor.version}: {len(texts)} articles of 3,000 characters in batches of "
        f"{args.batch}; peak resident memory {before:.0f} MB before loading the model, "
        f"{loaded:.0f} MB loaded, {peak_mb():.0f} MB after scoring (target: under 1,024 MB)"
    )


if __name__ == "__main__":
    main()
