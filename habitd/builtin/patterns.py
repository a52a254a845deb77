"""Patterns in a person's own entries, computed with SQL aggregates (not Python loops over
rows), so a report over 100,000 entries stays well under a second.

Times are stored in UTC; days and hours here are local, each shifted by the offset the
person's zone had at that moment (:func:`habitd.clock.sql_local`: an urge at 21:00 in summer
is at 21:00 in winter's report too). Days are habit days (:mod:`habitd.clock`): an entry at
01:30 belongs to the evening before, as a mark does. Hours of the week stay on the clock's
face (Thursday 01:00 is Thursday 01:00), because risk windows schedule calm moments then.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from habitd.plugin import SqlShift, sql_local, to_stored

Query = Callable[[str, Sequence[Any]], list[tuple[Any, ...]]]
"""Runs one read-only SQL statement with its parameters (``ctx.query``)."""

WEEKDAYS = ("Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat")  # SQLite's %w: 0 is Sunday
HALT = ("hungry", "angry", "lonely", "tired")
URGES = "kind IN ('urge', 'craving')"
RISK_MIN_DAYS = 14
RISK_MIN_COUNT = 3


@dataclass(frozen=True)
class Window:
    """An hour of the week when urges cluster."""

    weekday: int
    """0 = Sunday, as SQLite counts."""
    hour: int
    count: int

    def as_json(self) -> dict[str, Any]:
        """For ``habitd report --json``."""
        return {
            "weekday": WEEKDAYS[self.weekday],
            "hour": self.hour,
            "count": self.count,
            "label": f"{WEEKDAYS[self.weekday]} {self.hour:02d}:00-{(self.hour + 1) % 24:02d}:00",
        }


def urge_slots(query: Query, since: datetime, now: datetime) -> list[tuple[int, int, int]]:
    """(weekday with 0 = Sunday, hour, urges) for every local hour of the week with urges,
    from ``since`` to ``now`` (aware, in the person's zone)."""
    local = _local(since, now)
    return [
        (int(row[0]), int(row[1]), int(row[2]))
        for row in query(
            f"SELECT CAST(strftime('%w', ts, {local.sql}) AS INTEGER), CAST(strftime('%H', ts, "
            f"{local.sql}) AS INTEGER), count(*) AS n FROM entries WHERE {URGES} AND ts >= ? "
            "GROUP BY 1, 2 ORDER BY n DESC",
            (*local.params, *local.params, to_stored(since)),
        )
    ]


def _local(since: datetime, now: datetime, day_starts: time | None = None) -> SqlShift:
    assert now.tzinfo is not None
    return sql_local(now.tzinfo, since, now, day_starts)


def risk_windows(
    query: Query,
    since: datetime,
    now: datetime,
    slots: list[tuple[int, int, int]] | None = None,
) -> list[Window]:
    """Hours of the week where urges cluster, from at least two weeks of urge entries: an
    hour with at least three urges and at least twice the typical busy hour."""
    span = query(
        f"SELECT min(ts), max(ts) FROM entries WHERE {URGES} AND ts >= ?", (to_stored(since),)
    )[0]
    if span[0] is None:
        return []
    first, last = datetime.fromisoformat(span[0]), datetime.fromisoformat(span[1])
    if (last - first).days < RISK_MIN_DAYS:
        return []
    if slots is None:
        slots = urge_slots(query, since, now)
    typical = statistics.median([row[2] for row in slots]) if slots else 0
    return [
        Window(row[0], row[1], row[2])
        for row in slots
        if row[2] >= RISK_MIN_COUNT and row[2] >= 2 * typical
    ][:3]


def report(query: Query, days: int, now: datetime, day_starts: time) -> dict[str, Any]:
    """Everything ``habitd report`` shows, for the last ``days`` days."""
    since = now - timedelta(days=days)
    to_day = _local(since, now, day_starts)
    start = (to_stored(since),)
    count = query("SELECT count(*) FROM entries WHERE ts >= ?", start)[0][0]
    by_kind: dict[str, int] = dict(
        query("SELECT kind, count(*) FROM entries WHERE ts >= ? GROUP BY kind", start)
    )
    triggers = [
        {"name": name, "count": n}
        for name, n in query(
            "SELECT trigger, count(*) AS n FROM entries WHERE ts >= ? AND trigger IS NOT NULL "
            "GROUP BY trigger ORDER BY n DESC, trigger LIMIT 15",
            start,
        )
    ]
    emotions = [
        {"name": name, "count": n, "mean_intensity": round(mean, 2) if mean is not None else None}
        for name, n, mean in query(
            "SELECT emotion, count(*) AS n, avg(intensity) FROM entries WHERE ts >= ? "
            "AND emotion IS NOT NULL GROUP BY emotion ORDER BY n DESC, emotion LIMIT 15",
            start,
        )
    ]
    n_urges, mean, peak = query(
        f"SELECT count(craving), avg(craving), max(craving) FROM entries WHERE {URGES} AND ts >= ?",
        start,
    )[0]
    per_day = [
        {"day": day, "count": n, "mean": round(avg, 2)}
        for day, n, avg in query(
            f"SELECT date(ts, {to_day.sql}) AS day, count(*), avg(craving) FROM entries "
            f"WHERE {URGES} AND ts >= ? GROUP BY day ORDER BY day",
            (*to_day.params, *start),
        )
    ]
    mood = [
        {"day": day, "mood": round(avg, 2)}
        for day, avg in query(
            f"SELECT date(ts, {to_day.sql}) AS day, avg(json_extract(extra, '$.mood')) "
            "FROM entries WHERE kind = 'journal' AND json_extract(extra, '$.mood') IS NOT NULL "
            "AND ts >= ? GROUP BY day ORDER BY day",
            (*to_day.params, *start),
        )
    ]
    weeks = [  # habit weeks from Monday: urges, not acted on, surfed
        {"week": week, "urges": n, "not_acted": int(calm or 0), "surfed": int(surfed_n or 0)}
        for week, n, calm, surfed_n in query(
            f"SELECT date(ts, {to_day.sql}, 'weekday 0', '-6 days') AS week, count(*), "
            "sum(coalesce(json_extract(extra, '$.acted'), 0) = 0), "
            "sum(json_extract(extra, '$.ratings') IS NOT NULL) "
            f"FROM entries WHERE {URGES} AND ts >= ? GROUP BY week ORDER BY week",
            (*to_day.params, *start),
        )
    ]
    slots = urge_slots(query, since, now)
    hours = [{"weekday": WEEKDAYS[w], "hour": h, "count": n} for w, h, n in slots]
    urge_row = query(
        "SELECT "
        + ", ".join(f"sum(instr(halt, '{word}') > 0)" for word in HALT)
        + ", sum(json_extract(extra, '$.acted') = 1), sum(json_extract(extra, '$.acted') = 0)"
        " FROM entries WHERE kind = 'urge' AND ts >= ?",
        start,
    )[0]
    counts = {word: int(n or 0) for word, n in zip(HALT, urge_row[:4], strict=True)}
    halt = [
        {"state": word, "count": counts[word]}
        for word in sorted(HALT, key=lambda word: -counts[word])
    ]
    acted = urge_row[4:]
    coped = [
        {"what": what, "count": n}
        for what, n in query(
            # as first written ("Called Sam" stays so), counted the same in any case, and
            # only where the urge was not acted on: what helped, not what was tried
            "SELECT min(trim(json_extract(extra, '$.coped'))) AS what, count(*) AS n "
            "FROM entries WHERE kind = 'urge' AND ts >= ? "
            "AND trim(coalesce(json_extract(extra, '$.coped'), '')) != '' "
            "AND coalesce(json_extract(extra, '$.acted'), 0) = 0 "
            "GROUP BY lower(trim(json_extract(extra, '$.coped'))) ORDER BY n DESC, what LIMIT 10",
            start,
        )
    ]
    practices = [
        {"what": what, "count": n}
        for what, n in query(
            "SELECT json_extract(detail, '$.practice') AS what, count(*) AS n FROM events "
            "WHERE event = 'practiced' AND json_extract(detail, '$.completed') = 1 "
            "AND ts >= ? GROUP BY what ORDER BY n DESC",
            start,
        )
    ]
    surfed = [
        {"start": start, "end": end}
        for start, end in query(
            "SELECT craving, json_extract(extra, '$.ratings[#-1][1]') FROM entries "
            "WHERE kind = 'urge' AND ts >= ? AND json_extract(extra, '$.ratings') IS NOT NULL "
            "ORDER BY ts",
            start,
        )
    ]
    windows = risk_windows(query, since, now, slots)
    return {
        "days": days,
        "since": since.isoformat(),
        "entries": count,
        "by_kind": by_kind,
        "triggers": triggers,
        "emotions": emotions,
        "craving": {
            "count": n_urges,
            "mean": round(mean, 2) if mean is not None else None,
            "max": peak,
        },
        "craving_by_day": per_day,
        "craving_by_week": weeks,
        "mood_by_day": mood,
        "craving_by_hour": hours,
        "halt": halt,
        "helped": {"coped": coped, "practices": practices},
        "acted": {"acted": int(acted[0] or 0), "not_acted": int(acted[1] or 0)},
        "surfed": surfed,
        "risk_windows": [w.as_json() for w in windows],
    }


def year_in_pixels(
    query: Query, today: date, now: datetime, day_starts: time, clean_habits: list[str]
) -> dict[str, Any]:
    """Per habit day of the last year: mean journal intensity by valence, and clean or
    lapsed (``now`` aware, in the person's zone)."""
    assert now.tzinfo is not None
    start = today - timedelta(days=364)
    first = datetime.combine(start, day_starts, now.tzinfo)
    to_day = _local(first, now, day_starts)
    mood = {
        day: round(avg, 1)
        for day, avg in query(
            f"SELECT date(ts, {to_day.sql}) AS day, avg(CASE WHEN emotion IN ('calm', "
            "'hopeful', 'grateful', 'content', 'proud', 'happy', 'relieved') THEN intensity "
            "ELSE -intensity END) FROM entries WHERE kind = 'journal' AND intensity IS NOT NULL "
            "AND ts >= ? GROUP BY day",
            (*to_day.params, to_stored(first)),
        )
    }
    rated = {  # the 1-5 daily mood, where one was given: it wins over the valence guess
        day: round(avg, 1)
        for day, avg in query(
            f"SELECT date(ts, {to_day.sql}) AS day, avg(json_extract(extra, '$.mood')) "
            "FROM entries WHERE kind = 'journal' AND json_extract(extra, '$.mood') IS NOT NULL "
            "AND ts >= ? GROUP BY day",
            (*to_day.params, to_stored(first)),
        )
    }
    clean: dict[str, str] = {}
    if clean_habits:
        marks = ",".join("?" for _ in clean_habits)
        for day, state in query(
            f"SELECT day, state FROM checks WHERE habit IN ({marks}) AND day >= ?",
            (*clean_habits, start.isoformat()),
        ):
            if clean.get(day) != "lapse":
                clean[day] = state
    return {"start": start.isoformat(), "mood": mood, "rated": rated, "clean": clean}
