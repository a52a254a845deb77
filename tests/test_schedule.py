"""Scheduling: triggers in the configured zone, firing for real, holding, and missed nudges."""

from __future__ import annotations

import asyncio
import signal
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from habitd.config import loads
from habitd.schedule import NudgeScheduler, build_trigger, cron_trigger

from .conftest import BASE_CONFIG, Env, eventually, local_now, wait_for

BERLIN = ZoneInfo("Europe/Berlin")


def _config(nudges: str, timezone: str = "UTC") -> Any:
    return loads(f'[habitd]\ntimezone = "{timezone}"\n{nudges}', Path("t.toml"))


def _fire_times(schedule_toml: str, start: datetime, count: int, tz: Any = UTC) -> list[datetime]:
    nudge = _config(f'[[nudge]]\nid = "n"\n{schedule_toml}\n').nudges[0]
    trigger = build_trigger(nudge.schedule, tz)
    times: list[datetime] = []
    previous = None
    for _ in range(count):
        # as the scheduler does: from the previous fire time, a moment after it
        now = previous + timedelta(seconds=1) if previous else start
        found = trigger.get_next_fire_time(previous, now)
        assert found is not None
        times.append(found)
        previous = found
    return times


@pytest.mark.clock
def test_crontab_weekdays_count_from_sunday() -> None:
    trigger = cron_trigger("0 19 * * 2", UTC)  # Tuesday in every crontab
    first = trigger.get_next_fire_time(None, datetime(2026, 11, 25, tzinfo=UTC))  # a Wednesday
    assert first == datetime(2026, 12, 1, 19, 0, tzinfo=UTC)
    assert first.strftime("%a") == "Tue"
    sunday = cron_trigger("30 8 * * 0", UTC).get_next_fire_time(None, first)
    assert sunday.strftime("%a %H:%M") == "Sun 08:30"


@pytest.mark.clock
def test_at_times_with_days_and_every_within_a_window() -> None:
    start = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)  # a Friday
    weekdays = _fire_times('at = ["08:30", "17:00"]\ndays = "weekdays"', start, 3)
    assert [t.strftime("%a %H:%M") for t in weekdays] == ["Fri 17:00", "Mon 08:30", "Mon 17:00"]
    window = _fire_times('every = "3h"\nbetween = "10:00-18:00"', start, 4)
    assert [t.strftime("%a %H:%M") for t in window] == [
        "Fri 13:00",
        "Fri 16:00",
        "Sat 10:00",
        "Sat 13:00",
    ]


@pytest.mark.clock
def test_daily_nudge_fires_once_per_day_across_dst_changes() -> None:
    for first_day in (datetime(2026, 3, 27, tzinfo=BERLIN), datetime(2026, 10, 23, tzinfo=BERLIN)):
        times = _fire_times('at = ["02:30"]', first_day, 5, BERLIN)
        days = [t.astimezone(BERLIN).date() for t in times]
        assert days == [first_day.date() + timedelta(days=n) for n in range(5)]


@pytest.mark.clock
def test_triggers_follow_the_configured_zone() -> None:
    start = datetime(2026, 6, 1, tzinfo=UTC)
    berlin = _fire_times('at = ["08:00"]', start, 1, BERLIN)[0]
    assert berlin == datetime(2026, 6, 1, 6, 0, tzinfo=UTC)  # 08:00 CEST


@pytest.mark.clock
def test_missed_across_a_sleep_fires_once_or_is_recorded_missed() -> None:
    """Wall clock jumps 70 minutes while the monotonic clock stands still (a suspend)."""
    config = _config(
        '[[nudge]]\nid = "every-5m"\nevery = "5m"\n\n'
        '[[nudge]]\nid = "daily"\nat = ["08:00"]\ngrace = "30m"\n\n'
        '[[nudge]]\nid = "strict"\nat = ["07:30"]\ngrace = "1m"\n'
    )
    fired: list[str] = []
    missed: list[tuple[str, datetime]] = []

    async def fire(nudge_id: str, cause: str) -> None:
        fired.append(nudge_id)

    async def run_job(plugin: str, name: str, function: Any) -> None:
        raise AssertionError("no plugin jobs here")

    async def scenario() -> None:
        with time_machine.travel(datetime(2026, 3, 2, 7, 0, tzinfo=UTC), tick=True) as clock:
            scheduler = NudgeScheduler(fire, lambda n, due: missed.append((n, due)), run_job)
            scheduler.start()
            scheduler.apply(config, [])
            assert fired == []
            clock.shift(timedelta(minutes=70))  # asleep from 07:00 to 08:10
            scheduler.wakeup()
            await eventually(lambda: len(fired) >= 2 and missed)
            scheduler.shutdown()

    asyncio.run(scenario())
    assert sorted(fired) == ["daily", "every-5m"]  # 14 runs of every-5m coalesced into one
    assert missed == [("strict", datetime(2026, 3, 2, 7, 30, tzinfo=UTC))]


