"""`gravewatch classify`: one passage in, the prediction JSON out; the CLI's other commands."""

import json
import typing

import pytest
from typer.testing import CliRunner

from service.cli import app
from tests.test_cli_help import ALL

runner = CliRunner()


@pytest.fixture
def models_env(trained):
    return {"GRAVEWATCH_MODELS_DIR": str(trained[0])}


def test_classify_empty_text_fails(models_env):
    result = runner.invoke(app, ["classify", "   "], env=models_env)
    assert result.exit_code == 1 and "the passage is empty" in result.output


def test_classify_prints_prediction(models_env):
    result = runner.invoke(
        app, ["classify", "Shelling killed three children in Gaza."], env=models_env
    )
    assert result.exit_code == 0
    assert set(json.loads(result.output)["scores"]) >= {"killing_maiming", "abduction"}


def test_db_upgrade_and_key_lifecycle(tmp_path):
    env = {"GRAVEWATCH_DATA_DIR": str(tmp_path)}
    result = runner.invoke(app, ["db", "upgrade"], env=env)
    assert result.exit_code == 0 and "up to date" in result.output
    assert (tmp_path / "gravewatch.db").exists()

    created = runner.invoke(app, ["keys", "create", "--name", "m1", "--role", "reviewer"], env=env)
    assert created.exit_code == 0 and created.stdout.strip().startswith("gw_")
    listed = runner.invoke(app, ["keys", "list"], env=env)
    assert "m1\treviewer" in listed.stdout and "active" in listed.stdout
    assert runner.invoke(app, ["keys", "revoke", "m1"], env=env).exit_code == 0
    assert "revoked" in runner.invoke(app, ["keys", "list"], env=env).stdout

    bad = runner.invoke(app, ["keys", "create", "--name", "x", "--role", "boss"], env=env)
    assert (
        bad.exit_code == 1 and "role must be one of reader, ingest, reviewer, admin" in bad.output
    )
    again = runner.invoke(app, ["keys", "revoke", "m1"], env=env)
    assert again.exit_code == 1 and "no active key named 'm1'" in again.output


def test_store_commands_explain_a_missing_schema(tmp_path):
    result = runner.invoke(app, ["keys", "list"], env={"GRAVEWATCH_DATA_DIR": str(tmp_path)})
    assert result.exit_code == 1 and "gravewatch db upgrade" in result.output


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("", "a key's name is empty: give who or what the key is for"),
        ("   ", "a key's name is empty: give who or what the key is for"),
        (
            "evil\nname",
            "the key name 'evil\\nname' contains a control character (U+000A) at index 4",
        ),
        ("tab\tname", "the key name 'tab\\tname' contains a control character (U+0009) at index 3"),
        ("rtl\u202ename", "contains a control character (U+202E) at index 3"),
        ("k" * 201, "a key's name has 201 characters; the limit is 200"),
    ],
)
def test_keys_create_refuses_a_name_that_is_empty_or_holds_control_characters(
    tmp_path, name, problem
):
    env = {"GRAVEWATCH_DATA_DIR": str(tmp_path)}
    assert runner.invoke(app, ["db", "upgrade"], env=env).exit_code == 0
    result = runner.invoke(app, ["keys", "create", "--name", name, "--role", "reader"], env=env)
    assert result.exit_code == 1
    assert result.output.startswith("error: ") and problem in result.output
    assert len(result.output.splitlines()) == 1
    assert runner.invoke(app, ["keys", "list"], env=env).stdout == ""


def test_keys_create_accepts_names_in_any_script(tmp_path):
    env = {"GRAVEWATCH_DATA_DIR": str(tmp_path)}
    assert runner.invoke(app, ["db", "upgrade"], env=env).exit_code == 0
    name = "Équipe Kharkiv — مراقب 1"
    result = runner.invoke(app, ["keys", "create", "--name", name, "--role", "reader"], env=env)
    assert result.exit_code == 0, result.output
    assert runner.invoke(app, ["keys", "list"], env=env).stdout.startswith(f"{name}\treader\t")


def test_keys_create_refuses_white_space_around_a_name_and_older_keys_keep_their_names(tmp_path):
    from service.store.db import Database
    from service.store.repository import now
    from service.store.tables import ApiKeyRow

    env = {"GRAVEWATCH_DATA_DIR": str(tmp_path)}
    assert runner.invoke(app, ["db", "upgrade"], env=env).exit_code == 0
    for name in (" ops", "ops "):
        result = runner.invoke(app, ["keys", "create", "--name", name, "--role", "admin"], env=env)
        assert result.exit_code == 1
        assert result.output == (
            f"error: the key name {name!r} begins or ends with white space: give the name "
            "without it\n"
        )
    assert runner.invoke(app, ["keys", "list"], env=env).stdout == ""

    store = Database(f"sqlite:///{tmp_path / 'gravewatch.db'}")  # a key stored before the rule
    with store.sessions.begin() as session:
        session.add(ApiKeyRow(name=" ops", role="admin", key_hash="0" * 64, created_at=now()))
    store.close()
    assert runner.invoke(app, ["keys", "list"], env=env).stdout.startswith(" ops\tadmin\t")
    assert runner.invoke(app, ["keys", "revoke", " ops"], env=env).exit_code == 0


