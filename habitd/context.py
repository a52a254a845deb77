"""What a plugin's hooks are handed: :class:`PluginContext`, habitd's API for plugins.

Every hook that names a ``ctx`` argument gets its plugin's own context. It is narrow on
purpose (datasette's "internals for plugins" is the model): the clock, the plugin's own
checked settings and own state, read-only queries over the person's data, and the few
things a plugin may do (show a message, deliver a nudge later, record an answer or an
entry). The store, the scheduler, the notifier and other plugins stay private.

Every method is a plain function, safe to call from a plain or an ``async def`` hook:
plugins run in their own worker threads (:mod:`habitd.plugins`), and what must happen on
the daemon's event loop (showing a message, arming a timer) is handed to it, never
waited for, so a plugin can never stall the daemon through its context.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Coroutine, Mapping, Sequence
from datetime import date, datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any

from habitd import clock
from habitd.contract import Action, Entry, Message, PluginState
from habitd.plugins import ANSWERING

if TYPE_CHECKING:
    from habitd.app import App
    from habitd.config import Config
    from habitd.stats import Summary
    from habitd.store import Event


class PluginContext:
    """One plugin's view of habitd (``ctx`` in a hook). Build none yourself: habitd hands
    it to every hook that asks for ``ctx``."""

    def __init__(self, app: App, name: str) -> None:
        self._app = app
        self.name = name
        """The plugin's name (its module or entry-point name)."""
        self.state = PluginState(app.store, name)
        """The plugin's own key/value space, kept in the database (values are JSON)."""
        self._reader: Any = None
        self.cache: dict[str, Any] = {}
        """The plugin's own scratch space in memory (what ``habitd_configure`` prepared from
        the config, say): emptied before every configure, never saved."""

    # --- the config and the clock -----------------------------------------------------------

    @property
    def config(self) -> Config:
        """The running config (read it again on each call: a reload swaps it)."""
        return self._app.config

    @property
    def settings(self) -> dict[str, Any]:
        """This plugin's ``[plugins.NAME]`` settings: its ``SETTINGS`` checked and with
        defaults filled in when it declares them, else the table as written."""
        return self._app.plugins.settings(self.name, self._app.config)

    @property
    def config_dir(self) -> Path:
        """habitd's config folder (for a plugin's own files beside the config)."""
        return self._app.paths.config_dir

    @property
    def state_dir(self) -> Path:
        """habitd's state folder (its log, backups), 0700."""
        return self._app.paths.state_dir

    @property
    def tz(self) -> tzinfo:
        """The configured time zone."""
        return self._app.tz

    def now(self) -> datetime:
        """Now, in the configured zone."""
        return self._app.now()

    def today(self) -> date:
        """The habit day now: the local date, shifted back by ``day_starts``."""
        return self._app.today()

    def habit_day(self, moment: datetime) -> date:
        """The habit day ``moment`` belongs to (before ``day_starts`` it is the day before)."""
        return clock.habit_day(moment.astimezone(self.tz), self.config.settings.day_starts)

    # --- the person's state -------------------------------------------------------------------

    def paused_until(self) -> datetime | None:
        """When the person's pause ends, or None when not paused."""
        return self._app.paused_until()

    def vacations(self) -> list[tuple[date, date]]:
        """Ranges of habit days frozen by ``habitd pause --habits`` (both ends included)."""
        return self._app.vacations()

    @property
    def busy(self) -> str | None:
        """Why the desktop cannot take a nudge now ("do not disturb", "screen locked"), as
        checked just before the nudge being decided on; None when it can."""
        return self._app.busy

    # --- reading the person's data ----------------------------------------------------------

    def entries(
        self,
        since: datetime | None = None,
        kind: str | None = None,
        limit: int | None = None,
        entry_id: int | None = None,
        search: str | None = None,
    ) -> list[Entry]:
        """Journal entries (feelings, urges, thought records...), oldest first; with
        ``search``, those holding every word (prefixes too), best match first."""
        store = self._app.store
        ids = store.search(search) if search is not None else None
        rows = store.entries(since=since, kind=kind, limit=limit, entry_id=entry_id, ids=ids)
        if ids is not None:
            rows.sort(key=lambda row: ids.index(row["id"]))
        return [Entry.from_row(row) for row in rows]

    def marks(
        self, habit: str | None = None
    ) -> list[tuple[str, date, str, float | None, str | None]]:
        """Marks as ``(habit, day, state, value, note)`` (state ``done``, ``skipped`` or
        ``lapse``), of one habit or all."""
        return [
            (name, date.fromisoformat(day), state, value, note)
            for name, day, state, value, note in self._app.store.check_rows(habit)
        ]

    def marked(self, day: date, habit: str | None = None) -> dict[str, str]:
        """What was marked for habit day ``day``: habit -> state (of one habit, or all)."""
        return {
            check.habit: check.state
            for check in self._app.store.checks_on(day)
            if habit in (None, check.habit)
        }

    def summary(self, habit: str) -> Summary:
        """A habit's streaks, strength (Loop's score), totals and milestones, counted the
        way ``habitd streaks`` counts them. Raises :class:`NotFound` for an unknown habit."""
        return self._app.core.summaries(habit)[0]

    def summaries(self) -> list[Summary]:
        """:meth:`summary` of every configured habit, in config order."""
        return self._app.core.summaries()

    def history(
        self, since: datetime | None = None, nudge: str | None = None, limit: int | None = None
    ) -> list[Event]:
        """What ``habitd history`` shows (nudges fired, held, missed; answers; messages),
        oldest first: since a moment, for one nudge, the last ``limit``."""
        return self._app.store.events(since=since, nudge=nudge, limit=limit)

    def last_contacts(self) -> dict[str, datetime]:
        """When each support contact was last reached (UTC)."""
        return self._app.store.last_contacts()

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run one read-only SQL statement on habitd's database with its ``?`` parameters
        (the schema is in docs/plugins.md; times are stored as UTC ISO text). It reads
        through a connection of this plugin's own, opened read-only, so it never holds up
        habitd's writes; one that would write, or runs longer than a hook may, fails with
        :class:`HabitdError`."""
        if self._reader is None:
            self._reader = self._app.store.reader()
        return self._app.store.aggregate(sql, tuple(params), self._reader)

    def help_now(self, moment: str = "craving") -> dict[str, Any]:
        """What ``habitd help-now`` shows: people to reach (best for ``moment`` first: a
        ``craving``, a ``lapse``...), a practice, and the crisis line."""
        from habitd import help

        return help.help_now(self.config.support, self.last_contacts(), moment, zone=str(self.tz))

    @property
    def escalate_at(self) -> int:
        """The craving (0-10) from which habitd brings help at once (``[support]
        escalate_at``)."""
        from habitd.help import escalate_at

        return escalate_at(self.config.support)

    def crisis_line(self) -> str:
        """The crisis line for the person's region, as one sentence."""
        from habitd import helplines

        return helplines.choose(self.config.support, zone=str(self.tz)).text()

    # --- doing --------------------------------------------------------------------------------

    def notify(
        self,
        message: Message,
        about: str,
        event: str = "note",
        detail: Mapping[str, Any] | None = None,
    ) -> None:
        """Show a message that is not a scheduled nudge (a celebration, a kind reply) and
        record it in history as ``event`` with ``detail`` (why). ``about`` names what it
        concerns (a habit...). It is in history when this returns; the daemon shows it.

        A message that answers the person (from ``habitd_on_action``, ``habitd_on_entry``,
        an RPC method or a tray item) always shows: they are there. One that comes on its
        own (from a job or any other hook) follows the rules nudges follow: during a pause,
        quiet hours, do-not-disturb or a locked screen it is not shown, and its history line
        says ``held`` and why. For a message that should come later instead, schedule a
        nudge with :meth:`fire_later`."""
        why = dict(detail or {})
        holding = None if ANSWERING.get() else self._app.delivery.holding()
        if holding is not None:
            why["held"] = holding[0]
        self._app.delivery.record(message, about, event, why)
        if holding is None:
            self._on_loop(lambda: self._app.delivery.show(message, about, event, why))

    def fire_later(self, nudge: str, due: datetime, reason: str) -> None:
        """Deliver ``nudge`` once at ``due`` (replacing an earlier pending one); survives a
        restart. ``reason`` is recorded as the cause (``repeat``, ``held``...)."""
        self._app.store.set_pending(nudge, due, reason)
        self._app.loop.call_soon_threadsafe(self._app.scheduler.add_pending, nudge, due, reason)

    def record_action(self, action: Action, key: str | None = None) -> dict[str, Any]:
        """Store an answer as the person's (a mark, a snooze...); committed on return.
        Plugins hear of it through ``habitd_on_action`` afterwards. With a ``key`` it
        happens once: the same key again returns the first result and writes nothing."""
        core = self._app.core
        result = self._app.store.write(lambda: core.record_action(action, key))
        self._app.loop.call_soon_threadsafe(self._app.changed)
        return result

    def add_entry(self, kind: str, *, key: str | None = None, **fields: Any) -> int:
        """Check and store a journal entry; committed on return (its id). Raises
        :class:`InvalidInput` naming a bad field. With a ``key`` (say, one made from the
        change a reaction answers: ``f"thanks:{action.change}"``) it happens once: the same
        key again stores nothing and returns the first id."""
        core = self._app.core
        entry_id = self._app.store.write(lambda: core.add_entry(kind, fields, key))
        self._app.loop.call_soon_threadsafe(self._app.changed)
        return entry_id

    def add_contact(
        self,
        name: str,
        when: datetime,
        how: str | None = None,
        note: str | None = None,
        key: str | None = None,
    ) -> datetime:
        """Record that the person reached ``name`` at ``when`` (a habit with ``counts =
        "reached"`` is marked done for that day). With a ``key`` (an RPC method's, from the
        client) it happens once: the same key again records nothing and returns the time
        recorded the first time. Returns the time recorded."""
        store, core = self._app.store, self._app.core

        def write() -> tuple[datetime, list[str]]:
            with store.once(key, "add_contact") as once:
                if once.replayed:
                    return datetime.fromisoformat(once.result["ts"]), []
                store.add_contact(name, when, how, note)
                marked = core.count("reached", when)
                once.result = {"ts": when.isoformat()}
            return when, marked

        recorded, marked = store.write(write)
        if marked:
            self._app.loop.call_soon_threadsafe(self._app.changed)
        return recorded

    def count(self, activity: str, when: datetime | None = None) -> list[str]:
        """An activity happened (``practice``, or your own ``PLUGIN:WORD``): each habit with
        ``counts = ACTIVITY`` is marked done for that habit day, unless marked already.
        Returns the habits marked (their ``habitd_on_action`` follows)."""
        core, moment = self._app.core, when or self.now()
        marked = self._app.store.write(lambda: core.count(activity, moment))
        if marked:
            self._app.loop.call_soon_threadsafe(self._app.changed)
        return marked

    def add_event(
        self,
        event: str,
        *,
        title: str | None = None,
        habit: str | None = None,
        detail: Mapping[str, Any] | None = None,
        key: str | None = None,
    ) -> None:
        """Add a line to ``habitd history`` (``event`` names it: ``practiced``...). With a
        ``key`` it is added once, however often the call is repeated (a reaction replayed
        after a crash)."""
        store = self._app.store

        def write() -> None:
            with store.once(key, "add_event") as once:
                if not once.replayed:
                    store.add_event(event, title=title, habit=habit, detail=dict(detail or {}))

        store.write(write)

    def back_up(self, target: Path) -> Path:
        """Write a consistent copy of the database to ``target`` (0600)."""
        return self._app.store.backup(target)

    def _close(self) -> None:
        """Close the plugin's read-only connection (when habitd stops)."""
        if self._reader is not None:
            with contextlib.suppress(Exception):  # a stuck plugin may still be using it
                self._reader.close()
            self._reader = None

    def _on_loop(self, work: Callable[[], Coroutine[Any, Any, Any]]) -> None:
        self._app.loop.call_soon_threadsafe(self._app.spawn, work)
