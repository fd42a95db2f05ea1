"""`gravewatch serve`: says where it listens, and refuses a port it cannot have in one line."""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from service.cli import app
from service.config import get_settings
from tests.servers import free_port, log_lines, wait_for_line

GRAVEWATCH = str(Path(sys.executable).parent / "gravewatch")


@pytest.mark.parametrize(("log_format", "workers"), [("json", 1), ("text", 2)])
def test_serve_logs_the_address_it_listens_on(trained, tmp_path, log_format, workers):
    port = free_port()
    env = {
        **os.environ,
        "GRAVEWATCH_MODELS_DIR": str(trained[0]),
        "GRAVEWATCH_DATA_DIR": str(tmp_path),
        "GRAVEWATCH_LOG_FORMAT": log_format,
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    command = [GRAVEWATCH, "serve", "--port", str(port), "--workers", str(workers)]
    server = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
    try:
        url = f"http://127.0.0.1:{port}"
        line = wait_for_line(log_lines(server.stderr), lambda x: "listening" in x)
        if log_format == "json":
            entry = json.loads(line)
            assert entry["message"] == f"Gravewatch listening on {url}"
            assert entry["url"] == url and entry["workers"] == workers
        else:
            assert f"gravewatch.serve: Gravewatch listening on {url} " in line
        assert httpx.get(f"{url}/healthz", timeout=10).json() == {"status": "ok"}
    finally:
        server.terminate()
        server.wait(20)


def test_serve_on_a_taken_port_says_what_to_change(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {"GRAVEWATCH_MODELS_DIR": str(tmp_path), "GRAVEWATCH_DATA_DIR": str(tmp_path)}
        result = CliRunner().invoke(app, ["serve", "--port", str(port)], env=env)
    assert result.exit_code == 1
    assert result.output == (
        f"error: cannot listen on 127.0.0.1:{port}: Address already in use; pick another port "
        "with --port or GRAVEWATCH_PORT, or another address with --host or GRAVEWATCH_HOST\n"
    )


def never_started(*args, **kwargs):
    raise AssertionError("the server started")


@pytest.mark.parametrize(
    ("option", "value", "rule"),
    [
        ("--port", "99999", "input should be less than or equal to 65535"),
        ("--port", "-1", "input should be greater than or equal to 1"),
        ("--port", "0", "input should be greater than or equal to 1"),
        ("--workers", "0", "input should be greater than or equal to 1"),
        ("--workers", "-1", "input should be greater than or equal to 1"),
    ],
)
def test_serve_refuses_an_out_of_range_option_as_it_refuses_the_variable(
    tmp_path, monkeypatch, option, value, rule
):
    monkeypatch.setattr("uvicorn.run", never_started)
    env = {"GRAVEWATCH_MODELS_DIR": str(tmp_path), "GRAVEWATCH_DATA_DIR": str(tmp_path)}
    result = CliRunner().invoke(app, ["serve", option, value], env=env)
    assert result.exit_code == 2
    assert result.output == f"error: invalid option {option} {value}: {rule}\n"
    get_settings.cache_clear()  # the settings are read from the environment anew
    variable = CliRunner().invoke(
        app, ["serve"], env={**env, f"GRAVEWATCH_{option[2:].upper()}": value}
    )
    assert variable.exit_code == 2
    assert variable.output.endswith(f": {rule}\n")


def test_score_batch_size_follows_the_settings_rule(tmp_path):
    (tmp_path / "in.jsonl").write_text('{"id": "a", "text": "x"}\n')
    result = CliRunner().invoke(
        app,
        ["score", str(tmp_path / "in.jsonl"), "-o", str(tmp_path / "out.jsonl")]
        + ["--batch-size", "0"],
        env={"GRAVEWATCH_MODELS_DIR": str(tmp_path)},
    )
    assert result.exit_code == 2
    assert result.output == (
        "error: invalid option --batch-size 0: input should be greater than or equal to 1\n"
    )


@pytest.mark.parametrize(
    ("command", "option", "value"),
    [
        (["score", "in.jsonl", "-o", "out.jsonl"], "--workers", "0"),
        (["score", "in.jsonl", "-o", "out.jsonl"], "--workers", "-2"),
        (["train"], "--sample", "0"),
    ],
)
def test_a_count_option_below_1_is_refused_in_one_line_as_serve_refuses_it(
    tmp_path, monkeypatch, command, option, value
):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("training.train.train", never_started)
    (tmp_path / "in.jsonl").write_text('{"id": "a", "text": "x"}\n')
    result = CliRunner().invoke(
        app, [*command, option, value], env={"GRAVEWATCH_MODELS_DIR": str(tmp_path)}
    )
    assert result.exit_code == 2
    assert result.output == (
        f"error: invalid option {option} {value}: input should be greater than or equal to 1\n"
    )
    assert not (tmp_path / "out.jsonl").exists()


@pytest.mark.parametrize(
    "variable", ["GRAVEWATCH_MODELS_DIR", "GRAVEWATCH_DATA_DIR", "GRAVEWATCH_REPORTS_DIR"]
)
@pytest.mark.parametrize("command", [["serve"], ["keys", "list"], ["models", "list"]])
def test_a_folder_setting_that_names_a_file_is_one_line(tmp_path, monkeypatch, variable, command):
    """Not a FileExistsError or NotADirectoryError traceback when the server starts."""
    monkeypatch.setattr("uvicorn.run", never_started)
    a_file = tmp_path / "gravewatch.conf"
    a_file.write_text("not a folder")
    get_settings.cache_clear()
    result = CliRunner().invoke(app, command, env={variable: str(a_file)})
    assert result.exit_code == 2
    assert result.output == (
        f"error: invalid setting {variable}={str(a_file)!r}: value error, {a_file} is a file: "
        "name a folder (it is created when missing)\n"
    )
