"""The daemon's reactions: plugins hear about every change, in order, once.

The operations (in the daemon or in a CLI working without one) only decide and write; each
write appends a change to the store's change log in the same transaction. The daemon's
:class:`Reactor` reads the log and calls ``habitd_on_entry`` / ``habitd_on_action`` for
each change: at once for changes it wrote itself (after the answer has gone back, so a slow
plugin never delays "saved"), and at start for changes written while it was down. The hook
gets the change's own time (``Entry.ts``, ``Action.ts``) to judge staleness: an urge from
four hours ago is history, not a moment to escalate. A reaction's own writes are new
changes, handled after it, never recursion. How far it got is kept in the store, so each
reaction happens once across restarts (one cut short by a crash is repeated).

Once the log is drained (at most once an hour), changes reacted to and request keys older
than :data:`KEPT` are pruned: a client retries within seconds and a reaction cut short is
replayed at the next start, before any pruning, so nothing needs them that long.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import date, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from habitd.store import Change

if TYPE_CHECKING:
    from habitd.app import App

log = logging.getLogger("habitd.reactor")

PROGRESS = ("habitd", "reacted_up_to")
"""Where the id of the last change reacted to is kept (plugin state of ``habitd``)."""
KEPT = timedelta(days=30)
"""How long reacted-to changes and request keys are kept."""
PRUNE_EVERY = 3600.0
"""Seconds between two prunings (one follows the first drain after the daemon starts)."""


class Reactor:
    """Drains the change log into plugin hooks: each change's reactions start in order,
    without waiting for the reactions to the change before (each plugin still hears of
    changes one at a time, in order, in its own worker, so a plugin blocked on one change
    delays no other plugin's reaction to the next)."""

    def __init__(self, app: App) -> None:
        self.app = app
        self._task: asyncio.Task[None] | None = None
        self._again = False
        self._pruned_at: float | None = None
        self._started_up_to = 0
        """The last change whose reactions were started (in this process)."""
        self._running: dict[int, asyncio.Task[None]] = {}
        """Reactions started and not yet recorded as done, by change id (oldest first)."""
        self._recording: asyncio.Future[None] | None = None
        """The last write of how far the reactions got."""

    def poke(self) -> None:
        """New changes were written: react to them soon (never re-entrantly)."""
        if self._task is not None and not self._task.done():
            self._again = True
            return
        self._task = asyncio.get_running_loop().create_task(self._drain())
        self._task.add_done_callback(_log_failure)

    async def settle(self) -> None:
        """Wait until every change written so far has been reacted to."""
        while (self._task is not None and not self._task.done()) or self._running:
            if self._task is not None and not self._task.done():
                await asyncio.shield(self._task)
            if self._running:
                await asyncio.gather(*self._running.values(), return_exceptions=True)
        if self._recording is not None:
            await asyncio.gather(self._recording, return_exceptions=True)

    async def _drain(self) -> None:
        store = self.app.store
        while True:
            self._again = False
            after = max(self._started_up_to, int(store.get_state(*PROGRESS, 0)))
            changes = store.changes_after(after)
            for change in changes:
                self._started_up_to = change.id
                task = asyncio.get_running_loop().create_task(self._react_safely(change))
                self._running[change.id] = task
                task.add_done_callback(self._finished)
            if not changes and not self._again:
                if not self._running:
                    await self._prune()
                if not self._again:  # nothing new came while pruning
                    return

    async def _react_safely(self, change: Change) -> None:
        try:
            await self._react(change)
        except Exception:  # plugins are isolated already; this is habitd's own bug
            log.exception("could not react to change %d; going on", change.id)

    def _finished(self, _task: asyncio.Task[None]) -> None:
        """Record how far the reactions got: up to the oldest one still running (a crash
        repeats those, and only those, at the next start)."""
        done_up_to = None
        while self._running:
            oldest = next(iter(self._running))
            if not self._running[oldest].done():
                break
            del self._running[oldest]
            done_up_to = oldest
        if done_up_to is not None:
            recording = self.app.store.submit(
                partial(self.app.store.set_state, *PROGRESS, done_up_to)
            )
            self._recording = asyncio.wrap_future(recording)
            self._recording.add_done_callback(_log_failure)
        if not self._running:
            self.poke()  # all reacted to: a last look, then the pruning

    async def _prune(self) -> None:
        now = time.monotonic()
        if self._pruned_at is not None and now - self._pruned_at < PRUNE_EVERY:
            return
        self._pruned_at = now
        from habitd import clock

        store = self.app.store
        if self._recording is not None:  # how far the reactions got, committed first
            await asyncio.gather(self._recording, return_exceptions=True)
        reacted = int(store.get_state(*PROGRESS, 0))
        changes, requests = await self.app.write(
            partial(store.prune, clock.utc_now() - KEPT, reacted), react=False
        )
        if changes or requests:
            log.info("pruned %d old changes and %d old request keys", changes, requests)

    async def _react(self, change: Change) -> None:
        from habitd.contract import Action, Entry

        if change.what == "entry":
            found = self.app.store.entries(entry_id=int(change.data["id"]))
            if not found:
                return  # deleted since: nothing to react to
            entry = Entry.from_row(found[0])
            await self.app.plugins.call_all("habitd_on_entry", entry=entry)
        elif change.what == "action":
            action = Action(**_action_fields(change.data), ts=change.ts, change=change.id)
            if action.action == "snoozed" and action.nudge:
                self.app.arm_stored(action.nudge)  # the core stored when it comes again
            await self.app.plugins.call_all("habitd_on_action", action=action)
        elif change.what == "resumed":
            self.app.arm_stored()  # what the pause held is due now
        else:
            log.warning("change %d of an unknown kind %r: skipped", change.id, change.what)


def _action_fields(data: Any) -> dict[str, Any]:
    fields = dict(data)
    if fields.get("day"):
        fields["day"] = date.fromisoformat(fields["day"])
    return fields


def _log_failure(task: asyncio.Future[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("reacting to changes failed: %s", task.exception())
