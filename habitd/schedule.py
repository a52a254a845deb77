"""Turn a :class:`~habitd.config.Schedule` into an APScheduler 3 trigger, in the config's zone.

Triggers built here always carry an explicit time zone (a trigger built by hand would
otherwise use the machine's zone, not the configured one).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta, tzinfo
from typing import Any, Protocol

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.combining import OrTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from habitd import clock
from habitd.clock import zone
from habitd.config import Config, Nudge, Schedule

_CRON_DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")


class WallClockCronTrigger(CronTrigger):  # type: ignore[misc]
    """A cron trigger that fires once per wall-clock time, even when DST repeats an hour.

    APScheduler 3's ``CronTrigger`` fires twice when the clocks go back (02:30 summer time,
    then 02:30 winter time); a daily nudge must come once.
    """

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        found: datetime | None = super().get_next_fire_time(previous_fire_time, now)
        while (
            found is not None
            and previous_fire_time is not None
            and _same_wall_time(found, previous_fire_time)
        ):
            found = super().get_next_fire_time(found, found)
        return found


def _same_wall_time(first: datetime, second: datetime) -> bool:
    zone_of_first = first.tzinfo
    return first.replace(tzinfo=None) == second.astimezone(zone_of_first).replace(tzinfo=None)


def cron_trigger(expression: str, timezone: tzinfo | str, jitter: int | None = None) -> CronTrigger:
    """A trigger from a standard crontab line, where weekday 0 and 7 are Sunday.

    APScheduler 3 counts weekday 0 as Monday; numbers in the weekday field are rewritten
    to names so that ``0 19 * * 2`` means Tuesday, as in every crontab.
    """
    minute, hour, day, month, weekday = expression.split()
    weekday = re.sub(r"\d+", lambda m: _weekday_name(int(m[0])), weekday)
    return WallClockCronTrigger(
        minute=minute,
        hour=hour,
        day=day,
        month=month,
        day_of_week=weekday,
        timezone=timezone,
        jitter=jitter,
    )


def _weekday_name(number: int) -> str:
    if not 0 <= number <= 7:
        raise ValueError(f"weekday {number} is out of range 0-7")
    return _CRON_DAY_NAMES[number]


def build_trigger(schedule: Schedule, timezone: tzinfo) -> BaseTrigger:
    """The APScheduler trigger for ``schedule``."""
    jitter = int(schedule.jitter.total_seconds()) or None
    days = ",".join(str(day) for day in schedule.days)
    if schedule.date is not None:
        when = schedule.date
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone)
        return DateTrigger(run_date=when, timezone=timezone)
    if schedule.cron is not None:
        return cron_trigger(schedule.cron, timezone, jitter)
    if schedule.every is not None and schedule.between is None:
        return IntervalTrigger(
            seconds=int(schedule.every.total_seconds()), timezone=timezone, jitter=jitter
        )
    times = schedule.at or _times_between(schedule)
    triggers: list[Any] = [
        WallClockCronTrigger(
            hour=t.hour,
            minute=t.minute,
            second=0,
            day_of_week=days,
            timezone=timezone,
            jitter=jitter,
        )
        for t in times
    ]
    return triggers[0] if len(triggers) == 1 else OrTrigger(triggers)


def _times_between(schedule: Schedule) -> list[Any]:
    """The clock times of ``every`` within its ``between`` window, starting at the window."""
    assert schedule.every is not None and schedule.between is not None
    start = datetime.combine(datetime(2000, 1, 1), schedule.between.start)
    end = datetime.combine(datetime(2000, 1, 1), schedule.between.end)
    if end <= start:
        end += timedelta(days=1)
    step = max(schedule.every, timedelta(minutes=1))
    times = []
    moment = start
    while moment <= end:
        times.append(moment.time())
        moment += step
    return sorted(set(times))


def next_fire_time(trigger: BaseTrigger, now: datetime) -> datetime | None:
    """The first time at or after ``now`` when ``trigger`` fires, or None if never again."""
    result: datetime | None = trigger.get_next_fire_time(None, now)
    return result


class Timetable(Protocol):
    """When nudges, plugins' jobs and pending deliveries run: :class:`NudgeScheduler` in the
    daemon, :class:`Forecast` in a CLI working without one."""

    def apply(self, config: Config, jobs: Sequence[tuple[str, Any]]) -> None:
        """Match the timetable to ``config`` and the plugins' jobs."""

    def add_pending(self, nudge_id: str, due: datetime, reason: str) -> None:
        """Deliver ``nudge_id`` once at ``due`` (stored already by the caller)."""

    def next_time(self, nudge: Nudge, timezone: tzinfo) -> datetime | None:
        """When the nudge's regular schedule fires next."""

    def wakeup(self) -> None:
        """Re-check what is due now."""

    def jobs_next(self) -> list[tuple[str, Any, datetime]]:
        """Plugins' jobs with their next run: ``(PLUGIN:JOB, job, when)``."""

    def start(self) -> None:
        """Start running (inside the event loop)."""

    def shutdown(self) -> None:
        """Stop running."""


