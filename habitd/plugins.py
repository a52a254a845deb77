"""Finding, loading and calling plugins, with isolation that pluggy alone does not give.

pluggy stops a whole hook call at the first exception and stops loading entry points at
the first broken one. habitd instead loads each plugin in its own ``try``, calls hooks
implementation by implementation, bounds every call in time (plain functions run in a
worker thread, so a blocking plugin cannot stall the daemon), counts faults, and
quarantines a plugin after :data:`~habitd.hookspecs.QUARANTINE_AFTER` of them.

Sources, in order: built-ins (``habitd.builtin``), installed packages (entry-point group
``habitd``), then single-file plugins in ``<config dir>/plugins/`` and ``[plugins] paths``.
"""

from __future__ import annotations

import asyncio
import contextlib
import difflib
import importlib
import importlib.util
import inspect
import logging
import threading
import traceback
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import partial
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType
from typing import Any

import pluggy

from habitd import hookspecs, trust
from habitd.config import Config, Problem, Setting, read_settings
from habitd.hookspecs import HOOK_TIMEOUT, QUARANTINE_AFTER
from habitd.paths import Paths

log = logging.getLogger("habitd.plugins")

BUILTINS = (
    "reminder",
    "quiet",
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

    def __init__(self, timeout: float = HOOK_TIMEOUT) -> None:
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.infos: dict[str, PluginInfo] = {}
        self.kinds: dict[str, list[str]] = {}
        self.timeout = timeout

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
        for entry in sorted(entry_points(group=hookspecs.PROJECT), key=lambda e: e.name):
            version = entry.dist.version if entry.dist else None
            self._load(entry.name, "entry point", entry.value, disabled, entry.load, version)
        folders = [plugins_dir] if plugins_dir else []
        for folder in [*folders, *config.plugins.paths]:
            for path in sorted(folder.glob("*.py")) if folder.is_dir() else []:
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
            log.error(
                "plugin %s from %s ignored: the name is taken by %s plugin %s",
                name,
                origin,
                first.source,
                first.origin,
            )
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
            plugin = load()
            info.version = info.version or getattr(plugin, "__version__", None)
            self.pm.register(plugin, name=name)
        except BaseException as exc:  # an import may raise anything, even SystemExit
            if isinstance(exc, KeyboardInterrupt):
                raise
            info.state = "failed"
            info.last_error = f"could not load: {type(exc).__name__}: {exc}"
            info.last_traceback = traceback.format_exc()
            log.error("plugin %s (%s) failed to load: %s", name, origin, info.last_error)
            return
        unknown = [hc.name for hc in self.pm.get_hookcallers(plugin) or [] if hc.spec is None]
        if unknown:
            self.pm.unregister(plugin)
            known = [n for n in dir(hookspecs) if n.startswith("habitd_")]
            hint = difflib.get_close_matches(unknown[0], known, n=1)
            info.state = "failed"
            info.last_error = f"unknown hook {unknown[0]}" + (
                f" (did you mean {hint[0]}?)" if hint else ""
            )
            log.error("plugin %s failed to load: %s", name, info.last_error)
            return
        info.hooks = sorted(hc.name for hc in self.pm.get_hookcallers(plugin) or [])

    async def collect_kinds(self) -> None:
        """Ask every plugin which nudge kinds it renders."""
        self.kinds = {}
        for name, kinds in await self.call_all("habitd_nudge_kinds"):
            for kind in kinds or ():
                self.kinds.setdefault(str(kind), []).append(name)

    # --- validation --------------------------------------------------------------------------

    async def validate(self, config: Config, paths: Paths) -> list[Problem]:
        """Everything plugins know about a config: kinds exist, settings and options are valid."""
        problems: list[Problem] = []
        installed = ", ".join(sorted(self.kinds)) or "none"
        for index, nudge in enumerate(config.nudges):
            owners = self.kinds.get(nudge.kind)
            if not owners:
                hint = difflib.get_close_matches(nudge.kind, list(self.kinds), n=1)
                suggestion = f" (did you mean {hint[0]!r}?)" if hint else ""
                problems.append(
                    Problem(
                        ("nudge", index, "kind"),
                        f"unknown kind {nudge.kind!r}{suggestion}; installed kinds: {installed}",
                    )
                )
            elif len(owners) > 1:
                problems.append(
                    Problem(
                        ("nudge", index, "kind"),
                        f"kind {nudge.kind!r} is claimed by plugins {' and '.join(owners)}; "
                        "disable one in [plugins] disabled",
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
        return problems

    def declared_settings(self, name: str) -> Mapping[str, Setting] | None:
        """The ``SETTINGS`` a loaded plugin declares, if any."""
        plugin = self.pm.get_plugin(name)
        declared = getattr(plugin, "SETTINGS", None) if plugin is not None else None
        if isinstance(declared, Mapping) and all(isinstance(s, Setting) for s in declared.values()):
            return declared
        return None

    # --- calling -------------------------------------------------------------------------

    def _impls(self, hook: str) -> Iterable[pluggy.HookImpl]:
        """Implementations in pluggy's calling order (tryfirst first, last registered first)."""
        caller: pluggy.HookCaller = getattr(self.pm.hook, hook)
        for impl in reversed(caller.get_hookimpls()):
            if self.infos[impl.plugin_name].state == "active":
                yield impl

    def _arguments(self, impl: pluggy.HookImpl, kwargs: Mapping[str, Any]) -> dict[str, Any]:
        arguments = {name: kwargs[name] for name in impl.argnames if name in kwargs}
        if "settings" in impl.argnames and "config" in kwargs:
            arguments["settings"] = kwargs["config"].plugin_settings(impl.plugin_name)
        return arguments

    async def call_all(self, hook: str, **kwargs: Any) -> list[tuple[str, Any]]:
        """Fan-out: call every active implementation; returns ``(plugin, result)`` pairs for
        the calls that succeeded (a fault is recorded and skipped)."""
        results = []
        for impl in list(self._impls(hook)):
            ok, value = await self._invoke(impl, hook, self._arguments(impl, kwargs))
            if ok:
                results.append((impl.plugin_name, value))
        return results

    async def call_first(self, hook: str, **kwargs: Any) -> tuple[str, Any] | None:
        """First-result: the first ``(plugin, result)`` whose result is not None."""
        for impl in list(self._impls(hook)):
            ok, value = await self._invoke(impl, hook, self._arguments(impl, kwargs))
            if ok and value is not None:
                return impl.plugin_name, value
        return None

    def call_direct(self, hook: str, **kwargs: Any) -> list[tuple[str, Any]]:
        """Fan-out without an event loop or time bound, for the CLI's command discovery."""
        results = []
        for impl in list(self._impls(hook)):
            try:
                results.append((impl.plugin_name, impl.function(**self._arguments(impl, kwargs))))
            except Exception as exc:
                self.fault(impl.plugin_name, hook, exc)
        return results

    async def call_job(self, plugin: str, name: str, function: Callable[[], Any]) -> None:
        """Run a plugin's scheduled job with the same isolation as a hook."""
        if self.infos.get(plugin, PluginInfo(plugin, "", "")).state != "active":
            return
        await self._run(plugin, f"job {name}", function, {})

    async def _invoke(
        self, impl: pluggy.HookImpl, hook: str, arguments: dict[str, Any]
    ) -> tuple[bool, Any]:
        return await self._run(impl.plugin_name, hook, impl.function, arguments)

    async def _run(
        self, plugin: str, what: str, function: Callable[..., Any], arguments: dict[str, Any]
    ) -> tuple[bool, Any]:
        try:
            if inspect.iscoroutinefunction(function):
                result = await asyncio.wait_for(function(**arguments), self.timeout)
            else:
                result = await asyncio.wait_for(_in_thread(function, arguments), self.timeout)
                if inspect.isawaitable(result):
                    result = await asyncio.wait_for(result, self.timeout)
        except TimeoutError:
            self.fault(plugin, what, TimeoutError(f"took longer than {self.timeout:g}s"))
            return False, None
        except Exception as exc:
            self.fault(plugin, what, exc)
            return False, None
        return True, result

    def fault(self, plugin: str, what: str, exc: BaseException) -> None:
        """Record a plugin's fault; quarantine it after too many."""
        info = self.infos[plugin]
        info.faults += 1
        info.last_error = f"{what}: {type(exc).__name__}: {exc}"
        info.last_traceback = "".join(traceback.format_exception(exc))
        log.error("plugin %s failed in %s", plugin, info.last_error)
        if info.faults >= QUARANTINE_AFTER and info.state == "active":
            info.state = "quarantined"
            log.error(
                "plugin %s quarantined after %d faults; restart habitd after fixing it",
                plugin,
                info.faults,
            )

    def listing(self) -> list[dict[str, Any]]:
        """Every plugin, for ``habitd plugins --json``."""
        return [info.as_json() for info in self.infos.values()]


def _import_file(path: Path) -> ModuleType:
    """Import a single-file plugin under a private module name."""
    spec = importlib.util.spec_from_file_location(f"habitd_local_plugin_{path.stem}", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _in_thread(function: Callable[..., Any], arguments: dict[str, Any]) -> asyncio.Future[Any]:
    """Run a blocking function in a daemon thread: a hung plugin never blocks the exit."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[Any] = loop.create_future()

    def settle(result: Any, error: BaseException | None) -> None:
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)

    def target() -> None:
        try:
            result = function(**arguments)
        except BaseException as exc:
            _call_soon(loop, settle, None, exc)
        else:
            _call_soon(loop, settle, result, None)

    threading.Thread(target=target, name=f"habitd-hook-{function.__name__}", daemon=True).start()
    return future


def _call_soon(loop: asyncio.AbstractEventLoop, callback: Callable[..., None], *args: Any) -> None:
    with contextlib.suppress(RuntimeError):  # the loop closed while the plugin still ran
        loop.call_soon_threadsafe(callback, *args)
