"""The plain ``reminder`` kind: a nudge that says what its config says.

Options (``[nudge.options]``): ``reply = "Write"`` adds an inline reply field with that
label; what the person types there is saved as a journal entry.
"""

from __future__ import annotations

from collections.abc import Sequence

from habitd.plugin import (
    Config,
    Message,
    Nudge,
    PluginContext,
    Problem,
    answer_buttons,
    check_options,
    hookimpl,
)


@hookimpl
def habitd_nudge_kinds() -> Sequence[str]:
    """This plugin renders ``kind = "reminder"``."""
    return ["reminder"]


@hookimpl
def habitd_validate_config(config: Config) -> Sequence[Problem]:
    """A reminder's only option is ``reply``, a short non-empty label."""
    return check_options(config, "reminder", {"reply": _label})


def _label(value: object) -> str | None:
    if isinstance(value, str) and value.strip() and len(value) <= 30:
        return None
    return 'expected a short label like "Write"'


@hookimpl
def habitd_compose(nudge: Nudge, ctx: PluginContext) -> Message | None:
    """Title and body from the config; a habit's name stands in for a missing title."""
    if nudge.kind != "reminder":
        return None
    habit = ctx.config.habit(nudge.habit) if nudge.habit else None
    title = nudge.title or (habit.name if habit else "A gentle reminder")
    body = nudge.body or ("Whenever you are ready." if habit else "")
    return Message(
        title=title,
        body=body,
        buttons=answer_buttons(nudge, habit),
        reply=nudge.options.get("reply"),
    )
