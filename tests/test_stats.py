"""Streaks, targets, strength and milestones: table-driven, against hand-computed values."""

from __future__ import annotations

import math
import sqlite3
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from habitd.clock import SqlShift, elapsed, habit_day, later, sql_local, to_stored
from habitd.stats import (
    Mark,
    milestones_reached,
    parse_target,
    strength,
    summarize,
)
from habitd.timeparse import parse_pause_range

MONDAY = date(2026, 11, 2)


def _marks(pattern: str, first: date = MONDAY) -> tuple[dict[date, Mark], date]:
    """``D`` done, ``S`` skipped, ``L`` lapse, ``.`` nothing, a digit: done with that value.
    The last character is today."""
    marks = {}
    for offset, char in enumerate(pattern):
        day = first + timedelta(days=offset)
        if char == "D":
            marks[day] = Mark("done")
        elif char == "S":
            marks[day] = Mark("skipped")
        elif char == "L":
            marks[day] = Mark("lapse")
        elif char.isdigit():
            marks[day] = Mark("done", float(char))
    return marks, first + timedelta(days=len(pattern) - 1)


@pytest.mark.clock
@pytest.mark.parametrize(
    ("pattern", "habit_type", "target", "threshold", "current", "best", "total", "today"),
    [
        ("DDD", "yes-no", "daily", None, 3, 3, 3, "done"),
        ("DDD.", "yes-no", "daily", None, 3, 3, 3, "pending"),  # today open: no break
        ("DD.D.", "yes-no", "daily", None, 1, 2, 3, "pending"),
        ("DDSDD", "yes-no", "daily", None, 4, 4, 4, "done"),  # a skip neither breaks nor adds
        ("DDS.", "yes-no", "daily", None, 2, 2, 2, "pending"),
        ("D..", "yes-no", "daily", None, 0, 1, 1, "pending"),
        ("S", "yes-no", "daily", None, 0, 0, 0, "skipped"),
        ("DDDLDD.", "abstain", "daily", None, 2, 3, 5, "pending"),
        ("DDDL", "abstain", "daily", None, 0, 3, 3, "lapse"),
        ("6783", "at-least", "daily", 6, 3, 3, 3, "pending"),  # 3 so far: 6 still possible
        ("3217", "at-most", "daily", 2.5, 0, 2, 2, "missed"),  # a taper: at most 2.5
        ("DDDDD..", "yes-no", "5/7", None, 3, 3, 5, "pending"),
        ("D.D.D..D", "yes-no", "3/5", None, 0, 1, 4, "done"),  # only day 5 had 3 in 5 days
        ("D.D.D.D", "yes-no", "3/5", None, 1, 1, 4, "done"),
        ("DDDDDDD", "yes-no", "3/5", None, 5, 5, 7, "done"),
        # calendar weeks, Monday first: week 1 has 3, week 2 has 1 so far (still open)
        ("DD.D...D.", "yes-no", "3/week", None, 1, 1, 4, "pending"),
        ("D......D......", "yes-no", "weekly", None, 2, 2, 2, "pending"),
        ("D.............", "yes-no", "weekly", None, 1, 1, 1, "pending"),  # open week: no break
        ("D......SSSSSSS.", "yes-no", "weekly", None, 1, 1, 1, "pending"),  # a skipped week
        (".......D......", "yes-no", "2/week", None, 0, 0, 1, "pending"),
    ],
)
def test_streaks(
    pattern: str,
    habit_type: str,
    target: str,
    threshold: float | None,
    current: int,
    best: int,
    total: int,
    today: str,
) -> None:
    marks, last = _marks(pattern)
    summary = summarize("h", habit_type, target, marks, last, threshold=threshold)
    assert (summary.current, summary.best, summary.total, summary.today) == (
        current,
        best,
        total,
        today,
    )


