"""habitd-activities against a real habitd daemon (the habitd_env fixture comes with habitd)."""

from __future__ import annotations

from habitd.testing import Env

CONFIG = """
[habitd]
timezone = "UTC"
notifier = "log"

[[nudge]]
id = "do-something"
kind = "activities"
at = ["03:00"]

[plugins.activities]
list = ["a short walk", "play guitar"]
low_mood = 6
"""


def test_suggestions_rotate_and_low_mood_brings_one(habitd_env: Env) -> None:
    habitd_env.use_installed("activities")
    habitd_env.write_config(CONFIG)
    habitd_env.start_daemon()
    first = habitd_env.ok("trigger", "do-something", "--json").json()["message"]
    second = habitd_env.ok("trigger", "do-something", "--json").json()["message"]
    assert (first["title"], second["title"]) == (
        "How about a short walk?",
        "How about play guitar?",
    )
    habitd_env.ok("journal", "--emotion", "sad", "--intensity", "7")
    suggested = [e for e in habitd_env.history() if e["event"] == "suggested"]
    assert len(suggested) == 1 and suggested[0]["title"].startswith("How about")
    habitd_env.ok("journal", "--emotion", "calm", "--intensity", "8")
    assert len([e for e in habitd_env.history() if e["event"] == "suggested"]) == 1


def test_counting_what_helped(habitd_env: Env) -> None:
    habitd_env.use_installed("activities")
    habitd_env.write_config(CONFIG)
    habitd_env.start_daemon()
    assert (
        "2 times"
        in (
            habitd_env.ok("activities", "did", "play guitar")
            and habitd_env.ok("activities", "did", "play guitar")
        ).out
    )
    listing = habitd_env.ok("activities").out
    assert "play guitar" in listing and "2" in listing
    wrong = habitd_env.cli("activities", "did", "skydiving")
    assert wrong.rc == 1 and "is not on your list" in wrong.err


def test_settings_are_validated(habitd_env: Env) -> None:
    habitd_env.use_installed("activities")
    habitd_env.write_config(CONFIG.replace("low_mood = 6", 'low_mood = "high"'))
    result = habitd_env.cli("config", "check")
    assert result.rc == 1 and "plugins.activities.low_mood: expected a number" in result.out
