"""habitd-activities: suggest one of the person's own activities at low-mood moments and
on a schedule; count which ones they actually did. An example habitd plugin that declares
its settings."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import click

from habitd.plugin import (
    Action,
    Button,
    Entry,
    InvalidInput,
    Message,
    Nudge,
    PluginContext,
    Setting,
    call,
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


def _next(ctx: PluginContext) -> str:
    """The activity suggested least often so far (ties: in list order)."""
    activities: list[str] = ctx.settings["list"]
    state = ctx.state
    return min(activities, key=lambda a: (state.get(f"suggested:{a}", 0), activities.index(a)))


def _suggest(ctx: PluginContext, why: str) -> Message:
    activity = _next(ctx)
    state = ctx.state
    state.set(f"suggested:{activity}", state.get(f"suggested:{activity}", 0) + 1)
    state.set("last", activity)
    return Message(
        title=f"How about {activity}?",
        body=why,
        buttons=(Button("did", "I did it"), Button("snoozed", "Not now")),
        command=f'habitd activities did "{activity}"',
    )


def _did(ctx: PluginContext, activity: str) -> int:
    if activity not in ctx.settings["list"]:
        raise InvalidInput(f"{activity!r} is not on your list: {', '.join(ctx.settings['list'])}")
    state = ctx.state
    count = state.get(f"did:{activity}", 0) + 1
    state.set(f"did:{activity}", count)
    return int(count)


@hookimpl
def habitd_nudge_kinds() -> Sequence[str]:
    """``kind = "activities"``."""
    return [NAME]


@hookimpl
def habitd_compose(nudge: Nudge, ctx: PluginContext) -> Message | None:
    """A scheduled suggestion."""
    if nudge.kind != NAME:
        return None
    return _suggest(ctx, "Something small that you enjoy can lift the day a little.")


@hookimpl
def habitd_on_entry(entry: Entry, ctx: PluginContext) -> None:
    """After a heavy feeling, one gentle idea."""
    fields = entry.fields
    if (
        entry.kind == "journal"
        and fields.get("emotion") in HEAVY
        and int(fields.get("intensity", 0)) >= ctx.settings["low_mood"]
    ):
        ctx.notify(
            _suggest(ctx, "A heavy moment. Doing something kind for yourself can help it pass."),
            about=NAME,
            event="suggested",
        )


@hookimpl
def habitd_on_action(action: Action, ctx: PluginContext) -> None:
    """ "I did it" counts for the activity last suggested."""
    if action.action == "did":
        last = ctx.state.get("last")
        if last:
            _did(ctx, last)


@hookimpl
def habitd_rpc_methods(ctx: PluginContext) -> Mapping[str, Callable[..., Any]]:
    """``activities.list`` and ``activities.did``."""

    def listing() -> list[dict[str, Any]]:
        state = ctx.state
        return [
            {
                "activity": a,
                "suggested": state.get(f"suggested:{a}", 0),
                "did": state.get(f"did:{a}", 0),
            }
            for a in ctx.settings["list"]
        ]

    def did(activity: str) -> dict[str, Any]:
        return {"activity": activity, "did": _did(ctx, activity)}

    return {"list": listing, "did": did}


@hookimpl
def habitd_commands() -> Sequence[click.Command]:
    """``habitd activities [did ACTIVITY]``."""

    @click.group("activities", invoke_without_command=True)
    @click.pass_context
    def activities(ctx: click.Context) -> None:
        """Your joyful activities: how often suggested, how often done."""
        if ctx.invoked_subcommand is None:
            rows = call("activities.list")
            width = max([len("activity"), *(len(r["activity"]) for r in rows)])
            click.echo(f"{'activity':<{width}}  suggested  done")
            for r in rows:
                click.echo(f"{r['activity']:<{width}}  {r['suggested']:>9}  {r['did']:>4}")

    @activities.command("did")
    @click.argument("activity")
    def did(activity: str) -> None:
        """Count an activity you did."""
        result = call("activities.did", activity=activity)
        click.echo(f"{activity}: {result['did']} times. Good for you.")

    return [activities]
