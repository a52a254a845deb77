"""Time as a laptop lives it: suspend and resume, quiet hours, pauses, do-not-disturb, the
screen lock, and reloads that keep what was snoozed."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from tzlocal import reload_localzone

from habitd import delivery as delivery_module
from habitd.app import App
from habitd.runtime import Runtime
from habitd.testing.dbus_services import Logind, NotificationServer
from habitd.testing.desktop import SessionBus
from habitd.timeparse import parse_quiet_hours
from habitd.wake import ClockWatch

from .conftest import BASE_CONFIG, Env, eventually, local_now, private_paths, wait_for

# --- quiet hours by weekday ---------------------------------------------------------------------

MONDAY = datetime(2026, 11, 23, tzinfo=UTC)


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    return MONDAY + timedelta(days=day, hours=hour, minutes=minute)


@pytest.mark.clock
def test_quiet_hours_per_weekday_belong_to_the_night_they_start() -> None:
    quiet = parse_quiet_hours(
        {"daily": "22:30-07:30", "fri": "23:30-09:00", "sat": "23:30-09:00", "sun": "off"}
    )
    assert quiet.end_if_quiet(_at(0, 23)) == _at(1, 7, 30)  # Monday night
    assert quiet.end_if_quiet(_at(1, 7, 0)) == _at(1, 7, 30)
    assert quiet.end_if_quiet(_at(1, 8, 0)) is None
    assert quiet.end_if_quiet(_at(4, 23, 0)) is None  # Friday: not before 23:30
    assert quiet.end_if_quiet(_at(5, 8, 0)) == _at(5, 9, 0)  # Saturday morning, Friday's night
    assert quiet.end_if_quiet(_at(6, 23, 0)) is None  # Sunday night is off
    assert quiet.end_if_quiet(_at(0, 7, 0)) is None  # ...so Monday morning too
    assert quiet.next_end(_at(0, 12)) == _at(1, 7, 30)  # "until morning" from Monday noon
    assert str(parse_quiet_hours("22:00-06:00")) == "22:00-06:00"
    with pytest.raises(ValueError, match="unknown day 'holidays'"):
        parse_quiet_hours({"holidays": "00:00-23:00"})
    with pytest.raises(ValueError, match="sat: expected a range like 22:30-07:30"):
        parse_quiet_hours({"sat": "late"})


# --- an in-process daemon under a moving wall clock ----------------------------------------------


class Harness:
    """App + scheduler + clock watch, as the daemon wires them, in this test's loop."""

    def __init__(self, root: Path, config: str) -> None:
        self.paths = private_paths(root, config)
        self.app: App | None = None
        self.watch: ClockWatch | None = None
        self.history: list[tuple[str | None, str]] = []

    async def start(self) -> App:
        self.runtime = await Runtime.start(self.paths, "log", watch_every=3600)
        self.watch = self.runtime.clock
        self.app = self.runtime.app
        return self.app

    async def stop(self) -> None:
        """Stop, keeping the history for the assertions."""
        assert self.app is not None
        self.history = [(e.nudge, e.event) for e in self.app.store.events()]
        await self.runtime.stop()

    def events(self) -> list[tuple[str | None, str]]:
        """The history as it was when the harness stopped."""
        return self.history

    def now(self) -> list[tuple[str | None, str]]:
        """The history so far (while it runs)."""
        assert self.app is not None
        return [(e.nudge, e.event) for e in self.app.store.events()]


@pytest.fixture
def quick_summary(monkeypatch: pytest.MonkeyPatch) -> None:
    """Gather missed nudges for a moment only."""
    monkeypatch.setattr(delivery_module, "AWAY_GATHER", 0.2)


SLEEPY = """
[habitd]
timezone = "UTC"
notifier = "log"

[[nudge]]
id = "every-5m"
every = "5m"

[[nudge]]
id = "daily"
at = ["08:00"]
grace = "30m"

[[nudge]]
id = "strict"
at = ["07:30"]
grace = "1m"

[[nudge]]
id = "stricter"
at = ["07:45"]
grace = "1m"
"""


