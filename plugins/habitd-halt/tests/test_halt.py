"""habitd-halt against a real habitd daemon (the habitd_env fixture comes with habitd)."""

from __future__ import annotations

import time

from habitd.testing import Env
from habitd.testing.dbus_services import NotificationServer

CONFIG = """
[habitd]
timezone = "UTC"
notifier = "log"

[[nudge]]
id = "halt"
kind = "halt"
at = ["03:00"]
"""


def test_the_nudge_has_a_button_per_state(habitd_env: Env) -> None:
    habitd_env.use_installed("halt")
    habitd_env.write_config(CONFIG)
    habitd_env.start_daemon()
    message = habitd_env.ok("trigger", "halt", "--json").json()["message"]
    assert message["title"] == "HALT check"
    assert [b["title"] for b in message["buttons"]] == ["Hungry", "Angry", "Lonely", "Tired"]
    plugins = {p["name"]: p for p in habitd_env.ok("plugins", "--json").json()}
    assert plugins["halt"]["source"] == "entry point" and plugins["halt"]["version"] == "0.1.0"


def test_the_command_answers_and_counts(habitd_env: Env) -> None:
    habitd_env.use_installed("halt")
    habitd_env.write_config(CONFIG)
    daemon = habitd_env.start_daemon()
    assert "Text someone" in habitd_env.ok("halt", "lonely").out
    assert daemon.call("halt.counts")["lonely"] == 1
    assert "hungry" in habitd_env.ok("halt").out
    assert habitd_env.cli("halt", "sleepy").rc == 2
    assert [e["event"] for e in habitd_env.history()] == ["halt"]


def test_pressing_a_button_on_the_notification(
    habitd_env: Env, habitd_notification_server: NotificationServer
) -> None:
    server = habitd_notification_server
    habitd_env.use_installed("halt")
    habitd_env.write_config(CONFIG.replace('notifier = "log"', 'notifier = "desktop"'))
    habitd_env.start_daemon(notifier="desktop")
    habitd_env.ok("trigger", "halt")
    deadline = time.monotonic() + 15
    while not server.shown and time.monotonic() < deadline:
        time.sleep(0.05)
    server.press(server.shown[0], "Tired")
    while len(server.shown) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.shown[1].summary == "Rest"
