"""Mindfulness: the ``mindfulness`` nudge kind and the practice library behind
``habitd breathe``, ``habitd practices`` and ``habitd surf``.

A mindfulness nudge names a practice and its first instruction. ``[nudge.options]
practice = "box-breathing"`` pins one; otherwise the nudge rotates through the library
without repeating the last few. ``[plugins.mindfulness] disabled = ["..."]`` leaves
practices out of the rotation. The guided sessions run in the terminal (the client) and
report back through ``mindfulness.record``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from habitd.builtin.practices import Practice, load
from habitd.plugin import (
    Action,
    Config,
    InvalidInput,
    Message,
    NotFound,
    Nudge,
    Paths,
    PluginContext,
    Problem,
    answer_buttons,
    check_options,
    hookimpl,
)

NAME = "mindfulness"
DEFAULT = "box-breathing"


def _user_dir(paths: Paths) -> Any:
    return paths.config_dir / "practices"


@hookimpl
def habitd_nudge_kinds() -> Sequence[str]:
    """This plugin renders ``kind = "mindfulness"``."""
    return [NAME]


@hookimpl
def habitd_validate_config(
    config: Config, settings: Mapping[str, Any], paths: Paths
) -> Sequence[Problem | str]:
    """The practice files, ``[plugins.mindfulness]``, and each mindfulness nudge's options."""
    library, errors = load(_user_dir(paths))
    problems: list[Problem | str] = [
        Problem((), error.split(": ", 1)[1], where=error.split(": ", 1)[0])
        if ": " in error
        else error
        for error in errors
    ]
    known = ", ".join(library)
    for key in settings:
        if key != "disabled":
            problems.append(
                Problem(("plugins", NAME, key), "unknown setting (known: disabled)", "key")
            )
    disabled = settings.get("disabled", [])
    if not isinstance(disabled, list) or not all(isinstance(d, str) for d in disabled):
        problems.append(Problem(("plugins", NAME, "disabled"), "expected a list of practice ids"))
    else:
        for name in disabled:
            if name not in library:
                problems.append(
                    Problem(
                        ("plugins", NAME, "disabled"),
                        f"unknown practice {name!r}; practices: {known}",
                    )
                )
    problems.extend(
        check_options(
            config,
            NAME,
            {
                "practice": lambda value: (
                    None if value in library else f"unknown practice {value!r}; practices: {known}"
                )
            },
        )
    )
    return problems


@hookimpl
def habitd_configure(settings: Mapping[str, Any], paths: Paths, ctx: PluginContext) -> None:
    """Load the library (packaged, then the person's own files)."""
    library, _errors = load(_user_dir(paths))  # validated already
    ctx.cache["library"] = library
    ctx.cache["disabled"] = set(settings.get("disabled", []))


def _library(ctx: PluginContext) -> dict[str, Practice]:
    if "library" not in ctx.cache:
        ctx.cache["library"] = load(ctx.config_dir / "practices")[0]
    library: dict[str, Practice] = ctx.cache["library"]
    return library


def _disabled(ctx: PluginContext) -> set[str]:
    disabled: set[str] = ctx.cache.get("disabled", set())
    return disabled


def _practice(ctx: PluginContext, nudge: Nudge) -> Practice:
    library, disabled = _library(ctx), _disabled(ctx)
    pinned = nudge.options.get("practice")
    if pinned in library:
        return library[pinned]
    enabled = [p for p in library.values() if p.id not in disabled] or list(library.values())
    state = ctx.state
    recent: list[str] = state.get("recent", [])
    keep = min(3, len(enabled) - 1)
    avoid = set(recent[-keep:]) if keep > 0 else set()
    after = recent[-1] if recent else None
    order = [p.id for p in enabled]
    start = order.index(after) + 1 if after in order else 0
    rotation = order[start:] + order[:start]
    chosen = next(pid for pid in rotation if pid not in avoid)
    state.set("recent", [*recent, chosen][-10:])
    return library[chosen]


@hookimpl
def habitd_compose(nudge: Nudge, ctx: PluginContext) -> Message | None:
    """Name the practice and its first instruction; Done / Snooze / Skip."""
    if nudge.kind != NAME or not _library(ctx):
        return None
    practice = _practice(ctx, nudge)
    ctx.state.set("last", practice.id)
    habit = ctx.config.habit(nudge.habit) if nudge.habit else None
    return Message(
        title=nudge.title or "A moment for yourself",
        body=f"{practice.name}. {practice.text}",
        buttons=answer_buttons(nudge, habit),
        command=f"habitd breathe {practice.id}",
    )


@hookimpl
def habitd_rpc_methods(ctx: PluginContext) -> Mapping[str, Callable[..., Any]]:
    """``mindfulness.practices``, ``mindfulness.practice`` and ``mindfulness.record``."""

    def practices() -> list[dict[str, Any]]:
        """The library, with which practices the rotation uses."""
        disabled = _disabled(ctx)
        return [{**p.as_json(), "enabled": p.id not in disabled} for p in _library(ctx).values()]

    def practice(practice: str | None = None) -> dict[str, Any]:
        """One practice for a guided session (default: the one last suggested)."""
        chosen = practice or ctx.state.get("last") or DEFAULT
        library = _library(ctx)
        if chosen not in library:
            raise NotFound(f"no practice {chosen!r}; practices: {', '.join(library)}")
        return library[chosen].as_json()

    def record(
        practice: str,
        seconds: float,
        completed: bool,
        habit: str | None = None,
        intensities: list[list[float]] | None = None,
    ) -> dict[str, Any]:
        """A guided session, finished or not; a linked habit is marked done. Urge surfing's
        (minute, intensity) ratings become one urge entry: the starting intensity, every
        rating, how long; when it ends at or above ``escalate_at`` the answer holds ``help``
        (as ``habitd help-now`` gives it)."""
        library = _library(ctx)
        if practice not in library:
            raise NotFound(f"no practice {practice!r}")
        if habit is not None and ctx.config.habit(habit) is None:
            known = ", ".join(h.id for h in ctx.config.habits) or "none"
            raise NotFound(f"no habit {habit!r}; habits: {known}")
        if seconds < 0:
            raise InvalidInput("seconds must be zero or more")
        ratings = [(float(m), int(v)) for m, v in intensities or []]
        if any(not 0 <= value <= 10 for _, value in ratings):
            raise InvalidInput("intensities are 0 to 10")
        entries = []
        if ratings:
            entries.append(
                ctx.add_entry(
                    "urge",
                    craving=ratings[0][1],
                    ratings=[list(pair) for pair in ratings],
                    duration=round(seconds / 60, 1),
                    source="urge surfing",
                )
            )
        minutes = round(seconds / 60, 1)
        ctx.add_event(
            "practiced",
            title=library[practice].name,
            habit=habit,
            detail={
                "practice": practice,
                "minutes": minutes,
                "seconds": round(seconds),
                "completed": completed,
                **({"intensities": ratings} if ratings else {}),
            },
        )
        if completed:
            ctx.count("practice")
        marked = None
        if habit is not None:
            marked = ctx.record_action(
                Action(
                    "done",
                    habit=habit,
                    note=f"{library[practice].name}, {minutes} min",
                    source="practice",
                )
            )
        ended_high = bool(ratings) and ratings[-1][1] >= ctx.escalate_at
        return {
            "practice": practice,
            "minutes": minutes,
            "completed": completed,
            "entries": entries,
            "habit": marked,
            **({"help": ctx.help_now("craving")} if ended_high else {}),
        }

    return {"practices": practices, "practice": practice, "record": record}
