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
versions of scikit-learn, the encoder, the language detector and the feature code that are
installed, and for the labels this code knows.

Every change of the active model (``set_active``, ``rollback``) holds an exclusive lock on
``models/.activation.lock`` while it reads and writes ``ACTIVE`` and the activation log, so that
the CLI, the API and a retraining process never interleave: ``ACTIVE`` always names the last
entry of the log.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import tempfile
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from pathlib import Path

import joblib
import numpy
import scipy
import sklearn
from filelock import FileLock, Timeout
from pydantic import BaseModel, Field, ValidationError

from training.defaults import MODELS_DIR
from training.encoder import ENCODER_PACKAGE, encoder_version
from training.errors import Conflict, GravewatchError, InvalidInput, NotFound
from training.files import write_atomic
from training.model import FEATURES_VERSION, GraveViolationClassifier
from training.predict import Predictor
from training.schemas import LABELS
from training.taxonomy import TAXONOMY_PATH, load_taxonomy

MODEL_FILE = "model.joblib"
CARD_FILE = "card.json"
CHECKSUM_FILE = "checksums.json"
ACTIVE_FILE = "ACTIVE"
ACTIVATIONS_FILE = "ACTIVATIONS.jsonl"
REJECTED_FILE = "REJECTED.json"
LOCK_FILE = ".activation.lock"
LOCK_TIMEOUT = 60.0
"""Seconds a change of the active model waits for another one to finish."""
DEFAULT_MODELS_DIR = MODELS_DIR


class RegistryError(GravewatchError):
    """A model cannot be saved, found or trusted; the message says what to do."""


class ModelNotFound(RegistryError, NotFound):
    """No model of that version in the models directory."""

    code = "model_not_found"


class ModelRefused(RegistryError, InvalidInput):
    """A model that is incomplete, damaged or trained with other library versions."""

    code = "model_refused"


class RegistryConflict(RegistryError, Conflict):
    """The registry's state does not allow it: no active model, no earlier one, a taken name."""

    code = "registry_conflict"


class NoActiveModel(RegistryConflict):
    """The registry has never had an active model (no ``ACTIVE`` file)."""

    code = "no_active_model"


class RegistryBusy(RegistryConflict):
    """Another process held the activation lock for longer than the timeout."""

    code = "registry_busy"


class IncompatibleModel(ModelRefused):
    """A model was made by other library or feature-code versions, or for other labels."""


class ActiveChanged(RegistryConflict):
    """The active model is not the one the caller expected (another process changed it)."""

    code = "active_changed"


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
    taxonomy: dict = Field(
        default_factory=dict,
        description="Taxonomy version, SHA-256 of its file and label ids it was trained for "
        "(empty for models trained before it was recorded).",
    )


FEATURES_LIBRARY = "gravewatch-features"
PINNED_LIBRARIES = ("scikit-learn", ENCODER_PACKAGE, "py3langid", FEATURES_LIBRARY)
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
        FEATURES_LIBRARY: FEATURES_VERSION,
        "gravewatch": _gravewatch_version(),
    }


def _gravewatch_version() -> str:
    try:
        return package_version("gravewatch")
    except PackageNotFoundError:
        return "unknown (not installed)"


