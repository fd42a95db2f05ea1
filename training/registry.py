"""Model artifacts on disk: ``models/<version>/`` with the model, its card and checksums.

Layout::

    models/
      ACTIVE                  # the active version's name (replaced atomically)
      ACTIVATIONS.jsonl       # every activation: version, time, by whom, why (for rollback)
      <version>/
        model.joblib          # the fitted GraveViolationClassifier
        card.json             # what it was trained on, how, and how well it did
        checksums.json        # SHA-256 of model.joblib and card.json
        REJECTED.json         # only for a candidate the evaluation gate refused

A model is unpickled only after its checksum matches, and only if it was trained with the
scikit-learn version that is installed.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import tempfile
from datetime import UTC, datetime
from importlib.metadata import version as package_version
from pathlib import Path

import joblib
import numpy
import scipy
import sklearn
from pydantic import BaseModel, Field

from training.encoder import ENCODER_PACKAGE, encoder_version
from training.model import FEATURES_VERSION, GraveViolationClassifier
from training.predict import Predictor
from training.resources import default_home

MODEL_FILE = "model.joblib"
CARD_FILE = "card.json"
CHECKSUM_FILE = "checksums.json"
ACTIVE_FILE = "ACTIVE"
ACTIVATIONS_FILE = "ACTIVATIONS.jsonl"
REJECTED_FILE = "REJECTED.json"
DEFAULT_MODELS_DIR = default_home() / "models"


class RegistryError(Exception):
    """A model cannot be saved, found or trusted; the message says what to do."""


class ModelCard(BaseModel):
    """Metadata that travels with a model artifact."""

    version: str = Field(description="Model version (directory name under models/).")
    created_at: datetime = Field(description="When training finished (UTC).")
    libraries: dict[str, str] = Field(description="Library versions used for training.")
    corpus: dict = Field(description="Corpus files, checksum, record counts and seed.")
    parameters: dict = Field(description="Estimator parameters.")
    thresholds: dict[str, float] = Field(description="Decision threshold per label.")
    threshold_rule: str = Field(description="How thresholds were chosen.")
    cross_validation: dict = Field(description="Out-of-fold Brier score and positives per label.")
    evaluation: dict = Field(default_factory=dict, description="Evaluation-split figures.")


PINNED_LIBRARIES = ("scikit-learn", ENCODER_PACKAGE, "py3langid", "gravewatch-features")
"""A model loads only where these are the versions it was trained with: the pickled estimator,
the sentence encoder, the language detector, and the feature code itself."""


def library_versions() -> dict[str, str]:
    return {
        "python": platform.python_version(),
        "scikit-learn": sklearn.__version__,
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
        "joblib": joblib.__version__,
        ENCODER_PACKAGE: encoder_version(),
        "py3langid": package_version("py3langid"),
        "gravewatch-features": FEATURES_VERSION,
    }


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def new_version(corpus_checksum: str = "") -> str:
    """``<UTC timestamp>-<6 hex digits of a hash of the stamp and the training corpus>``."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    return f"{stamp}-{hashlib.sha256((stamp + corpus_checksum).encode()).hexdigest()[:6]}"


def _write_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def save_model(
    model: GraveViolationClassifier,
    card: ModelCard,
    models_dir: Path = DEFAULT_MODELS_DIR,
    extra_files: dict[str, bytes] | None = None,
) -> Path:
    """Write ``models/<version>/`` completely under a temporary name, then rename it.
    ``extra_files`` (such as the reviews a model was trained on) are checksummed too."""
    models_dir.mkdir(parents=True, exist_ok=True)
    final = models_dir / card.version
    if final.exists():
        raise RegistryError(f"model version {card.version} already exists in {models_dir}")
    tmp = Path(tempfile.mkdtemp(dir=models_dir, prefix=f".tmp-{card.version}-"))
    try:
        joblib.dump(model, tmp / MODEL_FILE, compress=3)
        (tmp / CARD_FILE).write_text(card.model_dump_json(indent=2), encoding="utf-8")
        for name, content in (extra_files or {}).items():
            (tmp / name).write_bytes(content)
        names = (MODEL_FILE, CARD_FILE, *(extra_files or {}))
        sums = {name: _sha256(tmp / name) for name in names}
        (tmp / CHECKSUM_FILE).write_text(json.dumps(sums, indent=2), encoding="utf-8")
        os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final


def set_active(
    version: str,
    models_dir: Path = DEFAULT_MODELS_DIR,
    by: str = "gravewatch train",
    reason: str = "trained",
) -> None:
    """Make ``version`` the active model (an atomic replace of the ACTIVE file) and record who
    did it in the activation log."""
    verify(version, models_dir)
    _write_atomic(models_dir / ACTIVE_FILE, version + "\n")
    entry = {"version": version, "at": datetime.now(UTC).isoformat(), "by": by, "reason": reason}
    with (models_dir / ACTIVATIONS_FILE).open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(entry) + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def activations(models_dir: Path = DEFAULT_MODELS_DIR) -> list[dict]:
    """Every activation, oldest first (``version``, ``at``, ``by``, ``reason``)."""
    path = models_dir / ACTIVATIONS_FILE
    if not path.exists():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            continue  # a line cut by a crash
    return out


