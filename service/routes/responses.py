"""Documented error responses for the OpenAPI schema."""

from __future__ import annotations

from service.errors import ErrorResponse

_DESCRIPTIONS = {
    401: "Missing or wrong API key.",
    403: "The API key's role may not do this.",
    404: "Not found.",
    409: "Conflicts with the current state.",
    413: "Too large: a passage over the character limit, too many items, or a body over the "
    "byte limit.",
    415: "The body is not sent as JSON (Content-Type: application/json).",
    422: "Invalid request: invalid JSON or UTF-8, a missing or mistyped field, an empty passage.",
    503: "No model is loaded yet, or the review store is unavailable.",
}


def responses(*statuses: int) -> dict[int | str, dict]:
    return {s: {"model": ErrorResponse, "description": _DESCRIPTIONS[s]} for s in statuses}