def taxonomy_fingerprint() -> dict:
    """What the card records of the taxonomy: its version, the SHA-256 of its file, and the
    label ids in the order the model's columns follow."""
    return {
        "version": load_taxonomy().version,
        "sha256": _sha256(TAXONOMY_PATH),
        "labels": list(LABELS),
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
        raise RegistryConflict(f"model version {card.version} already exists in {models_dir}")
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


def activation_lock(models_dir: Path = DEFAULT_MODELS_DIR, timeout: float | None = None):
    """The registry's activation lock (``models/.activation.lock``), held with ``with``: one
    change of the active model at a time, across processes and threads, waiting at most
    ``timeout`` seconds (``LOCK_TIMEOUT``) for it, then ``RegistryBusy``. The operating system
    releases it when its holder dies, so it never needs removing by hand."""
    models_dir.mkdir(parents=True, exist_ok=True)
    wait = LOCK_TIMEOUT if timeout is None else timeout
    return _Locked(FileLock(models_dir / LOCK_FILE, timeout=wait))


class _Locked:
    def __init__(self, lock: FileLock) -> None:
        self.lock = lock

    def __enter__(self) -> None:
        try:
            self.lock.acquire()
        except Timeout:
            raise RegistryBusy(
                f"another gravewatch process has been changing the active model for over "
                f"{self.lock.timeout:g} s (lock {self.lock.lock_file}); try again when it "
                "finishes"
            ) from None
        except OSError as e:
            raise RegistryConflict(
                f"cannot take the activation lock {self.lock.lock_file} ({e.strerror or e}): "
                "the models directory must be writable by whoever changes the active model"
            ) from None

    def __exit__(self, *exc) -> None:
        self.lock.release()


_ANY = object()


def set_active(
    version: str,
    models_dir: Path = DEFAULT_MODELS_DIR,
    by: str = "gravewatch train",
    reason: str = "trained",
    *,
    expected_active: str | None | object = _ANY,
) -> None:
    """Make ``version`` the active model (an atomic replace of the ACTIVE file) and record who
    did it in the activation log, both under the activation lock.

    With ``expected_active`` (a version, or None for a registry without an active model), the
    switch happens only if that is still the active model; otherwise ``ActiveChanged``."""
    with activation_lock(models_dir):
        if expected_active is not _ANY:
            current = _current_or_none(models_dir)
            if current != expected_active:
                raise ActiveChanged(
                    f"the active model changed from {expected_active or 'none'} to "
                    f"{current or 'none'} while {version} was being compared with it; "
                    f"{version} was not activated: compare again with `gravewatch retrain` or "
                    f"promote it explicitly with `gravewatch models promote {version}`"
                )
        _activate(version, models_dir, by, reason)


def _current_or_none(models_dir: Path) -> str | None:
    try:
        return active_version(models_dir)
    except NoActiveModel:
        return None


def _activate(version: str, models_dir: Path, by: str, reason: str) -> None:
    """Write ACTIVE, then append to the log; the caller holds the activation lock."""
    verify(version, models_dir)
    write_atomic(models_dir / ACTIVE_FILE, [version + "\n"])
    entry = {"version": version, "at": datetime.now(UTC).isoformat(), "by": by, "reason": reason}
    with (models_dir / ACTIVATIONS_FILE).open("a+b") as fh:
        fh.seek(0, os.SEEK_END)
        if fh.tell():
            fh.seek(-1, os.SEEK_END)
            if fh.read(1) != b"\n":  # a line cut by a crash stays alone, skipped when read
                fh.write(b"\n")
        fh.write((json.dumps(entry) + "\n").encode("utf-8"))
        fh.flush()
        os.fsync(fh.fileno())


def activations(models_dir: Path = DEFAULT_MODELS_DIR) -> list[dict]:
    """Every activation, oldest first (``version``, ``at``, ``by``, ``reason``)."""
    path = models_dir / ACTIVATIONS_FILE
    if not path.exists():
        return []
    out = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue  # a line cut by a crash
        if isinstance(entry, dict) and isinstance(entry.get("version"), str):
            out.append(entry)
    return out


def rollback(models_dir: Path = DEFAULT_MODELS_DIR, by: str = "cli") -> str:
    """Re-activate the model that was active before the current one; its version. Reading the
    history and activating happen under one hold of the activation lock."""
    with activation_lock(models_dir):
        current = active_version(models_dir)
        history = [a["version"] for a in activations(models_dir)]
        while history and history[-1] == current:
            history.pop()
        for version in reversed(history):
            if version != current and (models_dir / version).is_dir():
                _activate(version, models_dir, by, f"rollback from {current}")
                return version
    raise RegistryConflict(
        f"no earlier model to roll back to from {current}: the activation log names no other "
        "version that is still registered; promote a version by name",
        code="no_earlier_model",
    )


class ModelStatus(BaseModel):
    version: str = Field(description="Model version.")
    status: str = Field(description="active, candidate (never active), rejected, or retired.")
    created_at: datetime = Field(description="When training finished (UTC).")
    corpus_checksum: str = Field(description="Checksum of the training corpus.")
    reviews: int = Field(description="Reviewed documents in its training data.")
    evaluation: dict = Field(description="Macro-F1, micro-F1 and negative FPR on its eval set.")


def mark_rejected(version: str, comparison: dict, models_dir: Path = DEFAULT_MODELS_DIR) -> None:
    """Keep a candidate that failed the evaluation gate, with the comparison that failed it."""
    write_atomic(models_dir / version / REJECTED_FILE, [json.dumps(comparison, indent=2)])


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
        raise NoActiveModel(
            f"no active model in {models_dir}: train one with `gravewatch train` "
            "(the README's run command does this)",
            code="no_active_model",
        ) from None
    if not version:
        raise RegistryConflict(
            f"{path} is empty: promote a version with `gravewatch models promote VERSION` "
            "(`gravewatch models list` lists them) or train one with `gravewatch train`",
            code="no_active_model",
        )
    return version


def read_card(version: str, models_dir: Path = DEFAULT_MODELS_DIR) -> ModelCard:
    path = models_dir / version / CARD_FILE
    if not path.is_file():
        raise ModelNotFound(
            f"model {version!r} not found in {models_dir}: `gravewatch models list` names them"
        )
    try:
        return ModelCard.model_validate_json(path.read_text(encoding="utf-8", errors="replace"))
    except ValidationError as e:
        raise ModelRefused(
            f"model {version!r}: {CARD_FILE} is damaged ({e.error_count()} problem(s), first: "
            f"{e.errors()[0]['msg']}); retrain with `gravewatch train`"
        ) from None


def no_such_version(version: str, models_dir: Path = DEFAULT_MODELS_DIR) -> ModelNotFound:
    """The error for a model version that is not in ``models_dir``, naming those that are."""
    try:
        active = active_version(models_dir)
    except RegistryError:
        active = None
    versions = [f"{v} (active)" if v == active else v for v in list_versions(models_dir)]
    return ModelNotFound(
        f"there is no model version {version!r} in {models_dir}; versions: "
        + (", ".join(versions) or "none (train one with `gravewatch train`)")
    )


def verify(version: str, models_dir: Path = DEFAULT_MODELS_DIR) -> ModelCard:
    """Check the artifact's checksums and library version; return its card."""
    folder = models_dir / version
    if not folder.is_dir():
        raise no_such_version(version, models_dir)
    try:
        expected = json.loads((folder / CHECKSUM_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelRefused(
            f"model {version!r} has no {CHECKSUM_FILE} in {models_dir}: it is incomplete or "
            "missing; retrain with `gravewatch train`"
        ) from None
    except (ValueError, UnicodeDecodeError):
        expected = None
    if not isinstance(expected, dict):
        raise ModelRefused(
            f"model {version!r}: {CHECKSUM_FILE} is damaged; refusing to load it. Retrain with "
            "`gravewatch train`"
        )
    for name in {MODEL_FILE, CARD_FILE, *expected}:
        path = folder / name
        if not path.is_file() or _sha256(path) != expected.get(name):
            raise ModelRefused(
                f"model {version!r}: {name} does not match its recorded checksum; the artifact "
                "was modified or damaged; refusing to load it. Retrain with `gravewatch train`"
            )
    card = read_card(version, models_dir)
    installed = library_versions()
    for name in PINNED_LIBRARIES:
        trained_with = card.libraries.get(name)
        if trained_with != installed[name]:
            what = (
                f"Gravewatch's feature code version {trained_with} but this Gravewatch's is "
                f"{installed[name]} (its scores would differ)"
                if name == FEATURES_LIBRARY
                else f"{name} {trained_with} but {installed[name]} is installed"
            )
            raise IncompatibleModel(
                f"model {version!r} was trained with {what}; retrain with `gravewatch train` "
                "(or `gravewatch retrain`)"
            )
    labels = card.taxonomy.get("labels")
    if labels is not None and labels != list(LABELS):
        raise IncompatibleModel(
            f"model {version!r} was trained for the labels {', '.join(labels)} but this "
            f"Gravewatch has {', '.join(LABELS)}; retrain with `gravewatch train`"
        )
    return card


def load_predictor(
    version: str | None = None, models_dir: Path = DEFAULT_MODELS_DIR
) -> tuple[Predictor, ModelCard]:
    """Load a verified model (the active one by default)."""
    version = version or active_version(models_dir)
    card = verify(version, models_dir)
    try:
        model = joblib.load(models_dir / version / MODEL_FILE)
    except Exception as e:  # noqa: BLE001 - a checksummed pickle this code cannot read
        raise IncompatibleModel(
            f"model {version!r} cannot be read by this Gravewatch ({type(e).__name__}: {e}); "
            "retrain with `gravewatch train`"
        ) from None
    if not isinstance(model, GraveViolationClassifier):
        raise ModelRefused(
            f"model {version!r} does not hold a GraveViolationClassifier: retrain it"
        )
    return Predictor(model=model, version=version), card


def list_versions(models_dir: Path = DEFAULT_MODELS_DIR) -> list[str]:
    if not models_dir.is_dir():
        return []
    return sorted(
        p.name
        for p in models_dir.iterdir()
        if p.is_dir() and not p.name.startswith(".") and (p / CARD_FILE).is_file()
    )
