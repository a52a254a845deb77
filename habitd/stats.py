"""Streaks, habit strength and milestones: pure functions over one habit's marks.

Every function here is O(days) for one habit and touches no database: the goals plugin
reads all marks once and hands them over.

Semantics (the user guide says the same in words):

- A day is DONE (it counts), FAILED (marked but not counting: below an at-least
  threshold, above an at-most one, or a lapse), SKIPPED (skipped or paused: neutral) or
  EMPTY (nothing recorded).
- A *period* is a day for ``daily`` and ``N/D`` targets and a calendar week (Monday
  first) for ``weekly`` and ``N/week``. A daily period succeeds when its day is DONE; an
  ``N/D`` day succeeds when the D days ending there hold N DONE days; a week succeeds
  with N DONE days.
- The current streak counts successful periods back from the current one, or from the
  one before when the current one is still open (today unanswered never breaks a streak).
  Skipped periods neither break nor extend it.
- Strength is Loop Habit Tracker's score: with frequency f = N/D,
  m = 0.5 ** (sqrt(f) / 13); each day score = score * m + v * (1 - m), where v is the
  share of the last D days' target met (N and D doubled when f < 1); skipped days leave it
  unchanged. It runs up to today when today is answered, else up to yesterday.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

DONE, FAILED, SKIPPED, EMPTY = "done", "failed", "skipped", "empty"
MILESTONES = (1, 3, 7, 14, 30, 60, 90, 180, 365)


@dataclass(frozen=True)
class Target:
    """``times`` successes in ``days``; per calendar week, or in any rolling window."""

    times: int
    days: int
    calendar_week: bool = False

    @property
    def frequency(self) -> float:
        """Successes per day the target asks for."""
        return self.times / self.days

    @property
    def unit(self) -> str:
        """What a streak counts."""
        return "weeks" if self.calendar_week else "days"


def parse_target(text: str) -> Target:
    """``daily``, ``weekly``, ``N/week`` or ``N/D`` (already validated by the config)."""
    if text == "daily":
        return Target(1, 1)
    if text == "weekly":
        return Target(1, 7, calendar_week=True)
    times, per = text.split("/")
    if per == "week":
        return Target(int(times), 7, calendar_week=True)
    return Target(int(times), int(per))


@dataclass(frozen=True)
class Mark:
    """One recorded day."""

    state: str
    """``done``, ``skipped`` or ``lapse``, as stored."""
    value: float | None = None
    note: str | None = None


def day_kind(habit_type: str, threshold: float | None, mark: Mark | None) -> str:
    """What a recorded day means for the habit: DONE, FAILED, SKIPPED or EMPTY."""
    if mark is None:
        return EMPTY
    if mark.state == "skipped":
        return SKIPPED
    if mark.state == "lapse":
        return FAILED
    if habit_type in ("at-least", "at-most") and threshold is not None and mark.value is not None:
        meets = mark.value >= threshold if habit_type == "at-least" else mark.value <= threshold
        return DONE if meets else FAILED
    return DONE


@dataclass
class Summary:
    """Everything ``habitd streaks`` shows for one habit."""

    habit: str
    today: str
    current: int
    best: int
    total: int
    strength: float
    unit: str
    first: date | None
    days: list[str] = field(default_factory=list)
    """Day kinds from ``first`` to today (EMPTY when there is no first day)."""
    extra: dict[str, Any] = field(default_factory=dict)

    def as_json(self, recent: int = 28) -> dict[str, Any]:
        """The shape of one item of ``habitd streaks --json``."""
        return {
            "habit": self.habit,
            "today": self.today,
            "current": self.current,
            "best": self.best,
            "total": self.total,
            "strength": round(self.strength, 4),
            "unit": self.unit,
            "since": self.first.isoformat() if self.first else None,
            "recent": self.days[-recent:],
            **self.extra,
        }


def kinds_by_day(
    marks: Mapping[date, Mark],
    first: date,
    today: date,
    habit_type: str,
    threshold: float | None,
    paused: Iterable[tuple[date, date]] = (),
) -> list[str]:
    """Day kinds from ``first`` to ``today`` inclusive; paused days count as SKIPPED."""
    count = (today - first).days + 1
    kinds = [EMPTY] * count
    origin = first.toordinal()
    for day, mark in marks.items():
        index = day.toordinal() - origin
        if 0 <= index < count:
            kinds[index] = day_kind(habit_type, threshold, mark)
    for start, end in paused:
        for n in range(max(0, (start - first).days), min(count, (end - first).days + 1)):
            if kinds[n] != DONE:
                kinds[n] = SKIPPED
    return kinds


def periods(kinds: list[str], first: date, target: Target) -> list[str]:
    """Each period's outcome, oldest first: DONE, FAILED, SKIPPED, or EMPTY for the current
    period while it can still succeed."""
    if target.calendar_week:
        return _weeks(kinds, first, target)
    if target.days == 1:
        outcomes = [kind if kind in (DONE, SKIPPED) else FAILED for kind in kinds]
        if kinds and kinds[-1] == EMPTY:
            outcomes[-1] = EMPTY
        return outcomes
    return _rolling(kinds, target)


def _rolling(kinds: list[str], target: Target) -> list[str]:
    outcomes = []
    window = 0
    for n, kind in enumerate(kinds):
        window += kind == DONE
        if n >= target.days:
            window -= kinds[n - target.days] == DONE
        if window >= target.times:
            outcomes.append(DONE)
        elif kind == SKIPPED:
            outcomes.append(SKIPPED)
        else:
            outcomes.append(FAILED)
    if kinds and outcomes[-1] == FAILED and kinds[-1] == EMPTY:
        outcomes[-1] = EMPTY
    return outcomes


def _weeks(kinds: list[str], first: date, target: Target) -> list[str]:
    outcomes = []
    start = first - timedelta(days=first.weekday())
    offset = (first - start).days
    padded = [SKIPPED] * offset + kinds  # days before the first one are neutral
    for begin in range(0, len(padded), 7):
        week = padded[begin : begin + 7]
        if sum(kind == DONE for kind in week) >= target.times:
            outcomes.append(DONE)
        elif begin + 7 >= len(padded):
            outcomes.append(EMPTY)  # this week holds today: it is still open
        elif all(kind == SKIPPED for kind in week):
            outcomes.append(SKIPPED)
        else:
            outcomes.append(FAILED)
    return outcomes


def current_streak(outcomes: list[str]) -> int:
    """Successful periods counted back from now (an open current period is passed over)."""
    streak = 0
    for n, outcome in enumerate(reversed(outcomes)):
        if outcome == DONE:
            streak += 1
        elif outcome == SKIPPED or (outcome == EMPTY and n == 0):
            continue
        else:
            break
    return streak


def best_streak(outcomes: list[str]) -> int:
    """The longest run of successful periods (skips are transparent)."""
    best = run = 0
    for outcome in outcomes:
        if outcome == DONE:
            run += 1
            best = max(best, run)
        elif outcome != SKIPPED:
            run = 0
    return best


def streak_start(outcomes: list[str], first: date, target: Target) -> date | None:
    """The first day of the current streak's first period, or None without a streak."""
    index = None
    for n in range(len(outcomes) - 1, -1, -1):
        outcome = outcomes[n]
        if outcome == DONE:
            index = n
        elif outcome == SKIPPED or (outcome == EMPTY and n == len(outcomes) - 1):
            continue
        else:
            break
    if index is None:
        return None
    if target.calendar_week:
        return first - timedelta(days=first.weekday()) + timedelta(weeks=index)
    return first + timedelta(days=index)


