"""Document ids: ``doc_`` and a hash of the exact text, so that the same text is one document,
its predictions' offsets always fit it, and its id is safe in any URL."""

from __future__ import annotations

import hashlib
import re

DOCUMENT_ID = re.compile(r"doc_[0-9a-f]{32}")


def document_id(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    return f"doc_{digest[:32]}"


def is_document_id(value: str) -> bool:
    return DOCUMENT_ID.fullmatch(value) is not None
