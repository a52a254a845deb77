"""The core: every operation on the person's data, decided and written in one place.

Both modes run exactly this code: the daemon hands each write to the store's one writer
thread (and runs a read, marked :func:`~habitd.rpc.reads`, beside it), and a CLI that
finds no daemon does the same in-process (without asyncio, plugins or D-Bus, so it stays light). An
operation validates its input, writes in one transaction together with its idempotency
``key`` (a retry with the same key returns the first answer and writes nothing) and a
change in the change log, and returns JSON. It calls no plugin, notifier or scheduler: the
daemon reacts to the change log (:mod:`habitd.reactor`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any

from habitd import clock, entries, help
from habitd.config import Config, Nudge
from habitd.contract import ANSWERS, Action
from habitd.errors import InvalidInput, NotFound
from habitd.rpc import exposed, reads, rpc
from habitd.store import Store
from habitd.timeparse import parse_duration

if TYPE_CHECKING:
    from habitd.stats import Summary


EARLIEST = date(2000, 1, 1)
"""No mark before this day: a typo like 0001-01-01 is refused, never stored."""

LONGEST = timedelta(days=366)
"""The longest a snooze or a pause may last, typed as a duration or as an end date."""

JOURNAL_KINDS = ("journal", "urge", "thought")
"""Entries that count as writing for a habit with ``counts = "journal"``, typed or imported."""

COUNTED_NOTES = {"journal": "a journal entry", "reached": "someone reached"}
"""The note on a mark an activity made."""


LARGEST_VALUE = 1e9
"""The largest value a mark may hold (a count, minutes, glasses...)."""


def _bad_mark(mark: Any) -> str | None:
    """Why an imported mark ``[habit, day, state, value, note]`` cannot be kept as typed
    ones are, or None when it can."""
    import math

    if not isinstance(mark, list | tuple) or len(mark) != 5:
        return f"{mark!r:.60} is not [habit, day, state, value, note]"
    habit, day_text, state, value, note = mark
    if not isinstance(habit, str) or not habit:
        return f"the habit {habit!r:.40} is not a name"
    try:
        day = date.fromisoformat(str(day_text))
    except ValueError:
        return f"{day_text!r:.40} is not a day (YYYY-MM-DD)"
    if day < EARLIEST:
        return f"{day} is before {EARLIEST.year}"
    if state not in ("done", "skipped", "lapse"):
        return f"{state!r:.40} is not a mark habitd keeps"
    if value is not None and (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or abs(value) > LARGEST_VALUE
    ):
        return f"the value {value!r:.40} is not a number habitd keeps"
    if note is not None and (not isinstance(note, str) or len(note) > 10_000):
        return "its note is not a text of at most 10,000 characters"
    return None


class Operations:
    """The person's data through the config's eyes: habits, nudges, the habit day."""

    def __init__(self, config: Config, store: Store) -> None:
        self.config = config
        self.store = store

    # --- time -----------------------------------------------------------------------------

    @property
    def tz(self) -> tzinfo:
        """The configured time zone."""
        return clock.zone(self.config.settings.timezone)

    def now(self) -> datetime:
        """Now, in the configured zone."""
        return clock.now(self.tz)

    def today(self) -> date:
        """The habit day now: the local date, shifted back by ``day_starts``."""
        return clock.today(self.tz, self.config.settings.day_starts)

    def paused_until(self) -> datetime | None:
        """When the person's pause ends, or None when not paused."""
        value = self.store.get_state("habitd", "paused_until")
        if value is None:
            return None
        until = datetime.fromisoformat(value).astimezone(self.tz)
        return until if until > clock.utc_now() else None  # in UTC: see clock.later

    def on_vacation(self) -> bool:
        """Whether today is in a ``habitd pause --habits`` (streaks frozen)."""
        today = self.today()
        return any(start <= today <= end for start, end in self.vacations())

    def vacations(self) -> list[tuple[date, date]]:
        """Ranges of habit days frozen by ``habitd pause --habits`` (both ends included)."""
        stored = self.store.get_state("habitd", "vacations", [])
        return [(date.fromisoformat(start), date.fromisoformat(end)) for start, end in stored]

    def summaries(self, habit: str | None = None) -> list[Summary]:
        """Streaks, totals and strength of every configured habit (or of one), as of the
        habit day now, with vacations frozen; ``extra`` holds its name, type and target."""
        from habitd.stats import Mark, summarize

        chosen = [self.habit(habit)] if habit is not None else list(self.config.habits)
        marks: dict[str, dict[date, Mark]] = {}
        for name, day, state, value, note in self.store.check_rows(habit):
            marks.setdefault(name, {})[date.fromisoformat(day)] = Mark(state, value, note)
        today, vacations = self.today(), self.vacations()
        found = []
        for item in chosen:
            summary = summarize(
                item.id,
                item.type,
                item.target,
                marks.get(item.id, {}),
                today,
                threshold=item.threshold,
                start=item.start,
                paused=[*item.paused, *vacations],
            )
            summary.extra.update(name=item.name, type=item.type, target=item.target)
            found.append(summary)
        return found

    # --- answers ----------------------------------------------------------------------------

    def record_action(self, action: Action, key: str | None = None) -> dict[str, Any]:
        """Store the person's answer (a mark for a habit, a snooze, a reply that becomes a
        journal entry...) with its change, once per ``key``."""
        if action.source != "notification" and action.action not in ANSWERS:
            raise InvalidInput(
                f"unknown answer {action.action!r}; expected one of {', '.join(ANSWERS)}"
            )
        if not re.match(r"^[a-z][a-z-]*$", action.action):  # a plugin's own button id
            raise InvalidInput(f"an answer is a lowercase word, got {action.action!r}")
        action = action._replace(
            note=entries.as_text(action.note) if action.note is not None else None,
            text=entries.as_text(action.text) if action.text is not None else None,
        )
        for field, value in (("note", action.note), ("text", action.text)):
            if value is not None and len(value) > entries.MAX_TEXT:
                raise InvalidInput(
                    f"the {field} is {len(value):,} characters; keep it under {entries.MAX_TEXT:,}"
                )
        day = action.day or self.today()
        if action.habit and action.action in ("done", "skipped", "lapse"):
            marked = self.config.habit(action.habit)
            if marked is not None and marked.start is not None and day < marked.start:
                raise InvalidInput(
                    f"{action.habit} starts on {clock.describe_day(marked.start, day)} (its "
                    f"start in the config); {clock.describe_day(day, marked.start)} is before it"
                )
        snoozed = self.nudge(action.nudge) if action.action == "snoozed" and action.nudge else None
        reply = (  # a reply's note is the question it answers ("What led to it?")
            entries.clean(
                "journal", {"note": action.text, "nudge": action.nudge, "prompt": action.note}
            )
            if action.action == "replied" and action.text
            else None
        )
        with self.store.once(key, action.action) as once:
            if once.replayed:
                return dict(once.result)
            result: dict[str, Any] = {
                "action": action.action,
                "nudge": action.nudge,
                "habit": action.habit,
            }
            if action.habit and action.action in ("done", "skipped", "lapse"):
                self.store.set_check(action.habit, day, action.action, action.value, action.note)
                result["day"] = day.isoformat()
                day_starts = self.config.settings.day_starts
                if day == self.today() and clock.before_day_starts(self.now(), day_starts):
                    result["day_starts"] = f"{day_starts:%H:%M}"
            if snoozed is not None:
                due = clock.later(self.now(), snoozed.snooze)
                self.store.set_pending(snoozed.id, due, "snoozed")
                result["until"] = due.isoformat()
            if reply is not None:
                result["entry"] = self._save_entry("journal", reply)
            detail = {
                k: v
                for k, v in (
                    ("day", result.get("day")),
                    ("note", action.note),
                    ("value", action.value),
                    ("source", action.source),
                    ("until", result.get("until")),
                )
                if v is not None
            }
            self.store.add_event(action.action, action.nudge, habit=action.habit, detail=detail)
            self.store.add_change("action", action.as_change(day), clock.utc_now())
            once.result = result
        return result

    @rpc
    def done(
        self,
        habit: str,
        date: str | None = None,
        note: str | None = None,
        value: float | None = None,
        nudge: str | None = None,
        key: str | None = None,
    ) -> dict[str, Any]:
        """Mark a habit done for today (or ``date``); ``value`` for a counted habit (water,
        a dose). Without a value, a counted habit counts as having met its target.

        Every write takes a ``key`` (the client makes one per command): a retry with the
        same key returns the first answer and writes nothing again."""
        target = self.habit(habit)
        habit = target.id  # as configured, whatever case it was typed in
        if value is not None and not target.counted:
            raise InvalidInput(
                f"{habit} is a {target.type} habit: it takes no --value (at-least and at-most "
                "habits do)"
            )
        if value is not None and (value < 0 or value != value):
            raise InvalidInput(f"the value must be a number of zero or more, got {value}")
        result = self.record_action(
            Action("done", nudge=nudge, habit=habit, day=self._day(date), note=note, value=value),
            key,
        )
        if value is not None and target.threshold is not None:
            from habitd.stats import DONE, Mark, day_kind

            result["met"] = day_kind(target.type, target.threshold, Mark("done", value)) == DONE
            result.update(value=value, threshold=target.threshold, type=target.type)
            result["unit"] = target.unit
        return result

    @rpc
    def lapse(
        self,
        habit: str,
        date: str | None = None,
        note: str | None = None,
        nudge: str | None = None,
        key: str | None = None,
    ) -> dict[str, Any]:
        """Record a lapse on an abstain habit, honestly: it ends the streak, never the total."""
        target = self.habit(habit)
        habit = target.id
        if target.type != "abstain":
            raise InvalidInput(
                f"{habit} is a {target.type} habit; a lapse is for abstain habits "
                "(for a day that did not happen, use `habitd skip` or just leave it)"
            )
        result = self.record_action(
            Action("lapse", nudge=nudge, habit=habit, day=self._day(date), note=note), key
        )
        if result.get("day") == self.today().isoformat():  # now, not filled in afterwards
            result["help"] = self.help_now("lapse")
        return result

    @rpc
    def unmark(self, habit: str, date: str | None = None, key: str | None = None) -> dict[str, Any]:
        """Remove a habit's mark for today (or ``date``): a done, a skip or a lapse, as if it
        had never been marked. The answer says what was removed."""
        found = self.habit(habit)
        day = self._day(date) or self.today()
        with self.store.once(key, "unmark") as once:
            if once.replayed:
                return dict(once.result)
            removed = self.store.delete_check(found.id, day)
            result: dict[str, Any] = {
                "habit": found.id,
                "day": day.isoformat(),
                "removed": removed.state if removed else None,
            }
            if removed is not None:
                self.store.add_event(
                    "unmarked",
                    habit=found.id,
                    detail={"day": day.isoformat(), "was": removed.state},
                )
                self.store.add_change(
                    "action",
                    Action("unmarked", habit=found.id, day=day, source="cli").as_change(day),
                    clock.utc_now(),
                )
            once.result = result
        return dict(once.result)

    @rpc
    def skip(
        self,
        habit: str,
        date: str | None = None,
        note: str | None = None,
        nudge: str | None = None,
        key: str | None = None,
    ) -> dict[str, Any]:
        """Mark a habit skipped for today (or ``date``): neither done nor missed."""
        habit = self.habit(habit).id
        return self.record_action(
            Action("skipped", nudge=nudge, habit=habit, day=self._day(date), note=note), key
        )

    @rpc
    def snooze(
        self, nudge: str, duration: str | None = None, key: str | None = None
    ) -> dict[str, Any]:
        """Fire a nudge again later (its ``snooze`` time unless ``duration`` is given)."""
        target = self.nudge(nudge)
        delay = self.duration(duration) if duration else target.snooze
        due = clock.later(self.now(), delay)
        with self.store.once(key, "snooze") as once:
            if once.replayed:
                return dict(once.result)
            self.store.set_pending(target.id, due, "snoozed")
            self.store.add_event(
                "snoozed",
                target.id,
                habit=target.habit,
                detail={"until": due.isoformat(), "source": "cli"},
            )
            answer = Action("snoozed", nudge=target.id, habit=target.habit)
            self.store.add_change("action", answer.as_change(None), clock.utc_now())
            once.result = {"nudge": target.id, "until": due.isoformat()}
        return dict(once.result)

    # --- pause ------------------------------------------------------------------------------

    @rpc
    def pause(
        self,
        duration: str | None = None,
        until: str | None = None,
        habits: bool = False,
        key: str | None = None,
    ) -> dict[str, Any]:
        """Hold every nudge for a while (``2h``), ``until-morning`` (the end of quiet hours),
        or ``until`` a date (``2026-12-24``) or time; it always ends by itself. With
        ``habits``, it is a vacation too: the days it covers freeze every streak."""
        now = self.now()
        if until is not None:
            if duration is not None:
                raise InvalidInput("give a duration or --until, not both")
            end = self._moment(until)
            if end <= now.astimezone(UTC):
                raise InvalidInput(f"{until} has passed; a pause must end in the future")
            if clock.elapsed(end, now) > LONGEST:
                raise InvalidInput(
                    f"{until} is more than a year away; a pause lasts at most a year"
                )
        elif duration in (None, "until-morning"):
            end = self._morning(now) if duration else clock.later(now, timedelta(hours=1))
        else:
            end = clock.later(now, self.duration(duration))
        with self.store.once(key, "pause") as once:
            if once.replayed:
                return dict(once.result)
            earlier = self.paused_until()
            self.store.set_state("habitd", "paused_until", end.isoformat())
            if habits:
                last_day = clock.habit_day(
                    end - timedelta(seconds=1), self.config.settings.day_starts
                )
                self._save_vacations([*self.vacations(), (self.today(), last_day)])
            self.store.add_event("paused", detail={"until": end.isoformat(), "habits": habits})
            once.result = {"paused_until": end.isoformat(), "habits": habits}
            if earlier is not None:  # a new pause replaces the one running
                once.result["replaced"] = earlier.isoformat()
        return dict(once.result)

    @rpc
    def resume(self, key: str | None = None) -> dict[str, Any]:
        """End a pause now; nudges held by it become due now (if nothing else holds them)."""
        with self.store.once(key, "resume") as once:
            if once.replayed:
                return dict(once.result)
            was = self.paused_until()
            self.store.set_state("habitd", "paused_until", None)
            today = self.today()
            self._save_vacations(
                [
                    (start, min(end, today - timedelta(days=1)) if end >= today else end)
                    for start, end in self.vacations()
                    if start < today or end < today  # begun and ended today: none at all
                ]
            )
            now = self.now()
            for nudge_id, _due, reason in self.store.pending():
                if reason == "held":
                    self.store.set_pending(nudge_id, now, "held")
            self.store.add_event("resumed")
            self.store.add_change("resumed", {}, clock.utc_now())
            once.result = {"was_paused_until": was.isoformat() if was else None}
        return dict(once.result)

    def _save_vacations(self, ranges: list[tuple[date, date]]) -> None:
        self.store.set_state(
            "habitd", "vacations", [[start.isoformat(), end.isoformat()] for start, end in ranges]
        )

    # --- the journal --------------------------------------------------------------------------

    def add_entry(
        self,
        kind: str,
        fields: Mapping[str, Any],
        key: str | None = None,
        when: datetime | None = None,
    ) -> int:
        """Check and store a journal entry with its change, once per ``key``; its id.
        ``when`` it happened (default: now). Raises :class:`InvalidInput` naming a bad field."""
        cleaned = entries.clean(kind, dict(fields))
        with self.store.once(key, "entry_add") as once:
            if once.replayed:
                return int(once.result)
            once.result = self._save_entry(kind, cleaned, when)
        return int(once.result)

    def _save_entry(
        self, kind: str, cleaned: Mapping[str, Any], when: datetime | None = None
    ) -> int:
        """Write an entry and its change (inside the caller's transaction); its id."""
        columns, extra = entries.split(dict(cleaned))
        ts = when or clock.utc_now()
        entry_id = self.store.add_entry(kind, ts=ts, extra=extra, **columns)
        self.store.add_change("entry", {"id": entry_id, "kind": kind}, ts)
        if kind in JOURNAL_KINDS:
            self.count("journal", ts)
        return entry_id

    def count(self, activity: str, moment: datetime) -> list[str]:
        """An activity happened (a journal entry, a contact reached, a practice finished): mark
        each habit that counts it (``counts = "journal"``) done for that habit day, unless it
        is marked already. Returns the habits marked."""
        day = self._habit_day(moment)
        marked = []
        with self.store.once(None, "count"):
            for habit in self.config.habits:
                if habit.counts != activity or self.store.check_on(habit.id, day) is not None:
                    continue
                note = COUNTED_NOTES.get(activity, activity)
                action = Action("done", habit=habit.id, day=day, note=note, source=activity)
                self.store.set_check(habit.id, day, "done", None, note)
                self.store.add_event(
                    "done", habit=habit.id, detail={"day": day.isoformat(), "source": activity}
                )
                self.store.add_change("action", action.as_change(day), clock.utc_now())
                marked.append(habit.id)
        return marked

    def _count_past(self, activity: str, days: set[date]) -> list[list[str]]:
        """Days an import shows the activity on: each habit that counts it is marked done
        for each of them not marked yet, as a mark an import brings (no reaction: it is the
        past). Inside the caller's transaction; the marks added, as ``[habit, day]``."""
        note = COUNTED_NOTES.get(activity, activity)
        added: list[list[str]] = []
        for habit in self.config.habits:
            if habit.counts != activity:
                continue
            for day in sorted(days):
                if self.store.check_on(habit.id, day) is None:
                    self.store.set_check(habit.id, day, "done", None, note)
                    added.append([habit.id, day.isoformat()])
        return added

    def _habit_day(self, moment: datetime) -> date:
        return clock.habit_day(moment.astimezone(self.tz), self.config.settings.day_starts)

    @rpc
    def entry_add(
        self,
        kind: str,
        fields: dict[str, Any],
        when: str | None = None,
        key: str | None = None,
    ) -> dict[str, Any]:
        """Save a journal, urge or thought entry (``when`` it happened: ``2h ago``,
        ``yesterday 23:10``, ``21:30``, ISO; default now); ``{"id": N}`` once it is
        committed, with ``help`` (as ``help_now`` gives it) when it is an urge at or above
        ``escalate_at``."""
        moment = self.when(when) if when is not None else None
        result: dict[str, Any] = {"id": self.add_entry(kind, fields, key, moment)}
        craving = fields.get("craving")
        if kind == "urge" and isinstance(craving, int):
            found = self.urge_help(craving)
            if found is not None:
                result["help"] = found
        return result

    @rpc
    @reads
    def urge_help(self, craving: int) -> dict[str, Any] | None:
        """What an urge of strength ``craving`` gets at once: ``help_now("craving")`` when it
        is at or above ``escalate_at``, else None (the one rule; the client asks it in its
        own process before saving, so the help never waits on the daemon)."""
        if craving >= help.escalate_at(self.config.support):
            return self.help_now("craving")
        return None

    @rpc
    def import_data(
        self,
        marks: list[list[Any]],
        entries: list[dict[str, Any]],
        key: str | None = None,
        event: bool = True,
        totals: dict[str, int] | None = None,
    ) -> dict[str, Any]:
        """Add what an import brings (``habitd import``, one batch at a time): marks for days
        not marked yet and entries not there yet, in one transaction, so the same file twice
        adds nothing. Every entry is checked as a typed one is; a bad one is skipped and
        named. The result lists what was added (``added``: entry ids and ``[habit, day]``
        marks) so a stopped import can take it back (:meth:`import_undo`). With ``event``,
        history gets an ``imported`` line (of ``totals``, when the batches were many)."""
        from habitd import entries as entry_fields

        checked: list[tuple[str, datetime, dict[str, Any]]] = []
        skipped: list[str] = []
        for number, item in enumerate(entries, start=1):
            try:
                moment = datetime.fromisoformat(str(item["ts"]))
                if moment.tzinfo is None:
                    moment = moment.replace(tzinfo=self.tz)
                if moment.year < EARLIEST.year:
                    raise ValueError(f"{moment:%Y-%m-%d} is before {EARLIEST.year}")
                fields = entry_fields.clean(str(item["kind"]), dict(item.get("fields") or {}))
            except (KeyError, ValueError, TypeError, OverflowError, InvalidInput) as exc:
                skipped.append(f"entry {number}: {exc}")
                continue
            checked.append((str(item["kind"]), moment, fields))
        with self.store.once(key, "import") as once:
            if once.replayed:
                return dict(once.result)
            added_marks: list[list[str]] = []
            for number, mark in enumerate(marks, start=1):
                problem = _bad_mark(mark)
                if problem is not None:
                    skipped.append(f"mark {number}: {problem}")
                    continue
                habit, day_text, state, value, note = mark
                day = date.fromisoformat(day_text)
                if self.store.check_on(habit, day) is None:
                    self.store.set_check(habit, day, state, value, note)
                    added_marks.append([habit, day.isoformat()])
            added_entries: list[int] = []
            written = set()
            for kind, moment, fields in checked:
                if self.store.has_entry(kind, moment, fields.get("note")):
                    continue
                columns, extra = entry_fields.split(fields)
                added_entries.append(self.store.add_entry(kind, ts=moment, extra=extra, **columns))
                if kind in JOURNAL_KINDS:
                    written.add(self._habit_day(moment))
            counted = self._count_past("journal", written)
            result = {
                "marks": len(added_marks),
                "entries": len(added_entries),
                "counted": len(counted),
            }
            if event:
                self.store.add_event("imported", detail=dict(totals or result))
            once.result = {
                **result,
                "skipped": skipped,
                "added": {"entries": added_entries, "marks": added_marks + counted},
            }
        return dict(once.result)

    @rpc
    def import_undo(
        self, entries: list[int], marks: list[list[str]], key: str | None = None
    ) -> dict[str, Any]:
        """Take back what a stopped import added (the ``added`` of its batches): those
        entries and marks, nothing else."""
        with self.store.once(key, "import_undo") as once:
            if once.replayed:
                return dict(once.result)
            removed = self.store.delete_imported(
                entries, [(h, date.fromisoformat(d)) for h, d in marks]
            )
            once.result = {"entries": removed[0], "marks": removed[1]}
        return dict(once.result)

    @rpc
    @reads
    def help_now(self, moment: str = "craving", feeling: str | None = None) -> dict[str, Any]:
        """Right now: the people who help, best first for the ``moment`` (craving, lapse,
        lonely...), next steps, and the crisis line for where the person is."""
        if moment not in help.MOMENTS:
            raise InvalidInput(f"unknown moment {moment!r}; moments: {', '.join(help.MOMENTS)}")
        return help.help_now(
            self.config.support,
            self.store.last_contacts(),
            moment,
            feeling,
            zone=str(self.tz),
        )

    @rpc
    @reads
    def entries(
        self,
        since: str | None = None,
        kind: str | None = None,
        limit: int | None = None,
        search: str | None = None,
        emotion: str | None = None,
        trigger: str | None = None,
        min_intensity: int | None = None,
    ) -> list[dict[str, Any]]:
        """Entries, oldest first (``since``: 7d, a day; ``kind``: journal, urge...), each
        with the habit ``day`` it belongs to. ``search``: the entries holding every word
        (any field, prefixes too), best match first; ``emotion``, ``trigger``: as written in
        any case; ``min_intensity``: a feeling's intensity or an urge's strength, 0-10."""
        if kind is not None and kind not in entries.KINDS:
            raise InvalidInput(f"unknown kind {kind!r}; kinds: {', '.join(entries.KINDS)}")
        ids = self.store.search(search) if search is not None else None
        rows = self.store.entries(self.since(since), kind, None, ids=ids)
        if ids is not None:
            rank = {entry_id: place for place, entry_id in enumerate(ids)}
            rows.sort(key=lambda row: rank[row["id"]])
        wanted = [
            row
            for row in rows
            if (emotion is None or entries.normalise(emotion) == row.get("emotion"))
            and (trigger is None or entries.normalise(trigger) == row.get("trigger"))
            and (
                min_intensity is None
                or max(row.get("intensity") or 0, row.get("craving") or 0) >= min_intensity
            )
        ]
        return [self._with_day(row) for row in (wanted[-limit:] if limit else wanted)]

    def _with_day(self, row: dict[str, Any]) -> dict[str, Any]:
        moment = datetime.fromisoformat(row["ts"]).astimezone(self.tz)
        row["day"] = clock.habit_day(moment, self.config.settings.day_starts).isoformat()
        return row

    @rpc
    @reads
    def entry(self, id: int) -> dict[str, Any]:
        """One entry."""
        found = self.store.entries(entry_id=id)
        if not found:
            raise NotFound(f"no entry {id}")
        return self._with_day(found[0])

    @rpc
    def entry_edit(
        self, id: int, fields: dict[str, Any], when: str | None = None, key: str | None = None
    ) -> dict[str, Any]:
        """Change an entry's fields (``null`` clears one) and, with ``when``, its time (as
        ``entry_add`` reads it); its id and kind stay. The edit is in history, once per
        ``key`` (a retry with the same key answers as the first did)."""
        current = self.entry(id)
        kind = current["kind"]
        merged = {k: v for k, v in current.items() if k not in ("id", "ts", "kind", "day")}
        merged.update(fields)
        cleaned = entries.clean(kind, merged)
        moment = self.when(when) if when is not None else None
        with self.store.once(key, "entry_edit") as once:
            if once.replayed:
                return dict(once.result)
            self.store.update_entry(id, *entries.split(cleaned), ts=moment)
            changed = sorted({*fields, *(["time"] if moment else [])})
            self.store.add_event("edited", detail={"entry": id, "changed": changed})
            once.result = {"id": id, "kind": kind}
        return dict(once.result)

    @rpc
    def entry_delete(self, id: int, key: str | None = None) -> dict[str, Any]:
        """Delete an entry for good (a retry with the same ``key`` answers as the first did)."""
        with self.store.once(key, "entry_delete") as once:
            if once.replayed:
                return dict(once.result)
            if not self.store.delete_entry(id):
                raise NotFound(f"no entry {id}")
            self.store.add_event("deleted", detail={"entry": id})
            once.result = {"id": id, "deleted": True}
        self.store.forget()
        return dict(once.result)

    @rpc
    @reads
    def vocabulary(self) -> dict[str, list[str]]:
        """The person's own emotion and trigger words, the eight most used first (for
        prompts)."""
        return {
            "emotions": [name for name, _ in self.store.vocabulary("emotion")][:8],
            "triggers": [name for name, _ in self.store.vocabulary("trigger")][:8],
        }

    # --- history ------------------------------------------------------------------------------

    @rpc
    @reads
    def history(
        self, since: str | None = None, nudge: str | None = None, limit: int | None = None
    ) -> list[dict[str, Any]]:
        """What fired and what the person answered, oldest first (``since``: 1d, 2h, a day)."""
        start = self.since(since)
        if nudge is not None:
            self.nudge(nudge)
        return [event.as_json() for event in self.store.events(start, nudge, limit)]

    # --- reading what people type -----------------------------------------------------------

    def nudge(self, nudge_id: str) -> Nudge:
        """The configured nudge, or :class:`NotFound` listing the ones there are."""
        nudge = self.config.nudge(nudge_id)
        if nudge is None:
            known = ", ".join(n.id for n in self.config.nudges) or "none"
            raise NotFound(f"no nudge {nudge_id!r}; nudges: {known}")
        return nudge

    def habit(self, habit_id: str) -> Any:
        """The configured habit (its id typed in any case), or :class:`NotFound` listing
        the ones there are."""
        found = self.config.habit(habit_id) or self.config.habit(habit_id.strip().lower())
        if found is None:
            known = ", ".join(h.id for h in self.config.habits) or "none (add a [[habit]])"
            raise NotFound(f"no habit {habit_id!r}; habits: {known}")
        return found

    def _day(self, text: str | None) -> date | None:
        """The habit day ``--date`` names: today, yesterday, a weekday or YYYY-MM-DD.

        Between midnight and ``day_starts`` the calendar is a day ahead of the habit day; the
        calendar's date then means today's habit day (the answer says which day it was)."""
        if text is None:
            return None
        today, calendar = self.today(), self.now().date()
        try:
            day = clock.parse_day(text, today, calendar)
        except ValueError as exc:
            raise InvalidInput(str(exc)) from None
        if day == calendar:
            return today
        if day < EARLIEST:
            raise InvalidInput(
                f"{day.isoformat()} is before {EARLIEST.year}: habitd keeps days from "
                f"{EARLIEST:%d %B %Y} on"
            )
        if day > today:
            raise InvalidInput(
                f"{clock.describe_day(day, today)} has not begun yet: today is "
                f"{clock.describe_day(today, today)} (a day begins at "
                f"{self.config.settings.day_starts:%H:%M}); you can mark today or earlier days"
            )
        return day

    def since(self, text: str | None) -> datetime | None:
        """``--since``: a duration back from now (``1d``, ``12h``) or the start of a day."""
        if text is None:
            return None
        try:
            return clock.later(self.now(), -parse_duration(text))
        except ValueError as exc:
            if "longer than" in str(exc):
                raise InvalidInput(str(exc)) from None
        try:
            day = clock.parse_day(text, self.today())
            return clock.day_start(day, self.tz, self.config.settings.day_starts)
        except (ValueError, OverflowError):
            raise InvalidInput(
                f"expected a duration like 1d or 12h, or a day (yesterday, mon, 2026-11-20), "
                f"got {text!r}"
            ) from None

    @staticmethod
    def duration(text: str) -> timedelta:
        """A duration people typed (a snooze, a pause): more than zero, at most a year."""
        try:
            delta = parse_duration(text, longest=LONGEST)
        except ValueError as exc:
            raise InvalidInput(str(exc)) from None
        if not delta:
            raise InvalidInput(f"the duration must be more than zero, got {text!r}")
        return delta

    def when(self, text: str) -> datetime:
        """When something happened, as people say it: ``now``, ``2h ago``, ``21:30`` (today),
        ``yesterday 23:10``, ``mon 21:00`` (the last Monday), or ISO. Never in the future,
        never before 2000."""
        now = self.now()
        words = text.strip().lower()
        try:
            if words in ("", "now"):
                return now
            if words.endswith(" ago"):
                moment = now - self.duration(words.removesuffix(" ago").strip())
            else:
                moment = self._said_moment(words, now)
        except ValueError:
            raise InvalidInput(
                f"expected when it happened, like 2h ago, 21:30, yesterday 23:10 or "
                f"2026-11-20 08:00, got {text!r}"
            ) from None
        if moment > clock.later(now, timedelta(minutes=1)).astimezone(UTC):
            raise InvalidInput(f"{moment:%a %d %b %H:%M} has not happened yet")
        if moment.date() < EARLIEST:
            raise InvalidInput(f"{text!r} is before {EARLIEST.year}")
        return moment

    def _said_moment(self, words: str, now: datetime) -> datetime:
        day_text, _, time_text = words.rpartition(" ")
        if not day_text and (":" not in time_text or "-" in time_text):  # ISO, a date alone
            parsed = datetime.fromisoformat(words)
            return parsed.replace(tzinfo=self.tz) if parsed.tzinfo is None else parsed
        if ":" not in time_text:
            raise ValueError(words)
        hour, minute = (int(part) for part in time_text.split(":"))
        calendar = now.date()
        if not day_text or day_text == "today":
            day = calendar
        elif day_text == "yesterday":
            day = calendar - timedelta(days=1)
        else:
            try:
                day = date.fromisoformat(day_text)
            except ValueError:
                day = clock.parse_day(day_text, calendar, calendar)
        return datetime(day.year, day.month, day.day, hour, minute, tzinfo=self.tz)

    def _moment(self, text: str) -> datetime:
        """``YYYY-MM-DD`` (its first minute) or ``YYYY-MM-DD HH:MM``, in the configured zone."""
        try:
            moment = datetime.fromisoformat(text.strip())
        except ValueError:
            raise InvalidInput(
                f"expected a date (2026-12-24) or date and time (2026-12-24 08:00), got {text!r}"
            ) from None
        return moment.replace(tzinfo=self.tz) if moment.tzinfo is None else moment

    def _morning(self, now: datetime) -> datetime:
        quiet = self.config.settings.quiet_hours
        end = quiet.next_end(now) if quiet is not None else None
        if end is not None:
            return end
        morning = now.replace(hour=8, minute=0, second=0, microsecond=0)
        return morning if morning > now.astimezone(UTC) else morning + timedelta(days=1)


OPERATIONS = exposed(Operations)
"""The RPC methods the core answers (both modes; no plugins needed)."""
