"""Shell completion: ``habitd completion bash|zsh|fish`` prints the script to source, and
arguments complete from your own config (habit and nudge ids, practices, contacts).

Completion runs only when the shell asks (Click's ``_HABITD_COMPLETE``), so none of this
is imported when a command runs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click
from click.shell_completion import CompletionItem


def _config(ctx: click.Context) -> Any:
    from habitd.config import read_config
    from habitd.paths import resolve

    try:
        return read_config(resolve(ctx.find_root().params.get("config")))
    except Exception:  # a broken config completes nothing; the command will say why
        return None


def _from(names: Callable[[Any], list[str]]) -> Callable[..., list[CompletionItem]]:
    def complete(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
        config = _config(ctx)
        found = names(config) if config is not None else []
        return [CompletionItem(n) for n in found if n.startswith(incomplete.lower())]

    return complete


habits = _from(lambda config: [habit.id for habit in config.habits])
"""Habit ids."""
nudges = _from(lambda config: [nudge.id for nudge in config.nudges])
"""Nudge ids."""


def _contact_names(config: Any) -> list[str]:
    from habitd.help import contacts

    return [contact.name.lower() for contact in contacts(config.support)]


contacts = _from(_contact_names)
"""Support contacts (lowercase, as `habitd reached` takes them)."""


def practices(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
    """Practice ids: the packaged ones and the person's own."""
    from habitd.builtin.practices import load
    from habitd.paths import resolve

    folder = resolve(ctx.find_root().params.get("config")).config_dir / "practices"
    library, _problems = load(folder)
    return [CompletionItem(name) for name in library if name.startswith(incomplete)]


def script(shell: str) -> str:
    """The completion script for ``shell`` (what ``habitd completion SHELL`` prints)."""
    from click.shell_completion import get_completion_class

    from habitd.cli import main

    completion = get_completion_class(shell)
    if completion is None:
        raise click.BadParameter(f"no completion for {shell}; use bash, zsh or fish")
    return str(completion(main, {}, "habitd", "_HABITD_COMPLETE").source())