def test_classify_refuses_standard_input_that_is_not_utf8(models_env):
    result = runner.invoke(app, ["classify", "-"], input=b"\xff\xfe bad", env=models_env)
    assert result.exit_code == 1
    assert result.output == (
        "error: standard input is not valid UTF-8 (byte 0); encode the text as UTF-8\n"
    )


def test_classify_refuses_a_nul_character_on_standard_input_as_the_api_does(tmp_path):
    from pydantic import ValidationError

    from service.schemas import ClassifyRequest

    text = "Shelling\x00 hit a school in Kharkiv."
    result = runner.invoke(
        app, ["classify", "-"], input=text.encode(), env={"GRAVEWATCH_MODELS_DIR": str(tmp_path)}
    )
    assert result.exit_code == 1
    assert result.output == (
        "error: standard input contains a NUL character (U+0000) at index 8: remove it\n"
    )
    with pytest.raises(ValidationError) as api:
        ClassifyRequest.model_validate({"text": text})
    assert result.output == f"error: standard input {api.value.errors()[0]['msg']}\n"


def test_classify_refuses_an_argument_that_is_not_utf8(models_env):
    # On POSIX, bytes of an argument that are not UTF-8 reach Python as lone surrogates.
    result = runner.invoke(app, ["classify", "Bad \udcff byte"], env=models_env)
    assert result.exit_code == 1
    assert result.output == (
        "error: the passage is not valid UTF-8 (byte 4); encode the text as UTF-8\n"
    )


def test_classify_given_a_file_name_says_how_to_classify_the_file(models_env, tmp_path):
    """`gravewatch classify article.txt` scored the eleven characters of the name and printed
    zeros, as if the article reported nothing."""
    article = tmp_path / "article.txt"
    article.write_text("Shelling killed three children in Gaza.\n", encoding="utf-8")
    result = runner.invoke(app, ["classify", str(article)], env=models_env)
    assert result.exit_code == 1
    assert result.output == (
        f"error: {article} is a file, not a passage: to classify its text run "
        f"`gravewatch classify - < {article}`; to score files, `gravewatch score {article}`\n"
    )


def test_classify_reads_standard_input_as_utf8_text(models_env):
    text = "Un obus a tué deux élèves à l'école de Kharkiv.\r\n"
    result = runner.invoke(app, ["classify", "-"], input=text.encode(), env=models_env)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["lang"] == "fr"


def test_classify_prints_what_the_api_returns(trained, tmp_path, models_env):
    from fastapi.testclient import TestClient

    from service.app import create_app
    from service.config import Settings

    text = "Shelling killed three children in Gaza."
    result = runner.invoke(app, ["classify", text], env=models_env)
    assert result.exit_code == 0, result.output
    settings = Settings(models_dir=trained[0], data_dir=tmp_path)
    with TestClient(create_app(settings)) as client:
        api = client.post("/v1/classify", json={"text": text})
    assert api.status_code == 200
    assert json.loads(result.stdout) == api.json()
    assert json.loads(result.stdout)["document"] is None


def test_classify_with_an_unknown_model_lists_the_versions_as_score_does(trained, models_env):
    result = runner.invoke(app, ["classify", "--model", "nope", "text"], env=models_env)
    assert result.exit_code == 1
    assert result.output == (
        f"error: there is no model version 'nope' in {trained[0]}; versions: "
        f"{trained[1].version} (active)\n"
    )


def test_evaluate_on_a_folder_says_it_takes_a_file(tmp_path):
    result = runner.invoke(
        app, ["evaluate", "--data", str(tmp_path)], env={"GRAVEWATCH_MODELS_DIR": str(tmp_path)}
    )
    assert result.exit_code == 1
    assert result.output == (
        f"error: {tmp_path}: is a folder; --data takes a JSONL file in the corpus format\n"
    )


