"""The ``journal`` nudge kind: a rotating prompt to write, answered in the notification
(an inline reply becomes a journal entry) or with ``habitd journal``.

After a lapse the next journal prompt asks, gently, what led to it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

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

NAME = "journal"
PROMPTS = (
    ("reflection", "How did today feel?", "One feeling, what set it off, and what you did next."),
    ("gratitude", "Three good things", "Name three things that went well today, however small."),
    ("trigger", "What did you feel today?", "And what set it off? Naming it is the first step."),
    (
        "expression",
        "Let it out on the page",
        "Write to the feeling as if it were a person: what does it want you to know?",
    ),
    ("success", "A win, however small", "What did you handle well today? Write it down."),
)
AFTER_LAPSE = (
    "lapse",
    "About the slip",
    "No judgement: what was happening before the slip? "
    "Writing it down helps you see it coming next time.",
)


@hookimpl
def habitd_nudge_kinds() -> Sequence[str]:
    """This plugin renders ``kind = "journal"``."""
    return [NAME]


@hookimpl
def habitd_validate_config(config: Config) -> Sequence[Problem]:
    """A journal nudge's option: ``prompt`` pins one of the prompts."""
    names = [name for name, _, _ in PROMPTS]

    def prompt(value: object) -> str | None:
        return None if value in names else f"unknown prompt {value!r}; prompts: {', '.join(names)}"

    return check_options(config, NAME, {"prompt": prompt})


def _unasked_lapse(ctx: PluginContext) -> str | None:
    """The day of a lapse in the last two days that no journal prompt has asked about yet."""
    today = ctx.today()
    days = [today - timedelta(days=n) for n in (0, 1)]
    lapses = [day for day in days if "lapse" in ctx.marked(day).values()]
    if not lapses:
        return None
    latest = max(lapses).isoformat()
    return None if ctx.state.get("asked_about_lapse") == latest else latest


@hookimpl
def habitd_compose(nudge: Nudge, ctx: PluginContext) -> Message | None:
    """The next prompt in the rotation (or the pinned one); after a lapse, a gentle question."""
    if nudge.kind != NAME:
        return None
    state = ctx.state
    lapse = _unasked_lapse(ctx)
    if lapse is not None:
        state.set("asked_about_lapse", lapse)
        _name, title, body = AFTER_LAPSE
    else:
        pinned = nudge.options.get("prompt")
        names = [name for name, _, _ in PROMPTS]
        last = state.get("last")
        if pinned in names:
            index = names.index(pinned)
        else:
            index = (names.index(last) + 1) % len(PROMPTS) if last in names else 0
        _name, title, body = PROMPTS[index]
        state.set("last", _name)
    habit = ctx.config.habit(nudge.habit) if nudge.habit else None
    return Message(
        title=nudge.title or title,
        body=nudge.body or body,
        buttons=answer_buttons(nudge, habit),
        reply="Write",
        command="habitd journal",
    )
