"""Where habitd keeps its files, and how those folders are made private.

Every location follows the XDG Base Directory variables (``XDG_CONFIG_HOME``,
``XDG_DATA_HOME``, ``XDG_STATE_HOME``, ``XDG_RUNTIME_DIR``) with their usual defaults, read
here with ``os`` alone: the client's path imports almost nothing.
"""

from __future__ import annotations

import os
import stat
from typing import TYPE_CHECKING, NamedTuple

from habitd.errors import HabitdError

if TYPE_CHECKING:
    from pathlib import Path

APP = "habitd"


def runtime_dir() -> str:
    """The per-user runtime folder that holds the socket and the daemon's lock.

    ``$XDG_RUNTIME_DIR/habitd`` when that variable names a folder, else
    ``/run/user/UID/habitd``, else ``$TMPDIR/habitd-UID``.
    """
    base = os.environ.get("XDG_RUNTIME_DIR", "")
    if base and os.path.isabs(base) and os.path.isdir(base):
        return os.path.join(base, APP)
    uid = os.getuid()
    if os.path.isdir(f"/run/user/{uid}"):
        return f"/run/user/{uid}/{APP}"
    return os.path.join(os.environ.get("TMPDIR") or "/tmp", f"{APP}-{uid}")


def socket_path() -> str:
    """The daemon's Unix socket."""
    return os.path.join(runtime_dir(), f"{APP}.sock")


class Paths(NamedTuple):
    """Every location habitd reads or writes, resolved once.

    (A NamedTuple, not a dataclass: this module is on the client's fast path.)
    """

    config_file: Path
    config_dir: Path
    data_dir: Path
    state_dir: Path
    runtime_dir: Path
    config_explicit: bool = False
    """True when the config file was named (``--config`` or ``$HABITD_CONFIG``): then it must
    exist; otherwise a missing file means "use the packaged default"."""

    @property
    def plugins_dir(self) -> Path:
        """Single-file plugins found automatically: ``<config dir>/plugins/*.py``."""
        return self.config_dir / "plugins"

    @property
    def db(self) -> Path:
        """The SQLite database holding everything the person recorded."""
        return self.data_dir / "habitd.sqlite3"

    @property
    def socket(self) -> Path:
        """The daemon's JSON-RPC socket."""
        return self.runtime_dir / f"{APP}.sock"

    @property
    def lock(self) -> Path:
        """The lock file a running daemon holds on its socket folder."""
        return self.runtime_dir / f"{APP}.lock"

    @property
    def data_lock(self) -> Path:
        """The lock file a running daemon holds beside its database: one daemon per database,
        whatever runtime folder a second one was started with."""
        return self.data_dir / f"{APP}.lock"

    def as_dict(self) -> dict[str, str]:
        """The locations, for ``habitd config path``."""
        return {
            "config": str(self.config_file),
            "config_dir": str(self.config_dir),
            "plugins": str(self.plugins_dir),
            "data": str(self.data_dir),
            "database": str(self.db),
            "state": str(self.state_dir),
            "runtime": str(self.runtime_dir),
            "socket": str(self.socket),
        }


def resolve(config_file: str | os.PathLike[str] | None = None) -> Paths:
    """Resolve every location; ``config_file`` (or ``$HABITD_CONFIG``) overrides the config."""
    from pathlib import Path

    config_dir = Path(_xdg("XDG_CONFIG_HOME", ".config"), APP)
    explicit = config_file or os.environ.get("HABITD_CONFIG") or None
    return Paths(
        config_file=Path(explicit).expanduser() if explicit else config_dir / f"{APP}.toml",
        config_dir=config_dir,
        data_dir=Path(_xdg("XDG_DATA_HOME", ".local/share"), APP),
        state_dir=Path(_xdg("XDG_STATE_HOME", ".local/state"), APP),
        runtime_dir=Path(runtime_dir()),
        config_explicit=bool(explicit),
    )


def _xdg(variable: str, default: str) -> str:
    """An XDG base folder: the variable when it names an absolute path, else the default
    under the home folder (the XDG Base Directory rules, as platformdirs reads them)."""
    value = os.environ.get(variable, "").strip()
    if value and os.path.isabs(value):
        return value
    return os.path.join(os.path.expanduser("~"), default)


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (and its parents) as 0700; refuse a folder others could write or own.

    Like OpenSSH, habitd will not keep a person's data in a place other users can touch:
    the error says which folder and what to run to fix it.
    """
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = path.stat()
    if info.st_uid != os.getuid():
        raise HabitdError(
            f"{path} belongs to another user (uid {info.st_uid}); habitd keeps private data "
            f"only in folders you own. Fix: choose another location or `chown $USER {path}`"
        )
    if stat.S_IMODE(info.st_mode) & 0o077:
        raise HabitdError(
            f"{path} is open to other users (mode {stat.S_IMODE(info.st_mode):04o}); "
            f"habitd keeps private data only in 0700 folders. Fix: chmod 700 {path}"
        )
    return path


INSTALLED_PLUGINS = "HABITD_INSTALLED_PLUGINS"


def installed_plugins_allowed() -> set[str] | None:
    """The installed plugin packages (entry-point names, for hooks and commands) that may
    load: those named in ``$HABITD_INSTALLED_PLUGINS`` (comma-separated; habitd's test
    fixtures set it), or every one (None) when it is unset."""
    value = os.environ.get(INSTALLED_PLUGINS)
    if value is None:
        return None
    return {name.strip() for name in value.split(",") if name.strip()}
