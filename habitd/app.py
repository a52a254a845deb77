"""The App: the daemon's side of habitd, and what plugins' hooks are handed today.

It holds the plugins, and (in a daemon, given by :mod:`habitd.runtime`) the notifier and
the scheduler; it fires nudges (compose, ``before_send``, deliver, record) and answers
JSON-RPC. What touches the person's data is the core's (:mod:`habitd.operations`): the App
runs those operations in one writer thread, so a commit never stalls its event loop, and
the reactor (:mod:`habitd.reactor`) tells plugins about each change afterwards.
"""

from __future__ import annotations

import inspect
import logging
import time as monotonic_time
import typing
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import date, datetime, tzinfo
from typing import Any, TypeVar

from habitd import __version__, clock, systemd
from habitd.config import Config, ConfigError, Habit, Nudge, read_config, read_settings
from habitd.contract import Action, Entry, Job, Verdict
from habitd.errors import InvalidInput
from habitd.notify import Button, Message, Notifier, make_notifier
from habitd.operations import OPERATIONS, Operations
from habitd.paths import Paths, ensure_private_dir
from habitd.plugins import PluginHost
from habitd.rpc import check_params, is_rpc, rpc, unknown
from habitd.schedule import NudgeScheduler, build_trigger, next_fire_time
from habitd.store import Store

log = logging.getLogger("habitd.app")

__all__ = ["Action", "App", "Entry", "Job", "Verdict"]  # the plugin-facing names, re-exported

AWAY_GATHER = 2.0
"""Seconds to gather missed nudges into one summary after a wakeup."""
REFIRE_GAP = 30.0
"""A scheduled firing is skipped if the nudge fired this recently (its snooze, a trigger or a
wakeup just delivered it): one nudge, one notification. Half the interval for a nudge that
repeats faster (``every = "20s"``), so its own rhythm is never cut."""
_T = TypeVar("_T")


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
        from concurrent.futures import ThreadPoolExecutor

        self.paths = paths
        self.core = Operations(config, store)
        self.store = store
        self.plugins = plugins
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="habitd-writer")
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
        """Release the notifier, the writer thread and the store."""
        if self.notifier is not None:
            await self.notifier.close()
        self._writer.shutdown(wait=True)
        self.store.close()

    # --- helpers for plugins and the core ---------------------------------------------------

    @property
    def config(self) -> Config:
        """The running config (a reload swaps it for the core too)."""
        return self.core.config

    @config.setter
    def config(self, config: Config) -> None:
        self.core.config = config

    @property
    def tz(self) -> tzinfo:
        """The configured time zone."""
        return self.core.tz

    def now(self) -> datetime:
        """Now, in the configured zone."""
        return self.core.now()

    def today(self) -> date:
        """The habit day now: the local date, shifted back by ``day_starts``."""
        return self.core.today()

    def state(self, plugin: str) -> PluginState:
        """A plugin's key/value store."""
        return PluginState(self.store, plugin)

    def settings(self, plugin: str) -> dict[str, Any]:
        """A plugin's declared ``SETTINGS``, read from ``[plugins.NAME]`` with defaults."""
        declared = self.plugins.declared_settings(plugin) or {}
        return read_settings(declared, self.config.plugin_settings(plugin), ("plugins", plugin), [])

    def paused_until(self) -> datetime | None:
        """When the person's pause ends, or None when not paused."""
        return self.core.paused_until()

    def vacations(self) -> list[tuple[date, date]]:
        """Ranges of habit days frozen by ``habitd pause --habits`` (both ends included)."""
        return self.core.vacations()

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
        """Store the person's answer (once per ``key``) through the core; plugins hear of it
        from the reactor (``habitd_on_action``; a reply also ``habitd_on_entry``)."""
        return await self.write(lambda: self.core.record_action(action, key))

    async def add_entry(self, kind: str, key: str | None = None, **fields: Any) -> int:
        """Check and store a journal entry through the core (committed before returning,
        once per ``key``); plugins hear of it from the reactor (``habitd_on_entry``). Raises
        :class:`InvalidInput` naming a bad field."""
        return await self.write(lambda: self.core.add_entry(kind, fields, key))

    async def write(self, operation: Callable[[], _T]) -> _T:
        """Run a core operation in the single writer thread (a commit's fsync never stalls
        the event loop), then let the reactor know."""
        import asyncio

        result = await asyncio.get_running_loop().run_in_executor(self._writer, operation)
        self.changed()
        return result

    async def fire_later(self, nudge_id: str, due: datetime, reason: str) -> None:
        """Fire ``nudge_id`` once at ``due`` (replacing any earlier pending one); it survives a
        restart. ``reason`` is recorded as the firing's cause (``snoozed``, ``held``...)."""
        self.store.set_pending(nudge_id, due, reason)
        self.arm(nudge_id, due, reason)

    def arm(self, nudge_id: str, due: datetime, reason: str) -> None:
        """Put a stored pending delivery on the running schedule (the daemon's only)."""
        if self.scheduler is not None:
            self.scheduler.add_pending(nudge_id, due, reason)

    def arm_stored(self, nudge_id: str | None = None) -> None:
        """Put the stored pending deliveries (of one nudge, or all) on the schedule: after a
        snooze or a resume written by the core, here or in a CLI without a daemon."""
        for pending_id, due, reason in self.store.pending():
            if nudge_id in (None, pending_id) and self.config.nudge(pending_id):
                self.arm(pending_id, due, reason)

    def _nudge(self, nudge_id: str) -> Nudge:
        return self.core.nudge(nudge_id)

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
    async def reload(self) -> dict[str, Any]:
        """Read the config again; on any problem keep the running one and report every error."""
        systemd.notify("RELOADING=1")
        try:
            config = read_config(self.paths)
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
        """Call an RPC method by name with JSON params, checking names and types first: the
        core's operations in the writer thread, the daemon's and plugins' own here."""
        params = dict(params or {})
        name = method.replace("-", "_")
        if name in OPERATIONS:
            operation = getattr(self.core, name)
            check_params(operation, params)
            return await self.write(lambda: operation(**params))
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
        if function is None or not is_rpc(function):
            raise unknown(method)
        return typing.cast(Callable[..., Any], function)


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


def _log_task_error(task: Any) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("answer could not be recorded: %s", task.exception())
