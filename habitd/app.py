"""The App: the daemon's side of habitd, behind the socket.

It holds the plugins (each handed its own narrow :class:`~habitd.context.PluginContext`,
never the App), the notifier and the timetable; it fires nudges (compose, ``before_send``,
deliver, record) and answers JSON-RPC. In the daemon (:mod:`habitd.runtime`) the
timetable is APScheduler's and the notifier the desktop's; a CLI that runs a plugin's
method without a daemon gets a :class:`~habitd.schedule.Forecast` and a log notifier.
What touches the person's data is the core's (:mod:`habitd.operations`): the App hands
each operation to the store's one writer thread and awaits it, so a commit never stalls
its event loop (a blocking write on the loop is refused), and the reactor
(:mod:`habitd.reactor`) tells plugins about each change afterwards.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time as monotonic_time
import typing
from collections.abc import Callable, Coroutine, Mapping, Sequence
from concurrent.futures import Future
from datetime import date, datetime, timedelta, tzinfo
from functools import partial
from typing import Any, TypeVar

from habitd import __version__, clock, systemd
from habitd.config import Config, ConfigError, Problem, read_config
from habitd.context import PluginContext
from habitd.contract import Job
from habitd.delivery import Delivery
from habitd.errors import InvalidInput
from habitd.notify import LogNotifier, Notifier
from habitd.operations import OPERATIONS, Operations
from habitd.paths import Paths, ensure_private_dir
from habitd.plugins import PluginHost
from habitd.rpc import check_params, is_rpc, only_reads, rpc, unknown
from habitd.schedule import Forecast, NudgeScheduler, Timetable
from habitd.store import Store

log = logging.getLogger("habitd.app")

_T = TypeVar("_T")


class App:
    """The service layer. Build one with :meth:`open`; close it with :meth:`close`."""

    def __init__(
        self,
        paths: Paths,
        config: Config,
        store: Store,
        plugins: PluginHost,
        *,
        daemon: bool,
    ) -> None:
        self.paths = paths
        self.core = Operations(config, store)
        self.store = store
        self.plugins = plugins
        self.daemon = daemon
        """True in the daemon; False in a CLI working without one."""
        self.loop = asyncio.get_running_loop()
        store.forbid_blocking_writes()  # the loop awaits its writes (App.write)
        self.delivery = Delivery(self)
        self.notifier: Notifier = LogNotifier("no desktop notifier in this process")
        """The daemon's runtime puts the desktop's in place at start."""
        self.scheduler: Timetable = (
            NudgeScheduler(self.fire, self.delivery.record_missed, self._run_job)
            if daemon
            else Forecast()
        )
        self.pid = os.getpid()
        self.started = clock.utc_now()
        self._started_monotonic = monotonic_time.monotonic()
        self._plugin_methods: dict[str, tuple[str, Callable[..., Any]]] = {}
        self._contexts: dict[str, PluginContext] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self.notifier_mode = config.settings.notifier
        self.tray_reason: Callable[[], str] = lambda: "no tray in this process"
        """Whether the tray shows habitd now, and if not why (``status``, ``doctor``)."""
        self.busy: str | None = None
        """Why the desktop cannot take a nudge now ("do not disturb", "screen locked"), as
        checked just before each nudge (plugins read it as ``ctx.busy``)."""
        self.changed: Callable[[], None] = lambda: None
        """Called after every committed change; the daemon's reactor listens here (a CLI
        working without a daemon does not react: the daemon catches up when it starts)."""
        plugins.context = self.context

    # --- building ----------------------------------------------------------------------

    @classmethod
    async def open(cls, paths: Paths, *, daemon: bool = False) -> App:
        """Open the store, read the config, load plugins, validate the config with them,
        and configure them (inside the running loop)."""
        for folder in (paths.data_dir, paths.state_dir):
            ensure_private_dir(folder)
        config = read_config(paths)
        plugins = await load_plugins(config, paths)
        config = usable(config, plugins)
        app = cls(paths, config, Store(paths.db), plugins, daemon=daemon)
        await app._take_plugins()
        return app

    async def _take_plugins(self) -> None:
        for context in self._contexts.values():
            context.cache.clear()
        await self.plugins.call_all("habitd_configure", config=self.config, paths=self.paths)
        self._plugin_methods = {}
        for name, methods in await self.plugins.call_all("habitd_rpc_methods"):
            for method, function in (methods or {}).items():
                self._plugin_methods[f"{name}.{method}"] = (name, function)

    def context(self, plugin: str) -> PluginContext:
        """The context plugin ``plugin``'s hooks are handed as ``ctx``."""
        found = self._contexts.get(plugin)
        if found is None:
            found = self._contexts[plugin] = PluginContext(self, plugin)
        return found

    async def close(self) -> None:
        """Release the notifier, the plugins' workers and the store (its writer finishes
        what was handed over first)."""
        await self.notifier.close()
        self.plugins.close()
        for context in self._contexts.values():
            context._close()
        await asyncio.to_thread(self.store.close)

    def spawn(self, work: Callable[[], Coroutine[Any, Any, Any]]) -> None:
        """Run ``work()`` on the loop as a task of its own (what a plugin's ``ctx.notify``
        hands over, a replaced plugin host retiring); :meth:`settle` waits for it, a failure
        is logged."""
        task = self.loop.create_task(work())
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("a plugin's request failed: %s", task.exception())

    async def settle(self) -> None:
        """Wait for the work plugins handed over so far (their messages shown)."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _run_job(self, plugin: str, name: str, function: Callable[[], Any]) -> None:
        await self.plugins.call_job(plugin, name, function)

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

    def paused_until(self) -> datetime | None:
        """When the person's pause ends, or None when not paused."""
        return self.core.paused_until()

    def vacations(self) -> list[tuple[date, date]]:
        """Ranges of habit days frozen by ``habitd pause --habits`` (both ends included)."""
        return self.core.vacations()

    # --- delivery -----------------------------------------------------------

    async def fire(
        self, nudge_id: str, *, forced: bool = False, cause: str = "schedule"
    ) -> dict[str, Any]:
        """Compose, check and deliver a nudge now (see :mod:`habitd.delivery`)."""
        return await self.delivery.fire(nudge_id, forced=forced, cause=cause)

    async def write(self, operation: Callable[[], _T], react: bool = True) -> _T:
        """Run ``operation`` (a core operation, or bookkeeping) on the store's one writer
        thread and await it (a commit's fsync never stalls the event loop); then, unless
        ``react`` is False (history lines, pending deliveries), let the reactor know."""
        result = await asyncio.wrap_future(self.store.submit(operation))
        if react:
            self.changed()
        return result

    def write_soon(self, operation: Callable[[], Any]) -> None:
        """Hand bookkeeping to the writer without waiting for it (from a callback on the
        loop that cannot await); a failure is logged."""

        def failed(future: Future[Any]) -> None:
            if future.exception() is not None:
                log.error("could not record: %s", future.exception())

        self.store.submit(operation).add_done_callback(failed)

    async def fire_later(self, nudge_id: str, due: datetime, reason: str) -> None:
        """Fire ``nudge_id`` once at ``due`` (replacing any earlier pending one); it survives a
        restart. ``reason`` is recorded as the firing's cause (``snoozed``, ``held``...)."""
        await self.write(partial(self.store.set_pending, nudge_id, due, reason), react=False)
        self.scheduler.add_pending(nudge_id, due, reason)

    def arm_stored(self, nudge_id: str | None = None) -> None:
        """Put the stored pending deliveries (of one nudge, or all) on the schedule: after a
        snooze or a resume written by the core, here or in a CLI without a daemon."""
        for pending_id, due, reason in self.store.pending():
            if nudge_id in (None, pending_id) and self.config.nudge(pending_id):
                self.scheduler.add_pending(pending_id, due, reason)

    # --- the operations the CLI offers (JSON in, JSON out) -------------------------------------

    @rpc
    async def ping(self) -> str:
        """Liveness check."""
        return "pong"

    @rpc
    async def status(self) -> dict[str, Any]:
        """Running?, pid, version, uptime, notifier, pause, quiet hours, nudges, and every
        plugin's state."""
        details = {
            name: dict(value)
            for name, value in await self.plugins.call_all("habitd_status", if_idle=True)
            if value
        }
        paused = self.paused_until()
        quiet = self.config.settings.quiet_hours
        quiet_end = quiet.end_if_quiet(self.now()) if quiet is not None else None
        return {
            "running": self.daemon,
            "pid": self.pid if self.daemon else None,
            "version": __version__,
            "started": self.started.isoformat(),
            "uptime": round(monotonic_time.monotonic() - self._started_monotonic, 1),
            "config": str(self.config.source),
            "database": self.store.gone() or "ok",
            "notifier": self.notifier.name,
            "notifier_reason": self.notifier.reason,
            "paused_until": paused.isoformat() if paused else None,
            "vacation": self.core.on_vacation(),
            "quiet_hours": str(quiet) if quiet else None,
            "tray": self.tray_reason(),
            "quiet_until": quiet_end.isoformat() if quiet_end else None,
            "nudges": len([n for n in self.config.nudges if n.enabled]),
            "inactive": dict(self.plugins.inactive),
            "habits": len(self.config.habits),
            "plugins": [
                {
                    "name": i.name,
                    "state": i.state,
                    "faults": i.faults,
                    "last_error": i.last_error,
                    "busy": self.plugins.busy(i.name),  # not asked for its status meanwhile
                }
                for i in self.plugins.infos.values()
            ],
            "details": details,
        }

    @rpc
    async def next(self, limit: int = 1) -> list[dict[str, Any]]:
        """What comes, soonest first: each enabled nudge's next ``limit`` times, snoozed and
        held deliveries, and plugins' jobs the person will see (a weekly review, an
        appointment reminder); each marked when a pause or quiet hours will hold it."""
        if not 1 <= limit <= 50:
            raise InvalidInput("limit must be from 1 to 50")
        if not self.daemon:
            await self.schedule()  # the forecast learns the plugins' jobs
        tz = self.tz
        rows: list[dict[str, Any]] = []
        for nudge in self.config.nudges:
            if not nudge.enabled:
                continue
            for at in self._upcoming(nudge, limit):
                rows.append(self._next_row(nudge, at, "scheduled"))
        for nudge_id, due, reason in self.store.pending():
            found = self.config.nudge(nudge_id)
            if found is not None:
                rows.append(self._next_row(found, due, reason))
        for name, job, at in self.scheduler.jobs_next():
            if job.shows:
                rows.append(
                    {
                        "nudge": None,
                        "job": name,
                        "at": at.astimezone(tz).isoformat(),
                        "why": "plugin job",
                        "kind": "job",
                        "schedule": job.shows,
                        "held": None,  # a plugin's message is not held by habitd
                    }
                )
        return sorted(rows, key=lambda row: datetime.fromisoformat(row["at"]))

    def _upcoming(self, nudge: Any, count: int) -> list[datetime]:
        from habitd.schedule import build_trigger

        first = self.scheduler.next_time(nudge, self.tz)
        times = [first] if first is not None else []
        trigger = build_trigger(nudge.schedule, self.tz)
        while times and len(times) < count:
            later = trigger.get_next_fire_time(times[-1], times[-1] + timedelta(seconds=1))
            if later is None:
                break
            times.append(later)
        return times

    def _next_row(self, nudge: Any, at: datetime, why: str) -> dict[str, Any]:
        return {
            "nudge": nudge.id,
            "at": at.astimezone(self.tz).isoformat(),
            "why": why,
            "kind": nudge.kind,
            "schedule": nudge.schedule.describe(),
            "held": self._held(at, nudge.catch_up),
        }

    def _held(self, at: datetime, catch_up: bool) -> dict[str, Any] | None:
        """How a pause or quiet hours will treat something due ``at``: held until when (or
        let go, for a nudge without ``catch_up``), or None when it comes as planned."""
        paused = self.paused_until()
        quiet = self.config.settings.quiet_hours
        quiet_end = quiet.end_if_quiet(at.astimezone(self.tz)) if quiet is not None else None
        if paused is not None and at < paused:
            reason, until = "paused", paused
        elif quiet_end is not None:
            reason, until = "quiet hours", quiet_end
        else:
            return None
        return {
            "reason": reason,
            "until": until.astimezone(self.tz).isoformat() if catch_up else None,
        }

    @rpc
    async def trigger(self, nudge: str) -> dict[str, Any]:
        """Fire a nudge now, even in quiet hours or a pause: the person asked for it."""
        return await self.fire(nudge, forced=True, cause="trigger")

    @rpc
    async def reload(self) -> dict[str, Any]:
        """Read the config and the plugins again (new, changed and removed plugin files
        included); on any problem keep the running ones and report every error."""
        systemd.notify("RELOADING=1")
        plugins: PluginHost | None = None
        try:
            config = read_config(self.paths)
            plugins = await load_plugins(config, self.paths, self.context)
            config = usable(config, plugins)
        except ConfigError as exc:
            log.error("reload refused, keeping the running config:\n  %s", "\n  ".join(exc.lines))
            systemd.notify("READY=1", "STATUS=reload refused; running the previous config")
            raise
        old, self.plugins = self.plugins, plugins
        self.spawn(old.retire)  # once what it is doing now is done
        self.config = config
        await self._take_plugins()
        await self.schedule()
        started = [n for n in plugins.infos if plugins.active(n) and not old.active(n)]
        if self.daemon and started:
            await self.plugins.call_all("habitd_startup", only=started)
        restart = restart_needed(old, plugins)
        await self.write(
            partial(self.store.add_event, "reloaded", detail={"config": str(config.source)}),
            react=False,
        )
        systemd.notify("READY=1", f"STATUS={len(config.nudges)} nudges")
        log.info("config reloaded from %s: %d nudges", config.source, len(config.nudges))
        if restart:
            log.warning("restart habitd to load changed plugin packages: %s", ", ".join(restart))
        return {
            "config": str(config.source),
            "nudges": len(config.nudges),
            "plugins": [n for n in plugins.infos if plugins.active(n)],
            "failed": {
                i.name: f"{i.state}: {i.last_error}"
                for i in plugins.infos.values()
                if i.state in ("refused", "failed")
            },
            "inactive": dict(plugins.inactive),
            "restart_needed": restart,
        }

    @rpc
    async def plugins_list(self) -> list[dict[str, Any]]:
        """Every plugin: name, source, version, state, hooks and last error."""
        return self.plugins.listing()

    @rpc
    async def plugins_reset(self, name: str) -> dict[str, Any]:
        """Lift a plugin's quarantine: it is called again from a fresh worker."""
        return self.plugins.reset(name).as_json()

    # --- scheduling ------------------------------------------------------------------------

    async def schedule(self) -> None:
        """(Re)build the schedule: every enabled nudge, plugins' jobs, pending deliveries."""
        jobs: list[tuple[str, Job]] = []
        for name, found in await self.plugins.call_all("habitd_jobs", config=self.config):
            jobs.extend((name, job) for job in found or ())
        self.scheduler.apply(self.config, jobs)
        for nudge_id, due, reason in self.store.pending():
            if self.config.nudge(nudge_id):
                self.scheduler.add_pending(nudge_id, due, reason)
            else:
                await self.write(partial(self.store.clear_pending, nudge_id), react=False)

    # --- dispatch ------------------------------------------------------------------------

    async def dispatch(self, method: str, params: Mapping[str, Any] | None) -> Any:
        """Call an RPC method by name with JSON params, checking names and types first: the
        core's writes on the store's writer thread, its reads on a reading thread, plugins'
        methods in their own worker, the daemon's own here."""
        params = dict(params or {})
        name = method.replace("-", "_")
        if name in OPERATIONS:
            operation = getattr(self.core, name)
            check_params(operation, params)
            if only_reads(operation):
                return await asyncio.to_thread(operation, **params)
            return await self.write(lambda: operation(**params))
        if method in self._plugin_methods:
            plugin, function = self._plugin_methods[method]
            check_params(function, params)
            return await self.plugins.call_method(plugin, method, function, params)
        found = getattr(self, name, None) if not method.startswith("_") else None
        if found is None or not is_rpc(found):
            raise unknown(method)
        function = typing.cast(Callable[..., Any], found)
        check_params(function, params)
        return await function(**params)