@pytest.mark.clock
@pytest.mark.usefixtures("quick_summary")
def test_a_suspend_is_noticed_and_each_nudge_fires_once_or_is_missed(tmp_path: Path) -> None:
    """The wall clock jumps 70 minutes while the monotonic clock stands still."""
    harness = Harness(tmp_path, SLEEPY)

    async def scenario() -> None:
        with time_machine.travel(datetime(2026, 3, 2, 7, 0, tzinfo=UTC), tick=True) as clock:
            await harness.start()
            clock.shift(timedelta(minutes=70))  # asleep from 07:00 to 08:10
            assert harness.watch is not None
            assert "moved +4200s" in str(harness.watch.check("test"))
            await eventually(lambda: len(harness.now()) >= 5)  # 2 fired, 2 missed, a summary
            await harness.stop()

    asyncio.run(scenario())
    events = harness.events()
    assert sorted(e for e in events if e[1] == "fired") == [
        ("daily", "fired"),
        ("every-5m", "fired"),
    ]
    assert sorted(e for e in events if e[1] == "missed") == [
        ("strict", "missed"),
        ("stricter", "missed"),
    ]
    assert [e for e in events if e[1] == "away"] == [(None, "away")]  # one summary


@pytest.mark.clock
def test_the_clock_watch_notices_jumps_not_ticks(tmp_path: Path) -> None:
    reasons: list[str] = []
    with time_machine.travel(datetime(2026, 3, 2, 7, 0, tzinfo=UTC), tick=True) as clock:
        watch = ClockWatch(reasons.append, tolerance=30)
        clock.shift(timedelta(seconds=10))
        assert watch.check("small") is None
        clock.shift(timedelta(hours=-2))  # the clock was set back
        assert watch.check("big") is not None
    assert len(reasons) == 1 and "-7200s" in reasons[0]


QUIET_SOON = """
[habitd]
timezone = "UTC"
notifier = "log"
quiet_hours = "07:00-08:00"

[[nudge]]
id = "stretch"
at = ["07:10"]

[[nudge]]
id = "optional"
at = ["07:20"]
catch_up = false
"""


@pytest.mark.clock
def test_quiet_hours_hold_then_deliver_by_themselves(tmp_path: Path) -> None:
    harness = Harness(tmp_path, QUIET_SOON)

    async def scenario() -> None:
        with time_machine.travel(datetime(2026, 3, 2, 7, 9, 59, tzinfo=UTC), tick=True) as clock:
            await harness.start()
            await eventually(harness.now)  # 07:10 passes: held until 08:00
            clock.shift(timedelta(minutes=10))  # 07:20 passes: let go (catch_up = false)
            assert harness.watch is not None
            harness.watch.check("test")  # nothing jumped much, but look again anyway
            assert harness.app is not None and harness.app.scheduler is not None
            harness.app.scheduler.wakeup()
            await eventually(lambda: len(harness.now()) >= 2)
            clock.shift(timedelta(minutes=41))  # past 08:00
            harness.app.scheduler.wakeup()
            await eventually(lambda: len(harness.now()) >= 3)
            await harness.stop()

    asyncio.run(scenario())
    assert harness.events() == [
        ("stretch", "held"),
        ("optional", "dropped"),
        ("stretch", "fired"),
    ]


# --- through the real daemon -------------------------------------------------------------------


def _at_seconds(seconds: float) -> str:
    return (local_now() + timedelta(seconds=seconds)).strftime("%Y-%m-%d %H:%M:%S")


def _events(env: Env, nudge: str | None = None) -> list[str]:
    args = ("--nudge", nudge) if nudge else ()
    return [e["event"] for e in env.history(*args)]


@pytest.mark.clock
def test_a_pause_ends_by_itself_and_delivers_what_it_held(env: Env) -> None:
    env.write_config()
    env.start_daemon()
    env.ok("pause", "3s")
    env.ok("snooze", "evening", "1s")
    wait_for(lambda: _events(env, "evening") == ["snoozed", "held"])
    wait_for(lambda: _events(env, "evening") == ["snoozed", "held", "fired"])
    assert env.ok("status", "--json").json()["paused_until"] is None


@pytest.mark.clock
def test_pause_until_a_date(env: Env) -> None:
    env.write_config()
    tomorrow = (local_now() + timedelta(days=2)).date()
    result = env.ok("pause", "--until", str(tomorrow))
    assert "paused until" in result.out
    paused = env.history()[-1]["detail"]["until"]
    assert paused.startswith(f"{tomorrow}T00:00:00")
    past = env.cli("pause", "--until", "2020-01-01")
    assert past.rc == 1 and "has passed" in past.err
    both = env.cli("pause", "2h", "--until", str(tomorrow))
    assert both.rc == 1 and "not both" in both.err
    bad = env.cli("pause", "--until", "christmas")
    assert bad.rc == 1 and "expected a date" in bad.err


