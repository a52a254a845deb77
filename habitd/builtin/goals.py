"""Goals: habits, streaks, strength, milestones, and a kind answer to a lapse.

Marks themselves are stored by the App (``habitd done/skip/lapse``, or the notification's
buttons); this plugin reads them to compute streaks (``habitd.stats``), stops a habit
nudge once the habit is answered for the day, asks again (``repeat``) until it is,
celebrates milestones once per streak, and answers a lapse with encouragement.
It offers its figures as the RPC methods ``goals.streaks``, ``goals.habit`` and
``goals.export`` (what ``habitd streaks``, ``habitd habit show`` and ``habitd export`` show).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import date, timedelta
from typing import Any

from habitd.app import Action, App, Verdict
from habitd.clock import habit_day
from habitd.config import Habit, Nudge
from habitd.contract import Button, Message
from habitd.errors import NotFound
from habitd.hookspecs import hookimpl
from habitd.stats import Mark, Summary, milestones_reached, parse_target, summarize

NAME = "goals"


def _marks(app: App, habit: str | None = None) -> dict[str, dict[date, Mark]]:
    """Every habit's marks, read in one query."""
    marks: dict[str, dict[date, Mark]] = {}
    parse = date.fromisoformat
    for name, day, state, value, note in app.store.check_rows(habit):
        marks.setdefault(name, {})[parse(day)] = Mark(state, value, note)
    return marks


def summary_of(app: App, habit: Habit, marks: Mapping[date, Mark], today: date) -> Summary:
    """Streaks, totals and strength for one configured habit."""
    summary = summarize(
        habit.id,
        habit.type,
        habit.target,
        marks,
        today,
        threshold=habit.threshold,
        start=habit.start,
        paused=[*habit.paused, *app.vacations()],
    )
    celebrated = app.state(NAME).get(f"celebrated:{habit.id}", {})
    if celebrated.get("since") == summary.extra.get("streak_since"):
        summary.extra["milestones"] = celebrated.get("reached", [])
    else:
        summary.extra["milestones"] = []
    summary.extra["name"] = habit.name
    summary.extra["type"] = habit.type
    summary.extra["target"] = habit.target
    return summary


def _habit(app: App, habit_id: str) -> Habit:
    habit = app.config.habit(habit_id)
    if habit is None:
        known = ", ".join(h.id for h in app.config.habits) or "none"
        raise NotFound(f"no habit {habit_id!r}; habits: {known}")
    return habit


# --- hooks ---------------------------------------------------------------------------------


@hookimpl(tryfirst=True)
def habitd_before_send(nudge: Nudge, app: App) -> Verdict | None:
    """A habit nudge is not sent once the habit is answered for the day."""
    if not nudge.habit:
        return None
    answered = app.store.check_on(nudge.habit, app.today())
    if answered is not None:
        return Verdict.drop(f"{nudge.habit} is already {answered.state} today")
    return None


@hookimpl
async def habitd_after_send(nudge: Nudge, app: App) -> None:
    """``repeat = "2h"``: ask again later the same habit day, until the habit is answered."""
    if nudge.repeat is None or not nudge.habit:
        return
    due = app.now() + nudge.repeat
    if habit_day(due, app.config.settings.day_starts) == app.today():
        await app.fire_later(nudge.id, due, "repeat")


@hookimpl
async def habitd_on_action(action: Action, app: App) -> None:
    """Celebrate milestones once per streak; answer a lapse kindly."""
    if not action.habit:
        return
    habit = app.config.habit(action.habit)
    if habit is None:
        return
    if action.action == "lapse":
        await _kind_reply(app, habit)
    elif action.action == "done":
        await _celebrate(app, habit)


async def _kind_reply(app: App, habit: Habit) -> None:
    summary = summary_of(app, habit, _marks(app, habit.id).get(habit.id, {}), app.today())
    clean = summary.extra.get("clean_days", summary.total)
    kept = f"Your {clean} clean days still count, every one of them. " if clean else ""
    await app.notify(
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


async def _celebrate(app: App, habit: Habit) -> None:
    summary = summary_of(app, habit, _marks(app, habit.id).get(habit.id, {}), app.today())
    key = f"celebrated:{habit.id}"
    state = app.state(NAME)
    record = state.get(key, {})
    since = summary.extra.get("streak_since")
    done_before = record.get("reached", []) if record.get("since") == since else []
    new = [m for m in milestones_reached(summary.current) if m not in done_before]
    if not new:
        return
    state.set(key, {"since": since, "reached": sorted({*done_before, *new})})
    await app.notify(
        _milestone_text(habit, max(new), summary.unit), about=habit.id, event="celebrated"
    )


# --- what the CLI shows ----------------------------------------------------------------------


@hookimpl
def habitd_rpc_methods(app: App) -> Mapping[str, Callable[..., Awaitable[Any]]]:
    """``goals.streaks``, ``goals.habit`` and ``goals.export``."""

    async def streaks() -> list[dict[str, Any]]:
        """Every habit's streaks, totals, strength and last four weeks."""
        marks = _marks(app)
        today = app.today()
        return [
            summary_of(app, habit, marks.get(habit.id, {}), today).as_json()
            for habit in app.config.habits
        ]

    async def habit(habit: str) -> dict[str, Any]:
        """One habit's whole history: each day's kind, note, and strength over time."""
        found = _habit(app, habit)
        marks = _marks(app, found.id).get(found.id, {})
        today = app.today()
        summary = summary_of(app, found, marks, today)
        from habitd.stats import strength

        scores = strength(summary.days, parse_target(found.target)) if summary.days else []
        first = summary.first
        days = []
        if first is not None:
            for offset, kind in enumerate(summary.days):
                day = first + timedelta(days=offset)
                mark = marks.get(day)
                days.append(
                    {
                        "day": day.isoformat(),
                        "kind": kind,
                        "value": mark.value if mark else None,
                        "note": mark.note if mark else None,
                        "strength": round(scores[offset], 4),
                    }
                )
        return {
            **summary.as_json(recent=0),
            "unit_name": found.unit,
            "threshold": found.threshold,
            "days": days,
        }

    async def export() -> dict[str, Any]:
        """Everything needed to write an export: habits and their marks, oldest first."""
        marks = _marks(app)
        return {
            "habits": [
                {
                    "id": h.id,
                    "name": h.name,
                    "type": h.type,
                    "target": h.target,
                    "threshold": h.threshold,
                    "unit": h.unit,
                    "marks": [
                        {
                            "day": day.isoformat(),
                            "state": mark.state,
                            "value": mark.value,
                            "note": mark.note,
                        }
                        for day, mark in sorted(marks.get(h.id, {}).items())
                    ],
                }
                for h in app.config.habits
            ],
            "today": app.today().isoformat(),
        }

    return {"streaks": streaks, "habit": habit, "export": export}


@hookimpl
def habitd_status(app: App) -> Mapping[str, Any] | None:
    """How many habits are answered today."""
    if not app.config.habits:
        return None
    answered = app.store.checks_on(app.today())
    return {"answered_today": f"{len(answered)}/{len(app.config.habits)}"}
