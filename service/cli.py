"""The ``gravewatch`` command. Subcommands parse arguments and call library functions."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated

import click
import typer
from pydantic import Field, TypeAdapter, ValidationError
from typer.core import TyperGroup

from service.config import Settings, describe_invalid, get_settings, setting_default
from training.corpus import corpus_stats, read_corpus, read_labelled, split_of, validate
from training.errors import GravewatchError
from training.registry import RegistryError, load_predictor
from training.schemas import is_blank

try:  # Typer 0.29 parses with its own copy of click, whose errors are not click's
    from typer._click.exceptions import NoArgsIsHelpError as _TyperNoArgsIsHelp
    from typer._click.exceptions import UsageError as _TyperUsageError
except ImportError:  # pragma: no cover - a Typer that parses with click itself
    _TyperUsageError, _TyperNoArgsIsHelp = click.UsageError, click.exceptions.NoArgsIsHelpError
USAGE_ERRORS = (click.UsageError, _TyperUsageError)
"""What the command line's parser raises for bad usage (a missing option, an unknown one)."""
HELP_SHOWN = (click.exceptions.NoArgsIsHelpError, _TyperNoArgsIsHelp)
"""What it raises after printing a group's help when no command was given (``gravewatch
models``): the help is the answer, not an error to rephrase."""

EXIT_FAILED = 1
"""Exit status of a command that stopped on a Gravewatch error (2 is bad usage or settings;
``score`` and ``retrain`` document their own statuses for partial results)."""


class _Commands(TyperGroup):
    """The command group with the CLI's one error handler: a Gravewatch error, raised by any
    command, becomes ``error: <message>`` on stderr and exit status 1, never a traceback; an
    option value Typer cannot convert (``--workers abc``) and any other usage error (a missing
    option, an unknown one) exit 2 in one line, never Typer's usage box."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except GravewatchError as e:
            typer.echo(f"error: {e.message}", err=True)
            raise typer.Exit(EXIT_FAILED) from None
        except typer.BadParameter as e:
            option, refused = _option_name(e.param), e.__cause__  # Typer converts with pydantic
            if option is None or not isinstance(refused, ValidationError):
                _refuse_usage(e, ctx)
            _refuse_option(option, refused.errors()[0]["input"], refused)
        except HELP_SHOWN:
            raise
        except USAGE_ERRORS as e:  # a missing argument or option, an unknown option or command
            _refuse_usage(e, ctx)


def _refuse_usage(error: click.UsageError, ctx: click.Context) -> None:
    """Exit 2 with the parser's own message in one line and where to read the usage (the
    command's help, else the group's), instead of Typer's usage box."""
    message = " ".join(error.format_message().split()).rstrip(".")
    where = (error.ctx or ctx).command_path
    fail(f"{message[:1].lower()}{message[1:]} (see `{where} --help`)", 2)


def _option_name(param) -> str | None:
    """The long name of a command-line option (``--workers``); None for an argument."""
    if getattr(param, "param_type_name", None) != "option":
        return None
    return max(param.opts, key=len)


def _from_setting(what: str, setting: str) -> str:
    """Help of an option that stands for a setting: ``Port (default: GRAVEWATCH_PORT, else
    8000).``, the default read from ``Settings``."""
    return f"{what} (default: GRAVEWATCH_{setting.upper()}, else {setting_default(setting)})."


