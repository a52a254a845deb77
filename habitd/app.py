"""The App: habitd's one service layer.

Every user-visible operation is one App method. The daemon exposes the methods marked
``@rpc`` over its socket; the CLI calls them through that socket, or, when no daemon
answers, on an App built in-process from the same config and store. Both transports go
through :meth:`App.dispatch`, so they validate and answer identically.
"""

from __future__ import annotations

import inspect
import logging
import re
import time as monotonic_time
import types
import typing
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, tzinfo
from typing import Any, TypeVar

from habitd import __version__, clock, entries, systemd
from habitd.config import (
    Config,
    ConfigError,
    Habit,
    Nudge,
    Schedule,
    default_config_path,
    load,
    read_settings,
)
from habitd.errors import HabitdError, InvalidInput, NotFound
from habitd.notify import Button, Message, Notifier, make_notifier
from habitd.paths import Paths, ensure_private_dir
from habitd.plugins import PluginHost
from habitd.schedule import NudgeScheduler, build_trigger, next_fire_time, zone
from habitd.store import Store
from habitd.timeparse import parse_duration

log = logging.getLogger("habitd.app")

ANSWERS = ("done", "skipped", "lapse", "snoozed", "clicked", "dismissed", "replied")
AWAY_GATHER = 2.0
"""Seconds to gather missed nudges into one summary after a wakeup."""
REFIRE_GAP = 30.0
"""A scheduled firing is skipped if the nudge fired this recently (its snooze, a trigger or a
wakeup just delivered it): one nudge, one notification. Half the interval for a nudge that
repeats faster (``every = "20s"``), so its own rhythm is never cut."""
_F = TypeVar("_F", bound=Callable[..., Any])


def rpc(function: _F) -> _F:
    """Mark an App method as callable over JSON-RPC (and so from the CLI)."""
    function.__habitd_rpc__ = True  # type: ignore[attr-defined]
    return function


