"""Living under systemd: readiness notifications, socket activation, and the user unit.

``sd_notify`` and ``sd_listen_fds`` are a few lines each (a datagram to ``$NOTIFY_SOCKET``;
file descriptors from 3 on when ``$LISTEN_PID`` is us), so they are written here rather
than pulled in as a dependency.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from importlib import resources
from pathlib import Path

from habitd.paths import Paths

UNIT = "habitd.service"
SOCKET_UNIT = "habitd.socket"
LISTEN_FDS_START = 3


def notify(*states: str) -> bool:
    """Tell systemd about our state (``READY=1``, ``RELOADING=1``, ``STOPPING=1``, ``STATUS=...``).

    Returns False when not started by systemd (no ``$NOTIFY_SOCKET``) or the send failed.
    """
    address = os.environ.get("NOTIFY_SOCKET")
    if not address or not states:
        return False
    if address.startswith("@"):  # an abstract socket
        address = "\0" + address[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sender:
            sender.connect(address)
            sender.sendall("\n".join(states).encode())
    except OSError:
        return False
    return True


def listened_sockets() -> list[socket.socket]:
    """Sockets passed by systemd's socket activation (``$LISTEN_FDS``), if they are for us."""
    if os.environ.get("LISTEN_PID") != str(os.getpid()):
        return []
    count = int(os.environ.get("LISTEN_FDS", "0") or 0)
    for name in ("LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"):
        os.environ.pop(name, None)  # not for our children
    found = []
    for fd in range(LISTEN_FDS_START, LISTEN_FDS_START + count):
        os.set_inheritable(fd, False)
        found.append(socket.socket(fileno=fd))
    return found


# --- the user unit --------------------------------------------------------------------------


def unit_dir() -> Path:
    """``~/.config/systemd/user`` (following ``$XDG_CONFIG_HOME``)."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "systemd" / "user"


def exec_start(config_file: str | None = None) -> str:
    """The command that runs this habitd: its own script beside this Python (venv, pipx),
    else ``habitd`` on PATH, else this Python with ``-m habitd``."""
    beside = Path(sys.executable).parent / "habitd"
    if beside.exists():
        command = str(beside)
    elif found := shutil.which("habitd"):
        command = found
    else:
        command = f"{sys.executable} -m habitd"
    options = f" --config {config_file}" if config_file else ""
    return f"{command} run{options}"


def template(name: str) -> str:
    """A packaged unit file (the same as ``systemd/NAME`` in the repository)."""
    return resources.files("habitd.data").joinpath(name).read_text(encoding="utf-8")


def render_service(command: str) -> str:
    """The service unit with ``ExecStart`` set to ``command``."""
    lines = [
        f"ExecStart={command}" if line.startswith("ExecStart=") else line
        for line in template(UNIT).splitlines()
    ]
    return "\n".join(lines) + "\n"


def systemctl(*args: str) -> subprocess.CompletedProcess[str] | None:
    """``systemctl --user ARGS``, or None when there is no systemctl or no user manager."""
    binary = shutil.which("systemctl")
    if binary is None:
        return None
    done = subprocess.run(
        [binary, "--user", *args], capture_output=True, text=True, check=False, timeout=60
    )
    if done.returncode != 0 and ("Failed to connect" in done.stderr or "No medium" in done.stderr):
        return None
    return done


def install(paths: Paths, now: bool, config_file: str | None = None) -> list[str]:
    """Write the units, create the folders the sandbox lets habitd write, enable (and start)."""
    said = []
    for folder in (paths.data_dir, paths.state_dir, paths.config_dir):
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    target = unit_dir()
    target.mkdir(parents=True, exist_ok=True)
    command = exec_start(config_file)
    (target / UNIT).write_text(render_service(command))
    (target / SOCKET_UNIT).write_text(template(SOCKET_UNIT))
    said.append(f"wrote {target / UNIT} (ExecStart={command})")
    said.append(f"wrote {target / SOCKET_UNIT} (optional socket activation)")
    steps = [("daemon-reload",), ("enable", "--now", UNIT) if now else ("enable", UNIT)]
    for step in steps:
        done = systemctl(*step)
        if done is None:
            said.append("systemd --user is not available here; when it is, run:")
            said.extend(f"  systemctl --user {' '.join(s)}" for s in steps)
            said.append("or run the daemon yourself: habitd run")
            return said
        if done.returncode != 0:
            said.append(f"systemctl --user {' '.join(step)} failed: {done.stderr.strip()}")
            return said
        said.append(f"ran systemctl --user {' '.join(step)}")
    said.append("logs: journalctl --user -u habitd")
    return said


def uninstall() -> list[str]:
    """Stop and disable the service, and remove the units."""
    said = []
    done = systemctl("disable", "--now", UNIT, SOCKET_UNIT)
    if done is None:
        said.append("systemd --user is not available here; nothing to stop")
    else:
        said.append(f"ran systemctl --user disable --now {UNIT} {SOCKET_UNIT}")
    for name in (UNIT, SOCKET_UNIT):
        path = unit_dir() / name
        if path.exists():
            path.unlink()
            said.append(f"removed {path}")
    if done is not None:
        systemctl("daemon-reload")
        said.append("ran systemctl --user daemon-reload")
    return said


def status() -> list[str]:
    """Whether the unit is installed, enabled and active."""
    path = unit_dir() / UNIT
    said = [f"unit: {path} ({'installed' if path.exists() else 'not installed'})"]
    enabled = systemctl("is-enabled", UNIT)
    active = systemctl("is-active", UNIT)
    if enabled is None or active is None:
        said.append("systemd --user is not available here; run the daemon with: habitd run")
    else:
        said.append(f"enabled: {enabled.stdout.strip() or 'no'}")
        said.append(f"active: {active.stdout.strip() or 'unknown'}")
        if not path.exists():
            said.append("install it with: habitd service install --now")
    return said
