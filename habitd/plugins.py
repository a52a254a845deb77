"""Finding, loading and calling plugins, with isolation that pluggy alone does not give.

pluggy stops a whole hook call at the first exception and stops loading entry points at
the first broken one. habitd instead loads each plugin in its own ``try`` (an import bounded
in time), refuses wrappers, a kind another plugin renders and a name already taken, calls
hooks implementation by implementation in the plugin's own worker thread (never on the
daemon's loop), bounds every call in time, checks each result against its hook's spec,
counts faults, and quarantines a plugin after :data:`~habitd.hookspecs.QUARANTINE_AFTER` of
them within :data:`~habitd.hookspecs.FAULT_WINDOW`.

Sources, in order: built-ins (``habitd.builtin``), installed packages (entry-point group
``habitd``), then single-file plugins in ``<config dir>/plugins/`` and ``[plugins] paths``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import contextvars
import difflib
import importlib
import importlib.util
import inspect
import itertools
import logging
import threading
import time
import traceback
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from functools import partial
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType
from typing import Any

import pluggy

from habitd import hookspecs, trust
from habitd.config import Config, Problem, Setting, read_settings
from habitd.contract import Job, Message, TrayItem, Verdict
from habitd.errors import HabitdError, InvalidInput, NotFound
from habitd.hookspecs import FAULT_WINDOW, HOOK_TIMEOUT, IMPORT_TIMEOUT, QUARANTINE_AFTER
from habitd.paths import Paths, installed_plugins_allowed

log = logging.getLogger("habitd.plugins")

GIVE_UP_GRACE = 1.0
"""Seconds to wait, after giving up on an overrunning call, to learn whether it ended (an
``async`` call cancelled at an ``await`` ends at once) or still blocks its worker."""

ANSWERING: contextvars.ContextVar[bool] = contextvars.ContextVar("answering", default=False)
"""True inside a plugin call that answers the person: a reaction to what they did
(:data:`REPLY_HOOKS`), their command (an RPC method) or their click on a tray item. A
message a plugin shows from anywhere else comes on its own, and the core's pause, quiet
hours and do-not-disturb apply to it as they do to nudges (see ``PluginContext.notify``)."""

REPLY_HOOKS = frozenset({"habitd_on_action", "habitd_on_entry"})

BUILTINS = (
    "reminder",
    "goals",
    "mindfulness",
    "journal",
    "support",
    "insights",
    "backups",
)
"""Built-in plugin modules in ``habitd.builtin``, registered like any other plugin."""


@dataclass
class PluginInfo:
    """What ``habitd plugins`` shows about one plugin."""

    name: str
    source: str
    """``builtin``, ``entry point`` or ``file``."""
    origin: str
    version: str | None = None
    state: str = "active"
    """``active``, ``failed`` (could not load), ``refused`` (a file others could change),
    ``disabled`` (by config) or ``quarantined``."""
    faults: int = 0
    last_error: str | None = None
    last_traceback: str | None = None
    hooks: list[str] = field(default_factory=list)
    recent: list[float] = field(default_factory=list)
    """When (monotonic) the faults of the last :data:`FAULT_WINDOW` seconds happened."""

    def as_json(self) -> dict[str, Any]:
        """The shape of one item of ``habitd plugins --json``."""
        return {
            "name": self.name,
            "source": self.source,
            "origin": self.origin,
            "version": self.version,
            "state": self.state,
            "faults": self.faults,
            "last_error": self.last_error,
            "last_traceback": self.last_traceback,
            "hooks": self.hooks,
        }


class PluginHost:
    """The plugin manager plus habitd's rules for loading and calling plugins safely."""

    def __init__(
        self, timeout: float = HOOK_TIMEOUT, import_timeout: float = IMPORT_TIMEOUT
    ) -> None:
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.import_timeout = import_timeout
        """Seconds a plugin's import may take before it is given up on (failed)."""
        self.slow_imports: set[str] = set()
        """Plugins given up on because their import overran :attr:`import_timeout`."""
        self.pm.add_hookspecs(hookspecs)
        self.infos: dict[str, PluginInfo] = {}
        self.shadowed: list[PluginInfo] = []
        """Plugins refused because their name was taken (shown, never loaded)."""
        self.kinds: dict[str, str] = {}
        """Nudge kind -> the plugin that renders it."""
        self.inactive: dict[str, str] = {}
        """Nudge id -> why it cannot be used now: its kind belongs to no plugin that loaded,
        and a plugin failed to load (which may be the one that renders it). The rest of the
        config runs; only these nudges wait for their plugin."""
        self.timeout = timeout
        self.context: Callable[[str], Any] | None = None
        """Makes a plugin's ``ctx`` (set by the App; hooks that take ``ctx`` need it)."""
        self._workers: dict[str, Worker] = {}

    # --- loading ---------------------------------------------------------------------------

    def load(self, config: Config, plugins_dir: Path | None) -> None:
        """Load every plugin from every source; a broken one is recorded, never fatal."""
        disabled = set(config.plugins.disabled)
        for name in BUILTINS:
            self._load(
                name,
                "builtin",
                f"habitd.builtin.{name}",
                disabled,
                partial(importlib.import_module, f"habitd.builtin.{name}"),
            )
        allowed = installed_plugins_allowed()
        for entry in sorted(entry_points(group=hookspecs.PROJECT), key=lambda e: e.name):
            if allowed is not None and entry.name not in allowed:
                continue
            version = entry.dist.version if entry.dist else None
            self._load(entry.name, "entry point", entry.value, disabled, entry.load, version)
        for path in plugin_files(config, plugins_dir):
            self._load(path.stem, "file", str(path), disabled, partial(_import_file, path))

    def _refuse(self, name: str, reason: str) -> None:
        info = self.infos[name]
        info.state = "refused"
        info.last_error = reason
        log.error("plugin %s refused: %s", name, reason)

    def _load(
        self,
        name: str,
        source: str,
        origin: str,
        disabled: set[str],
        load: Callable[[], Any],
        version: str | None = None,
    ) -> None:
        if name in self.infos:
            first = self.infos[name]
            reason = f"the name {name!r} is taken by the {first.source} plugin {first.origin}"
            self.shadowed.append(PluginInfo(name, source, origin, version, "refused", 0, reason))
            log.error("plugin %s from %s refused: %s", name, origin, reason)
            return
        info = self.infos[name] = PluginInfo(name, source, origin, version)
        if name in disabled:
            info.state = "disabled"
            return
        unsafe = trust.problem(Path(origin)) if source == "file" else None
        if unsafe:  # checked before anything of it runs
            self._refuse(name, f"not loaded: {unsafe}")
            return
        try:
            plugin = load() if source == "builtin" else _bounded_import(load, self.import_timeout)
            info.version = info.version or getattr(plugin, "__version__", None)
            self.pm.register(plugin, name=name)
        except BaseException as exc:  # an import may raise anything, even SystemExit
            if isinstance(exc, KeyboardInterrupt):
                raise
            if isinstance(exc, TimeoutError):
                self.slow_imports.add(name)
            info.state = "failed"
            info.last_error = f"could not load: {type(exc).__name__}: {exc}"
            info.last_traceback = traceback.format_exc()
            log.error("plugin %s (%s) failed to load: %s", name, origin, info.last_error)
            return
        callers = self.pm.get_hookcallers(plugin) or []
        unknown = [hc.name for hc in callers if hc.spec is None]
        wrappers = [
            hc.name
            for hc in callers
            for impl in hc.get_hookimpls()
            if impl.plugin is plugin and (impl.hookwrapper or impl.wrapper)
        ]
        if unknown or wrappers:
            self.pm.unregister(plugin)
            if unknown:
                known = [n for n in dir(hookspecs) if n.startswith("habitd_")]
                hint = difflib.get_close_matches(unknown[0], known, n=1)
                reason = f"unknown hook {unknown[0]}" + (
                    f" (did you mean {hint[0]}?)" if hint else ""
                )
                info.state = "failed"
                info.last_error = reason
                log.error("plugin %s failed to load: %s", name, reason)
            else:
                self._refuse(
                    name,
                    f"{wrappers[0]} is a wrapper (wrapper=True or hookwrapper=True): habitd "
                    "calls every plugin on its own, so wrappers cannot work; use a plain hook",
                )
            return
        info.hooks = sorted(hc.name for hc in callers)

    async def collect_kinds(self) -> None:
        """Ask every plugin which nudge kinds it renders. A kind another plugin (loaded
        before it: built-ins first) already renders gets the later plugin refused."""
        self.kinds = {}
        order = list(self.infos)
        found = await self.call_all("habitd_nudge_kinds")
        for name, kinds in sorted(found, key=lambda pair: order.index(pair[0])):
            taken = [kind for kind in kinds or () if kind in self.kinds]
            if taken:
                self._refuse(
                    name,
                    f"claims the nudge kind {taken[0]!r}, which plugin {self.kinds[taken[0]]} "
                    "renders already (disable one of them in [plugins] disabled)",
                )
                continue
            for kind in kinds or ():
                self.kinds[kind] = name

    def active(self, name: str) -> bool:
        """Whether calls to plugin ``name`` happen."""
        info = self.infos.get(name)
        return info is not None and info.state == "active"

    # --- validation --------------------------------------------------------------------------

    async def validate(self, config: Config, paths: Paths) -> list[Problem]:
        """Everything plugins know about a config: kinds exist, settings and options are valid."""
        problems: list[Problem] = []
        installed = ", ".join(sorted(self.kinds)) or "none"
        self.inactive = {}
        for index, nudge in enumerate(config.nudges):
            if nudge.kind not in self.kinds:
                hint = difflib.get_close_matches(nudge.kind, list(self.kinds), n=1)
                suggestion = f" (did you mean {hint[0]!r}?)" if hint else ""
                refused = [
                    f"; plugin {i.name} is {i.state}: {i.last_error}"
                    for i in self.infos.values()
                    if i.state in ("refused", "failed")
                ]
                if refused and not hint:  # its plugin may be the one that did not load
                    self.inactive[nudge.id] = f"its kind {nudge.kind!r} is not loaded{refused[0]}"
                    log.error("nudge %s is inactive: %s", nudge.id, self.inactive[nudge.id])
                    continue
                problems.append(
                    Problem(
                        ("nudge", index, "kind"),
                        f"unknown kind {nudge.kind!r}{suggestion}; installed kinds: {installed}"
                        + "".join(refused[:1]),
                    )
                )
        for name in config.plugins.settings:
            info = self.infos.get(name)
            if info is None:
                known = ", ".join(sorted(self.infos)) or "none"
                problems.append(
                    Problem(
                        ("plugins", name),
                        f"no plugin named {name!r} is installed; plugins: {known}",
                        at="key",
                    )
                )
        for name in self.infos:
            declared = self.declared_settings(name)
            if declared:
                read_settings(declared, config.plugin_settings(name), ("plugins", name), problems)
        for name, found in await self.call_all(
            "habitd_validate_config", config=config, paths=paths
        ):
            for item in found or ():
                if isinstance(item, Problem):
                    problems.append(item)
                else:
                    problems.append(Problem(("plugins", name), str(item), at="key"))
        return [config.located(problem) for problem in problems]

    def declared_settings(self, name: str) -> Mapping[str, Setting] | None:
        """The ``SETTINGS`` a loaded plugin declares, if any."""
        plugin = self.pm.get_plugin(name)
        declared = getattr(plugin, "SETTINGS", None) if plugin is not None else None
        if isinstance(declared, Mapping) and all(isinstance(s, Setting) for s in declared.values()):
            return declared
        return None

    def settings(self, name: str, config: Config) -> dict[str, Any]:
        """A plugin's settings as it should use them: its declared ``SETTINGS`` checked and
        defaulted, else its raw ``[plugins.NAME]`` table."""
        declared = self.declared_settings(name)
        table = config.plugin_settings(name)
        if declared is None:
            return dict(table)
        return read_settings(declared, table, ("plugins", name), [])

    # --- calling -------------------------------------------------------------------------

    def _impls(self, hook: str) -> Iterable[pluggy.HookImpl]:
        """Implementations in pluggy's calling order (tryfirst first, last registered first)."""
        caller: pluggy.HookCaller = getattr(self.pm.hook, hook)
        for impl in reversed(caller.get_hookimpls()):
            if self.active(impl.plugin_name):
                yield impl

    def _arguments(
        self, impl: pluggy.HookImpl, hook: str, kwargs: Mapping[str, Any]
    ) -> dict[str, Any]:
        arguments = {name: kwargs[name] for name in impl.argnames if name in kwargs}
        if "settings" in impl.argnames and "config" in kwargs:
            config: Config = kwargs["config"]
            arguments["settings"] = (
                config.plugin_settings(impl.plugin_name)  # the plugin checks the raw table
                if hook == "habitd_validate_config"
                else self.settings(impl.plugin_name, config)
            )
        if "ctx" in impl.argnames:
            if self.context is None:
                raise RuntimeError(f"{hook} needs a context and none is set")
            arguments["ctx"] = self.context(impl.plugin_name)
        return arguments

    async def call_all(
        self,
        hook: str,
        /,
        *,
        only: Collection[str] | None = None,
        if_idle: bool = False,
        **kwargs: Any,
    ) -> list[tuple[str, Any]]:
        """Fan-out: call every active implementation (of the plugins named in ``only``, if
        given), each in its own worker and all at once, so a slow plugin delays nobody
        else's call; returns ``(plugin, result)`` pairs, in calling order, for the calls that
        succeeded and returned what the spec says (anything else is the plugin's fault).
        With ``if_idle`` (what answers the person now: ``status``), a plugin still busy in
        an earlier call is left out instead of waited for."""
        if _first_result(self.pm, hook):
            raise ValueError(f"{hook} is a first-result hook: use call_first")
        impls = [
            impl
            for impl in self._impls(hook)
            if (only is None or impl.plugin_name in only)
            and not (if_idle and self.busy(impl.plugin_name))
        ]
        outcomes = await asyncio.gather(*(self._invoke(impl, hook, kwargs) for impl in impls))
        return [
            (impl.plugin_name, value)
            for impl, (ok, value) in zip(impls, outcomes, strict=True)
            if ok
        ]

    def busy(self, plugin: str) -> str | None:
        """What the plugin's worker is in the middle of (``habitd_on_entry for 3s``), or
        None when it is idle."""
        worker = self._workers.get(plugin)
        return worker.doing() if worker is not None else None

    async def call_first(self, hook: str, **kwargs: Any) -> tuple[str, Any] | None:
        """First-result: the first ``(plugin, result)`` whose result is not None."""
        if not _first_result(self.pm, hook):
            raise ValueError(f"{hook} is a fan-out hook: use call_all")
        for impl in list(self._impls(hook)):
            ok, value = await self._invoke(impl, hook, kwargs)
            if ok and value is not None:
                return impl.plugin_name, value
        return None

    def call_direct(self, hook: str, **kwargs: Any) -> list[tuple[str, Any]]:
        """Fan-out without an event loop or time bound, for the CLI's command discovery."""
        results = []
        for impl in list(self._impls(hook)):
            try:
                value = impl.function(**self._arguments(impl, hook, kwargs))
                _check_result(hook, value)
            except Exception as exc:
                self.fault(impl.plugin_name, hook, exc)
            else:
                results.append((impl.plugin_name, value))
        return results

    async def call_job(
        self, plugin: str, name: str, function: Callable[[], Any], answering: bool = False
    ) -> None:
        """Run a plugin's job (a scheduled one, or a tray item's when ``answering`` the
        person's click) with the same isolation as a hook."""
        if self.active(plugin):
            await self._run(plugin, f"job {name}", function, {}, answering=answering)

    async def call_method(
        self, plugin: str, name: str, function: Callable[..., Any], params: dict[str, Any]
    ) -> Any:
        """Run a plugin's RPC method in its worker, bounded in time. A clean
        :class:`HabitdError` reaches the caller; anything else is the plugin's fault."""
        if not self.active(plugin):
            raise HabitdError(
                f"plugin {plugin} is {self.infos[plugin].state}: `habitd plugins` says why"
            )
        worker = self._worker(plugin)
        if worker.stuck:
            raise HabitdError(f"plugin {plugin} is stuck in an earlier call; try again later")
        try:
            return await self._bounded(worker, function, params, True, f"method {name}")
        except Skipped as exc:
            raise HabitdError(f"plugin {exc}; try again in a moment") from None
        except HabitdError:
            raise
        except Exception as exc:
            self.fault(plugin, f"method {name}", exc)
            raise HabitdError(f"plugin {plugin} failed in {name}: {exc}") from None

    async def _invoke(
        self, impl: pluggy.HookImpl, hook: str, kwargs: Mapping[str, Any]
    ) -> tuple[bool, Any]:
        try:
            arguments = self._arguments(impl, hook, kwargs)
        except Exception as exc:
            self.fault(impl.plugin_name, hook, exc)
            return False, None
        ok, value = await self._run(
            impl.plugin_name, hook, impl.function, arguments, answering=hook in REPLY_HOOKS
        )
        if ok:
            try:
                _check_result(hook, value)
            except TypeError as exc:
                self.fault(impl.plugin_name, hook, exc)
                return False, None
        return ok, value

    async def _run(
        self,
        plugin: str,
        what: str,
        function: Callable[..., Any],
        arguments: dict[str, Any],
        answering: bool = False,
    ) -> tuple[bool, Any]:
        """Call ``function`` in the plugin's own worker, never on this loop; a call that
        overruns is a fault and its late result is ignored."""
        worker = self._worker(plugin)
        if worker.stuck:
            log.info("plugin %s is still stuck in an earlier call; skipped for %s", plugin, what)
            return False, None
        try:
            result = await self._bounded(worker, function, arguments, answering, what)
        except Skipped as exc:
            log.info("plugin %s: %s skipped: %s", plugin, what, exc)
            return False, None
        except Exception as exc:
            self.fault(plugin, what, exc)
            return False, None
        return True, result

    async def _bounded(
        self,
        worker: Worker,
        function: Callable[..., Any],
        arguments: Mapping[str, Any],
        answering: bool,
        what: str = "a call",
    ) -> Any:
        """Run ``function`` in ``worker`` and give it :attr:`timeout` from the moment it
        starts there. Queued behind an earlier call of the same plugin, it waits at most
        that call's own bound (then the earlier call is given up on and the worker stuck):
        it never runs and raises :class:`Skipped`, which is not this call's fault. A call
        that overruns is given up on (cancelled; a late result is ignored) and raises
        TimeoutError; the worker counts as stuck until the worker itself reports that call
        ended, which an awaiting ``async`` call does at once and a blocking one only when it
        returns."""
        call = worker.submit(function, arguments, answering, what)
        waiting = asyncio.wrap_future(call)
        began = asyncio.wrap_future(call.began)
        # one given up on (or whose caller was cancelled, as when habitd stops) may still
        # fail later: that was handled or charged already, never "exception never retrieved"
        waiting.add_done_callback(lambda f: f.cancelled() or f.exception())
        began.add_done_callback(lambda f: f.cancelled() or f.exception())
        done, _ = await asyncio.wait(
            {began, waiting},
            timeout=self.timeout + GIVE_UP_GRACE,
            return_when=asyncio.FIRST_COMPLETED,
        )
        if not done:
            earlier = worker.doing()
            worker.give_up(call)
            raise Skipped(f"{worker.plugin} was still busy with {earlier or 'an earlier call'}")
        done, _ = await asyncio.wait({waiting}, timeout=self.timeout)
        if not done:
            worker.give_up(call)
            await asyncio.wait({waiting}, timeout=GIVE_UP_GRACE)  # ended, or stuck: known
            raise TimeoutError(f"took longer than {self.timeout:g}s")
        return waiting.result()

    def _worker(self, plugin: str) -> Worker:
        worker = self._workers.get(plugin)
        if worker is None:
            worker = self._workers[plugin] = Worker(plugin)
        return worker

    def fault(self, plugin: str, what: str, exc: BaseException) -> None:
        """Record a plugin's fault; quarantine it after too many within a window."""
        info = self.infos[plugin]
        now = time.monotonic()
        info.faults += 1
        info.recent = [t for t in info.recent if now - t < FAULT_WINDOW] + [now]
        info.last_error = f"{what}: {type(exc).__name__}: {exc}"
        info.last_traceback = "".join(traceback.format_exception(exc))
        log.error("plugin %s failed in %s", plugin, info.last_error)
        log.debug("the traceback of plugin %s:\n%s", plugin, info.last_traceback.rstrip())
        if len(info.recent) >= QUARANTINE_AFTER and info.state == "active":
            info.state = "quarantined"
            log.error(
                "plugin %s quarantined after %d faults in %d minutes; fix it, then "
                "`habitd plugins reset %s`",
                plugin,
                len(info.recent),
                FAULT_WINDOW // 60,
                plugin,
            )

    def reset(self, plugin: str) -> PluginInfo:
        """Lift a quarantine: the plugin is called again, from a fresh worker."""
        info = self.infos.get(plugin)
        if info is None:
            raise NotFound(f"no plugin named {plugin!r}; plugins: {', '.join(self.infos)}")
        if info.state not in ("active", "quarantined"):
            raise InvalidInput(
                f"plugin {plugin} is {info.state} ({info.last_error}); a reset only lifts a "
                "quarantine: fix it, then `habitd reload`"
            )
        info.state = "active"
        info.recent = []
        worker = self._workers.pop(plugin, None)
        if worker is not None:
            worker.stop()
        return info

    async def retire(self) -> None:
        """Close once the calls in flight have finished or overrun, so a reload never cuts
        a reaction short in the host it replaces."""
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline and any(
            worker.unfinished for worker in self._workers.values()
        ):
            await asyncio.sleep(0.05)
        self.close()

    def close(self) -> None:
        """Stop every plugin worker (a stuck one is left behind: its thread is a daemon)."""
        for worker in self._workers.values():
            worker.stop()
        self._workers.clear()

    def listing(self) -> list[dict[str, Any]]:
        """Every plugin, for ``habitd plugins --json``."""
        return [info.as_json() for info in [*self.infos.values(), *self.shadowed]]


