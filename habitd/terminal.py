"""Opening a terminal that runs a habitd command (a clicked nudge: ``habitd journal``).

``[habitd] terminal`` names the terminal and its "run this" option (``"xterm -e"``,
``"foot"``); the command is added at the end. Unset: ``xdg-terminal-exec`` (the proposed
freedesktop standard), then Debian's ``x-terminal-emulator -e``. The terminal is started
in its own session, so it outlives nothing and blocks nothing.
"""

from __future__ import annotations

import logging
import shlex
import shutil
import subprocess

log = logging.getLogger("habitd.terminal")


def terminal_command(command: str, configured: str | None = None) -> list[str] | None:
    """The argv that runs ``command`` in a terminal, or None when there is none."""
    if configured:
        return [*shlex.split(configured), *shlex.split(command)]
    if shutil.which("xdg-terminal-exec"):
        return ["xdg-terminal-exec", *shlex.split(command)]
    if shutil.which("x-terminal-emulator"):
        return ["x-terminal-emulator", "-e", *shlex.split(command)]
    return None


def open_in_terminal(command: str, configured: str | None = None) -> bool:
    """Start a terminal running ``command``; False when none could be started."""
    argv = terminal_command(command, configured)
    if argv is None:
        return False
    try:
        subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    except OSError as exc:
        log.warning("could not open a terminal (%s): %s", argv[0], exc)
        return False
    return True
