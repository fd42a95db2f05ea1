"""Exactly-once across runs: one job at a time per output, sources that changed are refused,
an output changed after its checkpoint is refused, and a different setting is named."""

import csv
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from service.batch import output
from service.batch.journal import errors_path
from service.batch.lock import OutputLock
from tests.factories import RSS, corpus_lines, crash_after, score, write

runner = CliRunner()
BIN = Path(sys.executable).parent
INCIDENT = "Militiamen abducted four girls aged 12 to 15 from a village near Djugu."


@pytest.fixture
def env(trained) -> dict:
    return {"GRAVEWATCH_MODELS_DIR": str(trained[0])}


def ids(path: Path) -> list[str]:
    return [json.loads(x)["id"] for x in path.read_text().splitlines()]


def error_line(result) -> str:
    (line,) = [x for x in result.output.splitlines() if x.startswith("error: ")]
    return line


def test_a_second_run_on_the_same_output_is_refused_naming_the_first(env, tmp_path):
    src = write(tmp_path / "in.jsonl", [{"id": "a", "text": INCIDENT}])
    out = tmp_path / "out.jsonl"
    with OutputLock(out):
        result = score([str(src), "-o", str(out)], env)
    assert result.exit_code == 1
    assert error_line(result) == (
        f"error: {out} is being written by another gravewatch process (pid {os.getpid()}); "
        "wait for it to finish, or choose another -o"
    )
    assert not out.exists()
    assert score([str(src), "-o", str(out)], env).exit_code == 0  # released


def test_two_runs_started_at_once_never_duplicate_a_line(trained, tmp_path):
    src = write(tmp_path / "in.jsonl", corpus_lines(2000))
    out = tmp_path / "out.jsonl"
    command = [str(BIN / "gravewatch"), "score", str(src), "-o", str(out), "--batch-size", "50"]
    environ = {**os.environ, "GRAVEWATCH_MODELS_DIR": str(trained[0])}
    runs = [
        subprocess.Popen(command, env=environ, stderr=subprocess.PIPE, text=True) for _ in range(2)
    ]
    results = sorted((p.wait(120), p.stderr.read()) for p in runs)
    assert [code for code, _ in results] == [0, 1]
    assert "is being written by another gravewatch process (pid " in results[1][1]
    assert "Traceback" not in results[0][1] + results[1][1]
    assert ids(out) == [f"d{i}" for i in range(2000)]


def test_a_feed_rewritten_after_the_job_is_refused_then_restarted(env, tmp_path):
    feed = tmp_path / "feed.rss"
    feed.write_text(RSS)
    out = tmp_path / "out.jsonl"
    assert score([str(feed), "-o", str(out)], env).exit_code == 0
    feed.write_text(RSS.replace("Markets reopened.", "Gunmen abducted six boys near the market."))
    result = score([str(feed), "-o", str(out)], env)
    assert result.exit_code == 1
    assert error_line(result) == (
        f"error: {feed} changed since the job on {out} began (its content is different); "
        "nothing was scored. To score it, start a new job: rerun with --restart, or choose "
        "another -o"
    )
    restarted = score([str(feed), "-o", str(out), "--restart"], env)
    assert restarted.exit_code == 0, restarted.output
    assert "six boys" in out.read_text() and len(ids(out)) == 2


def test_a_source_changed_during_an_interrupted_job_is_refused(env, tmp_path, trained):
    from service.batch.job import JobOptions, run_job

    src = write(tmp_path / "in.jsonl", corpus_lines(30))
    out = tmp_path / "out.jsonl"
    mp = pytest.MonkeyPatch()
    crash_after(mp, 1)
    with pytest.raises(KeyboardInterrupt):
        run_job(JobOptions([str(src)], out, batch_size=10), trained[0])
    mp.undo()
    write(src, corpus_lines(31))
    result = score([str(src), "-o", str(out), "--batch-size", "10"], env)
    assert result.exit_code == 1 and f"error: {src} changed since the job" in result.output


