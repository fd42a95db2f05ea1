"""The one settings class: every knob, read from ``GRAVEWATCH_*`` environment variables."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlsplit

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from training import defaults
from training.resources import default_home

ROOT_PATH = re.compile(r"(/[A-Za-z0-9._~!$&'()*+,;=:@%-]+)+")
"""A path prefix: segments of the characters RFC 3986 allows in a path, each after one slash."""
PORTS = range(1, 65536)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GRAVEWATCH_", extra="ignore")

    # Defaults: under the checkout when Gravewatch runs from one, else under the current
    # working directory (an installed wheel); see training.resources.default_home.
    models_dir: Path = Field(
        default=defaults.MODELS_DIR, description="Where model versions and ACTIVE live."
    )
    data_dir: Path = Field(
        default_factory=lambda: default_home() / "data",
        description="Where local state (reports, database) lives.",
    )
    reports_dir: Path = Field(
        default_factory=lambda: default_home() / "reports",
        description="Where evaluation HTML reports are written.",
    )
    corpus_dir: Path | None = Field(
        default=None,
        description="The annotated corpus retraining learns from beside the reviews (a JSONL "
        "file or a folder of them); default: the corpus shipped in labels/corpus.",
    )
    max_text_chars: int = Field(default=100_000, ge=1, description="Longest passage accepted.")
    score_batch_size: int = Field(default=256, ge=1, description="Passages scored per batch.")

    max_document_chars: int = Field(
        default=2_000_000, ge=1, description="Longest document `gravewatch score` accepts."
    )
    fetch_timeout: float = Field(default=20.0, gt=0, description="Seconds per HTTP fetch.")
    fetch_max_bytes: int = Field(
        default=20 * 1024 * 1024, ge=1024, description="Largest HTTP response fetched."
    )
    fetch_attempts: int = Field(default=3, ge=1, description="Tries per URL (backoff doubles).")
    dask_connect_timeout: float = Field(
        default=30.0, gt=0, description="Seconds `gravewatch score --scheduler` waits for Dask."
    )

    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the review store; default: SQLite in the data directory.",
    )
    require_api_key: bool = Field(
        default=False, description="Classify endpoints need a reader key (off for local use)."
    )
    retrain_macro_tolerance: float = Field(
        default=defaults.RETRAIN_MACRO_TOLERANCE,
        ge=0,
        description="Largest macro-F1 drop a retrained model may show.",
    )
    retrain_label_tolerance: float = Field(
        default=defaults.RETRAIN_LABEL_TOLERANCE,
        ge=0,
        description="Largest per-label F1 drop a retrained model may show.",
    )
    claim_minutes: float = Field(
        default=10.0, gt=0, description="How long a queue item stays claimed by a reviewer."
    )
    double_review: bool = Field(
        default=False,
        description="Each document goes to two reviewers; it trains only when they agree or an "
        "admin has adjudicated.",
    )
    bulk_accept_margin: float = Field(
        default=0.4,
        gt=0,
        le=1,
        description="An admin may bulk-accept the model's labels for a document only when every "
        "score has gone at least this share of the way from its label's threshold to 0 (below "
        "it) or to 1 (above it).",
    )

    host: str = Field(default="127.0.0.1", description="Address `gravewatch serve` binds to.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port `gravewatch serve` binds to.")
    root_path: str = Field(
        default="",
        description="The path prefix a reverse proxy serves the API under (e.g. /gravewatch), "
        "whether it strips the prefix or passes it on; empty when served at the root.",
    )
    workers: int = Field(default=1, ge=1, description="API worker processes.")
    log_format: Literal["json", "text"] = Field(
        default="json", description="json: one JSON object per line; text: for a terminal."
    )
    log_level: Literal["debug", "info", "warning", "error"] = Field(default="info")
    log_texts: bool = Field(
        default=False,
        description="Include passage texts in logs. Off by default: texts can identify victims.",
    )
    max_batch_items: int = Field(
        default=256, ge=1, description="Most passages in one POST /v1/classify/batch."
    )
    max_request_bytes: int = Field(
        default=16 * 1024 * 1024, ge=1024, description="Largest request body accepted."
    )
    model_poll_seconds: float = Field(
        default=1.0,
        gt=0,
        description="How often each API worker checks models/ACTIVE for a new model.",
    )

    @field_validator("models_dir", "data_dir", "reports_dir")
    @classmethod
    def _a_folder(cls, path: Path) -> Path:
        """A folder, or a path where one can be made: not a file (which would fail with a
        traceback wherever the folder is first used)."""
        if path.exists() and not path.is_dir():
            raise ValueError(f"{path} is a file: name a folder (it is created when missing)")
        return path

    @field_validator("root_path")
    @classmethod
    def _a_path_prefix(cls, prefix: str) -> str:
        """Empty, or a URL path such as /gravewatch, so that links written with it resolve."""
        if not prefix or ROOT_PATH.fullmatch(prefix):
            return prefix
        if not prefix.startswith("/"):
            problem = "it does not start with /"
        elif prefix.endswith("/"):
            problem = "it ends with /"
        else:
            problem = "it is not a URL path (an empty segment, a space, a query or a fragment)"
        raise ValueError(
            f"{problem}: give a prefix such as /gravewatch, or nothing to serve at the root"
        )

    @field_validator("root_path")
    @classmethod
    def _not_the_start_of_an_api_path(cls, prefix: str) -> str:
        """A prefix that none of the API's own paths starts with: else a request for one of them
        from a proxy that strips the prefix could not be told from one that keeps it."""
        clashes = _paths_under(prefix) if prefix else []
        if not clashes:
            return prefix
        more = f" and {len(clashes) - 1} more" if len(clashes) > 1 else ""
        raise ValueError(
            f"the API's own paths start with it ({clashes[0]}{more}), so a request for one would "
            "be taken for one under the prefix: give a prefix that starts none of them, such as "
            "/gravewatch"
        )

    @field_validator("database_url")
    @classmethod
    def _usable_database_url(cls, url: str | None) -> str | None:
        """A URL SQLAlchemy can open with an installed driver, so that a typo stops every
        command with one line instead of failing when the store is first used."""
        if not url:
            return url
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError, NoSuchModuleError

        takes = "give sqlite:///PATH or postgresql+psycopg://USER@HOST:PORT/NAME"
        try:
            parsed = make_url(url)
            parsed.get_dialect().import_dbapi()
        except NoSuchModuleError:
            raise ValueError(f"SQLAlchemy has no database {parsed.drivername!r}: {takes}") from None
        except ArgumentError:
            raise ValueError(f"not a database URL: {takes}") from None
        except ImportError as e:
            raise ValueError(
                f"its driver {e.name!r} is not installed (PostgreSQL: the [postgres] extra)"
            ) from None
        except ValueError:  # make_url's int() of a port that is not a number
            raise ValueError(_bad_port(url)) from None
        if parsed.port is not None and parsed.port not in PORTS:
            raise ValueError(_bad_port(url))
        return url


def _bad_port(url: str) -> str:
    """Why the port of a database URL is refused. The port is quoted only after a user part
    (``USER:PASSWORD@``): without one, SQLAlchemy takes ``USER:PASSWORD`` for host and port."""
    try:
        authority = urlsplit(url).netloc
    except ValueError:  # a [ without its ]
        authority = ""
    if "@" in authority:
        host_port = authority.rpartition("@")[2].rpartition("]")[2]  # past an IPv6 [address]
        problem = f"its port {host_port.partition(':')[2]!r} is not a number from 1 to 65535"
    else:
        problem = (
            "what follows its host's colon is not a port from 1 to 65535 (not shown: it may be "
            "a password, which goes in USER:PASSWORD@HOST)"
        )
    return f"{problem}: give HOST:PORT such as localhost:5432, or no port for the default"


def _paths_under(prefix: str) -> list[str]:
    """The API's paths that start with the segments of ``prefix`` (percent-decoded, as requests
    are routed); a template segment such as ``{name}`` stands for any segment."""
    from service.app import app_paths

    wanted = unquote(prefix).split("/")
    return [path for path in app_paths() if _starts_with(path.split("/"), wanted)]


def _starts_with(segments: list[str], wanted: list[str]) -> bool:
    return len(segments) >= len(wanted) and all(
        segment == want or (segment.startswith("{") and segment.endswith("}"))
        for segment, want in zip(segments, wanted, strict=False)
    )


def setting_default(name: str):
    """The default of setting ``name``: library signatures take theirs from here, so that a
    library called without settings behaves as the service does."""
    return Settings.model_fields[name].default


@cache
def get_settings() -> Settings:
    return Settings()


def describe_invalid(error: ValidationError) -> str:
    """A pydantic error on the settings as one line per variable: what it holds, what it takes."""
    prefix = Settings.model_config["env_prefix"]
    return "; ".join(
        f"{prefix}{'_'.join(map(str, e['loc'])).upper()}{_shown_value(e['loc'], e['input'])}: "
        f"{e['msg'][:1].lower()}{e['msg'][1:]}"
        for e in error.errors()
    )


def _shown_value(loc: tuple, value) -> str:
    """``='VALUE'`` for an invalid setting's message; a URL setting (``*_url``) is shown with
    its password masked, or not at all when it cannot be parsed: a URL can hold a password."""
    if not str(loc[0]).endswith("_url") or not isinstance(value, str):
        return f"={value!r}"
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return f"={make_url(value).render_as_string(hide_password=True)!r}"
    except (ArgumentError, ValueError):  # ValueError: a port that is not a number
        return " (its value is not shown: a URL can hold a password)"