app = typer.Typer(
    cls=_Commands,
    help="Gravewatch: grave violations against children in news and reports.",
    no_args_is_help=True,
    add_completion=False,
)
corpus_app = typer.Typer(help="Check and describe the annotated corpus.", no_args_is_help=True)
app.add_typer(corpus_app, name="corpus")
db_app = typer.Typer(help="The review store's database.", no_args_is_help=True)
app.add_typer(db_app, name="db")
keys_app = typer.Typer(help="API keys (only their hashes are stored).", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
review_app = typer.Typer(help="Reviews stored by reviewers.", no_args_is_help=True)
app.add_typer(review_app, name="review")
models_app = typer.Typer(help="Model versions: list, promote, roll back.", no_args_is_help=True)
app.add_typer(models_app, name="models")


@app.callback()
def _check_settings() -> None:
    """Gravewatch: grave violations against children in news and reports."""
    try:
        get_settings()
    except ValidationError as e:
        fail(f"invalid setting {describe_invalid(e)}", 2)


@models_app.command("list")
def models_list() -> None:
    """Every version with its status, date, training data and evaluation figures."""
    from training.registry import statuses

    models_dir = get_settings().models_dir
    versions = statuses(models_dir)
    if not versions:
        fail(f"no model in {models_dir}: train one with `gravewatch train`")
    for m in versions:
        ev = m.evaluation
        typer.echo(
            f"{m.version}\t{m.status}\t{m.created_at:%Y-%m-%d %H:%M}\t"
            f"corpus {m.corpus_checksum[:12]}\treviews {m.reviews}\t"
            f"macro-F1 {ev.get('macro_f1', 0):.3f}\tFPR {ev.get('negative_false_positive_rate', 0):.3f}"
        )


@models_app.command("promote")
def models_promote(version: Annotated[str, typer.Argument(help="Version to activate.")]) -> None:
    """Make VERSION active; every API worker switches to it within a second or so."""
    import getpass

    from training.registry import set_active

    set_active(version, get_settings().models_dir, by=f"cli:{getpass.getuser()}", reason="promoted")
    typer.echo(f"{version} is now active")


@models_app.command("rollback")
def models_rollback() -> None:
    """Re-activate the version that was active before the current one."""
    import getpass

    from training.registry import rollback

    version = rollback(get_settings().models_dir, by=f"cli:{getpass.getuser()}")
    typer.echo(f"rolled back: {version} is now active")


def fail(message: str, code: int = 1) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _check_output(path: Path, example: str, option: str = "-o") -> None:
    """Exit 1 in one line when ``-o path`` (or another ``option``) cannot name a file to write:
    it is a folder, or its folder does not exist (refused, never created, as `gravewatch score`
    refuses it)."""
    if path.is_dir():
        fail(f"{path}: is a folder; give {option} the file to write, such as {path / example}")
    from service.batch.output import missing_folder

    if (problem := missing_folder(path, option)) is not None:
        fail(problem)


AT_LEAST_ONE = Annotated[int, Field(ge=1)]
"""The rule of a count option such as ``score --workers``."""


def _checked_option(option: str, value, rule):
    """The value of the command-line ``option`` checked by ``rule``, a type with its pydantic
    constraints (``Annotated[int, Field(ge=1)]``): a bad value exits 2 in one line naming the
    option, never Typer's usage box."""
    try:
        return TypeAdapter(rule).validate_python(value)
    except ValidationError as e:
        _refuse_option(option, value, e)


def _refuse_option(option: str, value, error: ValidationError) -> None:
    """Exit 2 with ``error: invalid option --workers abc: input should be a valid integer, ...``:
    the one line for an option value its type (Typer) or its rule (``_checked_option``) refuses."""
    msg = error.errors()[0]["msg"]
    fail(f"invalid option {option} {value}: {msg[:1].lower()}{msg[1:]}", 2)


def _setting_option(option: str, value, setting: str):
    """The value of the command-line ``option`` that stands for ``setting`` (``--port`` for
    GRAVEWATCH_PORT), checked by the setting's own rule in ``Settings`` (a bad value exits 2 in
    one line, as a bad variable does); the setting's value when the option is not given."""
    if value is None:
        return getattr(get_settings(), setting)
    field = Settings.model_fields[setting]
    return _checked_option(option, value, Annotated[(field.annotation, *field.metadata)])


@corpus_app.command("validate")
def corpus_validate(
    paths: Annotated[list[Path] | None, typer.Argument(help="Files or directories.")] = None,
) -> None:
    """Check schema, labels, offsets, spans, ids and (near-)duplicates; print file:line: problem."""
    problems = validate(paths)
    for p in problems:
        typer.echo(str(p))
    if problems:
        typer.echo(f"{len(problems)} problem(s)", err=True)
        raise typer.Exit(1)
    typer.echo("corpus OK")


@corpus_app.command("from-quotes")
def corpus_from_quotes(
    draft: Annotated[Path, typer.Argument(help="Draft JSONL whose evidence items quote text.")],
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Corpus JSONL to write.")
    ] = None,
) -> None:
    """Turn a draft whose evidence is quoted text into corpus records with offsets.

    See labels/writing/BRIEF.md. Without -o, only check the draft. Prints file:line: problem."""
    from training.drafts import convert, write_records

    if not draft.is_file():
        fail(f"{draft}: no such file")
    records, problems = convert(draft)
    for p in problems:
        typer.echo(str(p))
    if problems:
        typer.echo(f"{len(problems)} problem(s)", err=True)
        raise typer.Exit(1)
    if output is not None:
        _check_output(output, "corpus.jsonl")
        try:
            write_records(records, output)
        except OSError as e:
            fail(f"{output}: {e.strerror or e}; choose another -o")
    typer.echo(f"{len(records)} record(s) OK")


