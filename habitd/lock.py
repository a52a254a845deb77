"""The single-instance lock: an exclusive ``flock`` on a file holding the holder's pid.

The daemon holds one beside the database (one daemon per database, whatever its socket) and
one in the runtime folder (one daemon per socket); ``habitd restore`` takes the database's,
so it can never replace a database a daemon is writing to.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import IO

from habitd.errors import HabitdError


class InstanceLock:
    """An exclusive ``flock`` on a lock file, holding our pid: one beside the database (one
    daemon per database) and one in the runtime folder (one daemon per socket)."""

    def __init__(self, path: Path, what: str) -> None:
        self.path = path
        self.what = what
        self._file: IO[str] | None = None

    def acquire(self) -> None:
        """Take the lock, or raise naming the pid that holds it."""
        try:
            handle = open(self.path, "a+", encoding="ascii")  # noqa: SIM115 (held while running)
            os.chmod(self.path, 0o600)
        except OSError as exc:
            raise HabitdError(
                f"cannot take the lock {self.what}: {self.path}: {exc.strerror}; is its "
                "folder read-only or its disk full? Your data was left untouched"
            ) from None
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "?"
            handle.close()
            raise HabitdError(
                f"habitd is already running (pid {holder}) {self.what}; "
                "stop it first (`kill` it, or `systemctl --user stop habitd`)"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._file = handle

    def release(self) -> None:
        """Drop the lock."""
        if self._file is not None:
            self._file.close()
            self._file = None
