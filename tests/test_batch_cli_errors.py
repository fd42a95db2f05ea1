"""`gravewatch score` never shows a traceback: every bad input, argument or setting gives a
one-line message naming the file (and line) and the reason, and a non-zero exit status; every
rejected record is in OUT.errors.jsonl; a job made only of bad records still finishes."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from service.cli import app
from service.config import get_settings
from tests.factories import RSS, score
from tests.servers import free_port

runner = CliRunner()
GOOD = json.dumps({"id": "ok", "text": "Militiamen abducted four girls aged 12 near Djugu."})


@pytest.fixture
def env(trained) -> dict:
    return {"GRAVEWATCH_MODELS_DIR": str(trained[0]), "GRAVEWATCH_FETCH_ATTEMPTS": "1"}


def errors(out: Path) -> list[dict]:
    path = out.with_name(out.name + ".errors.jsonl")
    return [json.loads(x) for x in path.read_text().splitlines()]


def stderr_lines(result) -> list[str]:
    return result.output.splitlines()


BAD_SOURCES = {
    "csv_without_text_column": (
        "in.csv",
        b"id,body\n1,Gunmen burned the school.\n",
        1,
        "no column 'text' (columns: id, body); name the text column with --text-column",
    ),
    "empty_csv": ("in.csv", b"", None, "the file is empty"),
    "empty_rss": ("in.rss", b"", None, "the file is empty"),
    "empty_html": ("in.html", b"", None, "the file is empty"),
    "empty_txt": ("in.txt", b"", None, "the file is empty"),
    "binary_file": ("blob", bytes(range(256)) * 8, None, "the file is binary, not text"),
    "binary_named_jsonl": ("in.jsonl", bytes(range(256)) * 8, None, "the file is binary, not text"),
    "utf16_csv": (  # Excel's "Unicode text": text, not binary
        "in.csv",
        "id,text\r\n1,Gunmen burned the school.\r\n".encode("utf-16"),
        None,
        "the file is UTF-16 text; Gravewatch reads UTF-8: save it as UTF-8 (iconv -f UTF-16 "
        "-t UTF-8)",
    ),
    "feed_that_is_not_xml": (
        "in.rss",
        b"this is not a feed\n",
        1,
        "the feed could not be parsed: syntax error at column 1",
    ),
    "truncated_feed": (
        "in.rss",
        RSS[: RSS.index("Markets reopened.") + len("Markets")].encode(),
        6,
        "the feed could not be parsed: no element found at column 21; the feed is cut off "
        "(fetch or copy it again)",
    ),
    "json_array_with_a_bad_item": (
        "in.json",
        b"[\n  5\n]",
        2,
        "item 1: expected a JSON object with id and text",
    ),
}


@pytest.mark.parametrize("case", BAD_SOURCES)
def test_a_job_whose_only_source_is_bad_finishes_with_exit_3(env, tmp_path, case):
    name, data, line, reason = BAD_SOURCES[case]
    src = tmp_path / name
    src.write_bytes(data)
    out = tmp_path / "out.jsonl"
    result = score([str(src), "-o", str(out)], env)
    assert result.exit_code == 3, result.output
    where = f"{src}:{line}" if line else str(src)
    assert f"{where}: {reason}" in stderr_lines(result)
    assert errors(out) == [{"source": str(src), "line": line, "reason": reason}]
    assert out.read_text() == ""
    again = score([str(src), "-o", str(out)], env)  # a rerun does not crash either
    assert again.exit_code == 3 and "(the job was already complete)" in again.output


def test_a_url_that_answers_404_alone(env, tmp_path, server):
    out = tmp_path / "out.jsonl"
    result = score([f"{server}/missing", "-o", str(out)], env)
    assert result.exit_code == 3
    assert f"{server}/missing: fetch failed: HTTP 404" in stderr_lines(result)
    assert errors(out) == [
        {"source": f"{server}/missing", "line": None, "reason": "fetch failed: HTTP 404"}
    ]


def test_a_url_that_refuses_the_connection_alone(env, tmp_path):
    url = f"http://127.0.0.1:{free_port()}/feed"
    out = tmp_path / "out.jsonl"
    result = score([url, "-o", str(out)], env)
    assert result.exit_code == 3
    (error,) = errors(out)
    assert error["source"] == url and error["reason"].startswith("fetch failed: connection failed")
    assert f"{url}: {error['reason']}" in stderr_lines(result)


def test_a_long_run_of_bad_lines_is_checkpointed_and_reported(env, tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text("{broken\n" * 300 + GOOD + "\n")
    out = tmp_path / "out.jsonl"
    result = score([str(src), "-o", str(out)], env)
    assert result.exit_code == 3
    assert [e["line"] for e in errors(out)] == list(range(1, 301))
    assert [json.loads(x)["id"] for x in out.read_text().splitlines()] == ["ok"]
    assert (
        f"{src}:1: invalid JSON: Expecting property name enclosed in double quotes at column 2"
        in (stderr_lines(result))
    )
    assert "... and 280 more rejected records in" in result.output


def test_batch_size_1_with_one_bad_line(env, tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text(GOOD + "\n{broken\n")
    out = tmp_path / "out.jsonl"
    result = score([str(src), "-o", str(out), "--batch-size", "1"], env)
    assert result.exit_code == 3
    assert [e["line"] for e in errors(out)] == [2]


def test_an_output_folder_that_does_not_exist(env, tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text(GOOD + "\n")
    out = tmp_path / "nope" / "out.jsonl"
    result = score([str(src), "-o", str(out)], env)
    assert result.exit_code == 1
    assert stderr_lines(result) == [
        f"error: {out.parent}: the output folder does not exist; create it or choose another -o"
    ]


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        (
            "GRAVEWATCH_FETCH_MAX_BYTES",
            "1000",
            "GRAVEWATCH_FETCH_MAX_BYTES='1000': input should be greater than or equal to 1024",
        ),
        (
            "GRAVEWATCH_SCORE_BATCH_SIZE",
            "many",
            "GRAVEWATCH_SCORE_BATCH_SIZE='many': input should be a valid integer, unable to "
            "parse string as an integer",
        ),
        (
            "GRAVEWATCH_DATABASE_URL",
            "foo://bar",
            "GRAVEWATCH_DATABASE_URL='foo://bar': value error, SQLAlchemy has no database "
            "'foo': give sqlite:///PATH or postgresql+psycopg://USER@HOST:PORT/NAME",
        ),
        (
            "GRAVEWATCH_DATABASE_URL",
            "127.0.0.1:5432/test",
            "GRAVEWATCH_DATABASE_URL (its value is not shown: a URL can hold a password): value "
            "error, not a database URL: give sqlite:///PATH or "
            "postgresql+psycopg://USER@HOST:PORT/NAME",
        ),
    ],
)
@pytest.mark.parametrize("command", [["score", "x", "-o", "y"], ["classify", "text"], ["openapi"]])
def test_an_invalid_setting_is_one_line_for_every_command(command, variable, value, message):
    get_settings.cache_clear()
    result = runner.invoke(app, command, env={variable: value})
    assert result.exit_code == 2
    assert result.output.splitlines() == [f"error: invalid setting {message}"]


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("foo://alice:s3cret@db.example/reviews", "='foo://alice:***@db.example/reviews'"),
        ("alice:s3cret@db.example:5432/reviews", " (its value is not shown"),
    ],
)
def test_an_invalid_database_url_is_named_without_its_password(value, shown):
    get_settings.cache_clear()
    result = runner.invoke(app, ["openapi"], env={"GRAVEWATCH_DATABASE_URL": value})
    assert result.exit_code == 2
    assert result.output.startswith(f"error: invalid setting GRAVEWATCH_DATABASE_URL{shown}")
    assert "s3cret" not in result.output


@pytest.mark.dask
def test_an_unreachable_scheduler_is_named(env, tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text(GOOD + "\n")
    address = f"tcp://127.0.0.1:{free_port()}"
    result = score(
        [str(src), "-o", str(tmp_path / "out.jsonl"), "--engine", "dask", "--scheduler", address],
        {**env, "GRAVEWATCH_DASK_CONNECT_TIMEOUT": "1"},
    )
    assert result.exit_code == 1
    assert stderr_lines(result) == [
        f"error: the Dask scheduler at {address} did not answer within 1 s; start it or "
        "correct --scheduler (GRAVEWATCH_DASK_CONNECT_TIMEOUT sets the wait)"
    ]


def test_an_unknown_model_lists_the_versions_there_are(env, trained, tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text(GOOD + "\n")
    result = score([str(src), "-o", str(tmp_path / "out.jsonl"), "--model", "nope"], env)
    assert result.exit_code == 1
    version = trained[1].version
    assert stderr_lines(result) == [
        f"error: there is no model version 'nope' in {trained[0]}; versions: {version} (active)"
    ]


def test_a_directory_of_200_mixed_files_reports_every_bad_one(env, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    bad = {}
    kinds = [
        ("csv", b"", "the file is empty"),
        ("rss", b"not a feed", "the feed could not be parsed: syntax error at column 1"),
        ("jsonl", bytes(range(256)), "the file is binary, not text"),
        ("txt", b"  \n", "the document has no text"),
        ("html", b"<html><body></body></html>", "no main text found in the HTML page"),
    ]
    for i in range(200):
        if i % 2:
            ext, data, reason = kinds[i // 2 % len(kinds)]
            path = folder / f"f{i:03}.{ext}"
            path.write_bytes(data)
            bad[str(path)] = reason
        else:
            (folder / f"f{i:03}.jsonl").write_text(
                json.dumps({"id": f"d{i}", "text": f"Report {i}: shelling hit a clinic."}) + "\n"
            )
    out = tmp_path / "out.jsonl"
    result = score([str(folder), "-o", str(out)], env)
    assert result.exit_code == 3
    assert {e["source"]: e["reason"] for e in errors(out)} == bad
    assert len(out.read_text().splitlines()) == 100
    assert "100 rejected records" in result.output


def test_a_date_that_cannot_be_read_is_a_warning_and_the_document_is_scored(env, tmp_path):
    src = tmp_path / "in.csv"
    src.write_text(
        "id,text,date\n"
        "a,Militiamen abducted four girls aged 12 near Djugu.,03/12/2026\n"
        "b,Shelling hit a school in Kharkiv.,2026-12-03\n"
    )
    out = tmp_path / "out.jsonl"
    result = score([str(src), "-o", str(out), "--published-column", "date"], env)
    assert result.exit_code == 0, result.output
    warning = (
        "column 'date': '03/12/2026' is not an ISO 8601 date (YYYY-MM-DD); numeric day and "
        "month orders are not guessed; the document is scored without a date"
    )
    assert f"{src}:2: warning: {warning}" in stderr_lines(result)
    assert errors(out) == [{"source": str(src), "line": 2, "id": "a", "warning": warning}]
    scored = [json.loads(x) for x in out.read_text().splitlines()]
    assert [(d["id"], d["published"]) for d in scored] == [("a", None), ("b", "2026-12-03")]
    assert stderr_lines(result)[1] == (
        "2 documents (2 unique, 0 duplicates), 2 passages, 0 rejected records, 1 warning"
    )
    again = score([str(src), "-o", str(out), "--published-column", "date"], env)
    assert again.exit_code == 0 and "(the job was already complete)" in again.output
    assert len(errors(out)) == 1


def test_warnings_and_rejected_records_are_kept_in_input_order(env, tmp_path):
    src = tmp_path / "in.csv"
    rows = [f"d{i},Shelling hit school number {i} in Kharkiv.,{i + 1}/12/2026" for i in range(22)]
    rows.insert(1, "empty,,2026-12-03")
    src.write_text("id,text,date\n" + "\n".join(rows) + "\n")
    out = tmp_path / "out.jsonl"
    result = score([str(src), "-o", str(out), "--published-column", "date"], env)
    assert result.exit_code == 3, result.output
    assert [(e["line"], e.get("id"), "warning" in e) for e in errors(out)][:3] == [
        (2, "d0", True),
        (3, None, False),
        (4, "d1", True),
    ]
    assert len(errors(out)) == 23
    shown = [x for x in stderr_lines(result) if ": warning: column 'date': " in x]
    assert len(shown) == 20
    assert f"... and 2 more warnings in {out}.errors.jsonl" in stderr_lines(result)
    assert "23 documents" not in result.output and "22 documents" in result.output
    assert "1 rejected record, 22 warnings" in result.output


@pytest.mark.parametrize("source", ["in.jsonl", "-"])
def test_a_latin1_jsonl_source_is_one_error_at_its_first_bad_line(env, tmp_path, source):
    """As a Latin-1 CSV is: not one error per line in the wrong encoding."""
    latin1 = "".join(
        json.dumps({"id": f"d{i}", "text": f"Enfants enlevés à l'école {i}."}, ensure_ascii=False)
        + "\n"
        for i in range(50)
    )
    data = (GOOD + "\n").encode() + latin1.encode("latin-1")
    if source != "-":
        source = str(tmp_path / source)
        Path(source).write_bytes(data)
    out = tmp_path / "out.jsonl"
    result = score([source, "-o", str(out)], env, input=data)
    assert result.exit_code == 3, result.output
    reason = (
        "the file is not valid UTF-8 from this line on and was read no further; Gravewatch reads "
        "UTF-8: save it as UTF-8 (iconv -f latin1 -t UTF-8 if it is Latin-1)"
    )
    assert stderr_lines(result)[0] == f"{source}:2: {reason}"
    assert stderr_lines(result)[1].startswith("1 document (1 unique, 0 duplicates)")
    assert errors(out) == [{"source": source, "line": 2, "reason": reason}]
    assert [json.loads(x)["id"] for x in out.read_text().splitlines()] == ["ok"]


def test_one_more_rejected_record_than_are_shown_is_counted_in_the_singular(env, tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text("{broken\n" * 21 + GOOD + "\n")
    out = tmp_path / "out.jsonl"
    result = score([str(src), "-o", str(out)], env)
    assert result.exit_code == 3
    assert f"... and 1 more rejected record in {out}.errors.jsonl" in stderr_lines(result)


@pytest.mark.parametrize(
    ("name", "args", "first_line"),
    [
        ("out.csv", [], "id,"),
        ("OUT.CSV", [], "id,"),
        ("out.jsonl", [], '{"id": "ok"'),
        ("out.txt", [], '{"id": "ok"'),
        ("out.csv", ["--format", "jsonl"], '{"id": "ok"'),
    ],
)
def test_the_output_format_follows_the_outputs_name_unless_given(
    env, tmp_path, name, args, first_line
):
    src = tmp_path / "in.jsonl"
    src.write_text(GOOD + "\n")
    out = tmp_path / name
    assert score([str(src), "-o", str(out), *args], env).exit_code == 0
    assert out.read_text().startswith(first_line)
