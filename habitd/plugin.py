"""The public API for plugin authors: everything a plugin needs, from one import.

    from habitd.plugin import hookimpl, Message, Button, Verdict, Job

See ``docs/plugins.md`` for a guide and the reference of every hook. Nothing a plugin needs
lives anywhere private; what is here stays stable.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from habitd.config import Config, Habit, Nudge, Problem, Setting, TableReader, check_options
from habitd.config import parse_schedule as parse_schedule
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

if TYPE_CHECKING:
    from habitd.app import App

__all__ = [
    "Action",
    "App",
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
    "PluginState",
    "Problem",
    "Setting",
    "TableReader",
    "Verdict",
    "answer_buttons",
    "check_options",
    "hookimpl",
    "logger",
    "parse_schedule",
]


def logger(plugin: str) -> logging.Logger:
    """A logger for a plugin (``habitd.plugin.NAME``): info goes to the daemon's log, so keep
    journal text, names and numbers out of it."""
    return logging.getLogger(f"habitd.plugin.{plugin}")


def __getattr__(name: str) -> Any:
    """``App`` loads the daemon's machinery: only when a plugin asks for the name."""
    if name == "App":
        from habitd.app import App

        return App
    raise AttributeError(f"module 'habitd.plugin' has no attribute {name!r}")
