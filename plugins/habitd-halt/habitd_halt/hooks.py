"""habitd-halt's hooks: the ``halt`` nudge kind, a button per HALT state, and a kind next
step for each (the ``habitd halt`` command is in :mod:`habitd_halt.command`, declared in the
entry-point group ``habitd.commands`` so typing it loads nothing else). An example of a
third-party habitd plugin."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from habitd.plugin import (
    Action,
    Button,
    InvalidInput,
    Message,
    Nudge,
    PluginContext,
    hookimpl,
)

NAME = "halt"
SUGGESTIONS = {
    "hungry": (
        "Something to eat",
        "A snack and a glass of water: low blood sugar feels like a craving.",
    ),
    "angry": (
        "Name the boundary",
        "What line was crossed? Say it to yourself in one sentence, then breathe out slowly.",
    ),
    "lonely": (
        "Text someone",
        "A two-line message to a friend or your sponsor counts. habitd help-now shows who.",
    ),
    "tired": ("Rest", "Ten minutes lying down, or an early night. Tired makes everything louder."),
}


@hookimpl
def habitd_nudge_kinds() -> Sequence[str]:
    """``kind = "halt"``."""
    return [NAME]


@hookimpl
def habitd_compose(nudge: Nudge, ctx: PluginContext) -> Message | None:
    """Four buttons, one per state."""
    if nudge.kind != NAME:
        return None
    return Message(
        title=nudge.title or "HALT check",
        body=nudge.body or "Hungry, angry, lonely or tired? Tap what fits.",
        buttons=tuple(Button(state, state.capitalize()) for state in SUGGESTIONS),
        command="habitd halt STATE",
    )


def answer(ctx: PluginContext, state: str) -> dict[str, str]:
    """Count the answer and reply with its next step."""
    if state not in SUGGESTIONS:
        raise InvalidInput(f"unknown state {state!r}; use {', '.join(SUGGESTIONS)}")
    ctx.state.set(state, ctx.state.get(state, 0) + 1)
    title, body = SUGGESTIONS[state]
    ctx.notify(Message(title=title, body=body, urgency="low"), about=state, event="halt")
    return {"state": state, "title": title, "body": body}


@hookimpl
def habitd_on_action(action: Action, ctx: PluginContext) -> None:
    """A button on a HALT nudge."""
    if action.nudge and action.action in SUGGESTIONS:
        nudge = ctx.config.nudge(action.nudge)
        if nudge is not None and nudge.kind == NAME:
            answer(ctx, action.action)


@hookimpl
def habitd_rpc_methods(ctx: PluginContext) -> Mapping[str, Callable[..., Any]]:
    """``halt.answer`` and ``halt.counts``."""

    def answer_rpc(state: str) -> dict[str, str]:
        return answer(ctx, state)

    def counts() -> dict[str, int]:
        return {state: ctx.state.get(state, 0) for state in SUGGESTIONS}

    return {"answer": answer_rpc, "counts": counts}
