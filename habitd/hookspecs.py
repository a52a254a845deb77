"""The plugin contract: every hook habitd calls, with its arguments, return and timing.

A plugin is a module (or any object) with functions named after these hooks and marked
with ``@habitd.hookimpl``. Implement only the hooks you need, and only the arguments you
use: pluggy passes arguments by name. The built-in features (``habitd.builtin``) are
ordinary plugins using these same hooks.

How habitd calls them:

- Plugins are trusted code running as you, with your files: install only what you would
  run yourself. habitd still keeps one plugin's mistakes from hurting the daemon or the
  others: each plugin runs in its own worker thread with its own event loop, never on
  the daemon's loop. Every hook may be a plain function or an ``async def``; an async hook
  must not block (``time.sleep``, blocking I/O) -- it would stall only its own plugin, but
  its calls would overrun. Every call is bounded in time (:data:`HOOK_TIMEOUT` seconds): a
  plugin that raises, overruns or returns the wrong type is charged a fault (its late
  result is ignored), ``habitd plugins`` shows the error, and after :data:`QUARANTINE_AFTER`
  faults within :data:`FAULT_WINDOW` seconds it is quarantined (no more calls until
  ``habitd plugins reset NAME`` or a restart). One plugin's fault never stops another.
- *fan-out* hooks call every plugin and collect the results; *first-result* hooks (marked
  ``firstresult=True`` below) stop at the first plugin that returns something other than
  ``None``. Wrappers (``wrapper=True``, ``hookwrapper=True``) are refused at load.
- The ``ctx`` argument is the plugin's :class:`habitd.plugin.PluginContext`: the clock,
  its own settings and state, read-only queries, and what a plugin may do (``ctx.notify``,
  ``ctx.fire_later``, ``ctx.record_action``, ``ctx.add_entry``). Its methods are plain
  functions, safe from plain and async hooks alike.
- Pause, quiet hours, do-not-disturb and the screen lock are habitd's own: applied after
  every ``habitd_before_send`` has been asked, so no plugin can let a nudge through them.
- ``habitd_on_action`` and ``habitd_on_entry`` are reactions: they run in the daemon after
  the write is committed and answered (a slow reaction never delays "saved"), once per
  change, in order. What was written while no daemon ran (the CLI works alone then) is
  reacted to when the daemon starts: judge staleness by ``action.ts`` / ``entry.ts``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import click

    from habitd.config import Config, Nudge, Problem
    from habitd.context import PluginContext
    from habitd.contract import Action, Entry, Job, Message, TrayItem, Verdict
    from habitd.paths import Paths

PROJECT = "habitd"
HOOK_TIMEOUT = 5.0
"""Seconds a single hook call may take before it counts as a fault."""
QUARANTINE_AFTER = 3
"""Faults (within :data:`FAULT_WINDOW`) after which a plugin is quarantined."""
FAULT_WINDOW = 3600
"""Seconds over which faults count towards a quarantine."""
IMPORT_TIMEOUT = 5.0
"""Seconds a plugin's import may take before it is given up on (reported as failed)."""

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def habitd_nudge_kinds() -> Sequence[str]:  # type: ignore[empty-body]
    """Name the nudge kinds this plugin renders (``kind = "..."`` in a ``[[nudge]]``).

    Fan-out, called when plugins load. A kind another plugin renders already (built-ins
    load first) gets this plugin refused, named in ``habitd plugins``. Return e.g.
    ``["water"]``.
    """


@hookspec
def habitd_validate_config(
    config: Config, settings: Mapping[str, Any], paths: Paths
) -> Sequence[Problem | str] | None:
    """Check this plugin's part of a config before it is used; return every problem found.

    Fan-out, called for ``habitd config check``, at start and before a reload swaps the new
    config in. ``settings`` is this plugin's own ``[plugins.NAME]`` table (``{}`` when absent).
    A plain string is reported at ``plugins.NAME``; a :class:`habitd.config.Problem` carries
    its own key path (for example ``("nudge", 2, "options", "practice")``) so the error shows
    the right file line (or its own ``where`` for a file of the plugin's). ``paths`` says where
    habitd's files are (``paths.config_dir`` for a plugin's own files). Must not change
    anything: the config may still be rejected.
    """


