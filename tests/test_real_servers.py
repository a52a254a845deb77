"""habitd on the notification servers people run (besides dunst, tested with its menu in
test_notifications): XFCE's, LXQt's, GNOME's fallback and MATE's, each a real Debian
package on a private bus and a virtual screen, heard through its own D-Bus signals."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from habitd.testing.dbus_services import NotificationSignals
from habitd.testing.desktop import (
    NOTIFICATION_SERVERS,
    RealNotificationServer,
    SessionBus,
    VirtualDisplay,
)

from .conftest import BASE_CONFIG, Env, wait_for

CONFIG = (
    BASE_CONFIG.replace('notifier = "log"', 'notifier = "auto"')
    + """
[support]
[[support.contact]]
name = "Sam"
reach = "call 555-0100"
"""
)

NAMES = {
    "xfce4-notifyd": "Xfce's notifyd",
    "lxqt-notificationd": "LXQt's notificationd",
    "notification-daemon": "GNOME's fallback notification daemon",
    "mate-notification-daemon": "MATE's notification daemon",
}
STAYS = 20
"""Seconds the urgent message and a nudge are watched: MATE's server expired the urgent
message after 7.2 s and GNOME's fallback within 10 s when habitd left it to their default."""


@pytest.fixture(params=sorted(NOTIFICATION_SERVERS))
def real_server(
    request: pytest.FixtureRequest, env: Env, session_bus: SessionBus
) -> Iterator[RealNotificationServer]:
    """Each real server in turn, on its own virtual screen."""
    display = VirtualDisplay().start()
    server = RealNotificationServer(
        request.param, session_bus.address, display, env.root / "server-home"
    )
    try:
        yield server.start()
    finally:
        server.stop()
        display.stop()


def test_the_urgent_message_and_a_nudge_stay_until_answered(
    env: Env, real_server: RealNotificationServer, tmp_path: Path
) -> None:
    signals = NotificationSignals(real_server.address).start()
    try:
        env.write_config(CONFIG)
        env.start_daemon(notifier="auto")
        doctor = {f["check"]: f for f in env.ok("doctor", "--json").json()}
        assert NAMES[real_server.program] in str(doctor["answer buttons"]["detail"])
        assert "Write button" in str(doctor["answer buttons"]["detail"])  # none has replies
        env.ok("urge", "--intensity", "10")
        wait_for(lambda: any(e["event"] == "escalated" for e in env.history()))
        sent = env.ok("trigger", "morning", "--json").json()
        assert sent["notifier"] == "desktop" and sent["delivered"] is True
        time.sleep(STAYS)
        assert signals.closed() == []  # neither expired nor was closed
        events = [(e["nudge"], e["event"]) for e in env.history()]
        assert ("morning", "expired") not in events
        shot = real_server.display.screenshot(tmp_path / f"{real_server.program}.png")
        assert shot.stat().st_size > 0
    finally:
        signals.stop()


def _xdotool(server: RealNotificationServer, *args: str) -> str:
    import subprocess

    from habitd.testing.desktop import need

    environ = {**os.environ, "DISPLAY": server.display.display}
    done = subprocess.run(
        [need("xdotool"), *args], env=environ, capture_output=True, text=True, check=False
    )
    return done.stdout


def _pick_in_lxqt_drop_down(server: RealNotificationServer, entry: int) -> None:
    """Open LXQt's drop-down (four or more actions), choose ``entry`` (1 = first) with the
    keyboard and press OK, as a person would with the mouse."""
    window = wait_for(
        lambda: (
            _xdotool(server, "search", "--onlyvisible", "--class", "lxqt-notificationd")
            .split("\n")[0]
            .strip()
        )
    )
    geometry = dict(
        line.split("=", 1)
        for line in _xdotool(server, "getwindowgeometry", "--shell", window).split()
        if "=" in line
    )
    x, bottom = int(geometry["X"]), int(geometry["Y"]) + int(geometry["HEIGHT"]) - 39
    _xdotool(server, "mousemove", str(x + 133), str(bottom), "click", "1")
    time.sleep(0.5)  # the list opens and takes the keyboard
    _xdotool(server, "key", "Home", *(["Down"] * (entry - 1)), "Return")
    time.sleep(0.3)
    _xdotool(server, "mousemove", str(x + 211), str(bottom), "click", "1")
    _xdotool(server, "mousemove", "10", "10")  # away: a pointer on a popup pauses its timer


@pytest.mark.parametrize("real_server", ["lxqt-notificationd"], indirect=True)
def test_lxqt_records_the_choice_made_in_its_drop_down(
    env: Env, real_server: RealNotificationServer
) -> None:
    """A breathing nudge has Done, Snooze, Skip and a body click: LXQt shows a drop-down,
    and each choice is the one recorded (a hidden action sent first shifted them by one)."""
    env.write_config(
        CONFIG + '\n[[nudge]]\nid = "breathe"\nkind = "mindfulness"\nhabit = "meditate"\n'
        'date = "2100-01-01 07:00"\nsnooze = "1h"\n'
    )
    env.start_daemon(notifier="auto")
    for entry, answer in ((1, "done"), (2, "snoozed"), (3, "skipped")):
        env.ok("trigger", "breathe")
        time.sleep(1)
        _pick_in_lxqt_drop_down(real_server, entry)
        wait_for(
            lambda a=answer: ("breathe", a) in [(e["nudge"], e["event"]) for e in env.history()]
        )
        assert [e["event"] for e in env.history() if e["nudge"] == "breathe"][-1] == answer
