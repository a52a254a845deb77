"""``habitd doctor``: why don't my nudges show? Each check says what it found and, when
something is wrong, the one line that fixes it.

Checks: the session bus, the notification server (name, version, capabilities), the
daemon, the systemd user unit, the config, and the permissions of the data folders.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from habitd import dbus, ipc
from habitd.notify import NOTIFICATIONS, NOTIFICATIONS_PATH, ensure_bus_address
from habitd.paths import Paths


@dataclass(frozen=True)
class Finding:
    """One check's result."""

    check: str
    ok: bool
    detail: str
    fix: str | None = None
    extra: dict[str, Any] | None = None
    """What one check learnt for another (not shown)."""

    def as_json(self) -> dict[str, Any]:
        """For ``habitd doctor --json``."""
        found = asdict(self)
        del found["extra"]
        return found


async def _server_call(address: str, member: str) -> list[Any]:
    return await dbus.call(
        NOTIFICATIONS, NOTIFICATIONS_PATH, NOTIFICATIONS, member, address=address
    )


async def check_notifications() -> list[Finding]:
    """The session bus, and the notification server on it."""
    ensure_bus_address()
    address = os.environ.get("DBUS_SESSION_BUS_ADDRESS")
    if not address:
        return [
            Finding(
                "session bus",
                False,
                "no DBUS_SESSION_BUS_ADDRESS, and no $XDG_RUNTIME_DIR/bus",
                "run habitd inside your desktop session (or export DBUS_SESSION_BUS_ADDRESS)",
            )
        ]
    try:
        info = await _server_call(address, "GetServerInformation")
        capabilities = (await _server_call(address, "GetCapabilities"))[0]
    except dbus.BusUnreachable as exc:
        return [
            Finding(
                "session bus",
                False,
                f"{address} does not answer ({exc})",
                "log in to your desktop session again, or fix DBUS_SESSION_BUS_ADDRESS",
            )
        ]
    except dbus.BusError as exc:
        return [
            Finding("session bus", True, f"{address} answers"),
            Finding(
                "notification server",
                False,
                f"nobody serves {NOTIFICATIONS} ({exc})",
                'install or start one (dunst, mako, your desktop\'s), or set notifier = "log"',
            ),
        ]
    name, vendor, version, spec = (str(part) for part in info[:4])
    missing = [c for c in ("actions", "body") if c not in capabilities]
    detail = f"{name} {version} by {vendor} (spec {spec}); capabilities: {', '.join(capabilities)}"
    return [
        Finding("session bus", True, f"{address} answers"),
        Finding("notification server", True, detail),
        Finding(
            "answer buttons",
            not missing,
            how_actions_show(name, vendor, [str(c) for c in capabilities])
            if not missing
            else f"the server lacks {', '.join(missing)}: nudges name the command that answers",
            None if not missing else "answer from the terminal, or use a server with actions",
        ),
    ]


SERVERS: tuple[tuple[tuple[str, ...], str, str], ...] = (
    (
        ("dunst",),
        "dunst",
        "dunst lists a nudge's buttons (by their words) in its context menu, not on the "
        "notification: open it with its context shortcut (default ctrl+shift+period) or "
        "`dunstctl context` (it needs dmenu or rofi: dunst's `dmenu` setting)",
    ),
    (("xfce",), "Xfce's notifyd", "buttons show on the notification"),
    (
        ("lxqt",),
        "LXQt's notificationd",
        "one to three buttons show on the notification; four or more become a drop-down: "
        "pick one and press OK",
    ),
    (("mate",), "MATE's notification daemon", "buttons show on the notification"),
    (
        ("gnome-shell", "gnome shell"),
        "GNOME Shell",
        "buttons show on the notification (hover or expand it)",
    ),
    (
        ("notification daemon",),
        "GNOME's fallback notification daemon",
        "buttons show on the notification",
    ),
    (("plasma",), "KDE Plasma", "buttons show on the notification"),
    (
        ("mako",),
        "mako",
        "mako lists a nudge's buttons through `makoctl menu` (with a dmenu-like picker)",
    ),
    (
        ("swaync", "swaynotificationcenter"),
        "SwayNotificationCenter",
        "buttons show on the notification",
    ),
)
"""Well-known servers, matched by any of their words in the name or vendor (lowercase) as
``GetServerInformation`` gives them: what to call them and where a nudge's buttons show."""


def how_actions_show(name: str, vendor: str = "", capabilities: Sequence[str] = ()) -> str:
    """Where the person finds a nudge's buttons on this server, and how a question is
    answered there (a reply field, or the Write button)."""
    said = f"{name} {vendor}".lower()
    known = next(
        ((label, how) for keys, label, how in SERVERS if any(key in said for key in keys)), None
    )
    label, how = known or (name, "it takes buttons (where it shows them depends on the server)")
    replies = (
        "a question's reply field takes your answer there"
        if "inline-reply" in capabilities
        else "no reply field: a question's Write button opens `habitd journal` in a terminal"
    )
    return f"{label}: {how}; {replies}"