@hookspec
def habitd_configure(
    config: Config, settings: Mapping[str, Any], ctx: PluginContext, paths: Paths
) -> None:
    """Take a validated config into use: at start and after every successful reload.

    Fan-out. ``settings`` is this plugin's ``[plugins.NAME]`` table, checked against its
    ``SETTINGS`` with defaults filled in when it declares them (``ctx.settings`` is the
    same, at any time).
    """


@hookspec(firstresult=True)
def habitd_compose(nudge: Nudge, ctx: PluginContext) -> Message | None:
    """Render a nudge as a :class:`habitd.plugin.Message` (title, body, buttons, reply).

    First-result: return ``None`` for nudges whose kind is not yours. Called each time a
    nudge fires.
    """


@hookspec(firstresult=True)
def habitd_before_send(nudge: Nudge, message: Message, ctx: PluginContext) -> Verdict | None:
    """Decide whether a composed nudge goes out now: return ``None`` to let it through, or a
    :class:`habitd.plugin.Verdict` to hold it until a time or drop it.

    First-result. Not called for ``habitd trigger`` (the person asked for that nudge).
    Letting a nudge through never overrides habitd's own pause, quiet hours and
    do-not-disturb, which are applied afterwards (``ctx.busy`` says if the desktop is busy).
    """


@hookspec
def habitd_after_send(nudge: Nudge, message: Message, ctx: PluginContext) -> None:
    """A nudge was just shown (or logged) to the person. Fan-out.

    Called after the nudge was sent and its ``fired`` line is in history, never waited for
    by the firing (a slow hook delays no nudge). Not called when ``habitd_before_send`` held
    or dropped it.
    """


@hookspec
def habitd_on_action(action: Action, ctx: PluginContext) -> None:
    """React to the person's answer to a nudge (done, skipped, lapse, snoozed, clicked,
    dismissed, replied), from a notification button or the CLI. The answer is already
    stored; ``action.ts`` says when it was given (it may be from before the daemon started).

    Fan-out; a reaction, called by the daemon after the answer was saved.
    """


@hookspec
def habitd_on_entry(entry: Entry, ctx: PluginContext) -> None:
    """React to a new journal entry (a feeling, an urge, a thought record). Already stored;
    ``entry.ts`` says when it was written (it may be from before the daemon started: an urge
    from hours ago is not a moment to escalate).

    Fan-out; a reaction, called by the daemon after the entry was saved.
    """


@hookspec
def habitd_jobs(config: Config, ctx: PluginContext) -> Sequence[Job] | None:
    """Scheduled work of the plugin's own: return :class:`habitd.plugin.Job` objects.

    Fan-out, called at start and after each reload; jobs are replaced as a whole each time.
    A job's function takes no arguments, may be async, and is bounded in time like a hook.
    """


@hookspec
def habitd_commands() -> Sequence[click.Command] | None:
    """Add Click commands to the ``habitd`` CLI, for single-file plugins. Fan-out, called
    only when the name typed is neither a built-in command nor one declared by an installed
    package (so a plugin cannot slow those down), and for ``--help``. It loads every plugin
    first; an installed package should declare its commands in the entry-point group
    ``habitd.commands`` instead, which imports only the command typed.
    """


@hookspec
def habitd_rpc_methods(
    ctx: PluginContext,
) -> Mapping[str, Callable[..., Awaitable[Any] | Any]] | None:
    """Expose methods over the daemon's JSON-RPC socket as ``PLUGIN.METHOD``.

    Fan-out. Each method takes keyword arguments (the JSON-RPC params object) and returns
    something JSON can encode; raise :class:`habitd.errors.HabitdError` for a clean error.
    """


@hookspec
def habitd_tray_items(ctx: PluginContext) -> Sequence[TrayItem] | None:
    """Items for habitd's tray menu: :class:`habitd.plugin.TrayItem` (a label, and what to
    run when it is chosen). Fan-out, asked at start, after each reload and after each
    change; an item's ``run`` is called like a job (in the plugin's worker, bounded in time,
    a failure charged to the plugin).
    """


@hookspec
def habitd_status(ctx: PluginContext) -> Mapping[str, Any] | None:
    """A few facts for ``habitd status`` (shown under the plugin's name). Fan-out."""


@hookspec
def habitd_startup(ctx: PluginContext) -> None:
    """The daemon has started (its socket listens, the schedule is loaded). Fan-out."""


@hookspec
def habitd_shutdown(ctx: PluginContext) -> None:
    """The daemon is stopping. Fan-out; keep it short."""
