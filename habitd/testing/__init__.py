"""Fixtures for testing with a real habitd: private folders, the real CLI, a real daemon.

habitd's own tests use these, and so can a plugin's: habitd registers this module as a
pytest plugin (entry point ``pytest11``), so a plugin package's tests get the fixtures
``habitd_env`` (a person's world in temporary folders), ``habitd_daemon`` (a running
daemon on a config you write first) and ``habitd_notification_server`` (a private D-Bus
session bus with a notification server that records every notification and can press its
buttons; see :mod:`habitd.testing.dbus_services`) without any setup::

    def test_my_nudge(habitd_env):
        habitd_env.write_config(MY_CONFIG)
        habitd_env.start_daemon()
        sent = habitd_env.ok("trigger", "my-nudge", "--json").json()
        assert sent["message"]["title"] == "..."
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any

import pytest

from habitd import ipc
from habitd.paths import Paths
from habitd.testing.moment import MOMENT, TEST_ZONE, libfaketime

INSTALLED_PLUGINS = "HABITD_INSTALLED_PLUGINS"
"""Names of the installed plugin packages (entry points) to load; unset: all of them."""

BASE_CONFIG = f"""\
[habitd]
timezone = "{TEST_ZONE}"
notifier = "log"

[[habit]]
id = "meditate"
name = "Meditate"

[[habit]]
id = "walk"
name = "Go for a walk"

[[nudge]]
id = "morning"
kind = "reminder"
date = "2100-01-01 08:00"
habit = "meditate"
title = "A quiet minute"
body = "Breathe."

[[nudge]]
id = "evening"
kind = "reminder"
date = "2100-01-01 19:00"
title = "Evening check"
"""
"""A small config for tests: two habits and two reminders (in :data:`TEST_ZONE`: UTC, or
the zone of the clock moment the run is at; log notifier). The reminders are due in 2100,
so none fires by itself during a test at any hour: tests ``trigger`` or ``snooze`` them."""


def habit_today(zone: str = TEST_ZONE, day_starts: str = "04:00") -> date:
    """Today's habit day as habitd counts it (``day_starts`` shifts late nights back), for
    expected values that hold at any hour, in any zone, on DST days."""
    from zoneinfo import ZoneInfo

    from habitd.clock import today

    return today(ZoneInfo(zone), clock_time.fromisoformat(day_starts))


def local_now() -> datetime:
    """Now in the test configs' zone (:data:`TEST_ZONE`), the zone a test config's ``date``
    and ``at`` times are read in."""
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo(TEST_ZONE))


def days_ago(days: int, zone: str = TEST_ZONE, day_starts: str = "04:00") -> date:
    """The habit day ``days`` before today's."""
    return habit_today(zone, day_starts) - timedelta(days=days)


@dataclass
class Result:
    """A finished CLI run."""

    rc: int
    out: str
    err: str

    def json(self) -> Any:
        """stdout parsed as JSON."""
        return json.loads(self.out)


@dataclass
class Daemon:
    """A real ``habitd run`` process."""

    proc: subprocess.Popen[bytes]
    log_path: Path
    socket: str

    @property
    def log(self) -> str:
        """Everything the daemon wrote to stderr so far."""
        return self.log_path.read_text(errors="replace")

    def call(self, method: str, **params: Any) -> Any:
        """Call the daemon over its socket."""
        return ipc.call(self.socket, method, params, timeout=30)

    def wait_ready(self, timeout: float = 20.0) -> None:
        """Wait until the socket answers, failing with the log if the process died."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"daemon exited with {self.proc.returncode}:\n{self.log}")
            try:
                if self.call("ping") == "pong":
                    return
            except (ipc.NoDaemon, ipc.Busy, OSError):
                pass
            time.sleep(0.05)
        raise AssertionError(f"daemon not ready after {timeout}s:\n{self.log}")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15.0) -> int:
        """Send ``sig`` and wait for the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.proc.wait(timeout)