# --- through the real daemon ------------------------------------------------------------------


def _at(seconds: float) -> str:
    return (local_now() + timedelta(seconds=seconds)).strftime("%Y-%m-%d %H:%M:%S")


def _date_nudge(nudge_id: str, seconds: float, extra: str = "") -> str:
    return f'\n[[nudge]]\nid = "{nudge_id}"\ndate = "{_at(seconds)}"\ntitle = "{nudge_id}"\n{extra}'


def _events(env: Env, nudge: str) -> list[str]:
    return [e["event"] for e in env.history("--nudge", nudge)]


@pytest.mark.clock
def test_a_date_nudge_fires_and_lands_in_history(env: Env) -> None:
    env.write_config()
    env.start_daemon()
    env.write_config(BASE_CONFIG + _date_nudge("soon", 3.0))
    env.ok("reload")
    coming = env.ok("next", "--json").json()[0]["nudge"]
    assert coming == "soon" or _events(env, "soon") == ["fired"]  # a slow machine: it fired
    wait_for(lambda: _events(env, "soon") == ["fired"])
    assert env.history("--nudge", "soon")[0]["detail"]["cause"] == "schedule"


@pytest.mark.clock
def test_quiet_hours_hold_and_trigger_overrides(env: Env) -> None:
    now = local_now()
    quiet = f"{(now - timedelta(hours=1)):%H:%M}-{(now + timedelta(hours=1)):%H:%M}"
    config = BASE_CONFIG.replace('notifier = "log"', f'notifier = "log"\nquiet_hours = "{quiet}"')
    env.write_config(config)
    env.start_daemon()
    env.write_config(config + _date_nudge("soon", 1.0))
    env.ok("reload")
    wait_for(lambda: _events(env, "soon") == ["held"])
    held = env.history("--nudge", "soon")[0]["detail"]
    assert held["reason"] == "quiet hours"
    [soon] = [row for row in env.ok("next", "--json").json() if row["nudge"] == "soon"]
    assert soon["why"] == "held"  # due when quiet hours end: it comes then
    assert env.ok("trigger", "soon", "--json").json()["status"] == "fired"


@pytest.mark.clock
def test_pause_holds_until_resume(env: Env) -> None:
    env.write_config()
    env.start_daemon()
    env.ok("pause", "2h")
    env.write_config(BASE_CONFIG + _date_nudge("soon", 1.0))
    env.ok("reload")
    wait_for(lambda: _events(env, "soon") == ["held"])
    assert env.history("--nudge", "soon")[0]["detail"]["reason"] == "paused"
    env.ok("resume")
    wait_for(lambda: _events(env, "soon") == ["held", "fired"])
    assert env.history("--nudge", "soon")[1]["detail"]["cause"] == "held"


@pytest.mark.clock
def test_snooze_fires_again_and_survives_a_restart(env: Env) -> None:
    env.write_config()
    daemon = env.start_daemon()
    env.ok("snooze", "evening", "3s")
    assert daemon.stop() == 0
    env.start_daemon()
    assert next(r for r in env.ok("next", "--json").json() if r["nudge"])["why"] == "snoozed"
    wait_for(lambda: _events(env, "evening") == ["snoozed", "fired"])
    assert env.history("--nudge", "evening")[1]["detail"]["cause"] == "snoozed"


@pytest.mark.clock
def test_frozen_daemon_fires_late_once_or_records_missed(env: Env) -> None:
    """SIGSTOP past two nudges' times: the lenient one fires once, the strict one is missed."""
    env.write_config()
    daemon = env.start_daemon()
    env.write_config(
        BASE_CONFIG
        + _date_nudge("lenient", 2.0, 'grace = "10m"\n')
        + _date_nudge("strict", 2.0, 'grace = "1s"\n')
    )
    env.ok("reload")
    daemon.proc.send_signal(signal.SIGSTOP)
    time.sleep(5)  # the scenario, not an order: frozen past both times and the strict grace
    daemon.proc.send_signal(signal.SIGCONT)
    wait_for(lambda: _events(env, "lenient") == ["fired"] and _events(env, "strict") == ["missed"])
    time.sleep(1)  # a second, wrong fire would come now: give it the chance to show
    assert _events(env, "lenient") == ["fired"] and _events(env, "strict") == ["missed"]
    rows = [r for r in env.ok("next", "--json").json() if r["nudge"]]
    assert rows[0]["nudge"] in ("morning", "evening")


@pytest.mark.clock
def test_crontab_nudge_also_fires_once_when_clocks_go_back() -> None:
    trigger = cron_trigger("30 2 * * *", BERLIN)
    previous = None
    days = []
    for _ in range(4):
        now = previous + timedelta(seconds=1) if previous else datetime(2026, 10, 24, tzinfo=BERLIN)
        previous = trigger.get_next_fire_time(previous, now)
        days.append(previous.astimezone(BERLIN).day)
    assert days == [24, 25, 26, 27]
