"""The types that cross the plugin boundary: what the person answered (:class:`Action`),
what they wrote (:class:`Entry`), what ``habitd_before_send`` decides (:class:`Verdict`) and
a plugin's own scheduled work (:class:`Job`).

Plain data with no daemon machinery behind it, so ``import habitd.plugin`` stays cheap and
the core and the daemon share one definition.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from habitd.config import Schedule

ANSWERS = ("done", "skipped", "lapse", "snoozed", "clicked", "dismissed", "replied")
"""The answers habitd itself knows; a plugin's buttons may add their own words."""


@dataclass(frozen=True)
class Action:
    """The person's answer to a nudge, from a notification button or the CLI."""

    action: str
    """One of :data:`ANSWERS`."""
    nudge: str | None = None
    habit: str | None = None
    day: date | None = None
    note: str | None = None
    value: float | None = None
    text: str | None = None
    """The text of an inline reply."""
    source: str = "cli"
    ts: datetime | None = None
    """When it was answered (UTC); a reaction hours later can tell it is not about now."""

    def as_change(self, day: date | None) -> dict[str, Any]:
        """The change-log record of this answer (``day``: the habit day it was marked for)."""
        return {
            "action": self.action,
            "nudge": self.nudge,
            "habit": self.habit,
            "day": day.isoformat() if day else None,
            "note": self.note,
            "value": self.value,
            "text": self.text,
            "source": self.source,
        }


@dataclass(frozen=True)
class Entry:
    """A journal entry as stored (kinds and fields grow with the journal plugin)."""

    id: int
    kind: str
    ts: datetime
    fields: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Verdict:
    """What ``habitd_before_send`` decides: hold a nudge until a time, or drop it."""

    action: str
    reason: str
    until: datetime | None = None

    @classmethod
    def hold(cls, until: datetime, reason: str) -> Verdict:
        """Deliver later, at ``until`` (it goes through ``before_send`` again then)."""
        return cls("hold", reason, until)

    @classmethod
    def drop(cls, reason: str) -> Verdict:
        """Do not deliver this time."""
        return cls("drop", reason)


@dataclass(frozen=True)
class Job:
    """A plugin's own scheduled work (from ``habitd_jobs``)."""

    id: str
    schedule: Schedule
    run: Callable[[], Awaitable[None] | None]
    grace: timedelta = timedelta(minutes=10)
    offset: timedelta = timedelta(0)
    """Run this long after (or, negative, before) each time the schedule names."""
