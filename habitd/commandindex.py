"""The commands plugins add, remembered, so the client need not import plugins to know them.

A plugin's commands come from its ``habitd_commands`` hook, which means importing it; a
single-file plugin may import slowly (a heavy library, a network drive). The client asks
once, bounded in time, and keeps the answer in ``<state dir>/commands.json`` (0600) with a
signature of what it came from: every plugin file's name, size and change time, the
installed plugin packages and the config file's. While the signature holds, ``habitd
--help`` lists plugin commands from the index and a name found nowhere is refused at once,
without importing any plugin. A plugin that did not finish importing in time is named in
the index: a name not found is then looked for by loading the plugins again.

Standard library only: this runs on every ``--help`` and every mistyped command.
"""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path
from typing import Any

NAME = "commands.json"
VERSION = 1


def signature(config_file: Path, plugins_dir: Path) -> list[list[Any]]:
    """What the plugins' commands depend on: the config file, each single-file plugin (in
    the plugins folder and each ``[plugins] paths`` folder) and each installed package of
    the ``habitd`` entry-point group, by name, size and change time."""
    folders = [plugins_dir]
    try:
        table = tomllib.loads(config_file.read_text()).get("plugins", {})
        folders += [Path(os.path.expanduser(str(p))) for p in table.get("paths", [])]
    except (OSError, ValueError, AttributeError, TypeError):
        pass
    files = [config_file] + [
        path for folder in folders if folder.is_dir() for path in sorted(folder.glob("*.py"))
    ]
    found: list[list[Any]] = []
    for path in files:
        try:
            info = path.stat()
        except OSError:
            found.append([str(path), None, None])
        else:
            found.append([str(path), info.st_size, info.st_mtime_ns])
    from importlib.metadata import entry_points

    for entry in sorted(entry_points(group="habitd"), key=lambda e: e.name):
        found.append([f"entry point {entry.name}", entry.dist.version if entry.dist else None])
    return found


def read(state_dir: Path, current: list[list[Any]]) -> dict[str, Any] | None:
    """The index, if it was made from exactly ``current``: ``{"commands": {name: short
    help}, "incomplete": [plugins that did not load in time]}``; else None."""
    try:
        index = json.loads((state_dir / NAME).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(index, dict) or index.get("version") != VERSION:
        return None
    if index.get("signature") != current:
        return None
    commands, incomplete = index.get("commands"), index.get("incomplete")
    if not isinstance(commands, dict) or not isinstance(incomplete, list):
        return None
    return {"commands": commands, "incomplete": incomplete}


def write(
    state_dir: Path, current: list[list[Any]], commands: dict[str, str], incomplete: list[str]
) -> None:
    """Keep the plugins' commands (name -> short help) for ``current``; a folder that
    cannot take it is no error (the next command asks the plugins again)."""
    from habitd.errors import HabitdError
    from habitd.files import private_file
    from habitd.paths import ensure_private_dir

    text = json.dumps(
        {"version": VERSION, "signature": current, "commands": commands, "incomplete": incomplete}
    )
    try:
        ensure_private_dir(state_dir)
        with private_file(state_dir / NAME) as out:
            out.write(text)
    except (OSError, HabitdError):
        pass