class Forecast:
    """The timetable of a process that runs no timers (a CLI without the daemon): it tells
    when nudges and plugins' jobs run next; a pending delivery is stored by the caller, and
    the daemon arms it when it starts."""

    def __init__(self) -> None:
        self._jobs: list[tuple[str, Any, BaseTrigger]] = []
        self._zone: tzinfo = zone("UTC")

    def apply(self, config: Config, jobs: Sequence[tuple[str, Any]]) -> None:
        """Learn the plugins' jobs (nothing is armed here)."""
        timezone = self._zone = zone(config.settings.timezone)
        self._jobs = [
            (f"{plugin}:{job.id}", job, job_trigger(job, timezone)) for plugin, job in jobs
        ]

    def jobs_next(self) -> list[tuple[str, Any, datetime]]:
        """Plugins' jobs with their next run."""
        found = []
        for name, job, trigger in self._jobs:
            when = next_fire_time(trigger, clock.now(self._zone))
            if when is not None:
                found.append((name, job, when))
        return found

    def add_pending(self, nudge_id: str, due: datetime, reason: str) -> None:
        """Nothing to arm here: the daemon arms the stored row at its start."""

    def next_time(self, nudge: Nudge, timezone: tzinfo) -> datetime | None:
        """The next time the nudge's schedule names, from now."""
        return next_fire_time(build_trigger(nudge.schedule, timezone), clock.now(timezone))

    def wakeup(self) -> None:
        """Nothing runs here."""

    def start(self) -> None:
        """Nothing runs here."""

    def shutdown(self) -> None:
        """Nothing runs here."""


