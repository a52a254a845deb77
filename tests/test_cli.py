"""Every CLI command, through the daemon and with the daemon down (the same App either way)."""

from __future__ import annotations

import itertools
import stat
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from habitd.plugins import BUILTINS
from habitd.testing import TEST_ZONE, habit_today, local_now

from .conftest import BASE_CONFIG, Env

MODES = ["daemon", "direct"]


@pytest.fixture(params=MODES)
def world(request: pytest.FixtureRequest, env: Env) -> Env:
    """The base config, with a running daemon or none."""
    env.write_config()
    if request.param == "daemon":
        env.start_daemon()
    return env


def _direct(world: Env) -> bool:
    return not world.daemons


@pytest.mark.clock
def test_done_and_skip_with_dates_and_notes(world: Env) -> None:
    today = habit_today()
    result = world.ok("done", "meditate", "--note", "calm")
    assert f"meditate: done for {today:%a %d %b}" in result.out
    assert ("daemon is not running; working on your data directly" in result.err) == _direct(world)
    assert "skipped for Mon 06 Jan 2025" in world.ok("skip", "walk", "--date", "2025-01-06").out
    world.ok("done", "walk", "--date", "yesterday")
    events = [e for e in world.history() if e["event"] != "celebrated"]  # a first day: "1 day"
    assert [(e["event"], e["habit"], e["detail"].get("day")) for e in events] == [
        ("done", "meditate", str(today)),
        ("skipped", "walk", "2025-01-06"),
        ("done", "walk", str(today - timedelta(days=1))),
    ]


@pytest.mark.clock
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("done", "run"), "no habit 'run'; habits: meditate, walk"),
        (("done", "meditate", "--date", "2026-13-01"), "expected a day: today, yesterday"),
        (("done", "meditate", "--date", "2999-01-01"), "Tue 01 Jan 2999 has not begun yet"),
        (("skip", "nope"), "no habit 'nope'"),
        (("snooze", "nope"), "no nudge 'nope'; nudges: morning, evening"),
        (("snooze", "morning", "soon"), "expected a duration like 90s"),
        (("pause", "0m"), "the duration must be more than zero"),
        (("history", "--since", "yesterday-ish"), "expected a duration like 1d or 12h"),
        (("pause", "--until", "9999-12-31"), "more than a year away"),
        (("entry", "delete", "99999999999999999999999", "--yes"), "is not in the range"),
        (("entry", "edit", "99999999999999999999999"), "is not in the range"),
    ],
)
def test_bad_input_is_a_clear_error(world: Env, args: tuple[str, ...], message: str) -> None:
    result = world.cli(*args)
    assert result.rc == (2 if "range" in message else 1)  # a usage error, or one of ours
    assert message in result.err
    assert "Traceback" not in result.err


@pytest.mark.clock
def test_next_lists_soonest_first(world: Env) -> None:
    rows = [row for row in world.ok("next", "--json").json() if row["nudge"]]
    assert [row["nudge"] for row in rows] == ["morning", "evening"]
    assert datetime.fromisoformat(rows[0]["at"]) == datetime(
        2100, 1, 1, 8, tzinfo=ZoneInfo(TEST_ZONE)
    )
    now = local_now()
    later, latest = now + timedelta(hours=6), now + timedelta(hours=18)  # neither fires now
    world.write_config(
        BASE_CONFIG.replace('date = "2100-01-01 08:00"', f'at = ["{latest:%H:%M}"]').replace(
            'date = "2100-01-01 19:00"', f'at = ["{later:%H:%M}"]'
        )
    )
    if world.daemons:
        world.ok("reload")
    rows = [row for row in world.ok("next", "--json").json() if row["nudge"]]
    assert [row["nudge"] for row in rows] == ["evening", "morning"]
    times = [datetime.fromisoformat(row["at"]) for row in rows]
    assert all(now < moment <= now + timedelta(days=1) for moment in times)
    assert (times[1].hour, times[1].minute) == (latest.hour, latest.minute)
    three = world.ok("next", "--json", "--limit", "3").json()  # three times of each
    assert [row.get("nudge") for row in three].count("morning") == 3
    mornings = [datetime.fromisoformat(r["at"]) for r in three if r.get("nudge") == "morning"]
    assert [b - a for a, b in itertools.pairwise(mornings)] == [timedelta(days=1)] * 2
    assert "morning" in world.ok("next").out
    assert world.cli("next", "--limit", "0").rc == 2


@pytest.mark.clock
def test_next_says_what_a_pause_and_quiet_hours_will_do(world: Env) -> None:
    world.write_config(
        BASE_CONFIG.replace('notifier = "log"', 'notifier = "log"\nquiet_hours = "00:00-23:59"')
        + '\n[plugins.insights]\nweekly_review = "sun 19:00"\n'
    )
    if world.daemons:
        world.ok("reload")
    world.ok("pause", "2h")
    world.ok("snooze", "evening", "1h")
    rows = world.ok("next", "--json").json()
    snoozed = next(r for r in rows if r.get("why") == "snoozed")
    assert snoozed["held"]["reason"] == "paused"  # due inside the pause: held until it ends
    later = next(r for r in rows if r.get("nudge") == "morning")
    assert later["held"]["reason"] == "quiet hours"
    review = next(r for r in rows if r.get("job") == "insights:weekly-review")
    assert review["schedule"] == "your weekly review"
    shown = world.ok("next").out
    assert "paused: comes" in shown and "your weekly review" in shown


