"""Writing the person's files: private (0600) and all-or-nothing.

A file is written under a temporary name in the same folder, created 0600 (never through the
umask), synced to disk, then renamed over the final name: a reader sees the old file or the
whole new one, never half, and an old 0644 file at that name does not keep its mode.

The temporary name is habitd's own (:func:`temporary_beside`: the final name, a random token,
``.habitd-partial``), created exclusively: no file of the person's is ever opened, truncated or
removed in its place, whatever they keep in that folder.
"""

from __future__ import annotations

import errno
import glob
import os
import re
import secrets
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

PARTIAL_SUFFIX = ".habitd-partial"


class NotAFile(OSError):
    """The path to write names something that is not a regular file (``/dev/null``, a pipe,
    a folder): replacing it would change what is not habitd's to change."""


def temporary_beside(path: Path) -> tuple[Path, int]:
    """A new, empty, private (0600) file of habitd's own beside ``path``, and its open
    descriptor (for writing): created exclusively under a name no one else uses. Raises
    :class:`NotAFile` when ``path`` exists and is not a regular file: a write renames over
    it, and ``/dev/null`` replaced by a file would break the whole machine."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        mode = None
    if mode is not None and not stat.S_ISREG(mode):
        raise NotAFile(
            errno.EINVAL,
            "it is not a regular file (a device, a pipe or a folder), and habitd writes only "
            "files; give a new file's name",
        )
    while True:
        temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}{PARTIAL_SUFFIX}")
        try:
            return temporary, os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # pragma: no cover - 64 random bits already taken
            continue


def own_leftovers(path: Path) -> list[Path]:
    """Temporary files of habitd's beside ``path`` that an interrupted write left behind:
    exactly :func:`temporary_beside`'s names (and SQLite's journals of them), regular files
    of this user's, private."""
    pattern = re.compile(
        rf"\.{re.escape(path.name)}\.[0-9a-f]{{16}}{re.escape(PARTIAL_SUFFIX)}(-journal|-wal|-shm)?"
    )
    found = []
    for candidate in path.parent.glob(f".{glob.escape(path.name)}.*{PARTIAL_SUFFIX}*"):
        try:
            info = candidate.lstat()
        except OSError:
            continue
        if (
            pattern.fullmatch(candidate.name)
            and stat.S_ISREG(info.st_mode)
            and info.st_uid == os.getuid()
            and stat.S_IMODE(info.st_mode) == 0o600
        ):
            found.append(candidate)
    return found


@contextmanager
def private_file(path: Path, newline: str | None = None) -> Iterator[IO[str]]:
    """A text handle whose content replaces ``path`` (0600) when the block ends without an
    error; on an error the file at ``path`` is left as it was."""
    temporary, fd = temporary_beside(path)
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
