"""Insights: the person's patterns (``habitd report``), risk windows, an optional gentle
nudge before them, and a weekly review.

``[plugins.insights]``: ``pre_emptive = true`` schedules a calm moment 30 minutes before
each risk window (off by default: it is explained in the report first);
``weekly_review = "sun 19:00"`` (or ``false``) sends two kind sentences about the week.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from typing import Any

from habitd.builtin import patterns as insights
from habitd.plugin import (
    WEEKDAYS,
    Config,
    InvalidInput,
    Job,
    Message,
    PluginContext,
    Problem,
    TableReader,
    hookimpl,
    parse_clock,
    parse_schedule,
    parse_target,
    strength,
)

NAME = "insights"


def _review_schedule(text: str) -> Any:
    day, _, clock = text.partition(" ")
    if day[:3].lower() not in WEEKDAYS:
        raise ValueError(f'expected a day and time like "sun 19:00", got {text!r}')
    return parse_schedule({"at": [f"{parse_clock(clock):%H:%M}"], "days": [day[:3].lower()]})


def _read(settings: Mapping[str, Any], problems: list[Problem]) -> dict[str, Any]:
    read = TableReader(settings, ("plugins", NAME), problems)
    read.check_keys(("pre_emptive", "weekly_review"))
    review = settings.get("weekly_review", "sun 19:00")
    if review is not False:
        read.get("weekly_review", str, None, _review_schedule)
    return {"pre_emptive": read.get("pre_emptive", bool, False), "weekly_review": review}


@hookimpl
def habitd_validate_config(config: Config, settings: Mapping[str, Any]) -> Sequence[Problem]:
    """``[plugins.insights]``: pre_emptive (true/false), weekly_review ("sun 19:00" or false)."""
    problems: list[Problem] = []
    _read(settings, problems)
    return problems


@hookimpl
def habitd_configure(settings: Mapping[str, Any], ctx: PluginContext) -> None:
    """Take the settings into use."""
    ctx.cache["settings"] = _read(settings, [])


def _settings(ctx: PluginContext) -> dict[str, Any]:
    found = ctx.cache.get("settings")
    if not isinstance(found, dict):
        found = ctx.cache["settings"] = _read(ctx.settings, [])
    return found


def build_report(ctx: PluginContext, days: int) -> dict[str, Any]:
    """The report, with every habit's streaks and a year in pixels."""
    now = ctx.now()
    day_starts = ctx.config.settings.day_starts
    data = insights.report(ctx.query, days, now, day_starts)
    data["streaks"] = [summary.as_json() for summary in ctx.summaries()]
    clean = [h.id for h in ctx.config.habits if h.type == "abstain"]
    data["year"] = insights.year_in_pixels(ctx.query, ctx.today(), now, day_starts, clean)
    data["pre_emptive"] = bool(_settings(ctx)["pre_emptive"])
    data["habits"] = [_habit_figures(ctx, habit, days) for habit in ctx.config.habits]
    return data


def _habit_figures(ctx: PluginContext, habit: Any, days: int) -> dict[str, Any]:
    """One habit over the report's days: strength each week (Loop's score), done days by
    weekday, and for an abstain habit the days kept and what was not spent."""
    summary = ctx.summary(habit.id)
    scores = strength(summary.days, parse_target(habit.target)) if summary.days else []
    first = summary.first
    since = ctx.today() - timedelta(days=days - 1)
    weekly = []
    if first is not None:
        for offset in range(len(scores) - 1, -1, -7):
            day = first + timedelta(days=offset)
            if day < since:
                break
            weekly.append([day.isoformat(), round(scores[offset] * 100, 1)])
    by_weekday = dict.fromkeys(WEEKDAY_NAMES, 0)
    year_start = ctx.today() - timedelta(days=364)
    year: dict[str, str] = {}
    for _habit, day, state, _value, _note in ctx.marks(habit.id):
        if state == "done" and day >= since:
            by_weekday[WEEKDAY_NAMES[day.weekday()]] += 1
        if day >= year_start:
            year[day.isoformat()] = state
    figures: dict[str, Any] = {
        "habit": habit.id,
        "name": habit.name,
        "type": habit.type,
        "strength_by_week": weekly[::-1],
        "done_by_weekday": by_weekday,
        "year": year,
    }
    if habit.type == "abstain":
        kept = int(summary.extra.get("clean_days", summary.total))
        figures["days_kept"] = kept
        if habit.cost_per_day is not None:
            figures["not_spent"] = round(kept * habit.cost_per_day, 2)
            figures["currency"] = habit.currency
    return figures


WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@hookimpl
def habitd_rpc_methods(ctx: PluginContext) -> Mapping[str, Callable[..., Any]]:
    """``insights.report``."""

    def report(days: int = 30) -> dict[str, Any]:
        """Patterns over the last ``days`` days."""
        if not 1 <= days <= 3660:
            raise InvalidInput("days must be from 1 to 3660")
        return build_report(ctx, days)

    return {"report": report}


@hookimpl
def habitd_jobs(ctx: PluginContext) -> Sequence[Job]:
    """The weekly review, and (opt-in) a calm moment before each risk window."""
    jobs = []
    if _settings(ctx)["weekly_review"]:
        jobs.append(
            Job(
                "weekly-review",
                _review_schedule(_settings(ctx)["weekly_review"]),
                lambda: _weekly_review(ctx),
                shows="your weekly review",
            )
        )
    if _settings(ctx)["pre_emptive"]:
        now = ctx.now()
        windows = insights.risk_windows(ctx.query, now - timedelta(weeks=8), now)
        for window in windows:
            cron = f"0 {window.hour} * * {window.weekday}"  # crontab: 0 is Sunday, as here
            label = window.as_json()["label"]
            jobs.append(
                Job(
                    f"before-{window.weekday}-{window.hour}",
                    parse_schedule({"cron": cron}),
                    _calm_moment(ctx, label),
                    offset=-timedelta(minutes=30),
                    shows=f"a calm moment before {label}",
                )
            )
    return jobs


def _calm_moment(ctx: PluginContext, label: str) -> Callable[[], None]:
    def send() -> None:  # held by a pause or quiet hours, as a nudge is
        ctx.notify(
            Message(
                title="A calm moment, before it gets hard",
                body=f"Cravings have often come around {label}. A few slow breaths now "
                "can take the edge off.",
                command="habitd breathe",
                urgency="low",
            ),
            about="risk-window",
            event="pre-emptive",
        )

    return send


def _weekly_review(ctx: PluginContext) -> None:
    data = insights.report(ctx.query, 7, ctx.now(), ctx.config.settings.day_starts)
    urges = data["craving"]["count"]
    first = f"This week you wrote {data['entries']} entr{'y' if data['entries'] == 1 else 'ies'}"
    first += f" and rode out {urges} urge{'s' if urges != 1 else ''}." if urges else "."
    if data["triggers"]:
        second = (
            f"{data['triggers'][0]['name'].capitalize()} came up most; noticing it is "
            "half the work."
        )
    else:
        second = "Every check-in counts, including the quiet weeks."
    ctx.notify(
        Message(
            title="Your week",
            body=f"{first} {second}",
            command="habitd report --days 7",
            urgency="low",
        ),
        about="week",
        event="review",
    )