class NudgeScheduler:
    """APScheduler's ``AsyncIOScheduler`` holding one job per nudge, per plugin job and per
    pending (snoozed or held) delivery. It sleeps until the next job is due: no polling.

    Every nudge job coalesces (a nudge missed several times fires once) and has the nudge's
    own misfire grace: later than that, it is recorded as ``missed`` instead of fired.
    """

    def __init__(
        self,
        fire: Callable[..., Awaitable[Any]],
        missed: Callable[[str, datetime], None],
        run_job: Callable[[str, str, Callable[[], Any]], Awaitable[None]],
    ) -> None:
        from apscheduler.events import EVENT_JOB_MISSED
        from apscheduler.schedulers.asyncio import AsyncIOScheduler

        self._aps = AsyncIOScheduler(job_defaults={"coalesce": True, "max_instances": 1})
        self._aps.add_listener(self._on_missed, EVENT_JOB_MISSED)
        self._fire = fire
        self._missed = missed
        self._run_job = run_job
        self._nudges: dict[str, tuple[Nudge, str]] = {}
        self._jobs: dict[str, Any] = {}

    def start(self) -> None:
        """Start; must be called inside the running event loop."""
        self._aps.start()

    def shutdown(self) -> None:
        """Stop without waiting for running jobs."""
        if self._aps.running:
            self._aps.shutdown(wait=False)

    def apply(self, config: Config, jobs: Sequence[tuple[str, Any]]) -> None:
        """Match the jobs to ``config``: unchanged nudges keep their job (and next time)."""
        timezone = zone(config.settings.timezone)
        wanted = {n.id: n for n in config.nudges if n.enabled}
        for nudge_id, (nudge, tz_name) in list(self._nudges.items()):
            if wanted.get(nudge_id) != nudge or tz_name != str(timezone):
                self._remove(f"nudge:{nudge_id}")
                del self._nudges[nudge_id]
        for nudge_id in {
            j.id.split(":", 1)[1] for j in self._aps.get_jobs() if j.id.startswith("pending:")
        } - set(wanted):
            self._remove(f"pending:{nudge_id}")
        for nudge in wanted.values():
            if nudge.id in self._nudges:
                continue
            self._aps.add_job(
                self._fire,
                build_trigger(nudge.schedule, timezone),
                args=(nudge.id,),
                kwargs={"cause": "schedule"},
                id=f"nudge:{nudge.id}",
                name=nudge.id,
                misfire_grace_time=_seconds(nudge.grace),
                replace_existing=True,
            )
            self._nudges[nudge.id] = (nudge, str(timezone))
        for job in self._aps.get_jobs():
            if job.id.startswith("job:"):
                job.remove()
        self._jobs = {f"{plugin}:{job.id}": job for plugin, job in jobs}
        for plugin, job in jobs:
            trigger = job_trigger(job, timezone)
            self._aps.add_job(
                self._run_job,
                trigger,
                args=(plugin, job.id, job.run),
                id=f"job:{plugin}:{job.id}",
                name=f"{plugin}:{job.id}",
                misfire_grace_time=_seconds(job.grace),
                replace_existing=True,
            )

    def add_pending(self, nudge_id: str, due: datetime, reason: str) -> None:
        """Fire ``nudge_id`` once at ``due`` (a snooze or a hold); replaces an earlier one."""
        known = self._nudges.get(nudge_id)
        grace = known[0].grace if known else timedelta(hours=1)
        self._aps.add_job(
            self._fire,
            DateTrigger(run_date=due),
            args=(nudge_id,),
            kwargs={"cause": reason},
            id=f"pending:{nudge_id}",
            name=f"{nudge_id} ({reason})",
            misfire_grace_time=_seconds(grace),
            replace_existing=True,
        )

    def next_time(self, nudge: Nudge, timezone: tzinfo) -> datetime | None:
        """When the nudge's regular job fires next."""
        job = self._aps.get_job(f"nudge:{nudge.id}")
        return job.next_run_time if job else None

    def jobs_next(self) -> list[tuple[str, Any, datetime]]:
        """Plugins' jobs with their next run."""
        found = []
        for name, job in self._jobs.items():
            scheduled = self._aps.get_job(f"job:{name}")
            if scheduled is not None and scheduled.next_run_time is not None:
                found.append((name, job, scheduled.next_run_time))
        return found

    def job_times(self) -> dict[str, datetime]:
        """Every job's next run, by its name (``NUDGE``, ``NUDGE (snoozed)``, ``PLUGIN:JOB``)."""
        return {job.name: job.next_run_time for job in self._aps.get_jobs()}

    def wakeup(self) -> None:
        """Re-check due jobs now (after a suspend or a clock change)."""
        self._aps.wakeup()

    def _remove(self, job_id: str) -> None:
        if self._aps.get_job(job_id):
            self._aps.remove_job(job_id)

    def _on_missed(self, event: Any) -> None:
        kind, _, name = event.job_id.partition(":")
        if kind in ("nudge", "pending"):
            self._missed(name, event.scheduled_run_time)


def job_trigger(job: Any, timezone: tzinfo) -> BaseTrigger:
    """A plugin job's trigger: its schedule in the config's zone, shifted by its offset."""
    trigger = build_trigger(job.schedule, timezone)
    return ShiftedTrigger(trigger, job.offset) if job.offset else trigger


class ShiftedTrigger(BaseTrigger):  # type: ignore[misc]
    """Fires ``offset`` before (negative) or after another trigger: a reminder an hour
    before a cron-scheduled appointment."""

    def __init__(self, inner: BaseTrigger, offset: timedelta) -> None:
        self.inner = inner
        self.offset = offset

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        previous = previous_fire_time - self.offset if previous_fire_time else None
        found: datetime | None = self.inner.get_next_fire_time(previous, now - self.offset)
        return found + self.offset if found is not None else None

    def __str__(self) -> str:
        return f"{self.inner} shifted by {self.offset}"


def _seconds(delta: timedelta) -> int:
    return max(1, int(delta.total_seconds()))
