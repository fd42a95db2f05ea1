"""The wheel, installed in a new virtual environment and run from a folder outside the checkout,
trains, classifies, scores and serves: it ships everything it reads at run time, and its plain
install (no extras) holds what serving needs and none of the optional parts.

Slow by nature (a build, an install and a small training run: 37 s to 2 minutes on 2 cores):
deselect with ``-m "not wheel"``."""

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import httpx
import pytest

from tests.servers import free_port, log_lines, wait_for_line

pytestmark = pytest.mark.wheel

ROOT = Path(__file__).resolve().parent.parent
OPTIONAL = ("dask", "distributed", "psycopg", "playwright", "schemathesis", "pytest", "hypothesis")
"""Distributions a serving install must not pull (extras and test tools)."""
PASSAGE = "An air strike hit the primary school on Tuesday, killing two pupils aged 9 and 11."
TRAIN = ["train", "--sample", "400", "--params", '{"cv": 2}']
"""A small, quick model: 400 corpus records, 2-fold cross-validation."""


def run(command: list, cwd: Path, env: dict, timeout: float = 300) -> subprocess.CompletedProcess:
    args = [str(x) for x in command]
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"{command} failed:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def wheel_install(tmp_path_factory):
    """(the new environment's bin folder, a working folder outside the checkout, the
    environment variables: no GRAVEWATCH_* setting, so defaults apply)."""
    work = tmp_path_factory.mktemp("wheel")
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("GRAVEWATCH_")
        and k not in ("PYTHONPATH", "VIRTUAL_ENV", "PROMETHEUS_MULTIPROC_DIR")
    }
    # Build from a copy of the project's files, so that the checkout gets no build/ folder.
    source = work / "source"
    source.mkdir()
    skip = shutil.ignore_patterns("__pycache__", "*.egg-info")
    for name in ("training", "service", "labels"):
        shutil.copytree(ROOT / name, source / name, symlinks=True, ignore=skip)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    pip_wheel = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", work / "dist"]
    run([*pip_wheel, source], work, env)
    (wheel,) = (work / "dist").glob("gravewatch-*.whl")
    venv = work / "venv"
    run([sys.executable, "-m", "venv", venv], work, env)
    run([venv / "bin" / "python", "-m", "pip", "install", "-q", wheel], work, env, timeout=600)
    here = work / "elsewhere"
    here.mkdir()
    return venv / "bin", here, env, wheel


@pytest.fixture(scope="module")
def wheel_model(wheel_install):
    """``gravewatch train`` (small) run in the working folder: the model lands in ./models."""
    bin_dir, here, env, _ = wheel_install
    result = run([bin_dir / "gravewatch", *TRAIN], here, env)
    assert "(a sample of 400 of " in result.stdout and "now active" in result.stdout
    version = (here / "models" / "ACTIVE").read_text().strip()
    assert version in result.stdout
    return version


def test_the_wheel_holds_the_package_data(wheel_install):
    names = set(zipfile.ZipFile(wheel_install[3]).namelist())
    corpus = {p.name for p in (ROOT / "labels" / "corpus").glob("*.jsonl")}
    assert corpus and {f"training/labels/corpus/{n}" for n in corpus} <= names
    assert "training/labels/taxonomy.toml" in names
    web = {p.name for p in (ROOT / "service" / "web").iterdir()}
    assert {f"service/web/{n}" for n in web} <= names
    migrations = {p.name for p in (ROOT / "service/store/migrations/versions").glob("*.py")}
    assert {f"service/store/migrations/versions/{n}" for n in migrations} <= names


def test_the_plain_install_runs_from_site_packages_without_optional_parts(wheel_install):
    bin_dir, here, env, _ = wheel_install
    code = (
        "import json, importlib.metadata as m, service, training.taxonomy as t; "
        "print(json.dumps([service.__file__, str(t.TAXONOMY_PATH), "
        "sorted(d.metadata['Name'].lower() for d in m.distributions())]))"
    )
    output = run([bin_dir / "python", "-c", code], here, env).stdout
    service_file, taxonomy, installed = json.loads(output)
    site = str(bin_dir.parent / "lib")
    assert service_file.startswith(site) and taxonomy.startswith(site)
    assert not set(installed) & set(OPTIONAL), f"serving pulled {set(installed) & set(OPTIONAL)}"


def test_wheel_validates_its_corpus_and_classifies(wheel_install, wheel_model):
    bin_dir, here, env, _ = wheel_install
    assert run([bin_dir / "gravewatch", "corpus", "validate"], here, env).stdout == "corpus OK\n"
    prediction = json.loads(run([bin_dir / "gravewatch", "classify", PASSAGE], here, env).stdout)
    assert prediction["model"] == wheel_model
    assert "killing_maiming" in [x["label"] for x in prediction["labels"]]


def test_wheel_scores_a_jsonl_file(wheel_install, wheel_model):
    bin_dir, here, env, _ = wheel_install
    docs = [
        {"id": "a", "text": PASSAGE},
        {"id": "b", "text": "The ministry opened a new road between the two towns."},
        {"id": "c", "text": PASSAGE.upper()},
    ]
    (here / "in.jsonl").write_text("".join(json.dumps(d) + "\n" for d in docs))
    run([bin_dir / "gravewatch", "score", "in.jsonl", "-o", "out.jsonl"], here, env)
    rows = [json.loads(x) for x in (here / "out.jsonl").read_text().splitlines()]
    assert [r["id"] for r in rows] == ["a", "b", "c"]
    assert {r["model"] for r in rows} == {wheel_model}
    assert [r["duplicate_of"] for r in rows] == [None, None, "a"]


def test_wheel_serves_the_api_and_the_review_page(wheel_install, wheel_model):
    bin_dir, here, env, _ = wheel_install
    port = free_port()
    command = [str(bin_dir / "gravewatch"), "serve", "--port", str(port), "--upgrade-db"]
    server = subprocess.Popen(command, cwd=here, env=env, stderr=subprocess.PIPE, text=True)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_for_line(log_lines(server.stderr), lambda x: f"Gravewatch listening on {url}" in x)
        assert httpx.get(f"{url}/healthz").json() == {"status": "ok"}
        response = httpx.post(f"{url}/v1/classify", json={"id": "a1", "text": PASSAGE})
        assert response.status_code == 200 and response.json()["model"] == wheel_model
        assert "killing_maiming" in [x["label"] for x in response.json()["labels"]]
        assert httpx.get(f"{url}/v1/labels").json()["labels"][0]["id"] == "killing_maiming"
        page = httpx.get(f"{url}/review")
        assert page.status_code == 200 and "review.js" in page.text
        assert httpx.get(f"{url}/review/review.js").status_code == 200
        assert (here / "data" / "gravewatch.db").is_file()  # migrations shipped and applied
    finally:
        server.terminate()
        server.wait(20)
