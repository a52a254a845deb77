"""A desktop session in miniature for tests and screenshots: a private D-Bus session bus,
a virtual X display (Xvfb), dunst (a real notification server) and XFCE's or LXQt's panel
(real tray hosts), driven with xdotool as a person's mouse and keyboard would.

Missing programs skip a test on a developer's machine but fail it in CI, where
``.ci/run`` installs them (Debian: dbus-daemon, xvfb, dunst, xfce4-panel, lxqt-panel,
xdotool, and the notification servers xfce4-notifyd, lxqt-notificationd, notification-daemon
and mate-notification-daemon).
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import pytest

DBUS_CONFIG = Path(__file__).parent / "session-bus.conf"


def need(program: str) -> str:
    """The program's path; in CI a missing one fails (``.ci/run`` installs it), else skips."""
    found = shutil.which(program)
    if found is None:
        if os.environ.get("CI"):
            pytest.fail(f"{program} is not installed; .ci/run must install it")
        pytest.skip(f"{program} is not installed")
    return found


@dataclass
class SessionBus:
    """A private ``dbus-daemon --session`` listening on a fixed path (so it can come back).

    Its config has no standard service dirs: a developer's own notification daemon is never
    activated on it.
    """

    path: Path
    proc: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        """The D-Bus address of this bus."""
        return f"unix:path={self.path}"

    def start(self) -> SessionBus:
        """Start the bus daemon; returns once it listens."""
        self.proc = subprocess.Popen(
            [
                need("dbus-daemon"),
                f"--config-file={DBUS_CONFIG}",
                "--nofork",
                "--print-address=1",
                f"--address={self.address}",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().decode()
        assert line.startswith(self.address), line
        return self

    def stop(self) -> None:
        """Kill the bus (as when a desktop session dies)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self.path.unlink(missing_ok=True)


@dataclass
class VirtualDisplay:
    """An Xvfb server on a free display number."""

    width: int = 1024
    height: int = 600
    proc: subprocess.Popen[bytes] | None = None
    display: str = ""

    def start(self) -> VirtualDisplay:
        """Start Xvfb and learn its display number (``-displayfd``)."""
        read, write = os.pipe()
        self.proc = subprocess.Popen(
            [
                need("Xvfb"),
                "-displayfd",
                str(write),
                "-screen",
                "0",
                f"{self.width}x{self.height}x24",
                "-nolisten",
                "tcp",
            ],
            pass_fds=(write,),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(write)
        with os.fdopen(read) as numbers:
            number = numbers.readline().strip()
        assert number, "Xvfb did not report a display"
        self.display = f":{number}"
        return self

    def screenshot(self, path: Path, crop: str | None = None) -> Path:
        """The screen (or a ``WxH+X+Y`` part of it) as a PNG, with ImageMagick's ``import``."""
        part = ["-crop", crop] if crop else []
        subprocess.run(
            [need("import"), "-window", "root", *part, str(path)],
            env={**os.environ, "DISPLAY": self.display},
            check=True,
        )
        return path

    def stop(self) -> None:
        """Stop Xvfb."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


@dataclass
class Dunst:
    """dunst on ``display``, owning org.freedesktop.Notifications on the bus at ``address``."""

    address: str
    display: VirtualDisplay
    proc: subprocess.Popen[bytes] | None = None
    menu: Path | None = None
    """A folder for dunst's context menu: its ``dmenu`` is a script that keeps the lines
    dunst offers (``menu/offered``) and picks the first containing ``menu/choose``."""

    @property
    def environ(self) -> dict[str, str]:
        """What dunst and dunstctl need to find the bus and the screen."""
        return {
            **os.environ,
            "DBUS_SESSION_BUS_ADDRESS": self.address,
            "DISPLAY": self.display.display,
        }

    def start(self) -> Dunst:
        """Start dunst and wait until it answers on the bus."""
        command = [need("dunst")]
        if self.menu is not None:
            self.menu.mkdir(parents=True, exist_ok=True)
            pick = self.menu / "pick.sh"
            offered, choose = self.menu / "offered", self.menu / "choose"
            pick.write_text(f'#!/bin/sh\ntee "{offered}" | grep -m1 -F -- "$(cat "{choose}")"\n')
            pick.chmod(0o755)
            (self.menu / "dunstrc").write_text(f'[global]\n    dmenu = "{pick}"\n')
            command += ["-config", str(self.menu / "dunstrc")]
        self.proc = subprocess.Popen(
            command,
            env=self.environ,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.ctl("count", "displayed", check=False).returncode == 0:
                return self
            time.sleep(0.1)
        raise RuntimeError("dunst did not start")

    def ctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run ``dunstctl ARGS`` against this dunst."""
        return subprocess.run(
            [need("dunstctl"), *args],
            env=self.environ,
            capture_output=True,
            text=True,
            check=check,
        )

    def choose(self, words: str) -> list[str]:
        """Open dunst's context menu and pick the line containing ``words`` (needs ``menu``);
        the lines it offered."""
        assert self.menu is not None, "start dunst with a menu folder"
        (self.menu / "choose").write_text(words)
        (self.menu / "offered").unlink(missing_ok=True)
        self.ctl("context")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not (self.menu / "offered").exists():
            time.sleep(0.1)
        time.sleep(0.2)
        return (self.menu / "offered").read_text().splitlines()

    def displayed(self) -> int:
        """How many notifications are on screen."""
        return int(self.ctl("count", "displayed").stdout.strip())

    def history(self) -> list[dict[str, Any]]:
        """Closed notifications, newest first, as plain dicts."""
        data = json.loads(self.ctl("history").stdout)["data"][0]
        return [{key: value["data"] for key, value in item.items()} for item in data]

    def stop(self) -> None:
        """Stop dunst."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


NOTIFICATION_SERVERS = {
    "xfce4-notifyd": "/usr/lib/x86_64-linux-gnu/xfce4/notifyd/xfce4-notifyd",
    "lxqt-notificationd": "/usr/bin/lxqt-notificationd",
    "notification-daemon": "/usr/lib/notification-daemon/notification-daemon",
    "mate-notification-daemon": "/usr/lib/mate-notification-daemon/mate-notification-daemon",
}
"""Real notification servers besides dunst (Debian packages of the same names; ``.ci/run``
installs them): XFCE's, LXQt's, GNOME's fallback and MATE's."""


@dataclass
class RealNotificationServer:
    """One of :data:`NOTIFICATION_SERVERS` on ``display``, owning the notifications name on
    the bus at ``address``, with its own home (its settings are its defaults)."""

    program: str
    address: str
    display: VirtualDisplay
    home: Path
    proc: subprocess.Popen[bytes] | None = None

    def start(self) -> RealNotificationServer:
        """Start it and wait until it answers on the bus."""
        import asyncio

        from habitd import dbus
        from habitd.notify import NOTIFICATIONS, NOTIFICATIONS_PATH

        path = NOTIFICATION_SERVERS[self.program]
        if not os.path.exists(path):
            need(self.program)  # fails in CI, skips elsewhere
            raise AssertionError(f"{self.program} is on PATH but not at {path}")
        self.home.mkdir(parents=True, exist_ok=True)
        environ = {
            **os.environ,
            "DBUS_SESSION_BUS_ADDRESS": self.address,
            "DISPLAY": self.display.display,
            "HOME": str(self.home),
            "XDG_CONFIG_HOME": str(self.home / ".config"),
            "XDG_CACHE_HOME": str(self.home / ".cache"),
            "XDG_DATA_HOME": str(self.home / ".local/share"),
            "GSETTINGS_BACKEND": "memory",
            "NO_AT_BRIDGE": "1",
        }
        self.proc = subprocess.Popen(
            [path], env=environ, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                asyncio.run(
                    dbus.call(
                        NOTIFICATIONS,
                        NOTIFICATIONS_PATH,
                        NOTIFICATIONS,
                        "GetServerInformation",
                        address=self.address,
                    )
                )
            except dbus.BusError:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"{self.program} exited: {self.proc.returncode}") from None
                time.sleep(0.2)
            else:
                return self
        raise RuntimeError(f"{self.program} did not answer on the bus")

    def stop(self) -> None:
        """Stop it."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


XFCE_PANEL = """<?xml version="1.0" encoding="UTF-8"?>
<channel name="xfce4-panel" version="1.0">
  <property name="configver" type="int" value="2"/>
  <property name="panels" type="array">
    <value type="int" value="1"/>
    <property name="panel-1" type="empty">
      <property name="position" type="string" value="p=6;x=0;y=0"/>
      <property name="length" type="uint" value="100"/>
      <property name="position-locked" type="bool" value="true"/>
      <property name="icon-size" type="uint" value="22"/>
      <property name="size" type="uint" value="30"/>
      <property name="plugin-ids" type="array">
        <value type="int" value="1"/>
        <value type="int" value="2"/>
      </property>
    </property>
  </property>
  <property name="plugins" type="empty">
    <property name="plugin-1" type="string" value="separator">
      <property name="expand" type="bool" value="true"/>
      <property name="style" type="uint" value="0"/>
    </property>
    <property name="plugin-2" type="string" value="systray">
      <property name="square-icons" type="bool" value="true"/>
    </property>
  </property>
</channel>
"""

LXQT_PANEL = """panels=panel1

[panel1]
plugins=spacer,statusnotifier
position=Top
desktop=0
panelSize=30
iconSize=22

[spacer]
type=spacer
expandable=true

[statusnotifier]
type=statusnotifier
alignment=Right
"""

TRAY_HOSTS = ("xfce", "lxqt")
"""The tray hosts :class:`TrayHost` runs: XFCE's panel (GTK, libdbusmenu, as GNOME's
AppIndicator extension) and LXQt's (Qt, libdbusmenu-qt, as KDE Plasma)."""


@dataclass
class TrayHost:
    """A real tray host on ``display``: XFCE's panel with its status tray (``xfce4-panel``)
    or LXQt's with its status notifier (``lxqt-panel``), each a StatusNotifierWatcher that
    draws tray items and their dbusmenu menus as a desktop does.

    One panel along the top, holding only the tray at its right end. Its settings live in
    ``folder`` (XFCE's with an xfconfd of its own), so nothing of a developer's desktop is
    read or written. Driven with xdotool as a person's mouse and keyboard would.
    """

    address: str
    display: VirtualDisplay
    folder: Path
    kind: str = "xfce"
    procs: list[subprocess.Popen[bytes]] | None = None

    @property
    def environ(self) -> dict[str, str]:
        """The panel's environment: this bus, this screen, its own settings."""
        return {
            **os.environ,
            "DBUS_SESSION_BUS_ADDRESS": self.address,
            "DISPLAY": self.display.display,
            "XDG_CONFIG_HOME": str(self.folder / "config"),
            "XDG_CACHE_HOME": str(self.folder / "cache"),
            "NO_AT_BRIDGE": "1",
        }

    @property
    def menu_button(self) -> int:
        """The mouse button that opens the item's menu: XFCE honours ``ItemIsMenu`` (the
        left); LXQt activates the item with the left and shows the menu on the right."""
        return 1 if self.kind == "xfce" else 3

    def start(self) -> TrayHost:
        """Start the panel (and XFCE's settings daemon); returns once it shows."""
        need("xdotool")
        config = self.folder / "config"
        if self.kind == "xfce":
            panel = need("xfce4-panel")
            daemons = glob.glob("/usr/lib/*/xfce4/xfconf/xfconfd")
            if not daemons:
                need("xfconfd")  # not on PATH either: skip, or fail in CI
            settings = config / "xfce4" / "xfconf" / "xfce-perchannel-xml"
            settings.mkdir(parents=True, exist_ok=True)
            (settings / "xfce4-panel.xml").write_text(XFCE_PANEL)
            commands = [[daemons[0]], [panel, "--disable-wm-check"]]
        else:
            (config / "lxqt").mkdir(parents=True, exist_ok=True)
            (config / "lxqt" / "panel.conf").write_text(LXQT_PANEL)
            commands = [[need("lxqt-panel")]]
        self.procs = [
            subprocess.Popen(
                command, env=self.environ, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            for command in commands
        ]
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if any(y == 0 and h < self.display.height for _x, y, _w, h in self._windows()):
                return self
            time.sleep(0.1)
        raise RuntimeError(f"the {self.kind} panel did not show")

    def alive(self) -> bool:
        """Whether the panel still runs (a host may crash on an item it cannot read)."""
        return bool(self.procs) and all(proc.poll() is None for proc in self.procs or [])

    def xdotool(self, *args: str) -> str:
        """Run ``xdotool ARGS`` on this screen; its output."""
        return subprocess.run(
            [need("xdotool"), *args],
            env=self.environ,
            capture_output=True,
            text=True,
            check=False,
        ).stdout

    def _windows(self) -> list[tuple[int, int, int, int]]:
        """The panel's visible windows and its menus (not dunst's, not the screen's own):
        x, y, width, height."""
        found = []
        for window in self.xdotool("search", "--onlyvisible", "--name", ".*").split():
            if self.xdotool("getwindowname", window).strip() == "Dunst":
                continue
            shape = self.xdotool("getwindowgeometry", "--shell", window)
            fields = dict(line.split("=", 1) for line in shape.split() if "=" in line)
            if {"X", "Y", "WIDTH", "HEIGHT"} <= fields.keys():
                x, y, width, height = (int(fields[k]) for k in ("X", "Y", "WIDTH", "HEIGHT"))
                if (width, height) != (self.display.width, self.display.height):
                    found.append((x, y, width, height))
        return found

    def menu_open(self) -> bool:
        """Whether a menu is on screen (a window below the panel)."""
        return any(y > 0 for _x, y, _w, _h in self._windows())

    def point_at_icon(self) -> None:
        """Move the pointer to habitd's icon: the tray's one item, at the panel's right end."""
        self.xdotool("mousemove", str(self.display.width - 15), "15")

    def click_icon(self, button: int = 1) -> None:
        """Click the item and, when that opens the menu, wait for it: a click that came
        before the host had drawn the item is made again (three tries). The pointer then
        moves to the far corner, so no tooltip comes up to be taken for the menu."""
        for _ in range(3):
            self.point_at_icon()
            self.xdotool("click", str(button), "mousemove", "0", str(self.display.height - 1))
            if button != self.menu_button:
                return
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                if self.menu_open():
                    return
                time.sleep(0.05)

    def open_menu(self) -> None:
        """Open the item's menu as this host does (see :attr:`menu_button`)."""
        self.click_icon(self.menu_button)

    def keys(self, *keys: str) -> None:
        """Press keys, as a person choosing from the open menu with the keyboard."""
        self.xdotool("key", "--delay", "60", *keys)

    def stop(self) -> None:
        """Stop the panel (and its settings daemon)."""
        for proc in reversed(self.procs or []):
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()


@dataclass
class Desktop:
    """A whole small desktop under ``root``, for the screenshot scripts: a session bus, Xvfb,
    dunst and, with ``tray`` (one of :data:`TRAY_HOSTS`), a panel; and habitd's processes
    living in it on private XDG folders. A context manager: everything stops on leaving it."""

    root: Path
    tray: str | None = None
    parts: list[Any] = field(default_factory=list)
    environ: dict[str, str] = field(default_factory=dict)

    def __enter__(self) -> Desktop:
        runtime = self.root / "run"
        runtime.mkdir(mode=0o700)
        self.bus = SessionBus(runtime / "bus").start()
        self.display = VirtualDisplay().start()
        self.dunst = Dunst(self.bus.address, self.display).start()
        self.parts = [self.bus, self.display, self.dunst]
        if self.tray:
            self.host = TrayHost(
                self.bus.address, self.display, self.root / "panel", self.tray
            ).start()
            self.parts.append(self.host)
        self.environ = {
            **os.environ,
            "XDG_CONFIG_HOME": str(self.root / "config"),
            "XDG_DATA_HOME": str(self.root / "data"),
            "XDG_STATE_HOME": str(self.root / "state"),
            "XDG_RUNTIME_DIR": str(runtime),
            "DBUS_SESSION_BUS_ADDRESS": self.bus.address,
        }
        return self

    def habitd(self, *words: str) -> subprocess.CompletedProcess[str]:
        """Run ``habitd WORDS`` here."""
        return subprocess.run(
            [sys.executable, "-m", "habitd", *words],
            env=self.environ,
            capture_output=True,
            text=True,
            check=False,
        )

    def start_daemon(self, ready: str = "is running (pid") -> None:
        """Start ``habitd run`` with desktop notifications; returns once ``habitd status``
        says ``ready``."""
        daemon = subprocess.Popen(
            [sys.executable, "-m", "habitd", "run", "--notifier", "desktop"],
            env=self.environ,
            stderr=subprocess.DEVNULL,
        )
        self.parts.append(daemon)
        deadline = time.monotonic() + 15
        while ready not in self.habitd("status").stdout:
            if time.monotonic() > deadline:
                raise RuntimeError(f"habitd status did not say {ready!r} within 15 s")
            time.sleep(0.1)

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        for part in reversed(self.parts):
            if isinstance(part, subprocess.Popen):
                part.terminate()
                part.wait(10)
            else:
                part.stop()


@dataclass
class Browser:
    """Headless Chromium (Debian's ``chromium``), to look at a page as a person would."""

    program: str = ""

    def __post_init__(self) -> None:
        self.program = self.program or need("chromium")

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                self.program,
                "--headless",
                "--no-sandbox",  # root in a container has no user namespaces
                "--disable-gpu",
                "--hide-scrollbars",
                "--no-first-run",
                *args,
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )

    def dom(self, page: Path) -> str:
        """The page's DOM after Chromium has loaded and laid it out."""
        return self._run("--dump-dom", page.resolve().as_uri()).stdout

    def screenshot(self, page: Path, out: Path, width: int = 900, height: int = 2400) -> Path:
        """A PNG of the page at ``width`` x ``height``."""
        self._run(f"--window-size={width},{height}", f"--screenshot={out}", page.resolve().as_uri())
        return out