def check_daemon() -> Finding:
    """Is a daemon answering on the socket?"""
    from habitd.paths import socket_path

    try:
        status = ipc.call(socket_path(), "status", timeout=min(5.0, ipc.client_timeout()))
    except ipc.NoDaemon:
        return Finding(
            "daemon",
            False,
            "not running",
            "habitd run (or: systemctl --user start habitd)",
        )
    except ipc.Busy:
        return Finding("daemon", True, "running, and busy right now (many connections)")
    except ipc.NoAnswer as exc:
        return Finding(
            "daemon",
            False,
            f"running but not answering (no answer in {exc.timeout:g} s)",
            "systemctl --user restart habitd (or stop `habitd run` and start it again)",
        )
    database = status.get("database", "ok")
    if database != "ok":
        return Finding(
            "daemon",
            False,
            f"running, pid {status['pid']}, but {database}: it saves nothing until restarted",
            "systemctl --user restart habitd (or stop `habitd run` and start it again)",
        )
    return Finding(
        "daemon",
        True,
        f"running, pid {status['pid']}, notifier {status['notifier']}",
        extra={"tray": status.get("tray")},
    )


def check_tray(daemon: Finding) -> Finding | None:
    """Does a tray host show habitd's item? Said only while the daemon runs."""
    reason = (daemon.extra or {}).get("tray")
    if reason is None:
        return None
    shown = str(reason).startswith("shown")
    fix = None
    if not shown and "off in the config" not in str(reason):
        fix = (
            "a tray host shows it: KDE Plasma, GNOME with the AppIndicator extension, XFCE's "
            "status tray, LXQt or waybar (optional: habitd works without)"
        )
    return Finding("tray", True, str(reason), fix)


def check_unit(daemon_running: bool = False) -> Finding:
    """The systemd user unit: installed, and active? Optional while the daemon runs."""
    from habitd import systemd

    unit = systemd.unit_dir() / systemd.UNIT
    if not unit.exists():
        return Finding(
            "systemd unit",
            daemon_running,  # optional: it only starts habitd with the session
            f"{unit} is not installed"
            + (
                " (optional: the daemon runs; the unit would start it at login)"
                if daemon_running
                else ""
            ),
            "habitd service install --now (or run `habitd run` yourself)",
        )
    done = systemd.systemctl("is-active", systemd.UNIT)
    if done is None:
        return Finding("systemd unit", True, f"{unit} installed; systemd --user is not reachable")
    state = done.stdout.strip() or "unknown"
    return Finding(
        "systemd unit",
        state == "active",
        f"{unit} installed, {state}",
        None if state == "active" else "systemctl --user enable --now habitd",
    )


async def check_config(paths: Paths) -> Finding:
    """Does the config validate, with every plugin?"""
    from habitd.app import check_config
    from habitd.config import ConfigError, read_config

    try:
        try:
            config = read_config(paths)
        except ConfigError as exc:
            await check_config(exc, paths)
            raise
        await check_config(config, paths)
    except ConfigError as exc:
        first = exc.lines[0]
        more = f" (and {len(exc.lines) - 1} more)" if len(exc.lines) > 1 else ""
        return Finding("config", False, f"{first}{more}", "habitd config check, then fix each line")
    return Finding("config", True, f"{config.source} is valid")


def check_permissions(paths: Paths) -> list[Finding]:
    """Private folders (0700) and database (0600), owned by this user."""
    findings = []
    for folder in (paths.data_dir, paths.state_dir, paths.runtime_dir):
        if not folder.exists():
            findings.append(Finding(f"folder {folder}", True, "not created yet"))
            continue
        info = folder.stat()
        mode = stat.S_IMODE(info.st_mode)
        if info.st_uid != os.getuid():
            findings.append(
                Finding(
                    f"folder {folder}",
                    False,
                    f"owned by uid {info.st_uid}",
                    f"chown $USER {folder}",
                )
            )
        elif mode & 0o077:
            findings.append(
                Finding(f"folder {folder}", False, f"mode {mode:04o}", f"chmod 700 {folder}")
            )
        else:
            findings.append(Finding(f"folder {folder}", True, "private (0700)"))
    if paths.db.exists():
        mode = stat.S_IMODE(paths.db.stat().st_mode)
        findings.append(
            Finding(
                "database",
                not mode & 0o077,
                f"{paths.db} mode {mode:04o}",
                None if not mode & 0o077 else f"chmod 600 {paths.db}",
            )
        )
    return findings


def check_crisis_line(paths: Paths) -> Finding:
    """Which crisis line hard moments will show, and how its region was found."""
    from habitd import clock, helplines
    from habitd.config import ConfigError, read_config

    try:
        config = read_config(paths)
    except ConfigError:
        return Finding("crisis line", True, "the general text (the config does not load)")
    choice = helplines.choose(config.support, zone=str(clock.zone(config.settings.timezone)))
    fix = None if choice.lines or choice.override else 'set [support] region = "US" (or GB...)'
    return Finding("crisis line", True, choice.describe(), fix)


async def examine(paths: Paths) -> list[Finding]:
    """Every check, in the order a person would look."""
    daemon = check_daemon()
    tray = check_tray(daemon)
    return [
        *await check_notifications(),
        daemon,
        *([tray] if tray else []),
        check_unit(daemon.ok and daemon.detail.startswith("running")),
        await check_config(paths),
        check_crisis_line(paths),
        *check_permissions(paths),
    ]
