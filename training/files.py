"""Files written whole or not at all: readers see the old file or the new one, never a part."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterable
from pathlib import Path


def write_atomic(path: Path, chunks: Iterable[str]) -> int:
    """Write the text ``chunks`` make up (UTF-8) to ``path`` atomically: into a temporary file
    beside it, flushed to disk, then renamed over it. Any failure, of the disk or of whatever
    produces the chunks, leaves ``path`` as it was and no temporary file. The file gets the mode
    of any new file (0644 under the usual umask). Returns how many chunks were written."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    count = 0
    try:
        with tmp.open("x", encoding="utf-8") as fh:
            for chunk in chunks:
                fh.write(chunk)
                count += 1
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return count
