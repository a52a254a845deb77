"""habitd-activities: suggest one of the person's own activities at low-mood moments and
on a schedule; count which ones they actually did. An example habitd plugin that declares
its settings."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import click

from habitd.plugin import (
    Action,
    App,
    Button,
    Entry,
    InvalidInput,
    Message,
    Nudge,
    Setting,
    hookimpl,
)

__version__ = "0.1.0"
NAME = "activities"
HEAVY = ("sad", "lonely", "anxious", "angry", "bored", "ashamed", "overwhelmed", "hopeless")
SETTINGS = {
    "list": Setting(
        ["a short walk", "call a friend", "listen to a favourite song"],
        "things that bring you some joy",
    ),
    "low_mood": Setting(6, "a heavy feeling this strong (0-10) brings a suggestion"),
}


def _next(app: App) -> str:
    """The activity suggested least often so far (ties: in list order)."""
    activities: list[str] = app.settings(NAME)["list"]
    state = app.state(NAME)
    return min(activities, key=lambda a: (state.get(f"suggested:{a}", 0), activities.index(a)))


def _suggest(app: App, why: str) -> Message:
    activity = _next(app)
    state = app.state(NAME)
    state.set(f"suggested:{activity}", state.get(f"suggested:{activity}", 0) + 1)
    state.set("last", activity)
    return Message(
        title=f"How about {activity}?",
        body=why,
        buttons=(Button("did", "I did it"), Button("snoozed", "Not now")),
        command=f'habitd activities did "{activity}"',
    )


def _did(app: App, activity: str) -> int:
    if activity not in app.settings(NAME)["list"]:
        raise InvalidInput(
            f"{activity!r} is not on your list: {', '.join(app.settings(NAME)['list'])}"
        )
    state = app.state(NAME)
    count = state.get(f"did:{activity}", 0) + 1
    state.set(f"did:{activity}", count)
    return int(count)


@hookimpl
def habitd_nudge_kinds() -> Sequence[str]:
    """``kind = "activities"``."""
    return [NAME]


@hookimpl
def habitd_compose(nudge: Nudge, app: App) -> Message | None:
    """A scheduled suggestion."""
    if nudge.kind != NAME:
        return None
    return _suggest(app, "Something small that you enjoy can lift the day a little.")


@hookimpl
async def habitd_on_entry(entry: Entry, app: App) -> None:
    """After a heavy feeling, one gentle idea."""
    fields = entry.fields
    if (
        entry.kind == "journal"
        and fields.get("emotion") in HEAVY
        and int(fields.get("intensity", 0)) >= app.settings(NAME)["low_mood"]
    ):
        await app.notify(
            _suggest(app, "A heavy moment. Doing something kind for yourself can help it pass."),
            about=NAME,
            event="suggested",
        )


@hookimpl
def habitd_on_action(action: Action, app: App) -> None:
    """ "I did it" counts for the activity last suggested."""
    if action.action == "did":
        last = app.state(NAME).get("last")
        if last:
            _did(app, last)


@hookimpl
def habitd_rpc_methods(app: App) -> Mapping[str, Callable[..., Awaitable[Any]]]:
    """``activities.list`` and ``activities.did``."""

    async def listing() -> list[dict[str, Any]]:
        state = app.state(NAME)
        return [
            {
                "activity": a,
                "suggested": state.get(f"suggested:{a}", 0),
                "did": state.get(f"did:{a}", 0),
            }
            for a in app.settings(NAME)["list"]
        ]

    async def did(activity: str) -> dict[str, Any]:
        return {"activity": activity, "did": _did(app, activity)}

    return {"list": listing, "did": did}


@hookimpl
def habitd_commands() -> Sequence[click.Command]:
    """``habitd activities [did ACTIVITY]``."""

    @click.group("activities", invoke_without_command=True)
    @click.pass_context
    def activities(ctx: click.Context) -> None:
        """Your joyful activities: how often suggested, how often done."""
        from habitd.cli import call, table

        if ctx.invoked_subcommand is None:
            rows = call("activities.list")
            table(
                [(r["activity"], r["suggested"], r["did"]) for r in rows],
                ("activity", "suggested", "done"),
            )

    @activities.command("did")
    @click.argument("activity")
    def did(activity: str) -> None:
        """Count an activity you did."""
        from habitd.cli import call

        result = call("activities.did", activity=activity)
        click.echo(f"{activity}: {result['did']} times. Good for you.")

    return [activities]
