"""Goals through the real daemon: marks, streaks, milestones, lapses, nudges that stop once
the habit is answered, repeats, vacations and the export."""

from __future__ import annotations

import asyncio
import csv
import json
import re
import stat
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import time_machine

from habitd.app import App
from habitd.testing import TEST_ZONE, days_ago, habit_today
from habitd.testing.dbus_services import NotificationServer
from habitd.testing.desktop import SessionBus

from .conftest import Env, private_paths, wait_for

CONFIG = f"""
[habitd]
timezone = "{TEST_ZONE}"
notifier = "log"

[[habit]]
id = "meditate"
name = "Meditate"

[[habit]]
id = "water"
name = "Drink water"
type = "at-least"
threshold = 6
unit = "glasses"

[[habit]]
id = "kratom-free"
name = "Kratom-free"
type = "abstain"

[[nudge]]
id = "sit"
date = "2100-01-01 03:00"
habit = "meditate"
repeat = "2s"

[[nudge]]
id = "check-in"
date = "2100-01-01 03:30"
habit = "kratom-free"
title = "Kratom-free today?"
"""


@pytest.fixture
def world(env: Env) -> Env:
    env.write_config(CONFIG)
    env.start_daemon()
    return env


def _events(env: Env) -> list[tuple[str | None, str]]:
    return [(e["habit"] or e["nudge"], e["event"]) for e in env.history()]


def _streak(env: Env, habit: str) -> dict[str, object]:
    rows = {row["habit"]: row for row in env.ok("streaks", "--json").json()}
    return rows[habit]


def _days_ago(days: int) -> str:
    return str(days_ago(days))


@pytest.mark.clock
def test_done_builds_a_streak_and_celebrates_once(world: Env) -> None:
    for back in (2, 1):
        world.ok("done", "meditate", "--date", _days_ago(back))
    world.ok("done", "meditate", "--note", "ten minutes")
    row = _streak(world, "meditate")
    assert (row["current"], row["best"], row["total"], row["today"]) == (3, 3, 3, "done")
    assert row["unit"] == "days" and 0 < float(str(row["strength"])) < 1
    assert row["milestones"] == [1, 3]
    celebrations = [e for e in world.history() if e["event"] == "celebrated"]
    assert [e["title"] for e in celebrations] == ["Milestone: 1 day", "Milestone: 3 days"]
    assert "Meditate: 3 days in a row." in celebrations[1]["body"]
    world.ok("done", "meditate", "--note", "again")  # marking again replaces; no new milestone
    assert len([e for e in world.history() if e["event"] == "celebrated"]) == 2
    table = world.ok("streaks").out
    assert "meditate" in table and "3 days" in table and "★ 3" in table


@pytest.mark.clock
def test_a_streak_is_celebrated_once_however_its_days_were_marked(world: Env) -> None:
    """Build a streak, take a day back and put it again, back-fill the days before it: one
    "3 days". Back-filling a three-day streak from a week ago celebrates nothing."""
    for back in (2, 1, 0):
        world.ok("done", "meditate", "--date", _days_ago(back))
    world.ok("unmark", "meditate")
    world.ok("done", "meditate")
    for back in (3, 4, 5):  # the same streak, grown backwards: 6 days, no milestone new
        world.ok("done", "meditate", "--date", _days_ago(back))
    for back in (9, 8, 7):  # an old streak of another habit, long over
        world.ok("done", "kratom-free", "--date", _days_ago(back))
    assert _streak(world, "meditate")["current"] == 6

    def celebrations() -> list[tuple[str | None, str | None]]:
        return [(e["habit"], e["title"]) for e in world.history() if e["event"] == "celebrated"]

    wait_for(lambda: len(celebrations()) >= 2)
    world.ok("streaks")  # a round trip more: any late reaction has had its turn
    assert celebrations() == [
        ("meditate", "Milestone: 1 day"),
        ("meditate", "Milestone: 3 days"),
    ]
    assert _streak(world, "meditate")["milestones"] == [1, 3]