@pytest.mark.clock
def test_abstain_totals_survive_a_lapse() -> None:
    marks, today = _marks("DDDDDLDD")
    summary = summarize("kratom-free", "abstain", "daily", marks, today, start=MONDAY)
    assert summary.current == 2 and summary.best == 5
    assert summary.extra["clean_days"] == 7
    assert summary.extra["days_since_start"] == 7  # today - the start
    assert summary.extra["lapses"] == 1
    assert summary.extra["streak_since"] == (MONDAY + timedelta(days=6)).isoformat()


@pytest.mark.clock
def test_paused_days_freeze_a_streak() -> None:
    marks, today = _marks("DDD...DD")
    vacation = (MONDAY + timedelta(days=3), MONDAY + timedelta(days=5))
    assert summarize("h", "yes-no", "daily", marks, today).current == 2
    frozen = summarize("h", "yes-no", "daily", marks, today, paused=[vacation])
    assert (frozen.current, frozen.best, frozen.total) == (5, 5, 5)


def test_no_marks_at_all() -> None:
    summary = summarize("h", "yes-no", "daily", {}, MONDAY)
    assert (summary.current, summary.best, summary.total, summary.strength) == (0, 0, 0, 0.0)
    assert summary.today == "pending" and summary.first is None


# --- Loop Habit Tracker's strength ----------------------------------------------------------------


def test_daily_strength_matches_loop() -> None:
    m = 0.5 ** (1 / 13)  # daily: f = 1, half-life 13 days
    assert strength(["done"] * 3, parse_target("daily"))[-1] == pytest.approx(1 - m**3)
    # a skip leaves the score where it was; a miss decays it
    skip = strength(["done", "skipped", "done"], parse_target("daily"))
    assert skip == pytest.approx([1 - m, 1 - m, 1 - m**2])
    miss = strength(["done", "empty"], parse_target("daily"))
    assert miss[-1] == pytest.approx((1 - m) * m)
    # the half-life: 13 days of nothing halves the score
    decayed = strength(["done"] * 60 + ["empty"] * 13, parse_target("daily"))
    assert decayed[-1] == pytest.approx(decayed[59] / 2)


def test_three_per_week_strength_matches_loop() -> None:
    f = 3 / 7
    m = 0.5 ** (math.sqrt(f) / 13)
    # f < 1: numerator and denominator doubled (6 in 14 days)
    scores = strength(["done", "empty", "done"], parse_target("3/week"))
    first = (1 / 6) * (1 - m)
    second = first * m + (1 / 6) * (1 - m)
    third = second * m + (2 / 6) * (1 - m)
    assert scores == pytest.approx([first, second, third])


@pytest.mark.clock
def test_summary_strength_skips_an_unanswered_today() -> None:
    marks, today = _marks("DD.")
    summary = summarize("h", "yes-no", "daily", marks, today)
    assert summary.strength == pytest.approx(1 - 0.5 ** (2 / 13))


# --- days, milestones, ranges -------------------------------------------------------------------


@pytest.mark.clock
@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (datetime(2026, 11, 25, 23, 30, tzinfo=UTC), date(2026, 11, 25)),
        (datetime(2026, 11, 26, 2, 0, tzinfo=UTC), date(2026, 11, 25)),  # before day_starts
        (datetime(2026, 11, 26, 4, 0, tzinfo=UTC), date(2026, 11, 26)),
        # spring forward in Berlin (02:00 -> 03:00): 03:30 is still the evening before
        (datetime(2026, 3, 29, 3, 30, tzinfo=ZoneInfo("Europe/Berlin")), date(2026, 3, 28)),
        (datetime(2026, 10, 25, 4, 30, tzinfo=ZoneInfo("Europe/Berlin")), date(2026, 10, 25)),
    ],
)
def test_habit_day_starts_at_day_starts(moment: datetime, expected: date) -> None:
    assert habit_day(moment, time(4, 0)) == expected


def test_milestones() -> None:
    assert milestones_reached(0) == []
    assert milestones_reached(8) == [1, 3, 7]
    assert milestones_reached(800)[-3:] == [180, 365, 730]