def test_a_new_file_in_a_directory_is_a_change(env, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    write(folder / "a.jsonl", [{"id": "a", "text": INCIDENT}])
    out = tmp_path / "out.jsonl"
    assert score([str(folder), "-o", str(out)], env).exit_code == 0
    write(folder / "b.jsonl", [{"id": "b", "text": "Shelling hit a clinic in Goma."}])
    result = score([str(folder), "-o", str(out)], env)
    assert result.exit_code == 1
    assert f"error: {folder / 'b.jsonl'} is new since the job on {out} began" in result.output


def test_different_standard_input_is_refused(env, tmp_path):
    out = tmp_path / "out.jsonl"
    first = json.dumps({"id": "a", "text": INCIDENT}) + "\n"
    assert score(["-", "-o", str(out)], env, input=first).exit_code == 0
    second = json.dumps({"id": "b", "text": "Shelling hit a clinic in Goma."}) + "\n"
    result = score(["-", "-o", str(out)], env, input=second)
    assert result.exit_code == 1
    assert error_line(result).startswith(
        f"error: standard input changed since the job on {out} began (its content is different)"
    )
    again = score(["-", "-o", str(out)], env, input=first)
    assert again.exit_code == 0 and "(the job was already complete)" in again.output
    assert score(["-", "-o", str(out), "--restart"], env, input=second).exit_code == 0
    assert ids(out) == ["b"]


def test_an_output_deleted_after_the_job_is_not_reported_as_done(env, tmp_path):
    src = write(tmp_path / "in.jsonl", [{"id": "a", "text": INCIDENT}])
    out = tmp_path / "out.jsonl"
    assert score([str(src), "-o", str(out)], env).exit_code == 0
    size = out.stat().st_size
    out.unlink()
    result = score([str(src), "-o", str(out)], env)
    assert result.exit_code == 1
    assert error_line(result) == (
        f"error: {out} is missing, but the job had written {size} bytes to it; to score "
        "again, rerun with --restart, or choose another -o"
    )
    assert score([str(src), "-o", str(out), "--restart"], env).exit_code == 0
    assert ids(out) == ["a"]


def test_an_output_changed_within_its_checkpoint_is_refused(env, tmp_path):
    src = write(tmp_path / "in.jsonl", [{"id": "a", "text": INCIDENT}])
    out = tmp_path / "out.jsonl"
    assert score([str(src), "-o", str(out)], env).exit_code == 0
    out.write_text(out.read_text().replace('"a"', '"z"'))
    result = score([str(src), "-o", str(out)], env)
    assert result.exit_code == 1
    assert error_line(result) == (
        f"error: {out} was changed outside gravewatch (its first {out.stat().st_size} bytes "
        "differ from what the job wrote); rerun with --restart to score again, or choose "
        "another -o"
    )


def test_a_truncated_output_is_refused(env, tmp_path):
    src = write(tmp_path / "in.jsonl", [{"id": "a", "text": INCIDENT}])
    out = tmp_path / "out.jsonl"
    assert score([str(src), "-o", str(out)], env).exit_code == 0
    size = out.stat().st_size
    out.write_bytes(out.read_bytes()[:10])
    result = score([str(src), "-o", str(out)], env)
    assert result.exit_code == 1
    assert error_line(result) == (
        f"error: {out} has 10 bytes, but the job had written {size} bytes to it; to score "
        "again, rerun with --restart, or choose another -o"
    )


def test_a_csv_output_begun_with_other_columns_is_not_resumed_and_is_left_as_it_is(
    env, tmp_path, monkeypatch
):
    """An interrupted job begun by a version that wrote fewer columns (before lang and flags):
    the rows of this version would not fit under its header."""
    src = write(tmp_path / "in.jsonl", corpus_lines(30))
    out = tmp_path / "out.csv"
    command = [str(src), "-o", str(out), "--format", "csv", "--batch-size", "10"]
    older = [c for c in output.CSV_COLUMNS if c not in ("lang", "flags")]
    monkeypatch.setattr(output, "CSV_COLUMNS", older)
    crash_after(monkeypatch, 1)
    assert score(command, env).exit_code == 130
    monkeypatch.undo()
    begun = out.read_bytes(), errors_path(out).read_bytes()
    result = score(command, env)
    assert result.exit_code == 1
    assert result.output == (
        f"error: {out} has other CSV columns than this version writes (its header lacks lang, "
        "flags): the job cannot be resumed on it, and it was left as it is; to score again, "
        "rerun with --restart, or choose another -o\n"
    )
    assert (out.read_bytes(), errors_path(out).read_bytes()) == begun
    assert score([*command, "--restart"], env).exit_code == 0
    with out.open(newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == output.CSV_COLUMNS and len(rows) == 31
    assert {len(row) for row in rows} == {len(output.CSV_COLUMNS)}


def test_a_rerun_with_a_corrected_column_names_the_setting(env, tmp_path):
    src = tmp_path / "in.csv"
    src.write_text("id,body\nr1,Gunmen burned the school in Kalo.\n")
    out = tmp_path / "out.jsonl"
    assert score([str(src), "-o", str(out)], env).exit_code == 3  # no column 'text'
    result = score([str(src), "-o", str(out), "--text-column", "body"], env)
    assert result.exit_code == 1
    assert error_line(result) == (
        f"error: {out} belongs to a job started with --text-column text; this run gives "
        "--text-column body. Rerun with the job's settings to resume it, --restart to start "
        "a new job on it, or choose another -o"
    )
    fixed = score([str(src), "-o", str(out), "--text-column", "body", "--restart"], env)
    assert fixed.exit_code == 0 and ids(out) == ["r1"]
    assert not out.with_name("out.jsonl.errors.jsonl").read_text()


def test_a_rerun_with_another_format_or_model_names_it(trained, models_copy, tmp_path):
    import shutil

    version = trained[1].version
    shutil.copytree(models_copy / version, models_copy / "v2")
    env = {"GRAVEWATCH_MODELS_DIR": str(models_copy)}
    src = write(tmp_path / "in.jsonl", [{"id": "a", "text": INCIDENT}])
    out = tmp_path / "out.jsonl"
    assert score([str(src), "-o", str(out)], env).exit_code == 0
    result = score([str(src), "-o", str(out), "--format", "csv"], env)
    assert result.exit_code == 1
    assert "started with --format jsonl; this run gives --format csv." in error_line(result)
    result = score([str(src), "-o", str(out), "--model", "v2"], env)
    assert result.exit_code == 1
    assert f"started with --model {version}; this run gives --model v2." in error_line(result)


def test_restart_never_removes_a_file_no_job_wrote(env, tmp_path):
    src = write(tmp_path / "in.jsonl", [{"id": "a", "text": INCIDENT}])
    out = tmp_path / "precious.jsonl"
    out.write_text("keep me\n")
    result = score([str(src), "-o", str(out), "--restart"], env)
    assert result.exit_code == 1 and "was not written by a gravewatch job" in result.output
    assert out.read_text() == "keep me\n"


def test_an_output_inside_a_source_folder_is_resumed_by_the_same_command(env, tmp_path, trained):
    from service.batch.job import JobOptions, run_job

    folder = tmp_path / "feeds"
    folder.mkdir()
    write(folder / "in.jsonl", corpus_lines(30))
    (folder / "in.csv").write_text("id,text,when\nc1,Shelling hit a clinic in Goma.,soon\n")
    out = folder / "scored.jsonl"
    mp = pytest.MonkeyPatch()
    crash_after(mp, 1)
    with pytest.raises(KeyboardInterrupt):
        run_job(JobOptions([str(folder)], out, batch_size=10), trained[0])
    mp.undo()
    command = [str(folder), "-o", str(out), "--batch-size", "10"]
    resumed = score(command, env)
    assert resumed.exit_code == 0, resumed.output
    assert "(job resumed)" in resumed.output and "skipped" not in resumed.output
    assert ids(out) == ["c1", *(f"d{i}" for i in range(30))]
    again = score(command, env)
    assert again.exit_code == 0, again.output
    assert "(the job was already complete)" in again.output and "skipped" not in again.output
    assert len(ids(out)) == 31


def test_the_jobs_copies_of_urls_and_standard_input_are_not_read_as_sources(env, tmp_path, server):
    folder = tmp_path / "feeds"
    folder.mkdir()
    write(folder / "in.jsonl", [{"id": "a", "text": INCIDENT}])
    out = folder / "scored.jsonl"
    stdin = json.dumps({"id": "s", "text": "Shelling hit a clinic in Goma."}) + "\n"
    command = [f"{server}/feed", "-", str(folder), "-o", str(out)]
    first = score(command, env, input=stdin)
    assert first.exit_code == 0, first.output
    assert (out.parent / "scored.jsonl.sources").is_dir()
    again = score(command, env, input=stdin)
    assert again.exit_code == 0, again.output
    assert "(the job was already complete)" in again.output and "skipped" not in again.output
    assert ids(out) == ["a1", "https://news.example/b", "s", "a"]


def test_a_directory_scan_leaves_out_the_files_of_the_job_writing_into_it(tmp_path, monkeypatch):
    from service.batch.journal import job_files
    from service.batch.sources import expand_sources

    monkeypatch.chdir(tmp_path)
    folder = Path("feeds")
    (folder / "scored.jsonl.sources").mkdir(parents=True)
    write(folder / "in.jsonl", [{"id": "a", "text": INCIDENT}])
    own = [
        "scored.jsonl",
        "scored.jsonl.errors.jsonl",
        "scored.jsonl.journal",
        "scored.jsonl.journal-journal",
        "scored.jsonl.lock",
        "scored.jsonl.sources/stdin",
        "scored.jsonl.sources/0a1b.json",
        "scored.jsonl.sources/0a1b.body",
    ]
    for name in [*own, "other.jsonl.lock"]:
        (folder / name).write_text("")
    inputs = expand_sources(["feeds"], exclude=job_files(tmp_path / "feeds" / "scored.jsonl"))
    assert [i.name for i in inputs.items] == ["feeds/in.jsonl"]
    assert inputs.skipped == ["feeds/other.jsonl.lock"]


def test_ctrl_c_stops_a_job_with_workers_at_once_and_the_rerun_resumes_it(trained, tmp_path):
    """Ctrl-C in a terminal sends SIGINT to the whole process group, pool workers included:
    the job stops within seconds without a traceback, and the same command finishes it."""
    import signal
    import time

    src = write(tmp_path / "in.jsonl", corpus_lines(3000))
    out = tmp_path / "out.jsonl"
    command = [str(BIN / "gravewatch"), "score", str(src), "-o", str(out)]
    command += ["--workers", "2", "--batch-size", "50"]
    environ = {**os.environ, "GRAVEWATCH_MODELS_DIR": str(trained[0])}
    run = subprocess.Popen(
        command,
        env=environ,
        stderr=subprocess.PIPE,
        text=True,
        process_group=0,  # its own group, as a terminal's foreground job
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    while not (out.exists() and out.stat().st_size > 0) and run.poll() is None:
        time.sleep(0.05)
    os.killpg(run.pid, signal.SIGINT)
    try:
        _, stderr = run.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(run.pid, signal.SIGKILL)
        run.communicate()
        pytest.fail("the job did not stop within 30 s of Ctrl-C")
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr
    assert run.returncode == 130
    assert re.fullmatch(
        rf"error: the job was interrupted after writing \d+ documents? to {re.escape(str(out))}; "
        "run the same command again to resume it",
        stderr.strip(),
    )
    resumed = subprocess.run(command, env=environ, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert ids(out) == [f"d{i}" for i in range(3000)]
