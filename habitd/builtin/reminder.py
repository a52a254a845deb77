"""The plain ``reminder`` kind: a nudge that says what its config says.

Options (``[nudge.options]``): ``reply = "Write"`` adds an inline reply field with that
label; what the person types there is saved as a journal entry.
"""

from __future__ import annotations

from collections.abc import Sequence

from habitd.app import App, answer_buttons
from habitd.config import Config, Nudge, Problem
from habitd.hookspecs import hookimpl
from habitd.notify import Message

OPTIONS = ("reply",)


@hookimpl
def habitd_nudge_kinds() -> Sequence[str]:
    """This plugin renders ``kind = "reminder"``."""
    return ["reminder"]


@hookimpl
def habitd_validate_config(config: Config) -> Sequence[Problem]:
    """A reminder's only option is ``reply``, a short non-empty label."""
    problems = []
    for index, nudge in enumerate(config.nudges):
        if nudge.kind != "reminder":
            continue
        for key, value in nudge.options.items():
            path = ("nudge", index, "options", key)
            if key not in OPTIONS:
                problems.append(Problem(path, "unknown option (a reminder has: reply)", "key"))
            elif not isinstance(value, str) or not value.strip() or len(value) > 30:
                problems.append(Problem(path, 'expected a short label like "Write"'))
    return problems


@hookimpl
def habitd_compose(nudge: Nudge, app: App) -> Message | None:
    """Title and body from the config; a habit's name stands in for a missing title."""
    if nudge.kind != "reminder":
        return None
    habit = app.config.habit(nudge.habit) if nudge.habit else None
    title = nudge.title or (habit.name if habit else "A gentle reminder")
    body = nudge.body or ("Whenever you are ready." if habit else "")
    return Message(
        title=title,
        body=body,
        buttons=answer_buttons(nudge, habit),
        reply=nudge.options.get("reply"),
    )
