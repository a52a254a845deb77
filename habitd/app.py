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
from datetime import date, datetime, tzinfo
from typing import Any, TypeVar

from habitd import __version__, clock, systemd
from habitd.config import Config, ConfigError, read_config, read_settings
from habitd.contract import Action, Entry, Job, Message, PluginState, Verdict
from habitd.delivery import Delivery
from habitd.errors import InvalidInput
from habitd.notify import Notifier, make_notifier
from habitd.operations import OPERATIONS, Operations
from habitd.paths import Paths, ensure_private_dir
from habitd.plugins import PluginHost
from habitd.rpc import check_params, is_rpc, rpc, unknown
from habitd.schedule import NudgeScheduler, build_trigger, next_fire_time
from habitd.store import Store

log = logging.getLogger("habitd.app")

__all__ = ["Action", "App", "Entry", "Job", "Verdict"]  # the plugin-facing names, re-exported

_T = TypeVar("_T")


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
        self.delivery = Delivery(self)
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
            self.notifier = await make_notifier(
                self.notifier_mode, self.delivery.on_notification_answer
            )
        return self.notifier

    # --- delivery (daemon only) -----------------------------------------------------------

    async def fire(
        self, nudge_id: str, *, forced: bool = False, cause: str = "schedule"
    ) -> dict[str, Any]:
        """Compose, check and deliver a nudge now (see :mod:`habitd.delivery`)."""
        return await self.delivery.fire(nudge_id, forced=forced, cause=cause)

    async def notify(
        self,
        message: Message,
        about: str,
        event: str = "note",
        detail: dict[str, Any] | None = None,
    ) -> None:
        """Show a message that is not a scheduled nudge (a celebration, a kind reply) and
        record it in history as ``event`` with ``detail`` (why). ``about`` names what it
        concerns (a habit...)."""
        await self.delivery.notify(message, about, event, detail)

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
                "kind": self.core.nudge(nudge_id).kind,
                "schedule": self.core.nudge(nudge_id).schedule.describe(),
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
