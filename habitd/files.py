"""Writing the person's files: private (0600) and all-or-nothing.

A file is written under a temporary name in the same folder, created 0600 (never through the
umask), synced to disk, then renamed over the final name: a reader sees the old file or the
whole new one, never half, and an old 0644 file at that name does not keep its mode.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO


@contextmanager
def private_file(path: Path, newline: str | None = None) -> Iterator[IO[str]]:
    """A text handle whose content replaces ``path`` (0600) when the block ends without an
    error; on an error the file at ``path`` is left as it was."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.partial")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with open(fd, "w", encoding="utf-8", newline=newline) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    sync_folder(path.parent)


def sync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