@corpus_app.command("stats")
def corpus_stats_cmd(
    paths: Annotated[list[Path] | None, typer.Argument(help="Files or directories.")] = None,
) -> None:
    """Counts per label, label pair, style, region, negative type and split; lengths (JSON)."""
    records = read_corpus(paths)
    typer.echo(json.dumps(corpus_stats(records), indent=2))


@app.command()
def train(
    corpus: Annotated[list[Path] | None, typer.Option(help="Corpus files or directories.")] = None,
    seed: Annotated[int, typer.Option(help="Random seed (same corpus and seed, same model).")] = 0,
    sample: Annotated[
        int | None,
        typer.Option(
            help="Train and evaluate on this many corpus records drawn at random (--seed): a "
            "quick check, recorded in the model card; the model is weaker.",
        ),
    ] = None,
    params: Annotated[
        str | None,
        typer.Option(
            help="Estimator parameters as a JSON object, e.g. '{\"cv\": 3}' (recorded in the "
            "model card)."
        ),
    ] = None,
) -> None:
    """Train on the corpus training split, register the model and make it active."""
    from training.train import train as train_model

    overrides = _estimator_params(params) if params is not None else None
    if sample is not None:
        sample = _checked_option("--sample", sample, AT_LEAST_ONE)
    try:
        card = train_model(
            corpus,
            seed=seed,
            models_dir=get_settings().models_dir,
            params=overrides,
            sample=sample,
        )
    except (ValueError, TypeError) as e:  # what the estimator says of a sample or a value
        if sample is None and overrides is None:
            raise
        fail(
            f"training failed with --sample/--params: {e} (a larger sample or the default "
            "parameters may train)"
        )
    ev = card.evaluation
    sampled = card.corpus.get("sampled_from_records")
    typer.echo(
        f"trained {card.version} on {card.corpus['train_records']} passages"
        + (
            f" (a sample of {card.corpus['records']} of {sampled} corpus records)"
            if sampled
            else ""
        )
        + f"; evaluation split macro-F1 {ev['macro_f1']:.3f}, negative FPR "
        f"{ev['negative_false_positive_rate']:.3f}; now active"
    )


def _estimator_params(raw: str) -> dict:
    """``--params``: a JSON object whose keys are the estimator's parameters."""
    from training.model import GraveViolationClassifier

    try:
        params = json.loads(raw)
    except json.JSONDecodeError as e:
        fail(f"--params is not JSON ({e.msg} at character {e.pos}): {raw}", code=2)
    if not isinstance(params, dict):
        fail(f'--params takes a JSON object such as {{"cv": 3}}, not {raw}', code=2)
    known = GraveViolationClassifier().get_params()
    unknown = sorted(set(params) - set(known) - {"random_state"})
    if unknown or "random_state" in params:
        fail(
            f"--params: unknown parameter {', '.join(unknown or ['random_state (use --seed)'])}; "
            f"the estimator takes {', '.join(sorted(k for k in known if k != 'random_state'))}",
            code=2,
        )
    return params