@pytest.mark.clock
def test_reload_keeps_snoozes_and_unchanged_schedules(env: Env) -> None:
    env.write_config(BASE_CONFIG + '\n[[nudge]]\nid = "water"\nevery = "2h"\n')
    env.start_daemon()
    env.ok("snooze", "evening", "1h")
    before = {(row["nudge"], row["why"]): row for row in env.ok("next", "--json").json()}
    time.sleep(1.1)  # an interval rebuilt now would move its next time
    env.write_config(
        BASE_CONFIG + '\n[[nudge]]\nid = "water"\nevery = "2h"\n\n[[nudge]]\nid = "new"\n'
        'date = "2100-01-02 05:00"\n'
    )
    env.ok("reload")
    after = {(row["nudge"], row["why"]): row for row in env.ok("next", "--json").json()}
    assert after["evening", "snoozed"] == before["evening", "snoozed"]
    assert after["water", "scheduled"]["at"] == before["water", "scheduled"]["at"]
    assert ("new", "scheduled") in after


@pytest.mark.clock
def test_frozen_daemon_gives_one_summary_for_several_misses(env: Env) -> None:
    env.write_config()
    daemon = env.start_daemon()
    nudges = "".join(
        f'\n[[nudge]]\nid = "strict-{n}"\ndate = "{_at_seconds(2.0)}"\ngrace = "1s"\n'
        for n in range(3)
    )
    env.write_config(BASE_CONFIG + nudges)
    env.ok("reload")
    daemon.proc.send_signal(signal.SIGSTOP)
    time.sleep(5)  # the scenario, not an order: frozen past the three times and their grace
    daemon.proc.send_signal(signal.SIGCONT)
    wait_for(lambda: "away" in _events(env))
    events = env.history()
    assert sorted(e["nudge"] for e in events if e["event"] == "missed") == [
        "strict-0",
        "strict-1",
        "strict-2",
    ]
    [summary] = [e for e in events if e["event"] == "away"]
    assert summary["title"] == "While you were away"
    assert summary["body"].startswith("3 nudges passed (strict-")
    assert "nudge away: shown" in daemon.log


@pytest.fixture
def notification_server(session_bus: SessionBus) -> Iterator[NotificationServer]:
    server = NotificationServer(session_bus.address).start()
    yield server
    server.stop()


def test_do_not_disturb_holds_nudges(env: Env, notification_server: NotificationServer) -> None:
    env.write_config(BASE_CONFIG.replace('notifier = "log"', 'notifier = "auto"'))
    env.start_daemon(notifier="auto")
    notification_server.set_inhibited(True)
    env.ok("snooze", "evening", "1s")
    wait_for(lambda: _events(env, "evening") == ["snoozed", "held"])
    assert env.history("--nudge", "evening")[-1]["detail"]["reason"] == "do not disturb"
    assert notification_server.shown == []
    notification_server.set_inhibited(False)
    env.ok("snooze", "morning", "1s")
    wait_for(lambda: _events(env, "morning") == ["snoozed", "fired"])


def test_logind_resume_and_screen_lock(env: Env, system_bus: SessionBus) -> None:
    logind = Logind(system_bus.address).start()
    try:
        env.write_config()
        daemon = env.start_daemon()
        wait_for(lambda: "listening to logind" in daemon.log)
        logind.sleep_and_resume()
        wait_for(lambda: "resumed from sleep; checking the schedule" in daemon.log)
        logind.lock(True)
        wait_for(lambda: "screen locked" in daemon.log)
        env.ok("snooze", "evening", "1s")
        wait_for(lambda: _events(env, "evening") == ["snoozed", "held"])
        assert env.history("--nudge", "evening")[-1]["detail"]["reason"] == "screen locked"
        logind.lock(False)
        wait_for(lambda: _events(env, "evening") == ["snoozed", "held", "fired"])
    finally:
        logind.stop()


def _editor(tmp_path: Path, *versions: str) -> str:
    """An $EDITOR that writes each version in turn (a stand-in for a person typing)."""
    for number, text in enumerate(versions):
        (tmp_path / f"version-{number}.toml").write_text(text)
    script = tmp_path / "editor.sh"
    script.write_text(
        "#!/bin/sh\n"
        f'n=$(cat "{tmp_path}/count" 2>/dev/null || echo 0)\n'
        f'cp "{tmp_path}/version-$n.toml" "$1"\n'
        f'echo $((n + 1)) > "{tmp_path}/count"\n'
    )
    script.chmod(0o755)
    return str(script)


