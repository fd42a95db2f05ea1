"""The store as the API sees it: an engine, sessions, and whether the schema is in place."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlalchemy import inspect
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from service.store.db import make_engine, sessions

log = logging.getLogger("gravewatch.store")


@dataclass
class Store:
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
