"""The public API for plugin authors: everything a plugin needs, from one import.

    from habitd.plugin import hookimpl, PluginContext, Message, Button, Verdict, Job

Hooks that name a ``ctx`` argument get the plugin's :class:`PluginContext`: the clock,
its own checked settings and state, read-only queries over the person's data, and what a
plugin may do (``notify``, ``fire_later``, ``record_action``, ``add_entry``). See
``docs/plugins.md`` for a guide and the reference of every hook. Nothing a plugin needs
lives anywhere private; what is here stays stable, and the built-in plugins import
nothing else from habitd (a test holds them to it).

Importing this module is cheap: no scheduler, no notifier, no database.
"""

from __future__ import annotations

import logging
from typing import Any

from habitd.clock import sql_day_modifier, to_stored
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
    Verdict,
    answer_buttons,
)
from habitd.errors import HabitdError, InvalidInput, NotFound
from habitd.hookspecs import hookimpl
from habitd.paths import Paths
from habitd.stats import Summary, milestones_reached, parse_target, strength
from habitd.timeparse import WEEKDAYS, parse_clock, parse_duration

__all__ = [
    "ID_PATTERN",
    "WEEKDAYS",
    "Action",
    "Button",
    "Config",
    "Entry",
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
    "Summary",
    "TableReader",
    "Verdict",
    "answer_buttons",
    "call",
    "check_options",
    "format_problems",
    "hookimpl",
    "logger",
    "milestones_reached",
    "parse_clock",
    "parse_duration",
    "parse_schedule",
    "parse_target",
    "sql_day_modifier",
    "strength",
    "to_stored",
]


def logger(plugin: str) -> logging.Logger:
    """A logger for a plugin (``habitd.plugin.NAME``): info goes to the daemon's log, so keep
    journal text, names and numbers out of it."""
    return logging.getLogger(f"habitd.plugin.{plugin}")


def call(method: str, **params: Any) -> Any:
    """For a plugin's CLI command: call an RPC method (``PLUGIN.METHOD`` for a plugin's own)
    on the daemon, or in-process when no daemon runs, as habitd's own commands do. Errors
    are printed and end the command, with habitd's exit codes."""
    from habitd.cli import call as client_call

    return client_call(method, **params)
