"""The errors Gravewatch raises on purpose: one base and four kinds, free of HTTP.

The API maps the kind to a status (``service/errors.py``), the CLI to a message and an exit
status (``service/cli.py``); each error's ``code`` is stable and its message says what to do.
"""

from __future__ import annotations


class GravewatchError(Exception):
    """Base of every error Gravewatch raises on purpose."""

    code = "error"

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class InvalidInput(GravewatchError):
    """The input (a record, a review, a file, an argument) breaks a rule; fix it and retry."""

    code = "invalid_input"


class NotFound(GravewatchError):
    """What was asked for does not exist."""

    code = "not_found"


class Conflict(GravewatchError):
    """The request conflicts with the current state (a claim, a running job, a lock)."""

    code = "conflict"


class Unavailable(GravewatchError):
    """Something needed is not there or not answering yet (a model, the store, a scheduler)."""

    code = "unavailable"
