"""`gravewatch score` jobs: output per document, duplicates, crash and resume, engines, exits."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from service.batch.job import JobOptions, Summary, run_job
from service.batch.journal import JournalError
from service.cli import app
from service.config import get_settings
from tests.factories import corpus_lines, crash_after, write

runner = CliRunner()
BIN = Path(sys.executable).parent
INCIDENT = "Militiamen abducted four girls aged 12 to 15 from a village near Djugu."
FILLER = "The provincial assembly debated the budget for roads and markets on Monday. "


def lines(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text().splitlines()]


def test_each_document_is_scored_once_in_input_order_with_its_metadata(trained, tmp_path):
    src = write(
        tmp_path / "in.jsonl",
        [
            {"id": "a", "title": "Raid", "body": INCIDENT, "url": "https://x/a"},
            {"id": "b", "text": FILLER},
        ],
    )
    summary = run_job(JobOptions([str(src)], tmp_path / "out.jsonl"), trained[0])
    a, b = lines(tmp_path / "out.jsonl")
    assert (a["id"], a["url"], a["title"], a["source"]) == ("a", "https://x/a", "Raid", str(src))
    assert [label["label"] for label in a["labels"]][0] == "abduction"
    assert len(a["content_hash"]) == 32 and a["duplicate_of"] is None
    assert a["passages"] == 2  # units read: the title and the body's one sentence
    assert b["labels"] == []
    assert summary.documents == 2 and summary.labels["abduction"] == 1


def test_evidence_offsets_index_the_whole_article(trained, tmp_path):
    article = FILLER * 30 + INCIDENT + " " + FILLER * 30
    src = write(tmp_path / "in.jsonl", [{"id": "long", "text": article}])
    run_job(JobOptions([str(src)], tmp_path / "out.jsonl"), trained[0])
    (record,) = lines(tmp_path / "out.jsonl")
    span = record["labels"][0]["evidence"][0]
    assert article[span["start"] : span["end"]] == span["text"] == INCIDENT
    assert record["passages"] > 1


def test_csv_output_has_one_row_per_document(trained, tmp_path):
    src = write(tmp_path / "in.jsonl", [{"id": "a", "text": INCIDENT}, {"id": "b", "text": FILLER}])
    run_job(JobOptions([str(src)], tmp_path / "out.csv", format="csv"), trained[0])
    import csv

    rows = list(csv.DictReader((tmp_path / "out.csv").open()))
    assert [r["id"] for r in rows] == ["a", "b"]
    assert rows[0]["labels"].startswith("abduction") and float(rows[0]["score_abduction"]) > 0.5
    assert json.loads(rows[0]["evidence"])["abduction"]


def test_exact_and_near_duplicates_point_to_the_first(trained, tmp_path):
    src = write(tmp_path / "in.jsonl", corpus_lines(20))
    summary = run_job(JobOptions([str(src)], tmp_path / "out.jsonl"), trained[0])
    out = {r["id"]: r["duplicate_of"] for r in lines(tmp_path / "out.jsonl")}
    assert out["d9"] == "d4" and out["d19"] == "d14"
    assert sum(v is not None for v in out.values()) == summary.duplicates == 2


def test_resume_after_a_crash_completes_exactly_once(trained, tmp_path, monkeypatch):
    docs = corpus_lines(60)
    src = write(tmp_path / "in.jsonl", docs)
    reference = tmp_path / "reference.jsonl"
    run_job(JobOptions([str(src)], reference, batch_size=7), trained[0])

    out = tmp_path / "out.jsonl"
    crash_after(monkeypatch, 3)
    with pytest.raises(KeyboardInterrupt):
        run_job(JobOptions([str(src)], out, batch_size=7), trained[0])
    monkeypatch.undo()
    with out.open("ab") as fh:
        fh.write(b'{"id": "torn')  # a half-written line from the crash
    summary = run_job(JobOptions([str(src)], out, batch_size=7), trained[0])

    assert out.read_bytes() == reference.read_bytes()
    assert summary.resumed and summary.documents == 60 and summary.duplicates == 6


@pytest.mark.parametrize(
    ("batch_size", "batches", "written"), [("10", 2, "20 documents"), ("1", 1, "1 document")]
)
def test_ctrl_c_says_how_many_documents_were_written_and_that_a_rerun_resumes(
    trained, tmp_path, monkeypatch, batch_size, batches, written
):
    src = write(tmp_path / "in.jsonl", corpus_lines(30))
    out = tmp_path / "out.jsonl"
    command = ["score", str(src), "-o", str(out), "--batch-size", batch_size]
    env = {"GRAVEWATCH_MODELS_DIR": str(trained[0])}
    crash_after(monkeypatch, batches)  # Ctrl-C while the next batch is written
    result = runner.invoke(app, command, env=env)
    assert result.exit_code == 130
    assert result.output.splitlines() == [
        f"error: the job was interrupted after writing {written} to {out}; run the same "
        "command again to resume it"
    ]
    monkeypatch.undo()
    get_settings.cache_clear()
    assert runner.invoke(app, command, env=env).exit_code == 0
    assert [r["id"] for r in lines(out)] == [f"d{i}" for i in range(30)]


def test_an_id_repeated_within_a_job_is_scored_with_a_warning_naming_both_places(
    trained, tmp_path, monkeypatch
):
    first = write(
        tmp_path / "a.jsonl", [{"id": "x", "text": INCIDENT}, {"id": "y", "text": FILLER}]
    )
    again = write(tmp_path / "b.jsonl", [{"id": "z", "text": FILLER}, {"id": "x", "text": FILLER}])
    out = tmp_path / "out.jsonl"
    options = JobOptions([str(first), str(again)], out, batch_size=1)
    crash_after(monkeypatch, 2)  # the first place is read in a run before the resumed one
    with pytest.raises(KeyboardInterrupt):
        run_job(options, trained[0])
    monkeypatch.undo()
    summary = run_job(options, trained[0])
    assert [r["id"] for r in lines(out)] == ["x", "y", "z", "x"]
    assert lines(tmp_path / "out.jsonl.errors.jsonl") == [
        {
            "source": str(again),
            "line": 2,
            "id": "x",
            "warning": f"the id 'x' is already the id of the document at {first}:1; "
            "duplicate_of names documents by id: give each document its own",
        }
    ]
    assert summary.warnings == 1


def test_killed_process_is_resumed_by_the_same_command(trained, tmp_path):
    src = write(tmp_path / "in.jsonl", corpus_lines(3000))
    out = tmp_path / "out.jsonl"
    command = [str(BIN / "gravewatch"), "score", str(src), "-o", str(out), "--batch-size", "50"]
    env = {**os.environ, "GRAVEWATCH_MODELS_DIR": str(trained[0])}
    proc = subprocess.Popen(command, env=env, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not (out.exists() and out.stat().st_size > 200_000):
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    ids = [r["id"] for r in lines(out)]
    assert ids == [f"d{i}" for i in range(3000)]
    assert "(job resumed)" in done.stderr


def test_the_output_of_another_job_is_refused(trained, tmp_path):
    a = write(tmp_path / "a.jsonl", [{"id": "a", "text": INCIDENT}])
    b = write(tmp_path / "b.jsonl", [{"id": "b", "text": INCIDENT}])
    out = tmp_path / "out.jsonl"
    run_job(JobOptions([str(a)], out), trained[0])
    before = out.read_bytes()
    with pytest.raises(JournalError, match="belongs to a job started with sources"):
        run_job(JobOptions([str(b)], out), trained[0])
    assert out.read_bytes() == before


def test_an_existing_file_is_never_overwritten(trained, tmp_path):
    src = write(tmp_path / "a.jsonl", [{"id": "a", "text": INCIDENT}])
    out = tmp_path / "precious.jsonl"
    out.write_text("keep me\n")
    with pytest.raises(JournalError, match="was not written by a gravewatch job"):
        run_job(JobOptions([str(src)], out), trained[0])
    assert out.read_text() == "keep me\n"


def test_two_worker_processes_give_the_same_output(trained, tmp_path):
    src = write(tmp_path / "in.jsonl", corpus_lines(80))
    run_job(JobOptions([str(src)], tmp_path / "one.jsonl", batch_size=16), trained[0])
    run_job(JobOptions([str(src)], tmp_path / "two.jsonl", batch_size=16, workers=2), trained[0])
    assert (tmp_path / "one.jsonl").read_bytes() == (tmp_path / "two.jsonl").read_bytes()


@pytest.mark.dask
def test_dask_local_cluster_gives_the_same_output(trained, tmp_path):
    src = write(tmp_path / "in.jsonl", corpus_lines(80))
    run_job(JobOptions([str(src)], tmp_path / "local.jsonl", batch_size=16), trained[0])
    run_job(
        JobOptions([str(src)], tmp_path / "dask.jsonl", batch_size=16, engine="dask", workers=2),
        trained[0],
    )
    assert (tmp_path / "local.jsonl").read_bytes() == (tmp_path / "dask.jsonl").read_bytes()


def test_cli_exit_status_and_rejected_lines(trained, tmp_path):
    env = {"GRAVEWATCH_MODELS_DIR": str(trained[0])}
    good = write(tmp_path / "good.jsonl", [{"id": "a", "text": INCIDENT}])
    result = runner.invoke(app, ["score", str(good), "-o", str(tmp_path / "o1.jsonl")], env=env)
    assert result.exit_code == 0, result.output

    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"id": "a", "text": INCIDENT}) + "\n{broken\n")
    result = runner.invoke(app, ["score", str(bad), "-o", str(tmp_path / "o2.jsonl")], env=env)
    assert result.exit_code == 3
    assert f"{bad}:2: invalid JSON" in result.output
    (error,) = lines(tmp_path / "o2.jsonl.errors.jsonl")
    assert error["line"] == 2 and error["source"] == str(bad)

    result = runner.invoke(
        app, ["score", str(tmp_path / "nope"), "-o", str(tmp_path / "o3.jsonl")], env=env
    )
    assert result.exit_code == 1 and "no such file or directory" in result.output
    get_settings.cache_clear()  # settings are read once per process; this run changes them
    result = runner.invoke(
        app,
        ["score", str(good), "-o", str(tmp_path / "o4.jsonl")],
        env={"GRAVEWATCH_MODELS_DIR": str(tmp_path / "empty")},
    )
    assert result.exit_code == 1 and "gravewatch train" in result.output


def test_summary_says_1_document(trained, tmp_path):
    src = write(tmp_path / "in.jsonl", [{"id": "a", "text": INCIDENT}])
    summary = run_job(JobOptions([str(src)], tmp_path / "out.jsonl"), trained[0])
    assert summary.text().splitlines()[0] == (
        "1 document (1 unique, 0 duplicates), 1 passage, 0 rejected records"
    )


@pytest.mark.parametrize(
    ("documents", "seconds", "line"),
    [
        (1, 1.0, "this run: 1 document in 1.0 s (1 document/s)"),
        (3, 1.5, "this run: 3 documents in 1.5 s (2 documents/s)"),
        (0, 0.0, "this run: 0 documents in 0.0 s (0 documents/s)"),
    ],
)
def test_summary_gives_this_runs_count_and_rate_in_the_singular_for_one(documents, seconds, line):
    summary = Summary(documents_this_run=documents, seconds=seconds)
    assert summary.text().splitlines()[2] == line


def test_summary_gives_every_total_in_the_singular_for_one():
    summary = Summary(documents=2, duplicates=1, passages=1, rejected=1, warnings=1)
    assert summary.text().splitlines()[0] == (
        "2 documents (1 unique, 1 duplicate), 1 passage, 1 rejected record, 1 warning"
    )


def test_summary_lists_skipped_files(trained, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    write(folder / "a.jsonl", [{"id": "a", "text": INCIDENT}])
    (folder / "notes.md").write_text("x")
    result = runner.invoke(
        app,
        ["score", str(folder), "-o", str(tmp_path / "out.jsonl")],
        env={"GRAVEWATCH_MODELS_DIR": str(trained[0])},
    )
    assert result.exit_code == 0
    assert f"skipped 1 file that no reader takes: {folder / 'notes.md'}" in result.output