def strength(kinds: list[str], target: Target) -> list[float]:
    """Loop Habit Tracker's score for each day (0..1)."""
    frequency = target.frequency
    multiplier = 0.5 ** (math.sqrt(frequency) / 13.0)
    numerator, denominator = target.times, target.days
    if frequency < 1:
        numerator, denominator = numerator * 2, denominator * 2
    scores = []
    score = 0.0
    rolling = 0
    for n, kind in enumerate(kinds):
        rolling += kind == DONE
        if n >= denominator:
            rolling -= kinds[n - denominator] == DONE
        if kind != SKIPPED:
            share = min(1.0, rolling / numerator)
            score = score * multiplier + share * (1 - multiplier)
        scores.append(score)
    return scores


def milestones_reached(streak: int) -> list[int]:
    """Milestones at or below ``streak``: 1, 3, 7, 14, 30, 60, 90, 180, 365, then every year."""
    reached = [m for m in MILESTONES if m <= streak]
    reached.extend(range(730, streak + 1, 365))
    return reached


def summarize(
    habit: str,
    habit_type: str,
    target_text: str,
    marks: Mapping[date, Mark],
    today: date,
    threshold: float | None = None,
    start: date | None = None,
    paused: Iterable[tuple[date, date]] = (),
) -> Summary:
    """Streaks, totals and strength for one habit as of ``today``."""
    target = parse_target(target_text)
    recorded = [day for day in marks if day <= today and (start is None or day >= start)]
    first = start if start is not None and start <= today else min(recorded, default=None)
    today_kind = day_kind(habit_type, threshold, marks.get(today))
    today_word = _today_word(today_kind, marks.get(today), habit_type)
    if first is None:
        return Summary(habit, today_word, 0, 0, 0, 0.0, target.unit, None)
    kinds = kinds_by_day(marks, first, today, habit_type, threshold, paused)
    if today_word == "pending":
        kinds[-1] = EMPTY  # short of an at-least threshold so far: today is still open
    outcomes = periods(kinds, first, target)
    scores = strength(kinds if kinds[-1] != EMPTY else kinds[:-1], target)
    total = sum(kind == DONE for kind in kinds)
    summary = Summary(
        habit=habit,
        today=today_word,
        current=current_streak(outcomes),
        best=best_streak(outcomes),
        total=total,
        strength=scores[-1] if scores else 0.0,
        unit=target.unit,
        first=first,
        days=kinds,
    )
    begun = streak_start(outcomes, first, target)
    summary.extra["streak_since"] = begun.isoformat() if begun else None
    if habit_type == "abstain":
        summary.extra["clean_days"] = total
        summary.extra["days_since_start"] = (today - first).days
        summary.extra["lapses"] = sum(mark.state == "lapse" for mark in marks.values())
    return summary


def _today_word(kind: str, mark: Mark | None, habit_type: str) -> str:
    """``done``, ``skipped``, ``lapse`` or ``pending``; ``missed`` only for an at-most habit
    already over its threshold (an at-least day short of it can still be reached)."""
    if kind == FAILED:
        if mark is not None and mark.state == "lapse":
            return "lapse"
        return "missed" if habit_type == "at-most" else "pending"
    return {DONE: "done", SKIPPED: "skipped"}.get(kind, "pending")
