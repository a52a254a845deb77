"""The plain ``reminder`` kind: a nudge that says what its config says."""

from __future__ import annotations

from collections.abc import Sequence

from habitd.app import App, answer_buttons
from habitd.config import Nudge
from habitd.hookspecs import hookimpl
from habitd.notify import Message


@hookimpl
def habitd_nudge_kinds() -> Sequence[str]:
    """This plugin renders ``kind = "reminder"``."""
    return ["reminder"]


@hookimpl
def habitd_compose(nudge: Nudge, app: App) -> Message | None:
    """Title and body from the config; a habit's name stands in for a missing title."""
    if nudge.kind != "reminder":
        return None
    habit = app.config.habit(nudge.habit) if nudge.habit else None
    title = nudge.title or (habit.name if habit else "A gentle reminder")
    body = nudge.body or ("Whenever you are ready." if habit else "")
    return Message(title=title, body=body, buttons=answer_buttons(nudge))
