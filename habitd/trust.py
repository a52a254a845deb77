"""Code and config only from places only you can write (OpenSSH's rule).

A plugin runs as you, and the config says where plugins come from: another user who can
write either can run code as you. So before a plugin file is imported, and before the config
is read, habitd checks that the file and its folder belong to you (or root) and that no one
else can write them; and that no folder above could let another user swap them (a folder
above may be writable by others only with the sticky bit, like ``/tmp``). What fails says
why and gives the ``chmod``/``chown`` that fixes it.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path


def problem(path: Path) -> str | None:
    """Why ``path`` (a file or folder) is not safe to read code or config from, with the
    command that fixes it; None when it is safe."""
    try:
        target = path.resolve()
        info = target.stat()
    except OSError as exc:
        return f"{path}: cannot check it ({exc.strerror})"
    found = _owned_and_closed(target, info, sticky_ok=False)
    if found:
        return found
    for folder in target.parents:
        try:
            found = _owned_and_closed(folder, folder.stat(), sticky_ok=folder != target.parent)
        except OSError as exc:
            return f"{folder}: cannot check it ({exc.strerror})"
        if found:
            return found
    return None


def _owned_and_closed(path: Path, info: os.stat_result, sticky_ok: bool) -> str | None:
    me = os.getuid()
    if info.st_uid not in (me, 0):
        return (
            f"{path} belongs to another user (uid {info.st_uid}), who could change what habitd "
            f"runs as you; fix: chown {me} {path}"
        )
    mode = stat.S_IMODE(info.st_mode)
    if mode & 0o022 and not (sticky_ok and stat.S_ISDIR(info.st_mode) and mode & stat.S_ISVTX):
        who = "everyone" if mode & 0o002 else "its group"
        return (
            f"{path} can be changed by {who} (mode {mode:04o}), who could change what habitd "
            f"runs as you; fix: chmod go-w {path}"
        )
    return None