class Call(concurrent.futures.Future[Any]):
    """One call in a plugin's worker: a future the worker completes when the call has
    really ended (returned, raised or, once given up on, cancelled), never before."""

    def __init__(self, number: int, what: str) -> None:
        super().__init__()
        self.number = number
        self.what = what
        self.began: concurrent.futures.Future[float] = concurrent.futures.Future()
        """Done (with the monotonic time) when the call starts on the worker's thread."""


class Skipped(Exception):
    """A call that never ran: its plugin was still busy with an earlier one (that call is
    the one charged, if it overran)."""


class Worker:
    """One plugin's own thread running its own event loop: every call of that plugin
    (plain or ``async def`` hooks, jobs, RPC methods) runs there, one at a time. A plugin
    that blocks stalls only itself; the daemon's loop never runs plugin code."""

    def __init__(self, plugin: str) -> None:
        self.plugin = plugin
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(
            target=self._serve, name=f"habitd-plugin-{plugin}", daemon=True
        )
        self.thread.start()
        self._tasks: dict[int, asyncio.Task[Any]] = {}
        """Calls running (touched on the worker's thread only)."""
        self.unfinished: set[int] = set()
        """Calls submitted and not yet ended, queued ones included (a set: both threads
        change it, and its add and discard are atomic)."""
        self._given_up: set[int] = set()
        """Calls the caller stopped waiting for that have not ended yet."""
        self._running: dict[int, tuple[float, str]] = {}
        """Calls started and not ended: (start, what). Written on the worker's thread only;
        the loop's thread reads a copy for :meth:`doing` (a dict copy is atomic in
        CPython, and a stale answer only says busy a moment too long or too short)."""
        self._calls = itertools.count()

    def submit(
        self,
        function: Callable[..., Any],
        arguments: Mapping[str, Any],
        answering: bool = False,
        what: str = "a call",
    ) -> Call:
        """Call ``function(**arguments)`` in the worker (awaiting it if it is async), with
        :data:`ANSWERING` set for the call; ``what`` names it (``habitd_on_entry``)."""
        call = Call(next(self._calls), what)
        self.unfinished.add(call.number)

        async def run() -> Any:
            ANSWERING.set(answering)  # this call's task has its own context
            result = function(**arguments)
            if inspect.isawaitable(result):
                result = await result
            return result

        def start() -> None:  # on the worker's thread
            if call.number in self._given_up:  # given up on while it waited: never runs
                self._ended(call, None)
                return
            started = time.monotonic()
            self._running[call.number] = (started, call.what)
            with contextlib.suppress(concurrent.futures.InvalidStateError):
                call.began.set_result(started)
            task = self.loop.create_task(run())
            self._tasks[call.number] = task
            task.add_done_callback(partial(self._ended, call))

        self.loop.call_soon_threadsafe(start)
        return call

    def _ended(self, call: Call, task: asyncio.Task[Any] | None) -> None:
        """On the worker's thread: the call is over; say so to whoever waits (after the
        worker's own books say so: a caller woken by the result sees the worker free)."""
        self._tasks.pop(call.number, None)
        self._running.pop(call.number, None)
        self._given_up.discard(call.number)
        self.unfinished.discard(call.number)
        if not call.began.done():
            call.began.cancel()
        with contextlib.suppress(concurrent.futures.InvalidStateError):  # settled already
            if task is None or task.cancelled():
                call.cancel()
            elif task.exception() is not None:
                call.set_exception(task.exception())
            else:
                call.set_result(task.result())

    def give_up(self, call: Call) -> None:
        """The caller stops waiting for ``call``: cancel it (an ``async`` call ends at its
        next ``await``; a blocking one only when it returns). Until it ends the worker is
        :attr:`stuck`."""
        if call.done():
            return
        self._given_up.add(call.number)
        with contextlib.suppress(RuntimeError):  # the loop is closed: nothing runs any more
            self.loop.call_soon_threadsafe(self._cancel, call.number)

    def _cancel(self, number: int) -> None:
        task = self._tasks.get(number)
        if task is not None:
            task.cancel()

    def doing(self) -> str | None:
        """What the worker is busy with (``habitd_on_entry for 3s``; the longest running
        call), ``calls waiting`` when only queued ones are left, None when idle."""
        running = sorted(dict(self._running).values())
        if running:
            started, what = running[0]
            return f"{what} for {time.monotonic() - started:.0f}s"
        return "calls waiting" if self.unfinished else None

    @property
    def stuck(self) -> bool:
        """Whether a call given up on is still running: new calls would only queue behind
        it, so they are skipped until it ends."""
        return bool(self._given_up)

    def _serve(self) -> None:
        self.loop.run_forever()
        self.loop.close()  # on its own thread, so a loop collected later is never running

    def stop(self) -> None:
        """Stop the loop (a call in progress is not finished: see :meth:`PluginHost.retire`);
        an idle worker's thread has ended when this returns."""
        with contextlib.suppress(RuntimeError):
            self.loop.call_soon_threadsafe(self.loop.stop)
        if not self.unfinished and threading.current_thread() is not self.thread:
            self.thread.join(1.0)