@pytest.mark.clock
def test_a_lapse_is_answered_kindly_and_totals_stay(world: Env) -> None:
    for back in (4, 3, 2):
        world.ok("done", "kratom-free", "--date", _days_ago(back))
    result = world.ok("lapse", "kratom-free", "--date", _days_ago(1), "--note", "rough day")
    assert "Thank you for being honest" in result.out
    [reply] = [e for e in world.history() if e["event"] == "encouraged"]
    assert reply["title"] == "Thank you for being honest"
    assert "The 3 days you kept still count" in reply["body"]
    for word in ("fail", "failed", "shame", "ruined"):
        assert word not in reply["body"].lower()
    row = _streak(world, "kratom-free")
    assert (row["current"], row["best"], row["clean_days"], row["lapses"]) == (0, 3, 3, 1)
    assert row["days_since_start"] == 4  # since the first mark, four days ago
    world.ok("done", "kratom-free")  # the next kratom-free day starts a new streak
    row = _streak(world, "kratom-free")
    assert (row["current"], row["clean_days"]) == (1, 4)


@pytest.mark.clock
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("done", "meditation"), "no habit 'meditation'; habits: meditate, water, kratom-free"),
        (("done", "meditate", "--value", "3"), "meditate is a yes-no habit: it takes no --value"),
        (("done", "water", "--value", "-1"), "a number of zero or more"),
        (("done", "water", "--date", "2999-01-01"), "Tue 01 Jan 2999 has not begun yet"),
        (("done", "water", "--date", "01/02/2026"), "expected a day: today, yesterday"),
        (("lapse", "meditate"), "a lapse is for abstain habits"),
        (("habit", "show", "nope"), "no habit 'nope'"),
    ],
)
def test_bad_input(world: Env, args: tuple[str, ...], message: str) -> None:
    result = world.cli(*args)
    assert result.rc == 1 and message in result.err, result.err


@pytest.mark.clock
def test_counted_habits_and_habit_show(world: Env) -> None:
    assert "Well done" in world.ok("done", "water", "--value", "7", "--date", _days_ago(1)).out
    short = world.ok("done", "water", "--value", "4").out  # the answer says it truthfully
    assert "water: 4 of 6 glasses for " in short and "Not yet the 6, and every one counts" in short
    assert "Well done" not in short
    row = _streak(world, "water")
    assert (row["current"], row["best"], row["total"], row["today"]) == (1, 1, 1, "pending")
    info = world.ok("habit", "show", "water", "--json").json()
    assert [(d["kind"], d["value"]) for d in info["days"]] == [("done", 7.0), ("empty", 4.0)]
    assert info["threshold"] == 6 and info["unit_name"] == "glasses"
    shown = world.ok("habit", "show", "water").out
    assert "Drink water (water)" in shown and "strength by week" in shown
    assert "recent days (at least 6 glasses):" in shown
    assert ": 7 glasses (met)" in shown and ": 4 glasses (not met)" in shown


def test_an_answered_habit_is_not_nudged_and_repeat_asks_until_answered(world: Env) -> None:
    world.ok("snooze", "sit", "1s")
    wait_for(lambda: [e for e in _events(world) if e[1] == "fired"][-1:] == [("meditate", "fired")])
    wait_for(lambda: len([e for e in _events(world) if e[1] == "fired"]) >= 2)  # the repeat
    assert world.history()[-1]["detail"]["cause"] == "repeat"
    world.ok("done", "meditate")
    wait_for(lambda: _events(world)[-1] == ("meditate", "dropped"), timeout=10)
    assert world.history()[-1]["detail"]["reason"] == "meditate is already done today"