def test_an_evaluation_report_that_cannot_be_written_says_why_in_one_line(
    models_env, tmp_path, monkeypatch
):
    data = tmp_path / "items.jsonl"
    data.write_text(
        '{"id": "a", "text": "Shelling killed three children in Gaza.", '
        '"labels": ["killing_maiming"], '
        '"evidence": [{"label": "killing_maiming", "start": 0, "end": 38}]}\n'
    )
    report = tmp_path / "evaluation.html"

    def disk_full(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("os.replace", disk_full)
    result = runner.invoke(
        app, ["evaluate", "--data", str(data), "--report", str(report)], env=models_env
    )
    assert result.exit_code == 1
    assert result.output.endswith(
        f"error: {report}: No space left on device; choose another --report\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["items.jsonl"]


def test_evaluate_refuses_a_missing_report_folder_as_score_does(tmp_path):
    report = tmp_path / "missing" / "dir" / "evaluation.html"
    result = runner.invoke(
        app, ["evaluate", "--report", str(report)], env={"GRAVEWATCH_MODELS_DIR": str(tmp_path)}
    )
    assert result.exit_code == 1
    assert result.output == (
        f"error: {report.parent}: the output folder does not exist; create it or choose "
        "another --report\n"
    )
    assert not (tmp_path / "missing").exists()


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ('{"id": "a", "text": "Shelling hit a school."}', "labels: Field required; evidence: "),
        ("[1, 2]", "record: Input should be a valid dictionary"),
    ],
)
def test_evaluate_on_a_file_not_in_corpus_format_names_line_and_fields(
    models_env, tmp_path, line, problem
):
    data = tmp_path / "items.jsonl"
    data.write_text(line + "\n")
    result = runner.invoke(app, ["evaluate", "--data", str(data)], env=models_env)
    assert result.exit_code == 1
    assert result.output.startswith(f"error: {data}:1: {problem}")


def integer_options():
    """``(command path, option)`` of every option of every command that takes an integer
    (``int`` or ``int | None``)."""
    for path, command in ALL:
        hints = typing.get_type_hints(command.callback) if command.callback else {}
        for param in command.params:
            hint = hints.get(param.name)
            if param.param_type_name == "option" and int in (hint, *typing.get_args(hint)):
                yield path, max(param.opts, key=len)


INTEGER_OPTIONS = list(integer_options())
ARGUMENTS = {("score",): ["in.jsonl", "-o", "out.jsonl"]}
"""What a command needs besides the option under test."""


def test_the_integer_options_are_found():
    assert {(" ".join(path), option) for path, option in INTEGER_OPTIONS} >= {
        ("train", "--seed"),
        ("train", "--sample"),
        ("serve", "--port"),
        ("serve", "--workers"),
        ("retrain", "--job"),
        ("score", "--workers"),
        ("score", "--batch-size"),
    }


@pytest.mark.parametrize(
    ("path", "option"), INTEGER_OPTIONS, ids=[f"{' '.join(p)} {o}" for p, o in INTEGER_OPTIONS]
)
@pytest.mark.parametrize("value", ["abc", "1.5"])
def test_an_integer_option_given_something_else_is_refused_in_one_line_as_a_value_below_1_is(
    tmp_path, monkeypatch, path, option, value
):
    monkeypatch.chdir(tmp_path)
    args = [*path, *ARGUMENTS.get(path, []), option, value]
    result = runner.invoke(app, args, env={"GRAVEWATCH_MODELS_DIR": str(tmp_path)})
    assert result.exit_code == 2
    assert result.output == (
        f"error: invalid option {option} {value}: input should be a valid integer, unable to "
        "parse string as an integer\n"
    )
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["score", "in.jsonl"], "missing option '-o' / '--output' (see `gravewatch score --help`)"),
        (
            ["score", "in.jsonl", "-o", "out.jsonl", "--wrokers", "2"],
            "no such option: --wrokers (Possible options: --workers) (see `gravewatch score --help`)",
        ),
        (
            ["score", "in.jsonl", "-o", "out.jsonl", "--workers"],
            "option '--workers' requires an argument (see `gravewatch --help`)",
        ),
        (["scroe"], "no such command 'scroe'. Did you mean 'score'? (see `gravewatch --help`)"),
        (["keys", "revoke"], "missing argument 'name' (see `gravewatch keys revoke --help`)"),
    ],
)
def test_a_usage_error_is_one_line_naming_where_to_read_the_usage(
    tmp_path, monkeypatch, args, message
):
    monkeypatch.chdir(tmp_path)
    env = {"GRAVEWATCH_MODELS_DIR": str(tmp_path)}
    result = runner.invoke(app, args, env=env, prog_name="gravewatch")
    assert (result.exit_code, result.output) == (2, f"error: {message}\n")


@pytest.mark.parametrize("group", ["models", "keys", "corpus", "review", "db"])
def test_a_command_group_given_no_command_shows_its_help_and_no_error_line(group):
    result = runner.invoke(app, [group], prog_name="gravewatch")
    assert result.exit_code == 2
    assert f"Usage: gravewatch {group}" in result.output
    assert "error:" not in result.output
