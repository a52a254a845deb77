"""The one clock: now, today, and which habit day a moment belongs to.

Nothing else in habitd reads the wall clock. A *habit day* is the local date shifted back by
``day_starts`` (default 04:00): an answer or an entry at 01:30 still belongs to the evening
before. Marks, entries in reports and reviews, exports, ``--since`` and ``--date`` all turn
moments into days with :func:`habit_day` (or, inside SQL, with :func:`sql_day_modifier`,
which is the same rule).

The tests move the clock of whole process trees (the daemon and the CLI alike) with
libfaketime (``faketime -f +Ns``), so nothing here needs a test hook.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def utc_now() -> datetime:
    """Now, in UTC (the only reading of the wall clock in habitd)."""
    return datetime.now(UTC)


def now(tz: tzinfo) -> datetime:
    """Now, in ``tz``."""
    return utc_now().astimezone(tz)


def later(moment: datetime, span: timedelta) -> datetime:
    """``span`` of real, elapsed time after ``moment`` (before it, for a negative span), in
    ``moment``'s zone. ``moment + span`` adds wall-clock time to a zone-aware moment: at
    01:58 on the night the clocks go forward, "in 2 hours" would come 1 hour later.

    Python compares and subtracts two moments *in the same zone* by their wall-clock times
    too (their ``fold`` ignored): in the hour repeated when the clocks go back, 02:58 after
    the change is not later than 02:58 before it. Compare against a UTC moment
    (``utc_now()``, or ``.astimezone(UTC)`` on one side) and subtract with :func:`elapsed`."""
    return (moment.astimezone(UTC) + span).astimezone(moment.tzinfo)


def elapsed(end: datetime, start: datetime) -> timedelta:
    """The real time from ``start`` to ``end`` (``end - start`` between two moments in the
    same zone is their wall-clock difference, an hour off across a DST change)."""
    return end.astimezone(UTC) - start.astimezone(UTC)


def zone(name: str) -> tzinfo:
    """The configured zone: ``"local"`` is the machine's zone (read afresh each time, so a
    move to another zone is seen), anything else an IANA name."""
    from zoneinfo import ZoneInfo

    if name == "local":
        local = local_zone_name()
        if local is None:
            from tzlocal import get_localzone  # unusual set-ups: let tzlocal work it out

            return get_localzone()
        return ZoneInfo(local)
    return ZoneInfo(name)


def local_zone_name() -> str | None:
    """The machine's zone name now: ``$TZ``, else where ``/etc/localtime`` points, else
    ``/etc/timezone``; None when none of them names a zone (tzlocal then decides).

    The same order as tzlocal's, without its cache and its checks that several files agree,
    which cost the client about 10 ms."""
    import os

    name = os.environ.get("TZ", "").strip().lstrip(":")
    if name:
        return name.partition("zoneinfo/")[2] if name.startswith("/") else name
    try:
        target = os.readlink("/etc/localtime")
    except OSError:
        target = ""
    if "zoneinfo/" in target:
        return target.rpartition("zoneinfo/")[2]
    try:
        with open("/etc/timezone", encoding="ascii") as file:
            return file.read().strip() or None
    except (OSError, UnicodeDecodeError):
        return None


def habit_day(moment: datetime, day_starts: time) -> date:
    """The habit day of ``moment`` (an aware time, in the person's zone): before
    ``day_starts`` it still counts as the day before."""
    shifted = moment - timedelta(hours=day_starts.hour, minutes=day_starts.minute)
    return shifted.date()


def today(tz: tzinfo, day_starts: time) -> date:
    """The habit day now."""
    return habit_day(now(tz), day_starts)


def before_day_starts(moment: datetime, day_starts: time) -> bool:
    """True between midnight and ``day_starts``, when the calendar date is a day ahead of
    the habit day (``done`` says which day it counted for then)."""
    return habit_day(moment, day_starts) != moment.date()


def day_start(day: date, tz: tzinfo, day_starts: time) -> datetime:
    """The first moment of habit day ``day`` in ``tz`` (``day_starts`` on that date)."""
    return datetime.combine(day, day_starts, tz)


@dataclass(frozen=True)
class SqlShift:
    """An SQLite date modifier as an SQL expression and its parameters: put ``sql`` where a
    modifier goes (``date(ts, {sql})``, ``strftime('%H', ts, {sql})``) and ``params`` among
    the query's parameters at that place."""

    sql: str
    params: tuple[str, ...]


def sql_local(
    tz: tzinfo, start: datetime, end: datetime, day_starts: time | None = None
) -> SqlShift:
    """A modifier that turns a stored UTC time (the ``ts`` column) into the local time in ``tz``
    with the offset the zone had *at that moment*, for times from ``start`` to ``end``; with
    ``day_starts``, shifted back by it, so ``date(ts, ...)`` is the habit day (the rule of
    :func:`habit_day`). Across a DST change, an urge at 21:00 in summer stays at 21:00."""
    minus = day_starts.hour * 60 + day_starts.minute if day_starts else 0
    segments = _offsets(tz, start, end)
    words = [f"{minutes - minus:+d} minutes" for _, minutes in segments]
    if len(segments) == 1:
        return SqlShift("?", (words[0],))
    cases = " ".join("WHEN ts >= ? THEN ?" for _ in segments[1:])
    params: list[str] = []
    for (moment, _), word in reversed(list(zip(segments[1:], words[1:], strict=True))):
        params += [to_stored(moment), word]
    return SqlShift(f"(CASE {cases} ELSE ? END)", (*params, words[0]))


def _offsets(tz: tzinfo, start: datetime, end: datetime) -> list[tuple[datetime, int]]:
    """The zone's UTC offset (in minutes) from ``start`` to ``end``: the first, then each
    change with the moment it happens (found a day at a time, then to the second)."""

    def minutes(moment: datetime) -> int:
        offset = moment.astimezone(tz).utcoffset() or timedelta(0)
        return int(offset.total_seconds() // 60)

    moment = start.astimezone(UTC).replace(microsecond=0)
    end = end.astimezone(UTC)
    segments = [(moment, minutes(moment))]
    while moment < end:
        step = min(moment + timedelta(days=1), end)
        if minutes(step) != segments[-1][1]:
            low, high = moment, step  # the change is in (low, high]
            while high - low > timedelta(seconds=1):
                middle = low + timedelta(seconds=(high - low).total_seconds() // 2)
                if minutes(middle) == segments[-1][1]:
                    low = middle
                else:
                    high = middle
            segments.append((high, minutes(high)))
        moment = step
    return segments


def parse_day(text: str, today: date, calendar: date | None = None) -> date:
    """A day as people type it: ``today`` and ``yesterday`` relative to habit day ``today``;
    a weekday (``mon`` or ``monday``: the latest one up to the ``calendar`` date, which is a
    day ahead of ``today`` before ``day_starts``) or ``YYYY-MM-DD``. Raises
    :class:`ValueError` saying what to type."""
    word = text.strip().lower()
    if word == "today":
        return today
    if word == "yesterday":
        return today - timedelta(days=1)
    if len(word) >= 3 and any(name.startswith(word[:3]) for name in WEEKDAY_NAMES):
        for index, name in enumerate(WEEKDAY_NAMES):
            full = date(2024, 1, 1 + index).strftime("%A").lower()  # 2024-01-01 was a Monday
            if word in (name, full):
                latest = calendar or today
                return latest - timedelta(days=(latest.weekday() - index) % 7)
    try:
        return date.fromisoformat(word)
    except ValueError:
        raise ValueError(
            f"expected a day: today, yesterday, a weekday (mon...sun) or YYYY-MM-DD, got {text!r}"
        ) from None


def describe_day(day: date, today: date) -> str:
    """``Wed 25 Nov`` (with the year when it is not this year's)."""
    return day.strftime("%a %d %b" if day.year == today.year else "%a %d %b %Y")


def to_stored(moment: datetime) -> str:
    """A UTC ISO 8601 text that sorts correctly, as the database's ``ts`` columns hold it."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")
