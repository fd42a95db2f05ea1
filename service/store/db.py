"""The review store's database: its URL, engine, sessions, migrations and health."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from training.resources import packaged

log = logging.getLogger("gravewatch.store")

MIGRATIONS = packaged("service.store", "migrations")


def database_url(configured: str | None, data_dir: Path) -> str:
    """The configured URL, or a SQLite file under the data directory."""
    if configured:
        return configured
    data_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{data_dir / 'gravewatch.db'}"


def make_engine(url: str) -> Engine:
    """An engine whose errors never carry the statement's parameters: they hold passage texts,
    which must not reach the logs."""
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True, hide_parameters=True)
    engine = create_engine(
        url, connect_args={"timeout": 30, "check_same_thread": False}, hide_parameters=True
    )

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy, not pysqlite, begins transactions
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn) -> None:
        # Take the write lock at the start: a claim or a review that reads then writes cannot
        # interleave with another one.
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def sessions(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def upgrade(url: str) -> None:
    """Apply every migration to the database at ``url``."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url)
    command.upgrade(config, "head")


@dataclass
class Database:
    """The review store's database as the API and the CLI use it: an engine, sessions, and
    whether the schema is in place (``problem`` says what is missing)."""

    url: str
    sessions: sessionmaker[Session] = field(init=False)
    problem: str | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.engine = make_engine(self.url)
        self.sessions = sessions(self.engine)

    def check(self) -> None:
        """Note (rather than fail on) a missing schema or an unreachable database."""
        try:
            if not inspect(self.engine).has_table("reviews"):
                self.problem = "the review store has no tables: run `gravewatch db upgrade`"
            else:
                self.problem = None
        except SQLAlchemyError as e:
            self.problem = f"the review store is unreachable ({type(e).__name__})"
        if self.problem:
            log.warning("review store unavailable", extra={"reason": self.problem})

    def close(self) -> None:
        self.engine.dispose()