async def load_plugins(
    config: Config,
    paths: Paths,
    context: Callable[[str], PluginContext] | None = None,
    found: Sequence[Problem] = (),
) -> PluginHost:
    """A plugin host with every plugin ``config`` asks for, the config checked with them
    (the same rules for the daemon's start, ``habitd reload`` and ``habitd config check``).
    ``found``: the core's problems with the config already, reported together with the
    plugins'. Raises :class:`ConfigError` (the host's workers stopped)."""
    host = PluginHost()
    host.context = context
    try:
        # imports run in a thread: a slow one (bounded) never stops the loop answering
        await asyncio.to_thread(host.load, config, paths.plugins_dir)
        await host.collect_kinds()
        problems = [*found, *await host.validate(config, paths)]
        if problems:
            raise ConfigError(config.format_problems(problems))
    except BaseException:
        host.close()
        raise
    return host


def usable(config: Config, host: PluginHost) -> Config:
    """``config`` with the nudges ``host`` could not take (their kind's plugin did not
    load: :attr:`PluginHost.inactive`) turned off, so everything else runs."""
    if not host.inactive:
        return config
    from dataclasses import replace

    return replace(
        config,
        nudges=tuple(
            replace(n, enabled=False) if n.id in host.inactive else n for n in config.nudges
        ),
    )


