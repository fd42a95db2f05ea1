"""What flows through a batch job: input documents, rejected records, warnings, scored output."""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import Field

from training.schemas import Prediction


@dataclass(slots=True)
class Document:
    """One input document; ``ordinal`` is its place in the job's input order."""

    ordinal: int
    id: str
    text: str
    source: str
    line: int | None = None
    url: str | None = None
    title: str | None = None
    published: str | None = None
    warnings: list[str] = field(default_factory=list)  # problems it is scored despite

    def warned(self) -> list[Warned]:
        return [Warned(self.source, self.line, self.id, w) for w in self.warnings]


@dataclass(slots=True)
class Warned:
    """A problem with a record that was scored all the same (a date that cannot be read)."""

    source: str
    line: int | None
    id: str
    warning: str

    def as_dict(self) -> dict:
        return {"source": self.source, "line": self.line, "id": self.id, "warning": self.warning}


@dataclass(slots=True)
class Rejected:
    """An input record that could not be read; ``line`` is its line or row, when it has one."""

    ordinal: int
    source: str
    line: int | None
    reason: str

    def as_dict(self) -> dict:
        return {"source": self.source, "line": self.line, "reason": self.reason}


class DocumentPrediction(Prediction):
    """A batch output line: the prediction schema plus the document's metadata."""

    source: str = Field(description="File, URL or `-` the document came from.")
    url: str | None = Field(default=None, description="The article's link, when known.")
    title: str | None = Field(default=None, description="The article's title, when known.")
    published: str | None = Field(default=None, description="Publication date (ISO 8601).")
    content_hash: str = Field(description="SHA-256 of the normalised text (first 32 hex).")
    passages: int = Field(description="Passages the document was scored as.")
    duplicate_of: str | None = Field(
        default=None, description="Id of the first document with the same or nearly the same text."
    )
