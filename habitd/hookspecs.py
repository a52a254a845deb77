"""The plugin contract: every hook habitd calls, with its arguments, return and timing.

A plugin is a module (or any object) with functions named after these hooks and marked
with ``@habitd.hookimpl``. Implement only the hooks you need, and only the arguments you
use: pluggy passes arguments by name. The built-in features (``habitd.builtin``) are
ordinary plugins using these same hooks.

How habitd calls them:

- Every hook may be a plain function or an ``async def``. Plain functions run in a
  worker thread so they cannot stall the daemon; either kind is bounded in time
  (:data:`HOOK_TIMEOUT` seconds). A plugin that raises or overruns is logged, its error is
  shown by ``habitd plugins``, and after :data:`QUARANTINE_AFTER` faults it is quarantined
  (no more calls until the daemon restarts). One plugin's fault never stops another.
- *fan-out* hooks call every plugin and collect the results; *first-result* hooks stop
  at the first plugin that returns something other than ``None``.
- The ``app`` argument is the :class:`habitd.app.App` service layer: what the CLI can do, a
  plugin can do (``app.record_action``, ``app.add_entry``, ``app.state(plugin)``...).
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

    from habitd.app import App
    from habitd.config import Config, Nudge, Problem
    from habitd.contract import Action, Entry, Job, Message, Verdict
    from habitd.paths import Paths

PROJECT = "habitd"
HOOK_TIMEOUT = 5.0
"""Seconds a single hook call may take before it counts as a fault."""
QUARANTINE_AFTER = 3
"""Faults after which a plugin is quarantined."""

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def habitd_nudge_kinds() -> Sequence[str]:  # type: ignore[empty-body]
    """Name the nudge kinds this plugin renders (``kind = "..."`` in a ``[[nudge]]``).

    Fan-out, called when plugins load. A kind claimed by two plugins is a config error that
    names both. Return e.g. ``["reminder"]``.
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
def habitd_configure(config: Config, settings: Mapping[str, Any], app: App, paths: Paths) -> None:
    """Take a validated config into use: at start and after every successful reload.

    Fan-out. ``settings`` is this plugin's ``[plugins.NAME]`` table.
    """


@hookspec(firstresult=True)
def habitd_compose(nudge: Nudge, app: App) -> Message | None:
    """Render a nudge as a :class:`habitd.plugin.Message` (title, body, buttons, reply).

    First-result: return ``None`` for nudges whose kind is not yours. Called each time a
    nudge fires.
    """


@hookspec(firstresult=True)
def habitd_before_send(nudge: Nudge, message: Message, app: App) -> Verdict | None:
    """Decide whether a composed nudge goes out now: return ``None`` to let it through, or a
    :class:`habitd.plugin.Verdict` to hold it until a time (quiet hours, pause) or drop it.

    First-result. Not called for ``habitd trigger`` (the person asked for that nudge).
    """


@hookspec
def habitd_after_send(nudge: Nudge, message: Message, app: App) -> None:
    """A nudge was just shown (or logged) to the person. Fan-out.

    Not called when ``habitd_before_send`` held or dropped it.
    """


@hookspec
def habitd_on_action(action: Action, app: App) -> None:
    """React to the person's answer to a nudge (done, skipped, lapse, snoozed, clicked,
    dismissed, replied), from a notification button or the CLI. The answer is already
    stored; ``action.ts`` says when it was given (it may be from before the daemon started).

    Fan-out; a reaction, called by the daemon after the answer was saved.
    """


@hookspec
def habitd_on_entry(entry: Entry, app: App) -> None:
    """React to a new journal entry (a feeling, an urge, a thought record). Already stored;
    ``entry.ts`` says when it was written (it may be from before the daemon started: an urge
    from hours ago is not a moment to escalate).

    Fan-out; a reaction, called by the daemon after the entry was saved.
    """


@hookspec
def habitd_jobs(config: Config, app: App) -> Sequence[Job] | None:
    """Scheduled work of the plugin's own: return :class:`habitd.plugin.Job` objects.

    Fan-out, called at start and after each reload; jobs are replaced as a whole each time.
    A job's function takes no arguments, may be async, and is bounded in time like a hook.
    """


@hookspec
def habitd_commands() -> Sequence[click.Command] | None:
    """Add Click commands to the ``habitd`` CLI. Fan-out, called only when the name typed is
    not a built-in command (so a plugin cannot slow the built-ins down), and for ``--help``.
    """


@hookspec
def habitd_rpc_methods(app: App) -> Mapping[str, Callable[..., Awaitable[Any] | Any]] | None:
    """Expose methods over the daemon's JSON-RPC socket as ``PLUGIN.METHOD``.

    Fan-out. Each method takes keyword arguments (the JSON-RPC params object) and returns
    something JSON can encode; raise :class:`habitd.errors.HabitdError` for a clean error.
    """


@hookspec
def habitd_status(app: App) -> Mapping[str, Any] | None:
    """A few facts for ``habitd status`` (shown under the plugin's name). Fan-out."""


@hookspec
def habitd_startup(app: App) -> None:
    """The daemon has started (its socket listens, the schedule is loaded). Fan-out."""


@hookspec
def habitd_shutdown(app: App) -> None:
    """The daemon is stopping. Fan-out; keep it short."""
