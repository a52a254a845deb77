"""Goals: habits, streaks, strength, milestones, and a kind answer to a lapse.

Marks themselves are stored by the App (``habitd done/skip/lapse``, or the notification's
buttons); this plugin reads them to compute streaks (``habitd.stats``), stops a habit
nudge once the habit is answered for the day, asks again (``repeat``) until it is,
celebrates milestones once per streak, and answers a lapse with encouragement.
It offers its figures as the RPC methods ``goals.streaks``, ``goals.habit`` and
``goals.export`` (what ``habitd streaks``, ``habitd habit show`` and ``habitd export`` show).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

from habitd.plugin import (
    Action,
    Button,
    Habit,
    Message,
    Nudge,
    PluginContext,
    Summary,
    Verdict,
    habit_table,
    hookimpl,
    later,
    milestones_reached,
    parse_target,
    strength,
)

NAME = "goals"


def summary_of(ctx: PluginContext, habit: Habit) -> Summary:
    """Streaks, totals and strength for one configured habit, with the milestones already
    celebrated in this streak."""
    summary = ctx.summary(habit.id)
    celebrated = ctx.state.get(f"celebrated:{habit.id}", {})
    summary.extra["milestones"] = _in_this_streak(celebrated, summary.extra.get("streak_since"))
    return summary


def _in_this_streak(record: Mapping[str, Any], since: str | None) -> list[int]:
    """The milestones already celebrated in the streak that began on ``since``. The
    recorded streak is this one when this one began no later than the last day the recorded
    one was seen: the same run of days, grown backwards by back-filled days, or cut by a
    mark taken back and made whole again. A streak that began after it is a new one."""
    if since is None or not record:
        return []
    seen = record.get("seen", record.get("since"))
    if seen is None or since > seen:
        return []
    return list(record.get("reached", []))


# --- hooks ---------------------------------------------------------------------------------


@hookimpl(tryfirst=True)
def habitd_before_send(nudge: Nudge, ctx: PluginContext) -> Verdict | None:
    """A habit nudge is not sent once the habit is answered for the day."""
    if not nudge.habit:
        return None
    answered = ctx.marked(ctx.today(), nudge.habit).get(nudge.habit)
    if answered is not None:
        return Verdict.drop(f"{nudge.habit} is already {answered} today")
    return None


@hookimpl
def habitd_after_send(nudge: Nudge, ctx: PluginContext) -> None:
    """``repeat = "2h"``: ask again later the same habit day, until the habit is answered."""
    if nudge.repeat is None or not nudge.habit:
        return
    due = later(ctx.now(), nudge.repeat)
    if ctx.habit_day(due) == ctx.today():
        ctx.fire_later(nudge.id, due, "repeat")


@hookimpl
def habitd_on_action(action: Action, ctx: PluginContext) -> None:
    """Celebrate milestones once per streak; answer a lapse kindly."""
    if not action.habit:
        return
    habit = ctx.config.habit(action.habit)
    if habit is None:
        return
    if action.action == "lapse":
        _kind_reply(ctx, habit)
    elif action.action == "done":
        _celebrate(ctx, habit)


def _kind_reply(ctx: PluginContext, habit: Habit) -> None:
    summary = ctx.summary(habit.id)
    clean = summary.extra.get("clean_days", summary.total)
    days = "day" if clean == 1 else "days"
    kept = f"The {clean} {days} you kept still count, every one of them. " if clean else ""
    ctx.notify(
        Message(
            title="Thank you for being honest",
            body=f"A slip is one day, not the whole story. {kept}When you are ready, write a "
            "few words about what led to it: it helps you see it coming next time.",
            buttons=(Button("clicked", "Later"),),
            reply="Write",
            command="habitd journal",
        ),
        about=habit.id,
        event="encouraged",
        detail={"question": f"What led to the lapse ({habit.name})?"},
    )


def _milestone_text(habit: Habit, count: int, unit: str) -> Message:
    span = f"{count} {unit[:-1] if count == 1 else unit}"
    if habit.type == "abstain":
        cheer = "That took courage. Be proud of yourself today."
    else:
        cheer = "Small steps, kept. This is how change happens."
    return Message(
        title=f"Milestone: {span}", body=f"{habit.name}: {span} in a row. {cheer}", urgency="low"
    )


def _celebrate(ctx: PluginContext, habit: Habit) -> None:
    """Celebrate the highest milestone the current streak has newly reached: once per
    streak, however its days were marked (back-filled, taken back and put again)."""
    summary = ctx.summary(habit.id)
    key = f"celebrated:{habit.id}"
    state = ctx.state
    since = summary.extra.get("streak_since")
    if since is None:
        return
    done_before = _in_this_streak(state.get(key, {}), since)
    new = [m for m in milestones_reached(summary.current) if m not in done_before]
    state.set(
        key,
        {"since": since, "seen": ctx.today().isoformat(), "reached": sorted({*done_before, *new})},
    )
    if new:
        message = _milestone_text(habit, max(new), summary.unit)
        ctx.notify(message, about=habit.id, event="celebrated")


# --- what the CLI shows ----------------------------------------------------------------------


@hookimpl
def habitd_rpc_methods(ctx: PluginContext) -> Mapping[str, Callable[..., Any]]:
    """``goals.streaks``, ``goals.habit`` and ``goals.export``."""

    def streaks() -> list[dict[str, Any]]:
        """Every habit's streaks, totals, strength and last four weeks."""
        return [summary_of(ctx, habit).as_json() for habit in ctx.config.habits]

    def habit(habit: str) -> dict[str, Any]:
        """One habit's whole history: each day's kind, note, and strength over time."""
        summary = ctx.summary(habit)  # NotFound names the habits there are
        found = ctx.config.habit(summary.habit)
        assert found is not None
        summary = summary_of(ctx, found)
        marks = {day: (value, note) for _h, day, _s, value, note in ctx.marks(found.id)}
        scores = strength(summary.days, parse_target(found.target)) if summary.days else []
        first = summary.first
        days = []
        if first is not None:
            for offset, kind in enumerate(summary.days):
                day = first + timedelta(days=offset)
                value, note = marks.get(day, (None, None))
                days.append(
                    {
                        "day": day.isoformat(),
                        "kind": kind,
                        "value": value,
                        "note": note,
                        "strength": round(scores[offset], 4),
                    }
                )
        return {
            **summary.as_json(recent=0),
            "unit_name": found.unit,
            "threshold": found.threshold,
            "days": days,
        }

    def export() -> dict[str, Any]:
        """Everything needed to write an export: habits and their marks, oldest first."""
        marks: dict[str, list[dict[str, Any]]] = {}
        for name, day, state, value, note in ctx.marks():
            marks.setdefault(name, []).append(
                {"day": day.isoformat(), "state": state, "value": value, "note": note}
            )
        return {
            "habits": [
                {  # every setting the config holds, so an import brings the habit back whole
                    "threshold": h.threshold,
                    "unit": h.unit,
                    **habit_table(h),
                    "marks": sorted(marks.get(h.id, []), key=lambda m: str(m["day"])),
                }
                for h in ctx.config.habits
            ],
            "today": ctx.today().isoformat(),
        }

    return {"streaks": streaks, "habit": habit, "export": export}


@hookimpl
def habitd_status(ctx: PluginContext) -> Mapping[str, Any] | None:
    """How many habits are answered today."""
    if not ctx.config.habits:
        return None
    answered = ctx.marked(ctx.today())
    return {"answered_today": f"{len(answered)}/{len(ctx.config.habits)}"}
