"""Shared fixtures: private XDG folders, the real CLI as a subprocess, a real daemon process."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from habitd.testing import BASE_CONFIG as BASE_CONFIG
from habitd.testing import Daemon, Env
from habitd.testing import Result as Result
from habitd.testing import eventually as eventually
from habitd.testing import local_now as local_now
from habitd.testing import private_paths as private_paths
from habitd.testing import wait_for as wait_for
from habitd.testing.desktop import TRAY_HOSTS, Dunst, SessionBus, TrayHost, VirtualDisplay


@pytest.fixture
def env(habitd_env: Env) -> Env:
    """The person's world in temporary folders (habitd's own fixture, as plugins get it)."""
    return habitd_env


@pytest.fixture
def daemon(env: Env) -> Daemon:
    """A running daemon on the base config."""
    env.write_config()
    return env.start_daemon()


# --- D-Bus: a private session bus and notification servers -------------------------------------


@pytest.fixture
def session_bus(env: Env) -> Iterator[SessionBus]:
    """A private session bus at ``$XDG_RUNTIME_DIR/bus``, named in the daemon's environment."""
    bus = SessionBus(env.runtime / "bus").start()
    env.environ["DBUS_SESSION_BUS_ADDRESS"] = bus.address
    yield bus
    bus.stop()


@pytest.fixture
def system_bus(env: Env) -> Iterator[SessionBus]:
    """A second private bus standing in for the system bus (where logind lives)."""
    bus = SessionBus(env.runtime / "system_bus").start()
    env.environ["DBUS_SYSTEM_BUS_ADDRESS"] = bus.address
    yield bus
    bus.stop()


@pytest.fixture
def dunst(env: Env, session_bus: SessionBus) -> Iterator[Dunst]:
    """dunst, a real notification server, showing on a virtual X display (Xvfb)."""
    display = VirtualDisplay().start()
    server = Dunst(session_bus.address, display, menu=env.root / "dunst-menu").start()
    yield server
    server.stop()
    display.stop()


@pytest.fixture(params=TRAY_HOSTS)
def tray_host(env: Env, dunst: Dunst, request: pytest.FixtureRequest) -> Iterator[TrayHost]:
    """A real tray host on dunst's screen and bus: XFCE's panel, then LXQt's."""
    host = TrayHost(dunst.address, dunst.display, env.root / "panel", request.param).start()
    yield host
    host.stop()