@dataclass
class Env:
    """A person's world in temporary folders: config, data, state and runtime."""

    root: Path
    runtime: Path
    environ: dict[str, str] = field(default_factory=dict)
    daemons: list[Daemon] = field(default_factory=list)

    @property
    def config_dir(self) -> Path:
        """``<config dir>`` (XDG_CONFIG_HOME/habitd)."""
        return self.root / "config" / "habitd"

    @property
    def config_file(self) -> Path:
        """The default config location."""
        return self.config_dir / "habitd.toml"

    @property
    def db(self) -> Path:
        """The SQLite database."""
        return self.root / "data" / "habitd" / "habitd.sqlite3"

    @property
    def state_dir(self) -> Path:
        """``<state dir>`` (XDG_STATE_HOME/habitd): the log, backups, the command index."""
        return self.root / "state" / "habitd"

    @property
    def socket(self) -> str:
        """The daemon's socket."""
        return str(self.runtime / "habitd" / "habitd.sock")

    def write_config(self, text: str = BASE_CONFIG) -> Path:
        """Write the config file (0600 in a 0700 folder)."""
        self.config_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.config_file.write_text(text)
        self.config_file.chmod(0o600)
        return self.config_file

    def add_plugin(self, name: str, source: str) -> Path:
        """Drop a single-file plugin into ``<config dir>/plugins``."""
        folder = self.config_dir / "plugins"
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = folder / f"{name}.py"
        path.write_text(source)
        return path

    def use_installed(self, *names: str) -> None:
        """Load these installed plugin packages (entry-point names, for hooks and commands)
        in the processes started from now on. By default ``habitd_env`` loads only the
        built-ins and the single-file plugins a test adds, so one installed plugin never
        breaks another's tests."""
        current = [n for n in self.environ.get(INSTALLED_PLUGINS, "").split(",") if n]
        self.environ[INSTALLED_PLUGINS] = ",".join(dict.fromkeys([*current, *names]))

    def moved(self, root: Path) -> Env:
        """A new machine: the same environment with fresh, empty folders under ``root``
        (config, data, state, runtime); its daemons are stopped with this one's."""
        runtime = Path(tempfile.mkdtemp(prefix="hd-"))  # short: socket paths are limited
        runtime.chmod(0o700)
        environ = {
            **self.environ,
            "XDG_CONFIG_HOME": str(root / "config"),
            "XDG_DATA_HOME": str(root / "data"),
            "XDG_STATE_HOME": str(root / "state"),
            "XDG_RUNTIME_DIR": str(runtime),
        }
        return Env(root, runtime, environ, self.daemons)

    def shifted(self, seconds: int) -> Env:
        """The same world, with the clock of processes started through it moved by
        ``seconds`` (libfaketime; on top of the offset to the clock moment the test began
        at, under ``make test-clocks``). ``env.shifted(-3 * 3600).ok("urge", ...)`` writes an
        urge three hours ago."""
        library = libfaketime()
        already = int(self.environ.get("FAKETIME", "+0s").rstrip("s") or 0)
        environ = {
            **self.environ,
            "LD_PRELOAD": str(library),
            "FAKETIME": f"{already + seconds:+d}s",
        }
        return Env(self.root, self.runtime, environ, self.daemons)

    def cli(self, *args: str, timeout: float = 60.0, stdin: str | None = None) -> Result:
        """Run ``python -m habitd ARGS`` as the person would."""
        done = subprocess.run(
            [sys.executable, "-m", "habitd", *args],
            env=self.environ,
            capture_output=True,
            text=True,
            timeout=timeout,
            input=stdin,
            check=False,
        )
        return Result(done.returncode, done.stdout, done.stderr)

    def ok(self, *args: str) -> Result:
        """Run the CLI and insist on exit code 0."""
        result = self.cli(*args)
        assert result.rc == 0, f"habitd {' '.join(args)} -> {result.rc}\n{result.out}\n{result.err}"
        return result

    def spawn(self, *args: str) -> Any:
        """``python -m habitd ARGS`` in a real pseudo-terminal (pexpect), to answer prompts."""
        import pexpect

        return pexpect.spawn(
            sys.executable,
            ["-m", "habitd", *args],
            env=self.environ,
            encoding="utf-8",
            timeout=30,
            dimensions=(24, 120),
            preexec_fn=_as_in_a_terminal,
        )

    def start_daemon(self, *args: str, wait: bool = True, notifier: str = "log") -> Daemon:
        """Start ``habitd run`` in the background; by default wait until it answers."""
        log_path = self.root / f"daemon-{len(self.daemons)}.log"
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "habitd", "run", "--notifier", notifier, *args],
                env=self.environ,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        daemon = Daemon(proc, log_path, self.socket)
        self.daemons.append(daemon)
        if wait:
            daemon.wait_ready()
        return daemon

    def history(self, *args: str) -> list[dict[str, Any]]:
        """``habitd history --json``."""
        rows: list[dict[str, Any]] = self.ok("history", "--json", *args).json()
        return rows