@pytest.mark.clock
def test_export_csv_like_loop_and_json(world: Env, tmp_path: Path) -> None:
    world.ok("done", "meditate", "--date", _days_ago(1), "--note", "calm, then sleepy")
    world.ok("skip", "meditate")
    world.ok("done", "water", "--value", "8")
    world.ok("lapse", "kratom-free")
    out = tmp_path / "export"
    result = world.ok("export", "--out", str(out))
    assert f"wrote {out / 'Habits.csv'}" in result.out
    habits = list(csv.reader((out / "Habits.csv").open()))
    assert habits[0][:3] == ["Position", "Name", "Type"]
    assert habits[1][:3] == ["001", "Meditate", "YES_NO"]  # as Loop's own export writes it
    assert habits[1][8:] == ["", "", "", "false"]
    assert habits[2][:3] == ["002", "Drink water", "NUMERICAL"]
    assert habits[2][8:11] == ["glasses", "AT_LEAST", "6"]
    meditate = list(csv.reader((out / "001 Meditate" / "Checkmarks.csv").open()))
    assert meditate == [
        ["Date", "Value", "Notes"],
        [str(habit_today()), "SKIP", ""],
        [_days_ago(1), "YES_MANUAL", "calm, then sleepy"],
    ]
    assert list(csv.reader((out / "002 Drink water" / "Checkmarks.csv").open()))[1][1] == "8"
    assert list(csv.reader((out / "003 Kratom-free" / "Checkmarks.csv").open()))[1][1] == "NO"
    assert stat.S_IMODE((out / "Habits.csv").stat().st_mode) == 0o600
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    world.ok("journal", "--note", "the most personal part", "--emotion", "hopeful")
    world.ok("export", "--out", str(tmp_path / "csv"))
    rows = list(csv.reader((tmp_path / "csv" / "entries.csv").open()))
    assert rows[0][:4] == ["id", "ts", "day", "kind"] and rows[1][9] == "the most personal part"
    world.ok("export", "--format", "json", "--out", str(tmp_path / "json"))
    archive = tmp_path / "json" / "habitd-archive.json"
    data = json.loads(archive.read_text())
    assert (data["format"], data["version"]) == ("habitd-archive", 1)
    assert [h["id"] for h in data["habits"]] == ["meditate", "water", "kratom-free"]
    assert data["habits"][0]["marks"][0]["note"] == "calm, then sleepy"
    assert [e["note"] for e in data["entries"]] == ["the most personal part"]  # entries too
    assert {"done", "lapse"} <= {e["event"] for e in data["history"]}
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600


@pytest.fixture
def server(session_bus: SessionBus) -> Iterator[NotificationServer]:
    running = NotificationServer(session_bus.address).start()
    yield running
    running.stop()


@pytest.mark.clock
def test_done_and_i_slipped_from_the_notification(env: Env, server: NotificationServer) -> None:
    env.write_config(CONFIG.replace('notifier = "log"', 'notifier = "auto"'))
    env.start_daemon(notifier="auto")
    env.ok("trigger", "sit")
    wait_for(lambda: server.shown)
    server.press(server.shown[0], "Done")
    wait_for(lambda: _streak(env, "meditate")["current"] == 1)
    wait_for(lambda: any(s.summary == "Milestone: 1 day" for s in server.shown))
    env.ok("trigger", "check-in")
    check_in = next(s for s in server.shown if s.summary == "Kratom-free today?")
    assert list(check_in.actions.values()) == ["Yes", "I slipped", "Later"]
    server.press(check_in, "I slipped")
    wait_for(lambda: any(s.summary == "Thank you for being honest" for s in server.shown))
    kind = next(s for s in server.shown if s.summary == "Thank you for being honest")
    assert kind.actions.get("inline-reply") == "Write"
    assert _streak(env, "kratom-free")["lapses"] == 1
    server.reply(kind, "payday, and I was alone")  # the reply lands in the journal
    wait_for(lambda: env.ok("entries", "--json").json())
    [entry] = env.ok("entries", "--json").json()
    assert entry["note"] == "payday, and I was alone"
    assert entry["prompt"] == "What led to the lapse (Kratom-free)?"


@pytest.mark.clock
def test_a_vacation_freezes_streaks(tmp_path: Path) -> None:
    """pause --habits over two days: the streak neither breaks nor grows (an in-process App
    under a moving clock)."""
    paths = private_paths(tmp_path, CONFIG)

    async def scenario() -> list[int]:
        with time_machine.travel(datetime(2026, 6, 1, 12, tzinfo=UTC), tick=False) as clock:
            app = await App.open(paths)
            for _ in range(3):
                await app.dispatch("done", {"habit": "meditate"})
                clock.shift(timedelta(days=1))
            await app.dispatch("pause", {"duration": "2d", "habits": True})  # June 4 and 5
            clock.shift(timedelta(days=2))
            await app.dispatch("resume", {})
            await app.dispatch("done", {"habit": "meditate"})  # June 6
            rows = await app.dispatch("goals.streaks", {})
            current = [r["current"] for r in rows if r["habit"] == "meditate"]
            vacations = app.vacations()
            await app.close()
        assert vacations == [(date(2026, 6, 4), date(2026, 6, 5))]
        return current

    assert asyncio.run(scenario()) == [4]


