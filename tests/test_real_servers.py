"""habitd on the notification servers people run (besides dunst, tested with its menu in
test_notifications): XFCE's, LXQt's, GNOME's fallback and MATE's, each a real Debian
package on a private bus and a virtual screen, heard through its own D-Bus signals."""

from __future__ import annotations

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