@pytest.mark.clock
def test_pause_ranges() -> None:
    assert parse_pause_range("2026-12-20..2027-01-02") == (date(2026, 12, 20), date(2027, 1, 2))
    with pytest.raises(ValueError, match="ends before it starts"):
        parse_pause_range("2026-12-20..2026-12-01")
    with pytest.raises(ValueError, match="expected a range of days"):
        parse_pause_range("christmas")


@pytest.mark.clock
def test_later_and_elapsed_count_real_time_across_dst() -> None:
    """On the night Berlin's clocks go forward, 2 hours after 01:58 is 04:58, not 03:58;
    and from 01:58 to 03:58 that night is one hour."""
    berlin = ZoneInfo("Europe/Berlin")
    before = datetime(2026, 3, 29, 1, 58, tzinfo=berlin)
    assert later(before, timedelta(hours=2)) == datetime(2026, 3, 29, 4, 58, tzinfo=berlin)
    assert later(before, timedelta(hours=2)).utcoffset() == timedelta(hours=2)
    assert elapsed(datetime(2026, 3, 29, 3, 58, tzinfo=berlin), before) == timedelta(hours=1)
    autumn = datetime(2026, 10, 25, 1, 30, tzinfo=berlin)  # the clocks go back at 03:00
    assert elapsed(later(autumn, timedelta(hours=3)), autumn) == timedelta(hours=3)


@pytest.mark.clock
def test_sql_local_times_keep_the_offset_each_moment_had() -> None:
    """An urge at 21:10 in Berlin's summer and one at 21:10 in its winter are both at 21 in
    SQL, and the late one belongs to its habit day, across the October change."""
    berlin = ZoneInfo("Europe/Berlin")
    now = datetime(2026, 12, 3, 20, tzinfo=UTC)
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE entries (ts TEXT)")
    summer = datetime(2026, 10, 23, 21, 10, tzinfo=berlin)
    winter = datetime(2026, 11, 27, 21, 10, tzinfo=berlin)
    late = datetime(2026, 10, 24, 2, 30, tzinfo=berlin)  # before day_starts: the 23rd's
    db.executemany(
        "INSERT INTO entries VALUES (?)", [(to_stored(m),) for m in (summer, winter, late)]
    )
    local = sql_local(berlin, now - timedelta(days=90), now)
    hours = db.execute(f"SELECT strftime('%H:%M', ts, {local.sql}) FROM entries", local.params)
    assert [h for (h,) in hours] == ["21:10", "21:10", "02:30"]
    day = sql_local(berlin, now - timedelta(days=90), now, time(4))
    days = db.execute(f"SELECT date(ts, {day.sql}) FROM entries", day.params)
    assert [d for (d,) in days] == ["2026-10-23", "2026-11-27", "2026-10-23"]
    steady = sql_local(ZoneInfo("Asia/Tokyo"), now - timedelta(days=400), now)
    assert steady == SqlShift("?", ("+540 minutes",))  # no change: a plain modifier


@pytest.mark.clock
@settings(max_examples=300, deadline=None)
@given(
    moment=st.datetimes(
        min_value=datetime(2024, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
    ),
    zone=st.sampled_from(["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "UTC"]),
    starts=st.sampled_from([time(0), time(4), time(2, 30), time(5, 15)]),
)
def test_the_habit_day_is_one_rule_in_python_and_sql(
    moment: datetime, zone: str, starts: time
) -> None:
    """Reports count days in SQL and the streaks in Python: the same moment is the same habit
    day in both, in zones with DST changes (Lord Howe's is half an hour), at any day start."""
    tz = ZoneInfo(zone)
    shift = sql_local(
        tz, datetime(2024, 1, 1, tzinfo=UTC), datetime(2028, 1, 1, tzinfo=UTC), starts
    )
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE entries (ts TEXT)")
    db.execute("INSERT INTO entries VALUES (?)", (to_stored(moment),))
    (sql_day,) = db.execute(f"SELECT date(ts, {shift.sql}) FROM entries", shift.params).fetchone()
    assert sql_day == habit_day(moment.astimezone(tz), starts).isoformat()
