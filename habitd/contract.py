"""The types that cross the plugin boundary: what the person answered (:class:`Action`),
what they wrote (:class:`Entry`), what ``habitd_before_send`` decides (:class:`Verdict`), a
plugin's own scheduled work (:class:`Job`), a rendered nudge (:class:`Message` with its
:class:`Button` s) and a plugin's own key/value space (:class:`PluginState`).

Plain data with no daemon machinery behind it, so ``import habitd.plugin`` stays cheap and
the core and the daemon share one definition.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NamedTuple

from habitd.config import Habit, Nudge, Schedule

if TYPE_CHECKING:
    from habitd.store import Store

ANSWERS = ("done", "skipped", "lapse", "snoozed", "clicked", "dismissed", "expired", "replied")
"""The answers habitd itself knows; a plugin's buttons may add their own words."""


class Action(NamedTuple):
    """The person's answer to a nudge, from a notification button or the CLI."""

    action: str
    """One of :data:`ANSWERS`."""
    nudge: str | None = None
    habit: str | None = None
    day: date | None = None
    note: str | None = None
    """A few words about it; for a reply, the question it answers."""
    value: float | None = None
    text: str | None = None
    """The text of an inline reply."""
    source: str = "cli"
    ts: datetime | None = None
    """When it was answered (UTC); a reaction hours later can tell it is not about now."""
    change: int | None = None
    """The change-log id it was recorded as (set in ``habitd_on_action``): a reaction that
    writes uses it in its writes' ``key`` (``f"myplugin:{action.change}"``), so a reaction
    repeated after a crash writes nothing twice."""

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


class Entry(NamedTuple):
    """A journal entry as stored (kinds and fields grow with the journal plugin)."""

    id: int
    kind: str
    ts: datetime
    fields: Mapping[str, Any] = MappingProxyType({})

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Entry:
        """An entry from the store's plain dict of it (``id``, ``ts``, ``kind`` and fields)."""
        fields = {k: v for k, v in row.items() if k not in ("id", "ts", "kind")}
        return cls(row["id"], row["kind"], datetime.fromisoformat(row["ts"]), fields)


class Verdict(NamedTuple):
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
    shows: str | None = None
    """What the person will see when it runs ("weekly review"), for ``habitd next``; a job
    without it is background work (a backup) and is not listed."""


class TrayItem(NamedTuple):
    """An item a plugin adds to habitd's tray menu (``habitd_tray_items``)."""

    label: str
    run: Callable[[], Awaitable[None] | None]
    """Called when the person chooses it: in the plugin's worker, bounded like a hook."""


class Button(NamedTuple):
    """A button on a notification; ``id`` is the action recorded when pressed (``done``...)."""

    id: str
    title: str


@dataclass(frozen=True)
class Message:
    """A rendered nudge: the only thing a notifier backend needs."""

    title: str
    body: str
    buttons: tuple[Button, ...] = ()
    reply: str | None = None
    """The label of an inline reply field ("Write"), or None for no reply field."""
    urgency: str = "normal"
    """``low``, ``normal`` or ``critical`` (for support escalations)."""
    command: str | None = None
    """The CLI command that answers this nudge, shown where the server has no buttons."""
    private: bool = False
    """Holds personal details (a contact's name and number): never written to a log, not
    even at debug level (other messages' words are logged only at debug level)."""

    def as_json(self) -> dict[str, Any]:
        """A JSON-friendly form, for RPC answers and history."""
        return {
            "title": self.title,
            "body": self.body,
            "urgency": self.urgency,
            "buttons": [{"id": b.id, "title": b.title} for b in self.buttons],
            "reply": self.reply,
            "command": self.command,
        }


class PluginState:
    """A plugin's own key/value space in the store (values are JSON)."""

    def __init__(self, store: Store, plugin: str) -> None:
        self._store = store
        self._plugin = plugin

    def get(self, key: str, default: Any = None) -> Any:
        """The stored value, or ``default``."""
        return self._store.get_state(self._plugin, key, default)

    def set(self, key: str, value: Any) -> None:
        """Store a value (committed before returning); ``None`` deletes it."""
        self._store.set_state(self._plugin, key, value)


def answer_command(nudge: Nudge) -> str:
    """The CLI command that answers a nudge: ``habitd done HABIT``, else a snooze."""
    return f"habitd done {nudge.habit}" if nudge.habit else f"habitd snooze {nudge.id}"


def answer_buttons(nudge: Nudge, habit: Habit | None = None) -> tuple[Button, ...]:
    """The usual buttons: Done / Snooze / Skip for a habit nudge (Yes / I slipped / Later for
    an abstain habit's check-in), else Done / Snooze."""
    if habit is not None and habit.type == "abstain":
        return (Button("done", "Yes"), Button("lapse", "I slipped"), Button("snoozed", "Later"))
    if nudge.habit:
        return (Button("done", "Done"), Button("snoozed", "Snooze"), Button("skipped", "Skip"))
    return (Button("done", "Done"), Button("snoozed", "Snooze"))