class RpcError(HabitdError):
    """A JSON-RPC protocol error (unknown method, bad params) with its standard code."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.rpc_code = code


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


class App:
    """The service layer. Build one with :meth:`open`; close it with :meth:`close`."""

    def __init__(self, paths: Paths, config: Config, store: Store, plugins: PluginHost) -> None:
        self.paths = paths
        self.config = config
        self.store = store
        self.plugins = plugins
        self.notifier: Notifier | None = None
        self.scheduler: NudgeScheduler | None = None
        self.pid: int | None = None
        self.started = clock.utc_now()
        self._started_monotonic = monotonic_time.monotonic()
        self._plugin_methods: dict[str, Callable[..., Any]] = {}
        self.notifier_mode = config.settings.notifier
        self.busy: str | None = None
        """Why the desktop cannot take a nudge now ("do not disturb", "screen locked"), as
        checked just before each nudge; ``habitd_before_send`` implementations read it."""
        self.screen_locked = False
        self._away: list[str] = []
        self._last_fired: dict[str, float] = {}
        self.changed: Callable[[], None] = lambda: None
        """Called after every committed change; the daemon's reactor listens here (a CLI
        working without a daemon does not react: the daemon catches up when it starts)."""

    # --- building ----------------------------------------------------------------------

    @classmethod
    async def open(cls, paths: Paths) -> App:
        """Open the store, read the config, load plugins, and validate the config with them."""
        for folder in (paths.data_dir, paths.state_dir):
            ensure_private_dir(folder)
        config = read_config(paths)
        refresh_local_zone()
        plugins = PluginHost()
        plugins.load(config, paths.plugins_dir)
        await plugins.collect_kinds()
        await check_with_plugins(config, plugins, paths)
        app = cls(paths, config, Store(paths.db), plugins)
        await plugins.call_all("habitd_configure", config=config, app=app, paths=paths)
        for name, methods in await plugins.call_all("habitd_rpc_methods", app=app):
            for method, function in (methods or {}).items():
                app._plugin_methods[f"{name}.{method}"] = function
        return app

    async def close(self) -> None:
        """Release the notifier and the store."""
        if self.notifier is not None:
            await self.notifier.close()
        self.store.close()

    # --- helpers for plugins and the core ---------------------------------------------------

    @property
    def tz(self) -> tzinfo:
        """The configured time zone."""
        return zone(self.config.settings.timezone)

    def now(self) -> datetime:
        """Now, in the configured zone."""
        return clock.now(self.tz)

    def today(self) -> date:
        """The habit day now: the local date, shifted back by ``day_starts``."""
        return clock.today(self.tz, self.config.settings.day_starts)

    def state(self, plugin: str) -> PluginState:
        """A plugin's key/value store."""
        return PluginState(self.store, plugin)

    def settings(self, plugin: str) -> dict[str, Any]:
        """A plugin's declared ``SETTINGS``, read from ``[plugins.NAME]`` with defaults."""
        declared = self.plugins.declared_settings(plugin) or {}
        return read_settings(declared, self.config.plugin_settings(plugin), ("plugins", plugin), [])

    def paused_until(self) -> datetime | None:
        """When the person's pause ends, or None when not paused."""
        value = self.store.get_state("habitd", "paused_until")
        if value is None:
            return None
        until = datetime.fromisoformat(value).astimezone(self.tz)
        return until if until > self.now() else None

    async def ensure_notifier(self) -> Notifier:
        """The notifier, started on first use (the in-process client needs one only to trigger)."""
        if self.notifier is None:
            self.notifier = await make_notifier(self.notifier_mode, self.on_notification_answer)
        return self.notifier

    # --- firing ---------------------------------------------------------------------------

    async def compose(self, nudge: Nudge) -> Message:
        """Render a nudge through ``habitd_compose``; a plain message if no plugin can.

        A message without a ``command`` gets the one that answers it (``habitd done HABIT``),
        shown where the notification server has no buttons.
        """
        found = await self.plugins.call_first("habitd_compose", nudge=nudge, app=self)
        if found and isinstance(found[1], Message):
            message: Message = found[1]
        else:
            if found:
                log.error("plugin %s composed %r, not a Message; using a plain message", *found)
            message = Message(
                title=nudge.title or "A gentle reminder from habitd",
                body=nudge.body or "",
                buttons=answer_buttons(nudge, self.config.habit(nudge.habit or "")),
            )
        if message.command is None:
            message = replace(message, command=answer_command(nudge))
        return message

    async def fire(
        self, nudge_id: str, *, forced: bool = False, cause: str = "schedule"
    ) -> dict[str, Any]:
        """Compose a nudge, let ``before_send`` hold or drop it (unless forced), send it, and
        record what happened. Never raises for a plugin or delivery problem."""
        nudge = self._nudge(nudge_id)
        if cause in ("snoozed", "held"):
            self.store.clear_pending(nudge.id)
        last = self._last_fired.get(nudge.id)
        every = nudge.schedule.every
        gap = min(REFIRE_GAP, every.total_seconds() / 2) if every else REFIRE_GAP
        if cause == "schedule" and last is not None and monotonic_time.monotonic() - last < gap:
            log.info(
                "nudge %s already fired %.0fs ago; not again",
                nudge.id,
                monotonic_time.monotonic() - last,
            )
            return {"nudge": nudge.id, "status": "skipped", "reason": "fired moments ago"}
        message = await self.compose(nudge)
        if not forced:
            self.busy = await self._desktop_busy()
            found = await self.plugins.call_first(
                "habitd_before_send", nudge=nudge, message=message, app=self
            )
            verdict = found[1] if found and isinstance(found[1], Verdict) else None
            if verdict and verdict.action == "hold" and verdict.until:
                await self.fire_later(nudge.id, verdict.until, "held")
                self.store.add_event(
                    "held",
                    nudge.id,
                    title=message.title,
                    habit=nudge.habit,
                    detail={
                        "until": verdict.until.isoformat(),
                        "reason": verdict.reason,
                        "by": found[0] if found else None,
                    },
                )
                return {
                    "nudge": nudge.id,
                    "status": "held",
                    "until": verdict.until.isoformat(),
                    "reason": verdict.reason,
                }
            if verdict:
                self.store.add_event(
                    "dropped",
                    nudge.id,
                    title=message.title,
                    habit=nudge.habit,
                    detail={"reason": verdict.reason},
                )
                return {"nudge": nudge.id, "status": "dropped", "reason": verdict.reason}
        notifier = await self.ensure_notifier()
        self._last_fired[nudge.id] = monotonic_time.monotonic()
        delivered = True
        try:
            await notifier.send(nudge.id, message)
        except Exception as exc:
            delivered = False
            log.error("could not deliver nudge %s: %s", nudge.id, exc)
        detail = {"cause": cause, "forced": forced, "notifier": notifier.name}
        if not delivered:
            detail["delivered"] = False
        await self.plugins.call_all("habitd_after_send", nudge=nudge, message=message, app=self)
        self.store.add_event(
            "fired",
            nudge.id,
            title=message.title,
            body=message.body,
            habit=nudge.habit,
            detail=detail,
        )
        return {
            "nudge": nudge.id,
            "status": "fired",
            "notifier": notifier.name,
            "delivered": delivered,
            "message": message.as_json(),
        }

    async def notify(self, message: Message, about: str, event: str = "note") -> None:
        """Show a message that is not a scheduled nudge (a celebration, a kind reply) and
        record it in history as ``event``. ``about`` names what it concerns (a habit...)."""
        notifier = await self.ensure_notifier()
        try:
            await notifier.send(f"{event}-{about}", message)
        except Exception as exc:
            log.error("could not show %s about %s: %s", event, about, exc)
        self.store.add_event(
            event,
            title=message.title,
            body=message.body,
            habit=about if self.config.habit(about) else None,
        )

    async def _desktop_busy(self) -> str | None:
        if self.screen_locked:
            return "screen locked"
        notifier = await self.ensure_notifier()
        if await notifier.inhibited():
            return "do not disturb"
        return None

    def record_missed(self, nudge_id: str, due: datetime) -> None:
        """A nudge was due while habitd could not run it (asleep, stopped) and is now stale.

        Missed nudges that come together (after a long sleep) are summed up in one gentle
        "while you were away" notification instead of a burst.
        """
        nudge = self.config.nudge(nudge_id)
        self.store.clear_pending(nudge_id)
        self.store.add_event(
            "missed",
            nudge_id,
            title=nudge.title if nudge else None,
            habit=nudge.habit if nudge else None,
            detail={"due": due.isoformat()},
        )
        self._away.append(nudge_id)
        if len(self._away) == 1:
            import asyncio

            task = asyncio.get_running_loop().create_task(self._sum_up_missed())
            task.add_done_callback(_log_task_error)

    async def _sum_up_missed(self) -> None:
        import asyncio

        await asyncio.sleep(AWAY_GATHER)  # let the other misses of the same wakeup arrive
        missed, self._away = self._away, []
        if len(missed) < 2:
            return
        names = ", ".join(dict.fromkeys(missed))
        message = Message(
            title="While you were away",
            body=f"{len(missed)} nudges passed ({names}). Nothing to catch up on; "
            "pick one now if it would help.",
            urgency="low",
            command="habitd history --since 1d",
        )
        notifier = await self.ensure_notifier()
        try:
            await notifier.send("away", message)
        except Exception as exc:
            log.error("could not deliver the summary of missed nudges: %s", exc)
        self.store.add_event(
            "away", title=message.title, body=message.body, detail={"missed": missed}
        )

    def on_clock_jump(self, reason: str) -> None:
        """Time moved under us (a suspend, a clock change, a new zone): re-check the schedule."""
        import asyncio

        log.info("%s; checking the schedule", reason)
        task = asyncio.get_running_loop().create_task(self.resync())
        task.add_done_callback(_log_task_error)

    def on_resume(self) -> None:
        """logind says the machine woke up."""
        self.on_clock_jump("resumed from sleep")

    def on_lock(self, locked: bool) -> None:
        """The screen was locked (nudges wait) or unlocked (held ones come now)."""
        if locked == self.screen_locked:
            return
        self.screen_locked = locked
        log.info("screen %s", "locked: nudges wait" if locked else "unlocked")
        if not locked:
            import asyncio

            task = asyncio.get_running_loop().create_task(self._release_held())
            task.add_done_callback(_log_task_error)

    async def _release_held(self) -> None:
        now = self.now()
        for nudge_id, _due, reason in self.store.pending():
            if reason == "held":
                await self.fire_later(nudge_id, now, "held")

    async def resync(self) -> None:
        """Rebuild the schedule (a new local zone moves every nudge) and run what is due."""
        if self.scheduler is None:
            return
        await self.schedule()
        self.scheduler.wakeup()

    def on_notification_answer(self, nudge_id: str, action: str, text: str | None) -> None:
        """Called by the desktop notifier (synchronously, on the loop) when a button is pressed."""
        import asyncio

        nudge = self.config.nudge(nudge_id)
        if nudge is None:
            log.info("ignoring an answer to unknown nudge %s (config changed?)", nudge_id)
            return
        task = asyncio.get_running_loop().create_task(
            self.record_action(
                Action(action, nudge=nudge_id, habit=nudge.habit, text=text, source="notification")
            )
        )
        task.add_done_callback(_log_task_error)

    async def record_action(self, action: Action, key: str | None = None) -> dict[str, Any]:
        """Store the person's answer (once per ``key``) with its change; the daemon then
        tells plugins (``habitd_on_action``; a reply also ``habitd_on_entry``)."""
        if action.source != "notification" and action.action not in ANSWERS:
            raise InvalidInput(
                f"unknown answer {action.action!r}; expected one of {', '.join(ANSWERS)}"
            )
        if not re.match(r"^[a-z][a-z-]*$", action.action):  # a plugin's own button id
            raise InvalidInput(f"an answer is a lowercase word, got {action.action!r}")
        day = action.day or self.today()
        snoozed = self._nudge(action.nudge) if action.action == "snoozed" and action.nudge else None
        reply = (
            entries.clean("journal", {"note": action.text, "nudge": action.nudge})
            if action.action == "replied" and action.text
            else None
        )
        due = self.now() + snoozed.snooze if snoozed else None
        with self.store.once(key, action.action) as once:
            if once.replayed:
                return dict(once.result)
            result: dict[str, Any] = {
                "action": action.action,
                "nudge": action.nudge,
                "habit": action.habit,
            }
            if action.habit and action.action in ("done", "skipped", "lapse"):
                self.store.set_check(action.habit, day, action.action, action.value, action.note)
                result["day"] = day.isoformat()
                day_starts = self.config.settings.day_starts
                if day == self.today() and clock.before_day_starts(self.now(), day_starts):
                    result["day_starts"] = f"{day_starts:%H:%M}"
            if snoozed and due:
                self.store.set_pending(snoozed.id, due, "snoozed")
                result["until"] = due.isoformat()
            if reply is not None:
                result["entry"] = self._save_entry("journal", reply)
            detail = {
                k: v
                for k, v in (
                    ("day", result.get("day")),
                    ("note", action.note),
                    ("value", action.value),
                    ("source", action.source),
                    ("until", result.get("until")),
                )
                if v is not None
            }
            self.store.add_event(action.action, action.nudge, habit=action.habit, detail=detail)
            self.store.add_change("action", action.as_change(day), clock.utc_now())
            once.result = result
        if snoozed and due:
            self._arm(snoozed.id, due, "snoozed")
        self.changed()
        return result

    async def add_entry(self, kind: str, key: str | None = None, **fields: Any) -> int:
        """Check and store a journal entry (committed before returning, once per ``key``);
        the daemon then tells plugins (``habitd_on_entry``). Raises :class:`InvalidInput`
        naming a bad field."""
        cleaned = entries.clean(kind, fields)
        with self.store.once(key, "entry_add") as once:
            if once.replayed:
                return int(once.result)
            once.result = self._save_entry(kind, cleaned)
        self.changed()
        return int(once.result)

    def _save_entry(self, kind: str, cleaned: Mapping[str, Any]) -> int:
        """Write an entry and its change (inside the caller's transaction); its id."""
        columns, extra = entries.split(dict(cleaned))
        ts = clock.utc_now()
        entry_id = self.store.add_entry(kind, ts=ts, extra=extra, **columns)
        self.store.add_change("entry", {"id": entry_id, "kind": kind}, ts)
        return entry_id

    async def fire_later(self, nudge_id: str, due: datetime, reason: str) -> None:
        """Fire ``nudge_id`` once at ``due`` (replacing any earlier pending one); it survives a
        restart. ``reason`` is recorded as the firing's cause (``snoozed``, ``held``...)."""
        self.store.set_pending(nudge_id, due, reason)
        self._arm(nudge_id, due, reason)

    def _arm(self, nudge_id: str, due: datetime, reason: str) -> None:
        """Put a stored pending delivery on the running schedule (the daemon's only)."""
        if self.scheduler is not None:
            self.scheduler.add_pending(nudge_id, due, reason)

    def _nudge(self, nudge_id: str) -> Nudge:
        nudge = self.config.nudge(nudge_id)
        if nudge is None:
            known = ", ".join(n.id for n in self.config.nudges) or "none"
            raise NotFound(f"no nudge {nudge_id!r}; nudges: {known}")
        return nudge

    def _habit_id(self, habit: str) -> str:
        if self.config.habit(habit) is None:
            known = ", ".join(h.id for h in self.config.habits) or "none (add a [[habit]])"
            raise NotFound(f"no habit {habit!r}; habits: {known}")
        return habit

    def _day(self, text: str | None) -> date | None:
        """The habit day ``--date`` names: today, yesterday, a weekday or YYYY-MM-DD.

        Between midnight and ``day_starts`` the calendar is a day ahead of the habit day; the
        calendar's date then means today's habit day (the answer says which day it was)."""
        if text is None:
            return None
        today, calendar = self.today(), self.now().date()
        try:
            day = clock.parse_day(text, today, calendar)
        except ValueError as exc:
            raise InvalidInput(str(exc)) from None
        if day == calendar:
            return today
        if day > today:
            raise InvalidInput(
                f"{clock.describe_day(day, today)} has not begun yet: today is "
                f"{clock.describe_day(today, today)} (a day begins at "
                f"{self.config.settings.day_starts:%H:%M}); you can mark today or earlier days"
            )
        return day

    # --- the operations the CLI offers (JSON in, JSON out) -------------------------------------

    @rpc
    async def ping(self) -> str:
        """Liveness check."""
        return "pong"

    @rpc
    async def status(self) -> dict[str, Any]:
        """Running?, pid, version, uptime, notifier, pause, nudges, and every plugin's state."""
        details = {
            name: dict(value)
            for name, value in await self.plugins.call_all("habitd_status", app=self)
            if value
        }
        paused = self.paused_until()
        notifier = self.notifier
        return {
            "running": self.pid is not None,
            "pid": self.pid,
            "version": __version__,
            "started": self.started.isoformat(),
            "uptime": round(monotonic_time.monotonic() - self._started_monotonic, 1),
            "config": str(self.config.source),
            "notifier": notifier.name if notifier else None,
            "notifier_reason": notifier.reason if notifier else None,
            "paused_until": paused.isoformat() if paused else None,
            "nudges": len([n for n in self.config.nudges if n.enabled]),
            "habits": len(self.config.habits),
            "plugins": [
                {"name": i.name, "state": i.state, "faults": i.faults, "last_error": i.last_error}
                for i in self.plugins.infos.values()
            ],
            "details": details,
        }

    @rpc
    async def next(self, limit: int = 10) -> list[dict[str, Any]]:
        """Upcoming nudges with their next fire time, soonest first."""
        if limit < 1:
            raise InvalidInput("limit must be at least 1")
        now = self.now()
        upcoming: dict[str, tuple[datetime, str]] = {}
        for nudge in self.config.nudges:
            if not nudge.enabled:
                continue
            when = (
                self.scheduler.next_time(nudge.id)
                if self.scheduler
                else next_fire_time(build_trigger(nudge.schedule, self.tz), now)
            )
            if when is not None:
                upcoming[nudge.id] = (when, "scheduled")
        for nudge_id, due, reason in self.store.pending():
            if self.config.nudge(nudge_id) and (
                nudge_id not in upcoming or due < upcoming[nudge_id][0]
            ):
                upcoming[nudge_id] = (due, reason)
        rows = sorted(upcoming.items(), key=lambda item: item[1][0])[:limit]
        return [
            {
                "nudge": nudge_id,
                "at": when.astimezone(self.tz).isoformat(),
                "why": why,
                "kind": self._nudge(nudge_id).kind,
                "schedule": self._nudge(nudge_id).schedule.describe(),
            }
            for nudge_id, (when, why) in rows
        ]

    @rpc
    async def trigger(self, nudge: str) -> dict[str, Any]:
        """Fire a nudge now, even in quiet hours or a pause: the person asked for it."""
        return await self.fire(nudge, forced=True, cause="trigger")

    @rpc
    async def history(
        self, since: str | None = None, nudge: str | None = None, limit: int | None = None
    ) -> list[dict[str, Any]]:
        """What fired and what the person answered, oldest first (``since``: 1d, 2h, a date)."""
        start = self._since(since)
        if nudge is not None:
            self._nudge(nudge)
        return [event.as_json() for event in self.store.events(start, nudge, limit)]

    @rpc
    async def done(
        self,
        habit: str,
        date: str | None = None,
        note: str | None = None,
        value: float | None = None,
        nudge: str | None = None,
        key: str | None = None,
    ) -> dict[str, Any]:
        """Mark a habit done for today (or ``date``); ``value`` for a counted habit (water,
        a dose). Without a value, a counted habit counts as having met its target.

        Every write takes a ``key`` (the client makes one per command): a retry with the
        same key returns the first answer and writes nothing again."""
        target = self.config.habit(self._habit_id(habit))
        assert target is not None
        if value is not None and not target.counted:
            raise InvalidInput(
                f"{habit} is a {target.type} habit: it takes no --value (at-least and at-most "
                "habits do)"
            )
        if value is not None and (value < 0 or value != value):
            raise InvalidInput(f"the value must be a number of zero or more, got {value}")
        return await self.record_action(
            Action("done", nudge=nudge, habit=habit, day=self._day(date), note=note, value=value),
            key,
        )

    @rpc
    async def lapse(
        self,
        habit: str,
        date: str | None = None,
        note: str | None = None,
        nudge: str | None = None,
        key: str | None = None,
    ) -> dict[str, Any]:
        """Record a lapse on an abstain habit, honestly: it ends the streak, never the total."""
        target = self.config.habit(self._habit_id(habit))
        assert target is not None
        if target.type != "abstain":
            raise InvalidInput(
                f"{habit} is a {target.type} habit; a lapse is for abstain habits "
                "(for a day that did not happen, use `habitd skip` or just leave it)"
            )
        return await self.record_action(
            Action("lapse", nudge=nudge, habit=habit, day=self._day(date), note=note), key
        )

    @rpc
    async def skip(
        self,
        habit: str,
        date: str | None = None,
        note: str | None = None,
        nudge: str | None = None,
        key: str | None = None,
    ) -> dict[str, Any]:
        """Mark a habit skipped for today (or ``date``): neither done nor missed."""
        return await self.record_action(
            Action(
                "skipped", nudge=nudge, habit=self._habit_id(habit), day=self._day(date), note=note
            ),
            key,
        )

    @rpc
    async def snooze(
        self, nudge: str, duration: str | None = None, key: str | None = None
    ) -> dict[str, Any]:
        """Fire a nudge again later (its ``snooze`` time unless ``duration`` is given)."""
        target = self._nudge(nudge)
        delay = self._duration(duration) if duration else target.snooze
        due = self.now() + delay
        with self.store.once(key, "snooze") as once:
            if once.replayed:
                return dict(once.result)
            self.store.set_pending(target.id, due, "snoozed")
            self.store.add_event(
                "snoozed",
                target.id,
                habit=target.habit,
                detail={"until": due.isoformat(), "source": "cli"},
            )
            answer = Action("snoozed", nudge=target.id, habit=target.habit)
            self.store.add_change("action", answer.as_change(None), clock.utc_now())
            once.result = {"nudge": target.id, "until": due.isoformat()}
        self._arm(target.id, due, "snoozed")
        self.changed()
        return dict(once.result)

    @rpc
    async def pause(
        self,
        duration: str | None = None,
        until: str | None = None,
        habits: bool = False,
        key: str | None = None,
    ) -> dict[str, Any]:
        """Hold every nudge for a while (``2h``), ``until-morning`` (the end of quiet hours),
        or ``until`` a date (``2026-12-24``) or time; it always ends by itself. With
        ``habits``, it is a vacation too: the days it covers freeze every streak."""
        now = self.now()
        if until is not None:
            if duration is not None:
                raise InvalidInput("give a duration or --until, not both")
            end = self._moment(until)
            if end <= now:
                raise InvalidInput(f"{until} has passed; a pause must end in the future")
        elif duration in (None, "until-morning"):
            end = self._morning(now) if duration else now + timedelta(hours=1)
        else:
            end = now + self._duration(duration)
        with self.store.once(key, "pause") as once:
            if once.replayed:
                return dict(once.result)
            self.store.set_state("habitd", "paused_until", end.isoformat())
            if habits:
                last_day = clock.habit_day(
                    end - timedelta(seconds=1), self.config.settings.day_starts
                )
                vacations = [*self.vacations(), (self.today(), last_day)]
                self._save_vacations(vacations)
            self.store.add_event("paused", detail={"until": end.isoformat(), "habits": habits})
            once.result = {"paused_until": end.isoformat(), "habits": habits}
        return dict(once.result)

    def vacations(self) -> list[tuple[date, date]]:
        """Ranges of habit days frozen by ``habitd pause --habits`` (both ends included)."""
        stored = self.store.get_state("habitd", "vacations", [])
        return [(date.fromisoformat(start), date.fromisoformat(end)) for start, end in stored]

    def _save_vacations(self, ranges: list[tuple[date, date]]) -> None:
        self.store.set_state(
            "habitd", "vacations", [[start.isoformat(), end.isoformat()] for start, end in ranges]
        )

    @rpc
    async def resume(self, key: str | None = None) -> dict[str, Any]:
        """End a pause now; nudges held by it are delivered (if nothing else holds them)."""
        with self.store.once(key, "resume") as once:
            if once.replayed:
                return dict(once.result)
            was = self.paused_until()
            self.store.set_state("habitd", "paused_until", None)
            today = self.today()
            vacations = [
                (start, min(end, today - timedelta(days=1)) if end >= today else end)
                for start, end in self.vacations()
                if start < today or end < today  # a vacation begun today and ended today: none
            ]
            self._save_vacations(vacations)
            self.store.add_event("resumed")
            once.result = {"was_paused_until": was.isoformat() if was else None}
        now = self.now()
        for nudge_id, _due, reason in self.store.pending():
            if reason == "held":
                await self.fire_later(nudge_id, now, "held")
        return dict(once.result)

    @rpc
    async def reload(self) -> dict[str, Any]:
        """Read the config again; on any problem keep the running one and report every error."""
        systemd.notify("RELOADING=1")
        try:
            config = read_config(self.paths)
            refresh_local_zone()
            await check_with_plugins(config, self.plugins, self.paths)
        except ConfigError as exc:
            log.error("reload refused, keeping the running config:\n  %s", "\n  ".join(exc.lines))
            systemd.notify("READY=1", "STATUS=reload refused; running the previous config")
            raise
        self.config = config
        await self.plugins.call_all("habitd_configure", config=config, app=self, paths=self.paths)
        if self.scheduler is not None:
            await self.schedule()
        self.store.add_event("reloaded", detail={"config": str(config.source)})
        systemd.notify("READY=1", f"STATUS={len(config.nudges)} nudges")
        log.info("config reloaded from %s: %d nudges", config.source, len(config.nudges))
        return {"config": str(config.source), "nudges": len(config.nudges)}

    @rpc
    async def plugins_list(self) -> list[dict[str, Any]]:
        """Every plugin: name, source, version, state, hooks and last error."""
        return self.plugins.listing()

    @rpc
    async def entry_add(
        self, kind: str, fields: dict[str, Any], key: str | None = None
    ) -> dict[str, Any]:
        """Save a journal, urge or thought entry; ``{"id": N}`` once it is committed."""
        return {"id": await self.add_entry(kind, key, **fields)}

    @rpc
    async def entries(
        self, since: str | None = None, kind: str | None = None, limit: int | None = None
    ) -> list[dict[str, Any]]:
        """Entries, oldest first (``since``: 7d, a date; ``kind``: journal, urge...)."""
        if kind is not None and kind not in entries.KINDS:
            raise InvalidInput(f"unknown kind {kind!r}; kinds: {', '.join(entries.KINDS)}")
        return [self._with_day(row) for row in self.store.entries(self._since(since), kind, limit)]

    def _with_day(self, row: dict[str, Any]) -> dict[str, Any]:
        """An entry row with its habit ``day`` (a late-night entry belongs to the evening)."""
        moment = datetime.fromisoformat(row["ts"]).astimezone(self.tz)
        row["day"] = clock.habit_day(moment, self.config.settings.day_starts).isoformat()
        return row

    @rpc
    async def entry(self, id: int) -> dict[str, Any]:
        """One entry."""
        found = self.store.entries(entry_id=id)
        if not found:
            raise NotFound(f"no entry {id}")
        return self._with_day(found[0])

    @rpc
    async def entry_edit(self, id: int, fields: dict[str, Any]) -> dict[str, Any]:
        """Change an entry's fields (``null`` clears one); its kind and time stay."""
        current = await self.entry(id)
        kind = current["kind"]
        merged = {k: v for k, v in current.items() if k not in ("id", "ts", "kind", "day")}
        merged.update(fields)
        cleaned = entries.clean(kind, merged)
        self.store.update_entry(id, *entries.split(cleaned))
        return {"id": id, "kind": kind}

    @rpc
    async def entry_delete(self, id: int, key: str | None = None) -> dict[str, Any]:
        """Delete an entry for good (a retry with the same ``key`` answers as the first did)."""
        with self.store.once(key, "entry_delete") as once:
            if once.replayed:
                return dict(once.result)
            if not self.store.delete_entry(id):
                raise NotFound(f"no entry {id}")
            once.result = {"id": id, "deleted": True}
        return dict(once.result)

    @rpc
    async def vocabulary(self) -> dict[str, list[str]]:
        """The person's own emotion and trigger words, most used first (for prompts)."""
        return {
            "emotions": [name for name, _ in self.store.vocabulary("emotion")],
            "triggers": [name for name, _ in self.store.vocabulary("trigger")],
        }

    # --- scheduling (daemon only) ------------------------------------------------------------

    async def schedule(self) -> None:
        """(Re)build the schedule: every enabled nudge, plugins' jobs, pending deliveries."""
        assert self.scheduler is not None
        jobs: list[tuple[str, Job]] = []
        for name, found in await self.plugins.call_all("habitd_jobs", config=self.config, app=self):
            jobs.extend((name, job) for job in found or () if isinstance(job, Job))
        self.scheduler.apply(self.config, jobs)
        for nudge_id, due, reason in self.store.pending():
            if self.config.nudge(nudge_id):
                self.scheduler.add_pending(nudge_id, due, reason)
            else:
                self.store.clear_pending(nudge_id)

    # --- dispatch ------------------------------------------------------------------------

    async def dispatch(self, method: str, params: Mapping[str, Any] | None) -> Any:
        """Call an RPC method by name with JSON params, checking names and types first."""
        params = dict(params or {})
        function = self._rpc_function(method)
        check_params(function, params)
        result = function(**params)
        if inspect.isawaitable(result):
            result = await result
        return result

    def _rpc_function(self, method: str) -> Callable[..., Any]:
        if method in self._plugin_methods:
            return self._plugin_methods[method]
        function = (
            getattr(self, method.replace("-", "_"), None) if not method.startswith("_") else None
        )
        if function is None or not getattr(function, "__habitd_rpc__", False):
            raise RpcError(-32601, f"unknown method {method!r}")
        return typing.cast(Callable[..., Any], function)

    def _since(self, text: str | None) -> datetime | None:
        if text is None:
            return None
        try:
            return self.now() - parse_duration(text)
        except ValueError:
            pass
        try:
            day = clock.parse_day(text, self.today())
        except ValueError:
            raise InvalidInput(
                f"expected a duration like 1d or 12h, or a day (yesterday, mon, 2026-11-20), "
                f"got {text!r}"
            ) from None
        return clock.day_start(day, self.tz, self.config.settings.day_starts)

    @staticmethod
    def _duration(text: str) -> timedelta:
        try:
            delta = parse_duration(text)
        except ValueError as exc:
            raise InvalidInput(str(exc)) from None
        if not delta:
            raise InvalidInput(f"the duration must be more than zero, got {text!r}")
        return delta

    def _moment(self, text: str) -> datetime:
        """``YYYY-MM-DD`` (its first minute) or ``YYYY-MM-DD HH:MM``, in the configured zone."""
        try:
            moment = datetime.fromisoformat(text.strip())
        except ValueError:
            raise InvalidInput(
                f"expected a date (2026-12-24) or date and time (2026-12-24 08:00), got {text!r}"
            ) from None
        return moment.replace(tzinfo=self.tz) if moment.tzinfo is None else moment

    def _morning(self, now: datetime) -> datetime:
        quiet = self.config.settings.quiet_hours
        end = quiet.next_end(now) if quiet is not None else None
        if end is not None:
            return end
        morning = now.replace(hour=8, minute=0, second=0, microsecond=0)
        return morning if morning > now else morning + timedelta(days=1)


