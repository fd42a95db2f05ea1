"""What the browser tests share: Debian's Chromium, texts with emoji and Arabic, selecting
text by code-point offsets, and a live API with a store and keys (``Site``)."""

import shutil

import httpx
from sqlalchemy import select

from service.store.db import Database
from service.store.tables import ReviewRow

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
TEXT = (
    "Witnesses said gunmen stormed the boarding school before dawn. "
    "They abducted 40 girls aged 11 to 16 and set fire to the dormitory."
)
# Astral characters (emoji, a skin-tone modifier, mathematical bold letters) before, inside and
# after the spans, and Arabic: JavaScript counts two UTF-16 units for each astral character.
ASTRAL = (
    "🚨📢 𝐔𝐫𝐠𝐞𝐧𝐭: witnesses said gunmen 🔫 stormed the boarding school before dawn. "
    "اختطف مسلحون 40 فتاة من المدرسة الداخلية. "
    "They abducted 40 girls 👧🏽 aged 11 to 16 and set fire to the dormitory 🔥."
)

SELECT_RANGE = """([a, b]) => {
  const box = document.getElementById("text");
  const walker = document.createTreeWalker(box, NodeFilter.SHOW_TEXT);
  let pos = 0, startNode, startOffset, endNode, endOffset;
  while (walker.nextNode()) {
    const node = walker.currentNode, len = node.data.length;
    if (!startNode && a < pos + len) { startNode = node; startOffset = a - pos; }
    if (!endNode && b <= pos + len) { endNode = node; endOffset = b - pos; }
    pos += len;
  }
  const range = document.createRange();
  range.setStart(startNode, startOffset);
  range.setEnd(endNode, endOffset);
  const selection = window.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
}"""
CHOSEN_SPANS = "state.spans.filter((s) => state.chosen.has(s.label))"


def utf16(text: str, index: int) -> int:
    """The UTF-16 offset (what the DOM counts) of code point ``index``."""
    return len(text[:index].encode("utf-16-le")) // 2


def select_text(page, text: str, start: int, end: int) -> None:
    page.evaluate(SELECT_RANGE, [utf16(text, start), utf16(text, end)])


class Site:
    """A live API with a migrated SQLite store, an ingest key to store documents and a
    reviewer key to review them."""

    def __init__(self, base: str, store: Database, keys: dict[str, str]) -> None:
        self.base, self.store, self.keys = base, store, keys

    def add(self, text: str, source_id: str) -> tuple[str, list]:
        response = httpx.post(
            f"{self.base}/v1/classify",
            json={"id": source_id, "text": text, "store": True},
            headers={"Authorization": f"Bearer {self.keys['ingest']}"},
            timeout=30,
        )
        assert response.status_code == 200, response.text
        return response.json()["document"], response.json()["labels"]

    def open(self, browser, role: str = "reviewer"):
        page = browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on(
            "response",
            lambda r: r.status >= 400 and errors.append(f"{r.status} {r.url}"),
        )
        page.goto(f"{self.base}/review")
        assert not page.is_visible("#workspace")  # hidden under the login form
        page.fill("#api-key", self.keys[role])
        page.click("text=Start reviewing")
        page.errors = errors
        return page

    def get(self, path: str, role: str) -> dict:
        response = httpx.get(
            f"{self.base}{path}", headers={"Authorization": f"Bearer {self.keys[role]}"}
        )
        assert response.status_code == 200, response.text
        return response.json()

    def reviews(self) -> list[ReviewRow]:
        with self.store.sessions() as session:
            return list(session.scalars(select(ReviewRow).order_by(ReviewRow.id)).all())


def shown_text(page) -> str:
    return page.inner_text("#text")