def plugin_files(config: Config, plugins_dir: Path | None) -> list[Path]:
    """Single-file plugins: ``<config dir>/plugins/*.py`` and each ``[plugins] paths``."""
    folders = [plugins_dir] if plugins_dir else []
    return [
        path
        for folder in [*folders, *config.plugins.paths]
        for path in (sorted(folder.glob("*.py")) if folder.is_dir() else [])
    ]


def _first_result(pm: pluggy.PluginManager, hook: str) -> bool:
    spec = getattr(pm.hook, hook).spec
    return bool(spec and spec.opts.get("firstresult"))


def _check_result(hook: str, value: Any) -> None:
    """Raise TypeError when a hook's result is not what its spec returns."""
    expected = RESULTS.get(hook)
    if expected is None or value is None:
        return
    described, accepts = expected
    if not accepts(value):
        raise TypeError(f"returned {_short(value)}, not {described}")


def _short(value: Any) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text if len(text) <= 60 else text[:57] + '...'}"


def _sequence_of(*types: type) -> Callable[[Any], bool]:
    def accepts(value: Any) -> bool:
        return isinstance(value, list | tuple) and all(isinstance(v, types) for v in value)

    return accepts


def _string_keyed(value: Any) -> bool:
    return isinstance(value, Mapping) and all(isinstance(k, str) for k in value)


