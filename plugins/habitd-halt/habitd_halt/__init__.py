"""habitd-halt: the ``halt`` nudge kind, a button per HALT state, a kind next step for each,
and the ``habitd halt`` command. An example of a third-party habitd plugin."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import click

from habitd.plugin import Action, App, Button, InvalidInput, Message, Nudge, hookimpl

__version__ = "0.1.0"
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
def habitd_compose(nudge: Nudge, app: App) -> Message | None:
    """Four buttons, one per state."""
    if nudge.kind != NAME:
        return None
    return Message(
        title=nudge.title or "HALT check",
        body=nudge.body or "Hungry, angry, lonely or tired? Tap what fits.",
        buttons=tuple(Button(state, state.capitalize()) for state in SUGGESTIONS),
        command="habitd halt STATE",
    )


async def answer(app: App, state: str) -> dict[str, str]:
    """Count the answer and reply with its next step."""
    if state not in SUGGESTIONS:
        raise InvalidInput(f"unknown state {state!r}; use {', '.join(SUGGESTIONS)}")
    counts = app.state(NAME)
    counts.set(state, counts.get(state, 0) + 1)
    title, body = SUGGESTIONS[state]
    await app.notify(Message(title=title, body=body, urgency="low"), about=state, event="halt")
    return {"state": state, "title": title, "body": body}


@hookimpl
async def habitd_on_action(action: Action, app: App) -> None:
    """A button on a HALT nudge."""
    if action.nudge and action.action in SUGGESTIONS:
        nudge = app.config.nudge(action.nudge)
        if nudge is not None and nudge.kind == NAME:
            await answer(app, action.action)


@hookimpl
def habitd_rpc_methods(app: App) -> Mapping[str, Callable[..., Awaitable[Any]]]:
    """``halt.answer`` and ``halt.counts``."""

    async def answer_rpc(state: str) -> dict[str, str]:
        return await answer(app, state)

    async def counts() -> dict[str, int]:
        return {state: app.state(NAME).get(state, 0) for state in SUGGESTIONS}

    return {"answer": answer_rpc, "counts": counts}


@hookimpl
def habitd_commands() -> Sequence[click.Command]:
    """``habitd halt [STATE]``."""

    @click.command("halt")
    @click.argument("state", required=False, type=click.Choice(list(SUGGESTIONS)))
    def halt(state: str | None) -> None:
        """Hungry, angry, lonely or tired? Name it, and get one small next step."""
        from habitd.cli import call

        if state is None:
            click.echo("Are you hungry, angry, lonely or tired? Answer: habitd halt STATE")
            for name, (title, body) in SUGGESTIONS.items():
                click.echo(f"  {name:<7} {title}: {body}")
            return
        result = call("halt.answer", state=state)
        click.echo(f"{result['title']}: {result['body']}")

    return [halt]
