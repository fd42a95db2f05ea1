"""`gravewatch review export`: the output path is handled as `gravewatch score` handles it (an
existing folder, the same file mode), and a failed export leaves nothing behind."""

import os
import stat

import pytest
from typer.testing import CliRunner

from service.cli import app
from service.config import get_settings

runner = CliRunner()


@pytest.fixture
def env(tmp_path):
    """A migrated, empty review store in ``tmp_path/data``."""
    env = {"GRAVEWATCH_DATA_DIR": str(tmp_path / "data")}
    assert runner.invoke(app, ["db", "upgrade"], env=env).exit_code == 0
    get_settings.cache_clear()
    return env


def export(env, output):
    """Run `gravewatch review export -o OUTPUT` with settings read anew."""
    get_settings.cache_clear()
    return runner.invoke(app, ["review", "export", "-o", str(output)], env=env)


def test_export_to_a_folder_says_so_in_one_line_and_leaves_no_file(env, tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    result = export(env, folder)
    assert result.exit_code == 1
    assert result.output == (
        f"error: {folder}: is a folder; give -o the file to write, such as {folder}/reviews.jsonl\n"
    )
    assert list(folder.iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "out"]


def test_export_refuses_a_missing_output_folder_as_score_does(env, tmp_path):
    output = tmp_path / "missing" / "dir" / "reviews.jsonl"
    result = export(env, output)
    assert result.exit_code == 1
    assert result.output == (
        f"error: {output.parent}: the output folder does not exist; create it or choose "
        "another -o\n"
    )
    assert not (tmp_path / "missing").exists()


def test_export_file_has_the_mode_of_score_output(env, tmp_path):
    umask = os.umask(0o022)
    try:
        result = export(env, tmp_path / "reviews.jsonl")
    finally:
        os.umask(umask)
    assert result.exit_code == 0, result.output
    assert "exported 0 reviewed document(s)" in result.output
    assert stat.S_IMODE((tmp_path / "reviews.jsonl").stat().st_mode) == 0o644


def test_export_to_a_folder_it_cannot_write_says_so_in_one_line(env, tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        if os.access(folder, os.W_OK):
            pytest.skip("running as a user who can write anywhere (root)")
        result = export(env, folder / "reviews.jsonl")
    finally:
        folder.chmod(0o700)
    assert result.exit_code == 1
    assert result.output == (
        f"error: {folder / 'reviews.jsonl'}: Permission denied; choose another -o\n"
    )


def test_a_failed_export_leaves_no_temporary_file_and_keeps_the_old_output(
    env, tmp_path, monkeypatch
):
    from service.store import export as export_module

    def broken(*args, **kwargs):
        yield from ()
        raise RuntimeError("the database went away")

    monkeypatch.setattr(export_module, "training_reviews", broken)
    output = tmp_path / "reviews.jsonl"
    output.write_text("the previous export\n")
    result = export(env, output)
    assert isinstance(result.exception, RuntimeError)
    assert output.read_text() == "the previous export\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "reviews.jsonl"]


def test_an_export_that_cannot_be_written_says_why_in_one_line_and_leaves_nothing(
    env, tmp_path, monkeypatch
):
    def disk_full(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("os.replace", disk_full)
    output = tmp_path / "reviews.jsonl"
    result = export(env, output)
    assert result.exit_code == 1
    assert result.output == f"error: {output}: No space left on device; choose another -o\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]