def _methods(value: Any) -> bool:
    return _string_keyed(value) and all(callable(v) for v in value.values())


def _commands(value: Any) -> bool:
    import click

    return _sequence_of(click.Command)(value)


RESULTS: dict[str, tuple[str, Callable[[Any], bool]]] = {
    "habitd_nudge_kinds": ("a list of kind names", _sequence_of(str)),
    "habitd_validate_config": ("a list of Problem or str", _sequence_of(Problem, str)),
    "habitd_compose": ("a Message or None", lambda v: isinstance(v, Message)),
    "habitd_before_send": ("a Verdict or None", lambda v: isinstance(v, Verdict)),
    "habitd_jobs": ("a list of Job", _sequence_of(Job)),
    "habitd_commands": ("a list of click commands", _commands),
    "habitd_rpc_methods": ("a mapping of name to function", _methods),
    "habitd_status": ("a mapping of str keys", _string_keyed),
    "habitd_tray_items": ("a list of TrayItem", _sequence_of(TrayItem)),
}
"""What each hook whose result habitd uses must return (None always may be returned); the
other hooks' results are ignored."""


def _bounded_import(load: Callable[[], Any], timeout: float) -> Any:
    """Import a plugin in a helper thread: one that hangs at import is given up on after
    ``timeout`` seconds (it stays behind in its daemon thread, never loaded)."""
    outcome: list[Any] = []

    def target() -> None:
        try:
            outcome.append((True, load()))
        except BaseException as exc:
            outcome.append((False, exc))

    thread = threading.Thread(target=target, name="habitd-plugin-import", daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    pause = 0.0005
    while not outcome and time.monotonic() < deadline:  # sleeps, not a timed join: those
        time.sleep(pause)  # hang when the clock is moved (libfaketime, the clock tests)
        pause = min(pause * 2, 0.02)
    if not outcome:
        raise TimeoutError(f"its import took longer than {timeout:g}s")
    ok, value = outcome[0]
    if not ok:
        raise value
    return value


def _import_file(path: Path) -> ModuleType:
    """Import a single-file plugin under a private module name."""
    spec = importlib.util.spec_from_file_location(f"habitd_local_plugin_{path.stem}", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