@app.command()
def evaluate(
    data: Annotated[Path | None, typer.Option(help="JSONL file in the corpus format.")] = None,
    model: Annotated[str | None, typer.Option(help="Model version (default: active).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the full report as JSON.")] = False,
    report: Annotated[
        Path | None, typer.Option(help="HTML report path (in a folder that exists).")
    ] = None,
) -> None:
    """Per-label precision/recall/F1, negative FPR, evidence quality; writes an HTML report."""
    from training.evaluate import evaluate as run_evaluation
    from training.evaluate import render_html, summary_table
    from training.files import write_atomic

    settings = get_settings()
    if data is not None and data.is_dir():
        fail(f"{data}: is a folder; --data takes a JSONL file in the corpus format")
    if data is not None and not data.is_file():
        fail(f"{data}: no such file")
    if report is not None:
        _check_output(report, "evaluation.html", "--report")
    if data is None:
        records = [r for r in read_corpus() if split_of(r) == "eval"]
        name = "corpus evaluation split"
    else:
        records = read_labelled(data)
        name = str(data)
    predictor, _ = load_predictor(model, settings.models_dir)
    result = run_evaluation(predictor, records, name)
    if report is None:  # the reports folder is Gravewatch's own: made when missing
        report = settings.reports_dir / f"evaluation-{predictor.version}.html"
        report.parent.mkdir(parents=True, exist_ok=True)
    try:
        write_atomic(report, [render_html(result)])
    except OSError as e:
        fail(f"{report}: {e.strerror or e}; choose another --report")
    if as_json:
        typer.echo(result.model_dump_json(indent=2))
    else:
        typer.echo(summary_table(result))
        typer.echo(f"HTML report: {report}", err=True)


@app.command()
def classify(
    text: Annotated[str, typer.Argument(help="The passage, or - to read standard input.")],
    model: Annotated[str | None, typer.Option(help="Model version (default: active).")] = None,
) -> None:
    """Print the prediction JSON for one passage, as POST /v1/classify returns it."""
    from service.schemas import ClassifyResult

    text = _passage(text)
    if is_blank(text):
        fail("the passage is empty: pass text as the argument or on standard input with -")
    if len(text) > get_settings().max_text_chars:
        fail(
            f"the passage has {len(text)} characters; the limit is "
            f"{get_settings().max_text_chars} (GRAVEWATCH_MAX_TEXT_CHARS)"
        )
    predictor, _ = load_predictor(model, get_settings().models_dir)
    result = ClassifyResult(**dict(predictor.predict([text])[0]), document=None)
    typer.echo(result.model_dump_json(indent=2))


def _passage(argument: str) -> str:
    """The passage ``classify`` was given: the argument, or standard input for ``-``, as
    UTF-8 plain text; other bytes (invalid_utf8) and a NUL character exit 1, as the API refuses
    them, and so does the name of a file (its text is what the user meant)."""
    from service.schemas import PlainText

    if argument == "-":
        raw, where = sys.stdin.buffer.read(), "standard input"
    elif not any(c.isspace() for c in argument) and os.path.isfile(argument):
        fail(
            f"{argument} is a file, not a passage: to classify its text run "
            f"`gravewatch classify - < {argument}`; to score files, `gravewatch score {argument}`"
        )
    else:
        raw, where = os.fsencode(argument), "the passage"  # undoes Python's surrogateescape
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        fail(f"{where} is not valid UTF-8 (byte {e.start}); encode the text as UTF-8")
    try:
        return TypeAdapter(PlainText).validate_python(text)
    except ValidationError as e:
        fail(f"{where} {e.errors()[0]['msg']}")


def _store_url() -> str:
    from service.store.db import database_url

    settings = get_settings()
    return database_url(settings.database_url, settings.data_dir)


