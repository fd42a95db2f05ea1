"""One job at a time per output: an exclusive lock on ``OUT.lock`` for the job's whole life.

The lock is the operating system's (``flock``), so it goes with the process: a crash or
``kill -9`` releases it, and no stale lock file ever needs removing. The holder writes its
process id into the file, so that a refused run can name it.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from training.errors import Conflict


class LockedError(Conflict):
    """Another process is writing the same output."""


def lock_path(out: Path) -> Path:
    return out.with_name(out.name + ".lock")


class OutputLock:
    """``with OutputLock(out):`` holds the output's lock, or raises ``LockedError`` at once."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self._fd: int | None = None

    def acquire(self) -> None:
        fd = os.open(lock_path(self.out), os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 64).decode("ascii", "replace").strip()
            os.close(fd)
            who = f"pid {holder}" if holder.isdigit() else "pid unknown"
            raise LockedError(
                f"{self.out} is being written by another gravewatch process ({who}); "
                "wait for it to finish, or choose another -o"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor releases the flock
            self._fd = None

    def __enter__(self) -> OutputLock:
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()
