"""Batch scoring throughput and memory: `gravewatch score` with 1 and 2 worker processes, in
the same run, on 600-character documents; peak resident memory of the whole process tree.

Targets (issue 5): 2 workers at least 1.6x one worker; at least 5,000 documents/s on 2 cores;
200,000 documents under 1 GB resident.

    .venv/bin/python benchmarks/batch_throughput.py [--documents 50000] [--memory-documents 200000]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from training.corpus import read_corpus  # noqa: E402

GRAVEWATCH = str(Path(sys.executable).parent / "gravewatch")


def write_documents(path: Path, n: int, seed: int = 0) -> None:
    """``n`` distinct 600-character documents: two corpus passages joined, with a unique
    reference line, cut to 600 characters."""
    rng = random.Random(seed)
    texts = [r.text for r in read_corpus()]
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            text = f"Ref {i:07d} {rng.random():.6f}. " + rng.choice(texts) + " " + rng.choice(texts)
            fh.write(json.dumps({"id": f"doc-{i}", "text": text[:600]}) + "\n")


def _tree_rss(pid: int) -> int:
    """Resident bytes of ``pid`` and all its descendants (Linux /proc)."""
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        try:
            with open(f"/proc/{p}/status") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as fh:
                    stack += [int(c) for c in fh.read().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


def run(source: Path, workers: int, out_dir: Path) -> dict:
    out = out_dir / f"{source.stem}-{workers}.jsonl"
    command = [GRAVEWATCH, "score", str(source), "-o", str(out), "--workers", str(workers)]
    start = time.perf_counter()
    proc = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    peak = 0

    def watch() -> None:
        nonlocal peak
        while proc.poll() is None:
            peak = max(peak, _tree_rss(proc.pid))
            time.sleep(0.2)

    watcher = threading.Thread(target=watch)
    watcher.start()
    _, err = proc.communicate()
    watcher.join()
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"gravewatch score failed ({proc.returncode}): {err}")
    lines = sum(1 for _ in out.open())
    steady = re.search(r"\((\d+) documents/s\)", err)
    return {
        "workers": workers,
        "documents": lines,
        "seconds": seconds,
        "rate": lines / seconds,
        "peak_rss_mb": peak / 2**20,
        "scoring_rate": float(steady.group(1)) if steady else 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=50_000)
    parser.add_argument("--memory-documents", type=int, default=200_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        source = tmp / "docs.jsonl"
        write_documents(source, args.documents)
        one = run(source, 1, tmp)
        two = run(source, 2, tmp)
        print(
            f"{args.documents} documents of 600 characters, whole command timed "
            f"(start-up, model loading, reading, scoring, deduplication, writing)"
        )
        print(
            "| workers | documents/s, whole command | documents/s, job after start-up | "
            "seconds | peak RSS (MB) |"
        )
        print("|---|---|---|---|---|")
        for r in (one, two):
            print(
                f"| {r['workers']} | {r['rate']:.0f} | {r['scoring_rate']:.0f} | "
                f"{r['seconds']:.1f} | {r['peak_rss_mb']:.0f} |"
            )
        speedup = two["scoring_rate"] / one["scoring_rate"]
        print(
            f"after start-up: 2 workers / 1 worker = {speedup:.2f}x (target 1.6x); 2 workers "
            f"{two['scoring_rate']:.0f} documents/s (target 5,000)"
        )
        if args.memory_documents:
            big = tmp / "big.jsonl"
            write_documents(big, args.memory_documents, seed=1)
            mem = run(big, 2, tmp)
            print(
                f"{args.memory_documents} documents with 2 workers: {mem['rate']:.0f} "
                f"documents/s, peak resident memory {mem['peak_rss_mb']:.0f} MB "
                f"(target under 1024 MB)"
            )


if __name__ == "__main__":
    main()