def _as_in_a_terminal() -> None:
    """In the child: Ctrl-C interrupts, as in a person's terminal, even when the tests run
    in the background (a shell starts background jobs with SIGINT ignored, and children
    inherit that)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.fixture(autouse=True)
def habitd_moment() -> Iterator[int | None]:
    """Under ``make test-clocks`` (``$HABITD_TEST_MOMENT``), start this test at the moment:
    the test's own process travels there (time-machine, ticking) and the offset to it, in
    seconds, is what :func:`habitd_env` gives the processes it starts (libfaketime). None at
    the real clock."""
    if MOMENT is None:
        yield None
        return
    from zoneinfo import ZoneInfo

    import time_machine

    now = datetime.now(UTC)
    offset = MOMENT.offset(now)
    there = (now + timedelta(seconds=offset)).astimezone(ZoneInfo(MOMENT.zone))  # sets $TZ too
    with time_machine.travel(there, tick=True):
        time.time()  # the travelled clock starts ticking now, with the processes' clock
        yield offset


@pytest.fixture
def habitd_env(tmp_path: Path, habitd_moment: int | None) -> Iterator[Env]:
    """Private XDG folders and an environment without the developer's own session; under
    a clock moment, with the clock of every process started through it at the moment."""
    runtime = Path(tempfile.mkdtemp(prefix="hd-"))  # short: Unix socket paths are limited
    runtime.chmod(0o700)
    environ = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("XDG_", "DBUS_", "HABITD_")) and key != "DISPLAY"
    }
    environ[INSTALLED_PLUGINS] = ""  # the built-ins and a test's own plugins: use_installed()
    environ.update(
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        XDG_DATA_HOME=str(tmp_path / "data"),
        XDG_STATE_HOME=str(tmp_path / "state"),
        XDG_RUNTIME_DIR=str(runtime),
        PYTHONUNBUFFERED="1",
        # the machine's own system bus stays out of the tests; logind tests bring their own
        DBUS_SYSTEM_BUS_ADDRESS=f"unix:path={runtime}/no-system-bus",
    )
    if habitd_moment is not None and MOMENT is not None:
        environ.update(LD_PRELOAD=libfaketime(), FAKETIME=f"{habitd_moment:+d}s", TZ=MOMENT.zone)
    world = Env(tmp_path, runtime, environ)
    yield world
    for daemon in world.daemons:
        if daemon.proc.poll() is None:
            daemon.proc.kill()
            daemon.proc.wait(10)
    shutil.rmtree(runtime, ignore_errors=True)


@pytest.fixture
def habitd_daemon(habitd_env: Env) -> Daemon:
    """A running daemon on the config written with ``habitd_env.write_config`` (or the
    packaged default)."""
    return habitd_env.start_daemon()


@pytest.fixture
def habitd_notification_server(habitd_env: Env) -> Iterator[Any]:
    """A private session bus with a recording notification server on it, named in
    ``habitd_env``'s environment (skipped where dbus-daemon is not installed)."""
    from habitd.testing.dbus_services import NotificationServer
    from habitd.testing.desktop import SessionBus

    bus = SessionBus(habitd_env.runtime / "bus").start()
    habitd_env.environ["DBUS_SESSION_BUS_ADDRESS"] = bus.address
    server = NotificationServer(bus.address).start()
    yield server
    server.stop()
    bus.stop()


def private_paths(root: Path, config: str) -> Paths:
    """Paths for an in-process App under ``root``, with ``config`` as its config file."""
    (root / "config").mkdir(mode=0o700, exist_ok=True)
    (root / "config" / "habitd.toml").write_text(config)
    return Paths(
        config_file=root / "config" / "habitd.toml",
        config_dir=root / "config",
        data_dir=root / "data",
        state_dir=root / "state",
        runtime_dir=root / "run",
    )


def wait_for(predicate: Any, timeout: float = 15.0, interval: float = 0.1) -> Any:
    """Poll ``predicate`` until it returns something truthy; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")


async def eventually(predicate: Any, timeout: float = 15.0, interval: float = 0.01) -> Any:
    """:func:`wait_for` for in-process tests on an event loop: await until ``predicate``
    returns something truthy (the loop runs meanwhile); fail after ``timeout``."""
    import asyncio

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        await asyncio.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``clock`` marker (for plugin authors' tests too)."""
    config.addinivalue_line(
        "markers",
        "clock: reads days, times, schedules or reports: `make test-clocks` runs it again at "
        "each clock moment, started at the moment",
    )


def pytest_report_header(config: pytest.Config) -> str | None:
    """Say which clock moment the run is at."""
    if MOMENT is None:
        return None
    return f"clock moment: {MOMENT} (each test marked clock starts there; the others are left out)"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """At a clock moment, run only the tests marked ``clock``."""
    if MOMENT is None:
        return
    timeless = [item for item in items if item.get_closest_marker("clock") is None]
    if timeless:
        config.hook.pytest_deselected(items=timeless)
        items[:] = [item for item in items if item.get_closest_marker("clock") is not None]