def _upgrade_db() -> str:
    from sqlalchemy.exc import SQLAlchemyError

    from service.store.db import upgrade

    url = _store_url()
    try:
        upgrade(url)
    except SQLAlchemyError as e:
        fail(
            f"cannot migrate the review store: {e.__class__.__name__}: {e.args[0] if e.args else e}"
        )
    return url


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every migration to the review store.

    The store is GRAVEWATCH_DATABASE_URL, by default SQLite in the data directory."""
    url = _upgrade_db()
    typer.echo(f"review store at {url.split('@')[-1]} is up to date")


def _sessions():
    """The review store, or exit 1 saying what is missing."""
    from service.store.db import Database

    store = Database(_store_url())
    store.check()
    if store.problem:
        fail(store.problem)
    return store


@keys_app.command("create")
def keys_create(
    name: Annotated[str, typer.Option(help="Who or what the key is for (unique).")],
    role: Annotated[str, typer.Option(help="reader, ingest, reviewer or admin.")],
) -> None:
    """Create a key and print it once; only its hash is kept."""
    from service.store.repository import create_key

    store = _sessions()
    with store.sessions.begin() as session:
        key = create_key(session, name, role)
    typer.echo(key)
    typer.echo(f"key {name!r} ({role}) created; it is shown only now", err=True)


@keys_app.command("list")
def keys_list() -> None:
    """Name, role, creation and revocation time of every key."""
    from service.store.repository import list_keys

    store = _sessions()
    with store.sessions() as session:
        for row in list_keys(session):
            state = f"revoked {row.revoked_at:%Y-%m-%d %H:%M}" if row.revoked_at else "active"
            typer.echo(f"{row.name}\t{row.role}\t{row.created_at:%Y-%m-%d %H:%M}\t{state}")


@keys_app.command("revoke")
def keys_revoke(name: Annotated[str, typer.Argument(help="The key's name.")]) -> None:
    """Revoke a key: requests with it get 401 from now on."""
    from service.store.repository import revoke_key

    store = _sessions()
    with store.sessions.begin() as session:
        revoke_key(session, name)
    typer.echo(f"key {name!r} revoked")


@review_app.command("export")
def review_export(
    output: Annotated[Path, typer.Option("-o", "--output", help="JSONL file to write.")],
) -> None:
    """Write the settled review of each reviewed document, in the corpus record format.

    Each reviewer's latest review counts; disagreements wait for an admin's review."""
    from service.store.export import export_reviews

    _check_output(output, "reviews.jsonl")
    store = _sessions()
    needed = 2 if get_settings().double_review else 1
    with store.sessions() as session:
        count = export_reviews(session, output, needed)
    typer.echo(f"exported {count} reviewed document(s) to {output}", err=True)


@app.command()
def retrain(
    force: Annotated[
        bool, typer.Option(help="Promote the candidate even if the evaluation gate refuses it.")
    ] = False,
    job: Annotated[int | None, typer.Option(help="Run this queued job (used by the API).")] = None,
) -> None:
    """Train a candidate on the corpus and the reviews; promote it if it is not worse.

    The candidate learns from the corpus training split plus the latest review of every reviewed
    document; retraining then evaluates it and the active model on the same set (corpus
    evaluation split plus held-out reviews), and promotes it only if it is not worse
    (GRAVEWATCH_RETRAIN_*_TOLERANCE).

    Exit status 0 promoted, 4 rejected by the gate, 1 failed."""
    import getpass
    import traceback

    from service.retraining import fail_interrupted, run_retrain_job, start_job

    store = _sessions()
    fail_interrupted(store)
    launched = job is not None
    try:
        if job is None:
            job = start_job(store, f"cli:{getpass.getuser()}", force).id
        finished = run_retrain_job(store, get_settings(), job)
    except GravewatchError:
        raise  # the command group's handler prints it
    except Exception as e:  # noqa: BLE001 - recorded in the job; the API shows its log's end
        if launched:
            traceback.print_exc()  # into the job's log
        fail(f"retraining failed: {type(e).__name__}: {e}")
    result = finished.result
    active_f1 = result["macro_f1"]["active"]
    versus = (
        f"vs active {result['active']} {active_f1:.3f}"
        if active_f1 is not None
        else f"not compared (active model: {result['active'] or 'none'})"
    )
    typer.echo(
        f"job {finished.id}: {finished.state}; candidate {result['candidate']} macro-F1 "
        f"{result['macro_f1']['candidate']:.3f} {versus} "
        f"on {result['evaluation_passages']} passages ({result['held_out_reviews']} held-out "
        f"reviews, {result['training_reviews']} reviews trained on)"
    )
    for reason in result["reasons"]:
        typer.echo(f"  gate: {reason}")
    for skipped in result.get("skipped_reviews", []):
        typer.echo(f"  review left out: {skipped}")
    if finished.state == "rejected":
        raise typer.Exit(4)


def _train_if_missing(models_dir: Path) -> None:
    from training.registry import active_version
    from training.train import train as train_model

    try:
        active_version(models_dir)
    except RegistryError:
        typer.echo(f"no active model in {models_dir}: training one on the corpus", err=True)
        card = train_model(None, seed=0, models_dir=models_dir)
        typer.echo(f"trained {card.version}; now active", err=True)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help=_from_setting("Bind address", "host"))] = None,
    port: Annotated[int | None, typer.Option(help=_from_setting("Port", "port"))] = None,
    workers: Annotated[
        int | None, typer.Option(help=_from_setting("Worker processes", "workers"))
    ] = None,
    train_if_missing: Annotated[
        bool, typer.Option(help="Train a model first if none is active.")
    ] = False,
    upgrade_db: Annotated[
        bool, typer.Option(help="Apply the review store's migrations first.")
    ] = False,
) -> None:
    """Serve the REST API (docs at /docs).

    Each worker loads the active model and follows models/ACTIVE, switching to a newly trained
    or promoted model without a restart."""
    import tempfile

    import uvicorn

    from service.logs import configure_logging

    settings = get_settings()
    host = _setting_option("--host", host, "host")
    port = _setting_option("--port", port, "port")
    workers = _setting_option("--workers", workers, "workers")
    if upgrade_db:
        _upgrade_db()
    if train_if_missing:
        _train_if_missing(settings.models_dir)
    _check_can_listen(host, port)
    if workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="gravewatch-metrics-")
    configure_logging(settings.log_format, settings.log_level)
    _announce_when_listening(host, port, workers)
    uvicorn.run(
        "service.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=False,
        log_level="warning",
        timeout_graceful_shutdown=10,
    )


def _check_can_listen(host: str, port: int) -> None:
    """Fail with one line, before anything starts, when ``host:port`` cannot be bound (the port
    is taken, the address is not this machine's)."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind((host, port))
        except OSError as e:
            fail(
                f"cannot listen on {host}:{port}: {e.strerror or e}; pick another port with "
                "--port or GRAVEWATCH_PORT, or another address with --host or GRAVEWATCH_HOST"
            )


def _announce_when_listening(host: str, port: int, workers: int) -> None:
    """Log ``Gravewatch listening on http://HOST:PORT`` once the server accepts connections (a
    single worker loads the model first), from a thread that opens a TCP connection to it."""
    import logging
    import socket
    import threading
    import time

    url = f"http://{f'[{host}]' if ':' in host else host}:{port}"
    target = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)

    def wait() -> None:
        while True:
            try:
                socket.create_connection((target, port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        logging.getLogger("gravewatch.serve").info(
            "Gravewatch listening on %s", url, extra={"url": url, "workers": workers}
        )

    threading.Thread(target=wait, name="gravewatch-announce", daemon=True).start()


@app.command()
def openapi() -> None:
    """Print the API's OpenAPI schema (JSON)."""
    from service.app import create_app

    typer.echo(json.dumps(create_app().openapi(), indent=2, sort_keys=True))


@app.command()
def score(
    sources: Annotated[
        list[str],
        typer.Argument(
            help="JSONL, JSON, CSV, RSS/Atom, HTML or .txt files, directories (recursive), "
            "http(s) URLs of feeds or pages, or - for standard input."
        ),
    ],
    output: Annotated[Path, typer.Option("-o", "--output", help="Output file.")],
    output_format: Annotated[
        str,
        typer.Option(
            "--format",
            help="jsonl (prediction schema + metadata) or csv; auto: csv when OUTPUT ends in "
            ".csv, else jsonl.",
        ),
    ] = "auto",
    input_format: Annotated[
        str,
        typer.Option(help="auto (by extension or content), jsonl, json, csv, feed, html or text."),
    ] = "auto",
    text_column: Annotated[
        str | None,
        typer.Option(help="CSV column holding the text (default: text); given, - is read as CSV."),
    ] = None,
    id_column: Annotated[
        str | None, typer.Option(help="CSV column holding the id (default: id).")
    ] = None,
    title_column: Annotated[
        str | None, typer.Option(help="CSV column holding the title (default: title).")
    ] = None,
    url_column: Annotated[
        str | None, typer.Option(help="CSV column holding the URL (default: url).")
    ] = None,
    published_column: Annotated[
        str | None,
        typer.Option(help="CSV column holding the date (default: published), written as ISO 8601."),
    ] = None,
    workers: Annotated[int, typer.Option(help="Processes scoring in parallel (1 or more).")] = 1,
    engine: Annotated[str, typer.Option(help="local, or dask (needs the dask extra).")] = "local",
    scheduler: Annotated[
        str | None, typer.Option(help="Dask scheduler, tcp://HOST:PORT (default: local cluster).")
    ] = None,
    batch_size: Annotated[
        int | None, typer.Option(help=_from_setting("Documents per batch", "score_batch_size"))
    ] = None,
    model: Annotated[str | None, typer.Option(help="Model version (default: active).")] = None,
    store: Annotated[
        bool,
        typer.Option(help="Also add documents and predictions to the review store."),
    ] = False,
    restart: Annotated[
        bool,
        typer.Option(
            help="Start a new job on OUTPUT: remove the files of the job that wrote it first."
        ),
    ] = False,
) -> None:
    """Score documents into OUTPUT: one prediction per document, in input order.

    Duplicates are marked (duplicate_of). Rerunning the same command after a crash resumes the job:
    OUTPUT ends up with every document exactly once. Unreadable records go to
    OUTPUT.errors.jsonl with their source, line and reason. One job at a time per OUTPUT; a
    rerun on sources that changed, or with other settings, is refused (use --restart).

    Exit status: 0 every record scored; 3 some records rejected (see OUTPUT.errors.jsonl);
    1 a fatal error (no model, missing source, output of another job, job already running);
    2 bad arguments or settings; 130 interrupted (Ctrl-C): rerun the same command to resume.
    """
    from service.batch.fetch import Fetcher
    from service.batch.job import JobOptions, counted, run_job
    from service.batch.journal import sources_dir, written_documents
    from service.batch.sources import INPUT_FORMATS, SourceOptions

    if output_format not in ("auto", "jsonl", "csv"):
        fail(f"--format must be auto, jsonl or csv, not {output_format!r}", 2)
    if output_format == "auto":  # an output named .csv is read as CSV by whoever opens it
        output_format = "csv" if output.suffix.lower() == ".csv" else "jsonl"
    if input_format not in INPUT_FORMATS:
        fail(f"--input-format must be {', '.join(INPUT_FORMATS)}, not {input_format!r}", 2)
    if engine not in ("local", "dask"):
        fail(f"--engine must be local or dask, not {engine!r}", 2)
    if scheduler and engine != "dask":
        fail("--scheduler needs --engine dask", 2)
    settings = get_settings()
    options = JobOptions(
        sources=sources,
        output=output,
        format=output_format,
        source_options=SourceOptions(
            input_format=input_format,
            text_column=text_column,
            id_column=id_column,
            title_column=title_column,
            url_column=url_column,
            published_column=published_column,
            max_document_chars=settings.max_document_chars,
        ),
        batch_size=_setting_option("--batch-size", batch_size, "score_batch_size"),
        engine=engine,
        workers=_checked_option("--workers", workers, AT_LEAST_ONE),
        scheduler=scheduler,
        scheduler_timeout=settings.dask_connect_timeout,
        model=model,
        progress=sys.stderr.isatty(),
        store_url=_store_url() if store else None,
        restart=restart,
    )
    fetcher = Fetcher(
        cache_dir=sources_dir(output),
        timeout=settings.fetch_timeout,
        max_bytes=settings.fetch_max_bytes,
        attempts=settings.fetch_attempts,
    )
    try:
        summary = run_job(options, settings.models_dir, fetcher)
    except KeyboardInterrupt:
        written = written_documents(output)
        after = (
            "" if written is None else f" after writing {counted(written, 'document')} to {output}"
        )
        fail(f"the job was interrupted{after}; run the same command again to resume it", 130)
    except ImportError as e:
        fail(f"{e}; the dask engine needs: pip install 'gravewatch[dask]'")
    except OSError as e:
        fail(f"{e.filename or output}: {e.strerror or e}")
    for r in summary.first_rejected:
        where = f"{r.source}:{r.line}" if r.line is not None else r.source
        typer.echo(f"{where}: {r.reason}", err=True)
    more = summary.rejected_this_run - len(summary.first_rejected)
    if more > 0:
        typer.echo(
            f"... and {counted(more, 'more rejected record')} in {output}.errors.jsonl", err=True
        )
    typer.echo(summary.text(), err=True)
    if summary.rejected:
        typer.echo(f"rejected records: {output}.errors.jsonl", err=True)
        raise typer.Exit(3)


if __name__ == "__main__":
    app()