def test_config_edit_loops_until_valid_then_reloads(env: Env, tmp_path: Path) -> None:
    env.write_config()
    env.start_daemon()
    good = BASE_CONFIG + '\n[[nudge]]\nid = "third"\ndate = "2100-01-02 05:00"\n'
    env.environ["EDITOR"] = _editor(
        tmp_path, BASE_CONFIG.replace('date = "2100-01-01 08:00"', 'at = ["33:00"]'), good
    )
    result = env.cli("config", "edit", stdin="e\n")
    assert result.rc == 0, result.err
    assert f"{env.config_file}:16:6: nudge[0].at: item 0: expected a time" in result.err
    assert "(e)dit again or (q)uit without saving?" in result.err
    assert f"saved {env.config_file}" in result.out
    assert "the daemon reloaded it: 3 nudges" in result.out
    assert env.config_file.read_text() == good
    assert not list(env.config_dir.glob(".habitd-edit-*"))


def test_config_edit_quit_leaves_the_config_alone(env: Env, tmp_path: Path) -> None:
    env.write_config()
    env.environ["VISUAL"] = _editor(tmp_path, "[habitd\n")
    result = env.cli("config", "edit", stdin="q\n")
    assert result.rc == 1
    assert "TOML syntax" in result.err and "is unchanged" in result.err
    assert env.config_file.read_text() == BASE_CONFIG


def test_config_edit_with_no_one_to_answer_keeps_the_draft(env: Env, tmp_path: Path) -> None:
    env.write_config()
    env.environ["VISUAL"] = _editor(tmp_path, "[habitd\n# my careful edit\n")
    result = env.cli("config", "edit", stdin="")
    assert result.rc == 1 and "your edit is kept in" in result.err
    kept = env.config_dir / "habitd.toml.draft"
    assert "# my careful edit" in kept.read_text()
    assert env.config_file.read_text() == BASE_CONFIG


def test_config_edit_without_changes(env: Env, tmp_path: Path) -> None:
    env.write_config()
    env.environ["EDITOR"] = _editor(tmp_path, BASE_CONFIG)
    result = env.cli("config", "edit")
    assert result.rc == 0 and "no changes" in result.out


@pytest.mark.clock
def test_with_local_time_a_new_zone_moves_every_nudge(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Travel: the machine's zone changes; the clock check notices and reschedules."""
    monkeypatch.setenv("TZ", "Europe/London")
    harness = Harness(
        tmp_path, '[habitd]\nnotifier = "log"\n\n[[nudge]]\nid = "m"\nat = ["08:00"]\n'
    )
    seen: list[tuple[str, datetime | None]] = []

    async def scenario() -> None:
        app = await harness.start()
        assert app.scheduler is not None and harness.watch is not None
        seen.append(("London", app.scheduler.next_time(app.core.nudge("m"), app.tz)))
        monkeypatch.setenv("TZ", "Asia/Tokyo")
        reason = harness.watch.check("test")
        assert reason == "the local time zone changed from Europe/London to Asia/Tokyo"

        def rescheduled() -> bool:
            assert app.scheduler is not None
            when = app.scheduler.next_time(app.core.nudge("m"), app.tz)
            return when is not None and str(when.tzinfo) == "Asia/Tokyo"

        await eventually(rescheduled)
        seen.append(("Tokyo", app.scheduler.next_time(app.core.nudge("m"), app.tz)))
        await harness.stop()

    try:
        asyncio.run(scenario())
    finally:
        monkeypatch.undo()
        reload_localzone()  # leave no traveller's zone behind for other tests
    for place, when in seen:
        assert when is not None
        assert str(when.tzinfo) == {"London": "Europe/London", "Tokyo": "Asia/Tokyo"}[place]
        assert (when.hour, when.minute) == (8, 0)


@pytest.mark.clock
def test_quiet_hours_say_when_they_next_change() -> None:
    quiet = parse_quiet_hours("22:30-07:30")
    assert quiet.next_change(_at(0, 12)) == _at(0, 22, 30)  # Monday noon: they begin
    assert quiet.next_change(_at(0, 23)) == _at(1, 7, 30)  # Monday night: they end