def refresh_local_zone() -> None:
    """Read the machine's zone afresh (tzlocal caches it for the life of the process)."""
    from tzlocal import reload_localzone

    reload_localzone()


def read_config(paths: Paths) -> Config:
    """The config file, or the packaged default when none exists and none was asked for."""
    if paths.config_file.exists() or paths.config_explicit:
        return load(paths.config_file)
    log.info(
        "no config at %s; using the packaged default (write yours with `habitd init`)",
        paths.config_file,
    )
    return load(default_config_path())


async def check_with_plugins(config: Config, plugins: PluginHost, paths: Paths) -> None:
    """Raise :class:`ConfigError` if plugins find problems in ``config``."""
    problems = await plugins.validate(config, paths)
    if problems:
        raise ConfigError(config.format_problems(problems))


async def check_config(config: Config, paths: Paths) -> None:
    """Validate ``config`` completely, with every plugin it would load (for ``config check``,
    ``config edit`` and ``doctor``). Raises :class:`ConfigError`."""
    host = PluginHost()
    host.load(config, paths.plugins_dir)
    await host.collect_kinds()
    await check_with_plugins(config, host, paths)


def check_params(function: Callable[..., Any], params: dict[str, Any]) -> None:
    """JSON-RPC ``invalid params`` unless ``params`` fit the function's names and types."""
    signature = inspect.signature(function)
    try:
        signature.bind(**params)
    except TypeError as exc:
        raise RpcError(-32602, f"invalid params: {exc}") from None
    try:
        hints = typing.get_type_hints(function)
    except Exception:  # a plugin's method with unresolvable annotations: names only
        return
    for name, value in params.items():
        expected = hints.get(name)
        if expected is not None and not _matches(value, expected):
            raise RpcError(
                -32602,
                f"invalid params: {name} must be {_type_name(expected)}, "
                f"got {type(value).__name__}",
            )


def _matches(value: Any, expected: Any) -> bool:
    options = (
        typing.get_args(expected)
        if isinstance(expected, types.UnionType) or (typing.get_origin(expected) is typing.Union)
        else (expected,)
    )
    for option in options:
        if option is type(None) and value is None:
            return True
        if option is float and isinstance(value, int | float) and not isinstance(value, bool):
            return True
        if option is int and isinstance(value, int) and not isinstance(value, bool):
            return True
        if option in (str, bool) and isinstance(value, option):
            return True
        if option is Any or (
            typing.get_origin(option) in (dict, list)
            and isinstance(value, typing.get_origin(option))
        ):
            return True
    return False


def _type_name(expected: Any) -> str:
    names = {
        str: "a string",
        int: "an integer",
        float: "a number",
        bool: "true or false",
        type(None): "null",
    }
    options = typing.get_args(expected) or (expected,)
    return " or ".join(names.get(option, str(option)) for option in options)


def _log_task_error(task: Any) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("answer could not be recorded: %s", task.exception())