def test_trigger_fires_and_records(world: Env) -> None:
    if _direct(world):  # only a daemon shows nudges (and listens to their buttons)
        refused = world.cli("trigger", "evening")
        assert refused.rc == 3 and "the daemon is not running" in refused.err
        assert world.history() == []
        return
    result = world.ok("trigger", "evening", "--json").json()
    assert result["status"] == "fired" and result["notifier"] == "log"
    assert result["message"]["title"] == "Evening check"
    assert [(e["nudge"], e["event"], e["title"]) for e in world.history()] == [
        ("evening", "fired", "Evening check")
    ]


@pytest.mark.clock
def test_snooze_shows_in_next_and_history(world: Env) -> None:
    result = world.ok("snooze", "evening", "2h")
    assert "snoozed evening until" in result.out
    rows = world.ok("next", "--json").json()
    assert rows[0]["nudge"] == "evening" and rows[0]["why"] == "snoozed"
    due = datetime.fromisoformat(rows[0]["at"])
    assert abs((due - datetime.now(UTC)) - timedelta(hours=2)) < timedelta(minutes=1)
    assert [e["event"] for e in world.history()] == ["snoozed"]


@pytest.mark.clock
def test_pause_and_resume(world: Env) -> None:
    assert "paused until" in world.ok("pause", "2h").out
    if not _direct(world):
        paused = world.ok("status", "--json").json()["paused_until"]
        assert paused is not None
    assert world.ok("resume").out == "resumed\n"
    assert world.ok("resume").out == "was not paused\n"
    assert "paused until" in world.ok("pause", "until-morning").out
    assert "paused until" in world.ok("pause").out  # default: an hour
    assert [e["event"] for e in world.history()] == [
        "paused",
        "resumed",
        "resumed",
        "paused",
        "paused",
    ]


@pytest.mark.clock
def test_history_since_and_filters(world: Env) -> None:
    world.ok("snooze", "morning", "1h")
    world.ok("snooze", "evening", "2h")
    assert len(world.history("--since", "1h")) == 2
    assert [e["nudge"] for e in world.history("--nudge", "evening")] == ["evening"]
    assert world.history("--since", "2999-01-01") == []
    assert "snoozed" in world.ok("history").out


def test_plugins_listing(world: Env) -> None:
    rows = world.ok("plugins", "--json").json()
    assert [(p["name"], p["source"], p["state"]) for p in rows] == [
        (name, "builtin", "active") for name in BUILTINS
    ]
    assert "habitd_compose" in rows[0]["hooks"]
    assert "reminder" in world.ok("plugins").out


def test_status_and_reload_need_the_daemon(world: Env) -> None:
    if _direct(world):
        status = world.cli("status", "--json")
        assert status.rc == 3 and status.json() == {"running": False}
        reload = world.cli("reload")
        assert reload.rc == 3 and "daemon is not running" in reload.err
    else:
        assert world.ok("status", "--json").json()["running"] is True
        assert "reloaded" in world.ok("reload").out


def test_init_writes_a_private_commented_config(env: Env) -> None:
    result = env.ok("init")
    assert str(env.config_file) in result.out
    text = env.config_file.read_text()
    assert text.startswith("# habitd") and "quiet_hours" in text
    assert stat.S_IMODE(env.config_file.stat().st_mode) == 0o600
    again = env.cli("init")
    assert again.rc == 1 and "already exists; use --force" in again.err
    env.config_file.write_text("# mine\n")
    env.ok("init", "--force")
    assert env.config_file.read_text() == text
    assert env.ok("config", "check").out == f"ok ({env.config_file})\n"


@pytest.mark.clock
def test_config_path_and_overrides(env: Env) -> None:
    locations = env.ok("config", "path", "--json").json()
    assert locations["config"] == str(env.config_file)
    assert locations["socket"] == env.socket
    assert locations["database"] == str(env.db)
    custom = env.root / "elsewhere.toml"
    assert env.ok("--config", str(custom), "config", "path", "--json").json()["config"] == str(
        custom
    )
    env.environ["HABITD_CONFIG"] = str(custom)
    assert env.ok("config", "path", "--json").json()["config"] == str(custom)
    missing = env.cli("next")  # a named config must exist
    assert missing.rc == 1 and f"{custom}: no such file" in missing.err


@pytest.mark.clock
def test_version_help_and_usage_errors(env: Env) -> None:
    assert env.ok("--version").out.startswith("habitd, version ")
    help_text = env.ok("--help").out
    for command in (
        "run",
        "status",
        "next",
        "trigger",
        "history",
        "done",
        "skip",
        "snooze",
        "pause",
        "resume",
        "reload",
        "plugins",
        "init",
        "config",
    ):
        assert command in help_text
    assert env.cli("frobnicate").rc == 2
    assert env.cli("done").rc == 2


def test_shell_completion_knows_your_habits_nudges_and_contacts(env: Env) -> None:
    env.write_config(
        BASE_CONFIG + '\n[[support.contact]]\nname = "Sam"\nrole = "friend"\nreach = "call"\n'
    )
    assert "_HABITD_COMPLETE" in env.ok("completion", "bash").out

    def complete(*words: str) -> list[str]:
        done = subprocess.run(
            [sys.executable, "-m", "habitd", *words],
            env={
                **env.environ,
                "_HABITD_COMPLETE": "bash_complete",
                "COMP_WORDS": "habitd " + " ".join(words),
                "COMP_CWORD": str(len(words)),
            },
            capture_output=True,
            text=True,
            check=False,
        )
        return [line.split(",", 1)[1] for line in done.stdout.splitlines() if "," in line]

    assert complete("done", "med") == ["meditate"]
    assert "evening" in complete("snooze", "")
    assert complete("reached", "s") == ["sam"]
    assert "box-breathing" in complete("breathe", "box")
