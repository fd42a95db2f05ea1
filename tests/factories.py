"""Factories shared by the tests: keys, stored documents, apps, the score command, batch
inputs (corpus documents, a feed, a page)."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

from fastapi.testclient import TestClient

from service.app import create_app
from service.config import Settings
from service.store import repository as repo
from service.store.db import Database
from training.corpus import read_corpus


def key(store: Database, name: str, role: str) -> dict:
    """Authorization headers for a new key ``name`` with ``role``."""
    with store.sessions.begin() as session:
        return {"Authorization": f"Bearer {repo.create_key(session, name, role)}"}


def add_documents(client: TestClient, headers: dict, *texts: str) -> list[str]:
    """Classify and store ``texts`` (ids doc0, doc1, ...); the stored documents' ids."""
    items = [{"id": f"doc{i}", "text": t, "store": True} for i, t in enumerate(texts)]
    response = client.post("/v1/classify/batch", json={"items": items}, headers=headers)
    assert response.status_code == 200, response.text
    return [r["document"] for r in response.json()["results"]]


def app_client(settings: Settings) -> TestClient:
    return TestClient(create_app(settings))


def error_of(response) -> dict:
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    return body["error"]


def score(args: list[str], env: dict, **kwargs):
    """Run ``gravewatch score ARGS`` in-process; never a traceback, only clean exits."""
    from typer.testing import CliRunner

    from service.cli import app
    from service.config import get_settings

    get_settings.cache_clear()
    result = CliRunner().invoke(app, ["score", *args], env=env, **kwargs)
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def clone_model(source: Path, version: str, new: str, models: Path | None = None, **card) -> str:
    """Register model ``version`` of the ``source`` models directory again as ``new`` (in
    ``models``, by default the same directory), with ``card`` fields changed and its checksums
    renewed: a second valid version without training one."""
    models = models or source
    shutil.copytree(source / version, models / new)
    for leftover in ("REJECTED.json",):
        (models / new / leftover).unlink(missing_ok=True)
    card_path = models / new / "card.json"
    content = {**json.loads(card_path.read_text()), "version": new, **card}
    card_path.write_text(json.dumps(content))
    sums = json.loads((models / new / "checksums.json").read_text())
    sums["card.json"] = hashlib.sha256(card_path.read_bytes()).hexdigest()
    (models / new / "checksums.json").write_text(json.dumps(sums))
    return new


# The thresholds of the model a user test ran: three of them below the default bulk-accept
# margin (0.4).
UX_THRESHOLDS = {
    "killing_maiming": 0.45,
    "recruitment_use": 0.35,
    "sexual_violence": 0.37,
    "attacks_schools_hospitals": 0.5,
    "abduction": 0.405,
    "denial_humanitarian_access": 0.33,
}

RSS = """<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>
<item><title>School attacked</title><link>https://news.example/a</link><guid>a1</guid>
<pubDate>Tue, 03 Nov 2026 10:00:00 GMT</pubDate>
<description>&lt;p&gt;Gunmen &lt;b&gt;burned&lt;/b&gt; the school.&lt;/p&gt;</description></item>
<item><title>Markets</title><link>https://news.example/b</link>
<description>Markets reopened.</description></item></channel></rss>"""
PAGE = """<html><head><title>Village raided</title></head><body>
<nav><a href="/">Home</a> | <a href="/world">World</a> | <a href="/sport">Sport</a></nav>
<article><h1>Village raided</h1>
<p>Fighters raided the village of Kalo on Tuesday night and abducted fourteen boys, according
to local officials who spoke to reporters in the district town the next morning.</p>
<p>The army said it had sent troops to pursue the group, which has attacked several villages in
the area since the start of the rainy season, and called on residents to stay calm.</p>
<p>Aid agencies said families who fled the raid were sheltering in a school and a church.</p>
</article><footer>Copyright 2026 Example News. All rights reserved. Cookie settings.</footer>
</body></html>"""


def corpus_lines(n: int) -> list[dict]:
    """``n`` documents from the shipped corpus; every tenth repeats the one five before it with
    a dateline added (a syndicated copy)."""
    texts = [r.text for r in read_corpus()]
    docs = []
    for i in range(n):
        if i % 10 == 9:
            docs.append({"id": f"d{i}", "text": "BUNIA (Wire) - " + docs[i - 5]["text"]})
        else:
            docs.append({"id": f"d{i}", "text": texts[i % len(texts)]})
    return docs


def write(path: Path, docs: list[dict]) -> Path:
    path.write_text("".join(json.dumps(d) + "\n" for d in docs))
    return path


INCIDENT = "Gunmen stormed the school at night and abducted 40 girls aged 11 to 16."
CALM = "The city council approved the new library budget on Monday."
SHELLING = "Shelling hit the market, and residents said a boy was among the wounded."


def write_corpus(path: Path, records) -> Path:
    """``records`` as a corpus file at ``path``."""
    return write(path, [r.model_dump(mode="json") for r in records])


def review(client, doc_id, headers, labels, end=40):
    """Post a review of ``labels``, each with the span ``[0, end)``; it must be stored."""
    evidence = [{"label": label, "start": 0, "end": end} for label in labels]
    response = client.post(
        f"/v1/documents/{doc_id}/reviews",
        json={"labels": labels, "evidence": evidence},
        headers=headers,
    )
    assert response.status_code == 201, response.text


def crash_after(monkeypatch, batches: int) -> None:
    """Make the batch job crash (KeyboardInterrupt) when it writes batch ``batches + 1``."""
    from service.batch import job as job_module

    real = job_module._write_batch
    calls = {"n": 0}

    def failing(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] > batches:
            raise KeyboardInterrupt("simulated crash")
        return real(*args, **kwargs)

    monkeypatch.setattr(job_module, "_write_batch", failing)
