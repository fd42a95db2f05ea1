"""The settings (service/config.py): a value the service cannot use stops every command with one
line naming the variable and what to give instead, never a traceback or a password."""

import pytest
from typer.testing import CliRunner

from service.cli import app as cli
from service.config import Settings

HIDDEN = "GRAVEWATCH_DATABASE_URL (its value is not shown: a URL can hold a password)"
GIVE_A_PORT = "give HOST:PORT such as localhost:5432, or no port for the default"


def invalid_setting(env: dict) -> str:
    result = CliRunner().invoke(cli, ["keys", "list"], env=env)
    assert result.exit_code == 2
    return result.output


@pytest.mark.parametrize(
    ("url", "shown", "port"),
    [
        ("postgresql://u:s3cret@localhost:abc/db", HIDDEN, "abc"),
        ("postgresql+psycopg://u:s3cret@localhost:/db", HIDDEN, ""),
        ("postgresql+psycopg://u:s3cret@[::1]:x5432/db", HIDDEN, "x5432"),
        (
            "postgresql+psycopg://u:s3cret@localhost:99999/db",
            "GRAVEWATCH_DATABASE_URL='postgresql+psycopg://u:***@localhost:99999/db'",
            "99999",
        ),
        (
            "postgresql+psycopg://u:s3cret@localhost:0/db",
            "GRAVEWATCH_DATABASE_URL='postgresql+psycopg://u:***@localhost:0/db'",
            "0",
        ),
    ],
)
def test_a_database_url_whose_port_is_not_a_port_is_one_line_naming_it(tmp_path, url, shown, port):
    output = invalid_setting({"GRAVEWATCH_DATABASE_URL": url, "GRAVEWATCH_DATA_DIR": str(tmp_path)})
    assert output == (
        f"error: invalid setting {shown}: value error, its port {port!r} is not a number from 1 to "
        f"65535: {GIVE_A_PORT}\n"
    )


def test_a_database_url_without_user_part_does_not_show_what_follows_the_hosts_colon(tmp_path):
    """Without USER@, SQLAlchemy reads ``u:s3cret`` as host and port; the user meant a password."""
    url = "postgresql+psycopg://u:s3cret/db"
    output = invalid_setting({"GRAVEWATCH_DATABASE_URL": url, "GRAVEWATCH_DATA_DIR": str(tmp_path)})
    assert output.endswith(
        "value error, what follows its host's colon is not a port from 1 to 65535 (not shown: it "
        f"may be a password, which goes in USER:PASSWORD@HOST): {GIVE_A_PORT}\n"
    )
    assert len(output.splitlines()) == 1 and "s3cret" not in output


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://u:s3cret@localhost:5432/db",
        "postgresql+psycopg://u:s3cret@[::1]:65535/db",
        "postgresql+psycopg://u@localhost/db",
        "sqlite:///reviews.db",
    ],
)
def test_a_database_url_with_a_port_from_1_to_65535_or_none_is_accepted(url):
    assert Settings(database_url=url).database_url == url