COUNTING = f"""
[habitd]
timezone = "{TEST_ZONE}"
notifier = "log"

[[habit]]
id = "journal"
name = "Write down how the day felt"
counts = "journal"

[[habit]]
id = "reach-out"
name = "Talk to someone"
target = "3/week"
counts = "reached"

[[habit]]
id = "breathe"
name = "Breathe"
counts = "practice"

[support]
[[support.contact]]
name = "Sam"
role = "friend"
reach = "call 555-0100"
"""


@pytest.mark.clock
@pytest.mark.parametrize("daemon", [True, False], ids=["daemon up", "daemon down"])
def test_habits_that_count_what_you_did(env: Env, daemon: bool) -> None:
    env.write_config(COUNTING)
    if daemon:
        env.start_daemon()
    for number in range(8):
        env.ok("journal", "--note", f"entry {number}")
    assert _streak(env, "journal")["today"] == "done"  # eight entries: one day met, once
    assert [e["habit"] for e in env.history() if e["event"] == "done"] == ["journal"]
    assert _streak(env, "reach-out")["today"] != "done"
    env.ok("reached", "sam", "--how", "call")
    assert _streak(env, "reach-out")["today"] == "done"
    surfed = env.cli("surf", "--minutes", "1", "--speed", "600", stdin="6\n3\n")
    assert surfed.rc == 0, surfed.err
    assert _streak(env, "breathe")["today"] == "done"


def test_counts_names_an_activity_habitd_knows(env: Env) -> None:
    env.write_config(COUNTING.replace('counts = "journal"', 'counts = "jounral"'))
    result = env.cli("config", "check")
    assert result.rc == 1
    assert "habit[0].counts: unknown activity 'jounral' (did you mean 'journal'?)" in result.out


@pytest.mark.clock
def test_status_and_history_speak_plainly(world: Env) -> None:
    world.ok("pause", "2h")
    world.ok("done", "meditate")
    shown = world.ok("history").out
    assert "False" not in shown and not re.search(r"\d{4}-\d\d-\d\dT\d", shown), shown
    status = world.ok("status").out
    assert "goals:" in status and "answered today 1/3" in status, status
    assert "goals.answered_today" not in status


@pytest.mark.clock
def test_nothing_is_marked_before_a_habits_start(env: Env) -> None:
    start = days_ago(3)
    env.write_config(
        CONFIG.replace('name = "Kratom-free"', f'name = "Kratom-free"\nstart = {start}')
    )
    refused = env.cli("skip", "kratom-free", "--date", str(days_ago(5)))
    assert refused.rc == 1 and "starts on" in refused.err and "is before it" in refused.err
    env.ok("done", "kratom-free")
    row = _streak(env, "kratom-free")
    assert row["days_since_start"] == 3 and row["clean_days"] == 1


@pytest.mark.clock
def test_a_habit_id_in_any_case(world: Env) -> None:
    assert "meditate: done for" in world.ok("done", "Meditate").out
    assert _streak(world, "meditate")["today"] == "done"


@pytest.mark.clock
def test_a_vacation_is_not_a_plain_pause_and_a_new_pause_says_it_replaces(world: Env) -> None:
    first = world.ok("pause", "2h").out
    assert first.startswith("paused until") and "replaces" not in first
    second = world.ok("pause", "3d", "--habits").out
    assert "paused, streaks frozen (a vacation), until" in second
    assert "(this replaces the pause that ran until" in second
    assert "(a vacation: streaks frozen)" in world.ok("status").out


@pytest.mark.clock
def test_unmark_takes_back_a_mistake_and_far_dates_are_refused(world: Env) -> None:
    world.ok("done", "meditate", "--date", _days_ago(1))
    world.ok("done", "meditate")
    assert _streak(world, "meditate")["total"] == 2
    said = world.ok("unmark", "meditate", "--date", _days_ago(1)).out
    assert said.startswith("meditate: removed the done for ")
    assert _streak(world, "meditate")["total"] == 1
    assert "nothing was marked" in world.ok("unmark", "meditate", "--date", _days_ago(1)).out
    far = world.cli("done", "meditate", "--date", "0001-01-01")
    assert far.rc == 1 and "habitd keeps days from 01 January 2000 on" in far.err
    assert world.cli("unmark", "meditate", "--date", "0001-01-01").rc == 1
    assert "unmarked" in [e["event"] for e in world.history()]
