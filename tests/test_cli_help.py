"""`gravewatch --help`: every command and option is described in full, as written."""

import pytest
import typer
from typer.testing import CliRunner

from service.cli import app

WIDE = {"COLUMNS": "300"}
"""A terminal wide enough that no help line wraps."""


def commands(group, path=()):
    """``(path, command)`` of every command and group under ``group``."""
    for name, command in group.commands.items():
        yield (*path, name), command
        if hasattr(command, "commands"):
            yield from commands(command, (*path, name))


ALL = list(commands(typer.main.get_command(app)))


def shown(args) -> str:
    """The help of ``gravewatch ARGS`` as plain words: no box lines, whitespace runs as one."""
    result = CliRunner().invoke(app, [*args, "--help"], env=WIDE)
    assert result.exit_code == 0, result.output
    return " ".join(result.output.replace("│", " ").split())


def summary(command) -> str:
    """The first paragraph of a command's description, as one line."""
    return " ".join(command.help.split("\n\n")[0].split())


@pytest.mark.parametrize(("path", "command"), ALL, ids=[" ".join(p) for p, _ in ALL])
def test_help_shows_every_option_description_as_written(path, command):
    text = shown(path)
    for param in command.params:
        if getattr(param, "help", None):
            assert " ".join(param.help.split()) in text, param.name


def test_score_help_names_the_default_csv_columns():
    text = shown(["score"])
    for column in ("text", "id", "title", "url", "published"):
        assert f"(default: {column})" in text


GROUPS = [((), typer.main.get_command(app))] + [(p, c) for p, c in ALL if hasattr(c, "commands")]


@pytest.mark.parametrize(("path", "group"), GROUPS, ids=[" ".join(p) or "-" for p, _ in GROUPS])
def test_command_list_gives_each_command_its_summary_on_one_line(path, group):
    result = CliRunner().invoke(app, [*path, "--help"], env=WIDE)
    rows = {
        line.strip("│ ").split(" ", 1)[0]: line.strip("│ ").split(" ", 1)[-1].strip()
        for line in result.output.splitlines()
        if line.startswith("│ ")
    }
    for name, command in group.commands.items():
        assert rows[name] == summary(command), name