def restart_needed(old: PluginHost, new: PluginHost) -> list[str]:
    """Entry-point plugins whose package was added, removed or changed since ``old``
    loaded: Python keeps an imported package, so only a restart loads the new one."""

    def packages(host: PluginHost) -> dict[str, str | None]:
        return {i.name: i.version for i in host.infos.values() if i.source == "entry point"}

    before, after = packages(old), packages(new)
    return sorted(n for n in {*before, *after} if before.get(n, "-") != after.get(n, "-"))


async def check_config(config: Config | ConfigError, paths: Paths) -> list[str]:
    """Validate a config completely, with every plugin it would load (for ``config check``,
    ``config edit`` and ``doctor``): the daemon's own rules. Given the :class:`ConfigError`
    of a config with problems, the plugins still check what is left of it, so every problem
    is reported in one run. Raises :class:`ConfigError`; returns what would not load
    (``plugin NAME would be refused: why``), for a warning."""
    found: list[Problem] = []
    if isinstance(config, ConfigError):
        if config.partial is None:  # not even TOML: nothing more to check
            raise config
        found = config.problems
        config = config.partial
    host = await load_plugins(config, paths, found=found)
    host.close()
    warnings = [
        f"plugin {info['name']} would be {info['state']}: {info['last_error']}"
        for info in host.listing()
        if info["state"] in ("refused", "failed")
    ] + [f"nudge {nudge} would be inactive: {why}" for nudge, why in host.inactive.items()]
    zone = clock.zone(config.settings.timezone)
    for nudge in config.nudges:
        once = nudge.schedule.date
        if once is not None and once.replace(tzinfo=once.tzinfo or zone) < clock.now(zone):
            warnings.append(f"nudge {nudge.id}: its date {once:%Y-%m-%d %H:%M} has passed")
    return warnings
