"""Parsing of the small time languages people type: durations, clock times, ranges, days."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple

_DURATION_PART = re.compile(r"(\d+)\s*([smhdw])")
_DURATION = re.compile(r"^\s*(?:\d+\s*[smhdw]\s*)+$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_CLOCK = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_SETS = {
    "daily": tuple(range(7)),
    "weekdays": tuple(range(5)),
    "weekends": (5, 6),
}


LONGEST = timedelta(days=36525)
"""No duration people type is longer than a hundred years."""


def parse_duration(text: str, longest: timedelta = LONGEST) -> timedelta:
    """``"90s"``, ``"15m"``, ``"2h"``, ``"1d"``, ``"1w"`` or combinations like ``"1h30m"``, at
    most ``longest`` (a hundred years unless the caller says less)."""
    if not isinstance(text, str) or not _DURATION.match(text) or len(text) > 40:
        raise ValueError(f"expected a duration like 90s, 15m, 2h or 1d, got {text!r}")
    seconds = sum(int(n) * _UNITS[unit] for n, unit in _DURATION_PART.findall(text))
    if seconds > longest.total_seconds():
        raise ValueError(f"{text} is longer than {format_duration(longest)}; give a shorter time")
    return timedelta(seconds=seconds)


def format_duration(delta: timedelta) -> str:
    """The inverse of :func:`parse_duration`, rounded to seconds: ``5400s`` -> ``"1h30m"``."""
    seconds = int(delta.total_seconds())
    if seconds <= 0:
        return "0s"
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)


def parse_clock(text: str) -> time:
    """A wall-clock time ``HH:MM`` (24-hour)."""
    match = _CLOCK.match(text) if isinstance(text, str) else None
    if not match:
        raise ValueError(f"expected a time as HH:MM (24-hour), got {text!r}")
    return time(int(match[1]), int(match[2]))


@dataclass(frozen=True)
class TimeRange:
    """A daily window such as ``22:30-07:30``; it may cross midnight."""

    start: time
    end: time

    def __contains__(self, moment: time) -> bool:
        if self.start <= self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


def parse_range(text: str) -> TimeRange:
    """``"HH:MM-HH:MM"``, for quiet hours and ``between`` windows."""
    if not isinstance(text, str) or text.count("-") != 1:
        raise ValueError(f"expected a range like 22:30-07:30, got {text!r}")
    start, end = (part.strip() for part in text.split("-"))
    window = TimeRange(parse_clock(start), parse_clock(end))
    if window.start == window.end:
        raise ValueError(f"the range {text!r} is empty: start and end are the same")
    return window


class QuietHours(NamedTuple):
    """Quiet hours, possibly different per weekday. A night belongs to the day it starts:
    ``fri = "23:30-09:00"`` is Friday night into Saturday morning."""

    by_day: tuple[TimeRange | None, ...]
    """Seven windows (or None for none), Monday first."""

    def end_if_quiet(self, now: datetime) -> datetime | None:
        """When the quiet period ``now`` is in ends, or None if ``now`` is not quiet."""
        moment = now.time()
        today = self.by_day[now.weekday()]
        if today is not None:
            if today.start <= today.end and today.start <= moment < today.end:
                return _at(now, today.end)
            if today.start > today.end and moment >= today.start:
                return _at(now + timedelta(days=1), today.end)
        yesterday = self.by_day[(now.weekday() - 1) % 7]
        if yesterday is not None and yesterday.start > yesterday.end and moment < yesterday.end:
            return _at(now, yesterday.end)
        return None

    def next_change(self, now: datetime) -> datetime | None:
        """When quiet hours next begin or end, from ``now``."""
        current = self.end_if_quiet(now)
        if current is not None:
            return current
        upcoming = self._next_period(now)
        return _at(upcoming[0], upcoming[1].start) if upcoming is not None else None

    def next_end(self, now: datetime) -> datetime | None:
        """The end of the current quiet period, else of the next one ("until morning")."""
        current = self.end_if_quiet(now)
        if current is not None:
            return current
        upcoming = self._next_period(now)
        if upcoming is None:
            return None
        day, window = upcoming
        return _at(day if window.start < window.end else day + timedelta(days=1), window.end)

    def _next_period(self, now: datetime) -> tuple[datetime, TimeRange] | None:
        """The day and window of the next quiet period to begin after ``now``."""
        for offset in range(8):
            day = now + timedelta(days=offset)
            window = self.by_day[day.weekday()]
            if window is not None and _at(day, window.start) > now.astimezone(UTC):
                return day, window
        return None

    def __str__(self) -> str:
        if len(set(self.by_day)) == 1:
            return str(self.by_day[0] or "off")
        return ", ".join(
            f"{WEEKDAYS[day]} {window or 'off'}" for day, window in enumerate(self.by_day)
        )


def _at(day: datetime, clock: time) -> datetime:
    return day.replace(hour=clock.hour, minute=clock.minute, second=0, microsecond=0)


def parse_quiet_hours(value: object) -> QuietHours:
    """``"22:30-07:30"`` every day, or a table by day set, the most specific winning:
    ``{ daily = "22:30-07:30", weekends = "23:30-09:00", fri = "23:30-09:00", sun = "off" }``.
    """
    if isinstance(value, str):
        return QuietHours((parse_range(value),) * 7)
    if not isinstance(value, dict) or not value:
        raise ValueError(f'expected a range like "22:30-07:30" or a table by day, got {value!r}')
    by_day: list[TimeRange | None] = [None] * 7
    order = ["daily", "weekdays", "weekends", *WEEKDAYS]
    for key in value:
        if key not in order:
            raise ValueError(f"unknown day {key!r} in quiet_hours; use {', '.join(order)}")
    for key in sorted(value, key=order.index):
        text = value[key]
        try:
            window = None if text == "off" else parse_range(text)
        except ValueError as exc:
            raise ValueError(f'{key}: {exc} (or "off")') from None
        for day in DAY_SETS.get(key) or (WEEKDAYS.index(key),):
            by_day[day] = window
    return QuietHours(tuple(by_day))


def parse_days(value: object) -> tuple[int, ...]:
    """``"daily"``, ``"weekdays"``, ``"weekends"`` or a list like ``["mon", "thu"]``.

    Returns weekday numbers, 0 = Monday.
    """
    if isinstance(value, str):
        if value in DAY_SETS:
            return DAY_SETS[value]
        raise ValueError(f"expected daily, weekdays, weekends or a list of days, got {value!r}")
    if isinstance(value, list) and value and all(isinstance(day, str) for day in value):
        unknown = [day for day in value if day.lower()[:3] not in WEEKDAYS]
        if unknown:
            raise ValueError(f"unknown day {unknown[0]!r}; use {', '.join(WEEKDAYS)}")
        return tuple(sorted({WEEKDAYS.index(day.lower()[:3]) for day in value}))
    raise ValueError(f"expected daily, weekdays, weekends or a list of days, got {value!r}")


def parse_local_datetime(text: str | datetime) -> datetime:
    """``"YYYY-MM-DD HH:MM[:SS]"`` (or with a ``T``), without a zone: read in the config's zone."""
    if isinstance(text, datetime):
        return text
    if isinstance(text, str):
        try:
            moment = datetime.fromisoformat(text.strip())
        except ValueError:
            pass
        else:
            if len(text.strip()) > 10:
                return moment
    raise ValueError(f"expected a date and time like 2026-12-01 15:00, got {text!r}")


_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})\s*\.\.\s*(\d{4}-\d{2}-\d{2})$")


def parse_pause_range(text: str) -> tuple[date, date]:
    """``"2026-12-20..2027-01-02"`` (both days included)."""
    match = _RANGE.match(text.strip()) if isinstance(text, str) else None
    if not match:
        raise ValueError(f'expected a range of days like "2026-12-20..2027-01-02", got {text!r}')
    start, end = date.fromisoformat(match[1]), date.fromisoformat(match[2])
    if end < start:
        raise ValueError(f"the range {text!r} ends before it starts")
    return start, end
