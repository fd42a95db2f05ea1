"""Factories shared by the tests: keys, stored documents, apps, the score command."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

from fastapi.testclient import TestClient

from service.app import create_app
from service.config import Settings
from service.store import repository as repo
from service.store.service import Store


def key(store: Store, name: str, role: str) -> dict:
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