def rollback(models_dir: Path = DEFAULT_MODELS_DIR, by: str = "cli") -> str:
    """Re-activate the model that was active before the current one; its version."""
    current = active_version(models_dir)
    history = [a["version"] for a in activations(models_dir)]
    while history and history[-1] == current:
        history.pop()
    for version in reversed(history):
        if version != current and (models_dir / version).is_dir():
            set_active(version, models_dir, by=by, reason=f"rollback from {current}")
            return version
    raise RegistryError(f"no earlier model to roll back to from {current}")


class ModelStatus(BaseModel):
    version: str = Field(description="Model version.")
    status: str = Field(description="active, candidate (never active), rejected, or retired.")
    created_at: datetime = Field(description="When training finished (UTC).")
    corpus_checksum: str = Field(description="Checksum of the training corpus.")
    reviews: int = Field(description="Reviewed documents in its training data.")
    evaluation: dict = Field(description="Macro-F1, micro-F1 and negative FPR on its eval set.")


def mark_rejected(version: str, comparison: dict, models_dir: Path = DEFAULT_MODELS_DIR) -> None:
    """Keep a candidate that failed the evaluation gate, with the comparison that failed it."""
    _write_atomic(models_dir / version / REJECTED_FILE, json.dumps(comparison, indent=2))


def statuses(models_dir: Path = DEFAULT_MODELS_DIR) -> list[ModelStatus]:
    """Every registered version with its status, newest first."""
    try:
        current = active_version(models_dir)
    except RegistryError:
        current = None
    ever_active = {a["version"] for a in activations(models_dir)}
    out = []
    for version in reversed(list_versions(models_dir)):
        card = read_card(version, models_dir)
        if version == current:
            status = "active"
        elif (models_dir / version / REJECTED_FILE).exists():
            status = "rejected"
        elif version in ever_active:
            status = "retired"
        else:
            status = "candidate"
        ev = card.evaluation
        out.append(
            ModelStatus(
                version=version,
                status=status,
                created_at=card.created_at,
                corpus_checksum=card.corpus.get("checksum", ""),
                reviews=int(card.corpus.get("reviews", 0)),
                evaluation={
                    k: ev[k]
                    for k in ("macro_f1", "micro_f1", "negative_false_positive_rate")
                    if k in ev
                },
            )
        )
    return out


def active_version(models_dir: Path = DEFAULT_MODELS_DIR) -> str:
    path = models_dir / ACTIVE_FILE
    try:
        version = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise RegistryError(
            f"no active model in {models_dir}: train one with `gravewatch train` "
            "(the README's run command does this)"
        ) from None
    if not version:
        raise RegistryError(f"{path} is empty: run `gravewatch train`")
    return version


def read_card(version: str, models_dir: Path = DEFAULT_MODELS_DIR) -> ModelCard:
    path = models_dir / version / CARD_FILE
    if not path.is_file():
        raise RegistryError(f"model {version!r} not found in {models_dir}")
    return ModelCard.model_validate_json(path.read_text(encoding="utf-8"))


def verify(version: str, models_dir: Path = DEFAULT_MODELS_DIR) -> ModelCard:
    """Check the artifact's checksums and library version; return its card."""
    folder = models_dir / version
    try:
        expected = json.loads((folder / CHECKSUM_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RegistryError(
            f"model {version!r} has no {CHECKSUM_FILE} in {models_dir}: it is incomplete or "
            "missing; retrain with `gravewatch train`"
        ) from None
    for name in {MODEL_FILE, CARD_FILE, *expected}:
        path = folder / name
        if not path.is_file() or _sha256(path) != expected.get(name):
            raise RegistryError(
                f"model {version!r}: {name} does not match its recorded checksum; the artifact "
                "was modified or damaged; refusing to load it. Retrain with `gravewatch train`"
            )
    card = read_card(version, models_dir)
    installed = library_versions()
    for name in PINNED_LIBRARIES:
        trained_with = card.libraries.get(name)
        if trained_with != installed[name]:
            raise RegistryError(
                f"model {version!r} was trained with {name} {trained_with} but "
                f"{installed[name]} is installed; retrain with `gravewatch train`"
            )
    return card


def load_predictor(
    version: str | None = None, models_dir: Path = DEFAULT_MODELS_DIR
) -> tuple[Predictor, ModelCard]:
    """Load a verified model (the active one by default)."""
    version = version or active_version(models_dir)
    card = verify(version, models_dir)
    model = joblib.load(models_dir / version / MODEL_FILE)
    if not isinstance(model, GraveViolationClassifier):
        raise RegistryError(f"model {version!r} does not hold a GraveViolationClassifier")
    return Predictor(model=model, version=version), card


def list_versions(models_dir: Path = DEFAULT_MODELS_DIR) -> list[str]:
    if not models_dir.is_dir():
        return []
    return sorted(
        p.name
        for p in models_dir.iterdir()
        if p.is_dir() and not p.name.startswith(".") and (p / CARD_FILE).is_file()
    )
