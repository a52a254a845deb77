"""The public API for plugin authors: everything a plugin needs, from one import.

    from habitd.plugin import hookimpl, PluginContext, Message, Button, Verdict, Job

Hooks that name a ``ctx`` argument get the plugin's :class:`PluginContext`: the clock,
its own checked settings and state, read-only queries over the person's data, and what a
plugin may do (``notify``, ``fire_later``, ``record_action``, ``add_entry``). See
``docs/plugins.md`` for a guide and the reference of every hook. Nothing a plugin needs
lives anywhere private; what is here stays stable, and the built-in plugins import
nothing else from habitd (a test holds them to it).

Importing this module is cheap: each name loads its own module on first use (a plugin's
command that needs only :func:`call` starts as fast as a built-in one), and none of them
loads the scheduler, the notifier or the database.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import logging

    from habitd.clock import SqlShift, elapsed, later, sql_local, to_stored
    from habitd.config import (
        ID_PATTERN,
        Config,
        Habit,
        Nudge,
        Problem,
        Schedule,
        Setting,
        TableReader,
        check_options,
        format_problems,
        habit_table,
        parse_schedule,
    )
    from habitd.context import PluginContext
    from habitd.contract import (
        Action,
        Button,
        Entry,
        Job,
        Message,
        PluginState,
        TrayItem,
        Verdict,
        answer_buttons,
    )
    from habitd.errors import HabitdError, InvalidInput, NotFound
    from habitd.hookspecs import hookimpl
    from habitd.operations import EARLIEST
    from habitd.paths import Paths
    from habitd.stats import Summary, milestones_reached, parse_target, strength
    from habitd.store import Event
    from habitd.timeparse import WEEKDAYS, parse_clock, parse_duration

_HOMES = {
    "habitd.clock": (
        "SqlShift",
        "elapsed",
        "later",
        "sql_local",
        "to_stored",
    ),
    "habitd.config": (
        "ID_PATTERN",
        "Config",
        "Habit",
        "Nudge",
        "Problem",
        "Schedule",
        "Setting",
        "TableReader",
        "check_options",
        "format_problems",
        "habit_table",
        "parse_schedule",
    ),
    "habitd.context": ("PluginContext",),
    "habitd.contract": (
        "Action",
        "Button",
        "Entry",
        "Job",
        "Message",
        "PluginState",
        "TrayItem",
        "Verdict",
        "answer_buttons",
    ),
    "habitd.errors": ("HabitdError", "InvalidInput", "NotFound"),
    "habitd.hookspecs": ("hookimpl",),
    "habitd.operations": ("EARLIEST",),
    "habitd.paths": ("Paths",),
    "habitd.stats": ("Summary", "milestones_reached", "parse_target", "strength"),
    "habitd.timeparse": ("WEEKDAYS", "parse_clock", "parse_duration"),
    "habitd.store": ("Event",),
}
_HOME = {name: module for module, names in _HOMES.items() for name in names}

__all__ = [
    "EARLIEST",
    "ID_PATTERN",
    "WEEKDAYS",
    "Action",
    "Button",
    "Config",
    "Entry",
    "Event",
    "Habit",
    "HabitdError",
    "InvalidInput",
    "Job",
    "Message",
    "NotFound",
    "Nudge",
    "Paths",
    "PluginContext",
    "PluginState",
    "Problem",
    "Schedule",
    "Setting",
    "SqlShift",
    "Summary",
    "TableReader",
    "TrayItem",
    "Verdict",
    "answer_buttons",
    "call",
    "check_options",
    "elapsed",
    "format_problems",
    "habit_table",
    "hookimpl",
    "later",
    "logger",
    "milestones_reached",
    "parse_clock",
    "parse_duration",
    "parse_schedule",
    "parse_target",
    "sql_local",
    "strength",
    "to_stored",
]


def logger(plugin: str) -> logging.Logger:
    """A logger for a plugin (``habitd.plugin.NAME``): info goes to the daemon's log, so keep
    journal text, names and numbers out of it."""
    import logging

    return logging.getLogger(f"habitd.plugin.{plugin}")


def call(method: str, **params: Any) -> Any:
    """For a plugin's CLI command: call an RPC method (``PLUGIN.METHOD`` for a plugin's own)
    on the daemon, or in-process when no daemon runs, as habitd's own commands do. Errors
    are printed and end the command, with habitd's exit codes."""
    from habitd.cli import call as client_call

    return client_call(method, **params)


def __getattr__(name: str) -> Any:
    """Load a public name from the module that defines it, on first use."""
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module 'habitd.plugin' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
