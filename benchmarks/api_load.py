"""Load test of the REST API on loopback with wrk (Debian package `wrk`).

Starts `gravewatch serve` with N workers on a free port, then in the same run drives GET /healthz
and POST /v1/classify (600-character passages) with the same connection count, and prints
requests per second, p50/p99 latency and errors. Target (issue 4): classify reaches at least 10%
of healthz's requests per second, with p99 under 100 ms and no errors.

    .venv/bin/python benchmarks/api_load.py [--workers 2] [--connections 32] [--duration 15]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.passages import passages  # noqa: E402

LUA = """
bodies = {%s}
counter = 0
request = function()
  counter = counter + 1
  return wrk.format("POST", "/v1/classify", {["Content-Type"] = "application/json"},
                    bodies[(counter %% #bodies) + 1])
end
"""


def texts(lang: str, n: int) -> list[str]:
    """``n`` 600-character passages in ``lang``."""
    if lang == "en":
        return passages(n)
    from benchmarks.language_throughput import documents
    from training.corpus import read_corpus, split_of

    pool = [r.text for r in read_corpus() if r.lang == lang and split_of(r) == "eval"]
    return documents(pool, n, 600)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def lua_string(s: str) -> str:
    return "[==[" + s + "]==]"


def parse_wrk(out: str) -> dict:
    def ms(value: str) -> float:
        number, unit = re.match(r"([\d.]+)(us|ms|s)", value).groups()
        return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)", out, flags=re.M))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    return {
        "requests_per_second": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
        "p50_ms": ms(latency["50"]),
        "p99_ms": ms(latency["99"]),
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
        "socket_errors": socket_errors.group(1).strip() if socket_errors else "none",
    }


def run_wrk(url: str, connections: int, duration: int, script: str | None) -> dict:
    command = ["wrk", "-t", "2", "-c", str(connections), "-d", f"{duration}s", "--latency"]
    if script:
        command += ["-s", script]
    out = subprocess.run(command + [url], capture_output=True, text=True, check=True).stdout
    return parse_wrk(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument(
        "--lang",
        default="en",
        help="en: the synthetic passages; fr, es, ar, uk, ru: the corpus evaluation split's "
        "records in that language, joined and cut to 600 characters",
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install wrk")

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "GRAVEWATCH_LOG_LEVEL": "warning"}
    gravewatch = str(Path(sys.executable).parent / "gravewatch")
    server = subprocess.Popen(
        [
            gravewatch,
            "serve",
            "--train-if-missing",
            "--port",
            str(port),
            "--workers",
            str(args.workers),
        ],
        env=env,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"{base}/readyz", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    sys.exit("the API did not become ready")
                time.sleep(0.3)
        bodies = [json.dumps({"text": t}) for t in texts(args.lang, 64)]
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
            fh.write(LUA % ", ".join(lua_string(b) for b in bodies))
            script = fh.name
        run_wrk(f"{base}/v1/classify", args.connections, 2, script)  # warm-up
        health = run_wrk(f"{base}/healthz", args.connections, args.duration, None)
        classify = run_wrk(f"{base}/v1/classify", args.connections, args.duration, script)
    finally:
        server.terminate()
        server.wait(30)

    ratio = classify["requests_per_second"] / health["requests_per_second"]
    print(
        f"workers={args.workers} connections={args.connections} duration={args.duration}s "
        f"lang={args.lang}"
    )
    print("| endpoint | req/s | p50 ms | p99 ms | non-2xx | socket errors |")
    print("|---|---|---|---|---|---|")
    for name, r in (("GET /healthz", health), ("POST /v1/classify", classify)):
        print(
            f"| {name} | {r['requests_per_second']:.0f} | {r['p50_ms']:.1f} | "
            f"{r['p99_ms']:.1f} | {r['non_2xx']} | {r['socket_errors']} |"
        )
    ok = ratio >= 0.10 and classify["p99_ms"] < 100 and classify["non_2xx"] == 0
    print(
        f"classify/healthz = {ratio:.1%}; target >= 10% with p99 < 100 ms: "
        f"{'met' if ok else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
