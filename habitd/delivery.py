"""Delivery: the way from a due nudge to the person, and the daemon's answers to time.

A nudge fires (from the schedule, a snooze, a hold or ``habitd trigger``): its kind's plugin
composes the message, every ``habitd_before_send`` may hold or drop it (unless the person
asked for it), the notifier shows it, and history records what happened. Alongside: missed
nudges after a sleep become one "while you were away" note, a clock jump or a new zone
rebuilds the schedule, the screen lock holds nudges until unlock, and a button pressed on a
notification becomes the person's answer. Daemon only: :mod:`habitd.runtime` wires it.
"""

from __future__ import annotations

import asyncio
import logging
import time as monotonic_time
from dataclasses import replace
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from habitd.config import Nudge
from habitd.contract import Action, Message, Verdict, answer_buttons, answer_command
from habitd.notify import click_opens

if TYPE_CHECKING:
    from habitd.app import App

log = logging.getLogger("habitd.delivery")

BUSY_RECHECK = timedelta(minutes=10)
"""How long a nudge held by do-not-disturb waits before it looks again."""
SHOWN_KEPT = 50
"""How many recent non-nudge messages keep listening for their buttons and replies."""

AWAY_GATHER = 2.0
"""Seconds to gather missed nudges into one summary after a wakeup."""
REFIRE_GAP = 30.0
"""A scheduled firing is skipped if the nudge fired this recently (its snooze, a trigger or a
wakeup just delivered it): one nudge, one notification. Half the interval for a nudge that
repeats faster (``every = "1m"``), so its own rhythm is never cut."""


class Delivery:
    """Fires nudges for an App and answers what happens to the clock, the screen and the
    notifications."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.screen_locked = False
        self._away: list[str] = []
        self._last_fired: dict[str, float] = {}
        self._shown: dict[str, tuple[str, str]] = {}
        """Messages that are not nudges (a kind reply, an urgent one), by notification id:
        (about, the question a reply answers), so their buttons and replies count."""
        self._commands: dict[str, str] = {}
        """The command each notification on screen asks for (``habitd journal``), by
        notification id: a click on its body opens it in a terminal."""

    async def compose(self, nudge: Nudge) -> Message:
        """Render a nudge through ``habitd_compose``; a plain message if no plugin can.

        A message without a ``command`` gets the one that answers it (``habitd done HABIT``),
        shown where the notification server has no buttons.
        """
        found = await self.app.plugins.call_first("habitd_compose", nudge=nudge)
        if found:
            message: Message = found[1]
        else:
            message = Message(
                title=nudge.title or "A gentle reminder from habitd",
                body=nudge.body or "",
                buttons=answer_buttons(nudge, self.app.config.habit(nudge.habit or "")),
            )
        if message.command is None:
            message = replace(message, command=answer_command(nudge))
        return message

    async def fire(
        self, nudge_id: str, *, forced: bool = False, cause: str = "schedule"
    ) -> dict[str, Any]:
        """Compose a nudge, let ``before_send`` hold or drop it (unless forced), send it, and
        record what happened. Never raises for a plugin or delivery problem."""
        nudge = self.app.core.nudge(nudge_id)
        if cause in ("snoozed", "held"):
            await self.app.write(partial(self.app.store.clear_pending, nudge.id), react=False)
        last = self._last_fired.get(nudge.id)
        every = nudge.schedule.every
        gap = min(REFIRE_GAP, every.total_seconds() / 2) if every else REFIRE_GAP
        if cause == "schedule" and last is not None and monotonic_time.monotonic() - last < gap:
            log.info(
                "nudge %s already fired %.0fs ago; not again",
                nudge.id,
                monotonic_time.monotonic() - last,
            )
            return {"nudge": nudge.id, "status": "skipped", "reason": "fired moments ago"}
        message = await self.compose(nudge)
        if not forced:
            self.app.busy = await self._desktop_busy()
            found = await self.app.plugins.call_first(
                "habitd_before_send", nudge=nudge, message=message
            )
            verdict: Verdict | None = found[1] if found else None
            by = found[0] if found else None
            if verdict is None or verdict.action == "hold":
                ours = self.hold_for(nudge)  # never bypassed by a plugin's None
                if ours is not None and (
                    verdict is None
                    or ours.until is None  # ours drops it
                    or verdict.until is None
                    or ours.until > verdict.until
                ):
                    verdict, by = ours, "habitd"
            if verdict and verdict.action == "hold" and verdict.until:
                await self.app.fire_later(nudge.id, verdict.until, "held")
                await self._history(
                    "held",
                    nudge.id,
                    title=message.title,
                    habit=nudge.habit,
                    detail={
                        "until": verdict.until.isoformat(),
                        "reason": verdict.reason,
                        "by": by,
                    },
                )
                return {
                    "nudge": nudge.id,
                    "status": "held",
                    "until": verdict.until.isoformat(),
                    "reason": verdict.reason,
                }
            if verdict:
                await self._history(
                    "dropped",
                    nudge.id,
                    title=message.title,
                    habit=nudge.habit,
                    detail={"reason": verdict.reason, "by": by},
                )
                return {"nudge": nudge.id, "status": "dropped", "reason": verdict.reason}
        notifier = self.app.notifier
        self._last_fired[nudge.id] = monotonic_time.monotonic()
        if click_opens(message.command):
            self._commands[nudge.id] = str(message.command)
        delivered = True
        try:
            await notifier.send(nudge.id, message)
        except Exception as exc:
            delivered = False
            log.error("could not deliver nudge %s: %s", nudge.id, exc)
        detail = {"cause": cause, "forced": forced, "notifier": notifier.name}
        if not delivered:
            detail["delivered"] = False
        await self._history(
            "fired",
            nudge.id,
            title=message.title,
            body=message.body,
            habit=nudge.habit,
            detail=detail,
        )
        plugins = self.app.plugins  # told after, never waited for: the nudge is out
        self.app.spawn(lambda: plugins.call_all("habitd_after_send", nudge=nudge, message=message))
        return {
            "nudge": nudge.id,
            "status": "fired",
            "notifier": notifier.name,
            "delivered": delivered,
            "message": message.as_json(),
        }

    async def notify(
        self,
        message: Message,
        about: str,
        event: str = "note",
        detail: dict[str, Any] | None = None,
    ) -> None:
        """Show a message that is not a scheduled nudge (a celebration, a kind reply) and
        record it in history as ``event`` with ``detail`` (why it was sent). ``about`` names
        what it concerns (a habit...)."""
        await self.show(message, about, event, detail)
        await self.app.write(partial(self.record, message, about, event, detail), react=False)

    def record(
        self, message: Message, about: str, event: str, detail: dict[str, Any] | None
    ) -> None:
        """The history line of a message that is not a nudge (a write: from a thread that
        may wait for the writer, or handed to it)."""
        self.app.store.add_event(
            event,
            title=message.title,
            body=message.body,
            habit=about if self.app.config.habit(about) else None,
            detail=detail,
        )

    async def _history(self, event: str, nudge: str | None = None, **fields: Any) -> None:
        """Add a line to history through the writer, without holding up the loop."""
        await self.app.write(partial(self.app.store.add_event, event, nudge, **fields), react=False)

    async def show(
        self, message: Message, about: str, event: str, detail: dict[str, Any] | None
    ) -> None:
        """Show a message that is not a nudge, listening for its buttons and reply."""
        shown = f"{event}-{about}"
        question = (detail or {}).get("question") or f"a reply to: {message.title}"
        self._shown[shown] = (about, str(question))
        if click_opens(message.command):
            self._commands[shown] = str(message.command)
        while len(self._shown) > SHOWN_KEPT:
            self._commands.pop(next(iter(self._shown)), None)
            del self._shown[next(iter(self._shown))]
        try:
            await self.app.notifier.send(shown, message)
        except Exception as exc:
            log.error("could not show %s about %s: %s", event, about, exc)

    def hold_for(self, nudge: Nudge) -> Verdict | None:
        """habitd's own rules, applied after every plugin's ``before_send``: hold (or, for
        a nudge without ``catch_up``, drop) a nudge during a pause, in quiet hours and while
        the desktop is busy."""
        holding = self.holding()
        if holding is None:
            return None
        reason, until = holding
        return Verdict.hold(until, reason) if nudge.catch_up else Verdict.drop(reason)

    def holding(self) -> tuple[str, datetime] | None:
        """Why nothing unasked-for is shown now, and until when: a pause, quiet hours, or a
        busy desktop (do-not-disturb, a locked screen; looked at again shortly). None when
        nothing holds."""
        now = self.app.now()
        paused = self.app.paused_until()
        quiet = self.app.config.settings.quiet_hours
        quiet_end = quiet.end_if_quiet(now) if quiet is not None else None
        if paused is not None:
            return "paused", paused
        if quiet_end is not None:
            return "quiet hours", quiet_end
        if self.app.busy is not None:
            return self.app.busy, now + BUSY_RECHECK
        return None

    async def _desktop_busy(self) -> str | None:
        if self.screen_locked:
            return "screen locked"
        if await self.app.notifier.inhibited():
            return "do not disturb"
        return None

    def record_missed(self, nudge_id: str, due: datetime) -> None:
        """A nudge was due while habitd could not run it (asleep, stopped) and is now stale.

        Missed nudges that come together (after a long sleep) are summed up in one gentle
        "while you were away" notification instead of a burst.
        """
        nudge = self.app.config.nudge(nudge_id)
        store = self.app.store

        def write() -> None:
            store.clear_pending(nudge_id)
            store.add_event(
                "missed",
                nudge_id,
                title=nudge.title if nudge else None,
                habit=nudge.habit if nudge else None,
                detail={"due": due.isoformat()},
            )

        self.app.write_soon(write)
        self._away.append(nudge_id)
        if len(self._away) == 1:
            import asyncio

            task = asyncio.get_running_loop().create_task(self._sum_up_missed())
            task.add_done_callback(_log_task_error)

    async def _sum_up_missed(self) -> None:

        await asyncio.sleep(AWAY_GATHER)  # let the other misses of the same wakeup arrive
        missed, self._away = self._away, []
        if len(missed) < 2:
            return
        names = ", ".join(dict.fromkeys(missed))
        message = Message(
            title="While you were away",
            body=f"{len(missed)} nudges passed ({names}). Nothing to catch up on; "
            "pick one now if it would help.",
            urgency="low",
            command="habitd history --since 1d",
        )
        try:
            await self.app.notifier.send("away", message)
        except Exception as exc:
            log.error("could not deliver the summary of missed nudges: %s", exc)
        await self._history(
            "away", title=message.title, body=message.body, detail={"missed": missed}
        )

    def on_clock_jump(self, reason: str) -> None:
        """Time moved under us (a suspend, a clock change, a new zone): re-check the schedule."""

        log.info("%s; checking the schedule", reason)
        task = asyncio.get_running_loop().create_task(self.resync())
        task.add_done_callback(_log_task_error)

    def on_resume(self) -> None:
        """logind says the machine woke up."""
        self.on_clock_jump("resumed from sleep")

    def on_lock(self, locked: bool) -> None:
        """The screen was locked (nudges wait) or unlocked (held ones come now)."""
        if locked == self.screen_locked:
            return
        self.screen_locked = locked
        log.info("screen %s", "locked: nudges wait" if locked else "unlocked")
        if not locked:
            import asyncio

            task = asyncio.get_running_loop().create_task(self._release_held())
            task.add_done_callback(_log_task_error)

    async def _release_held(self) -> None:
        now = self.app.now()
        for nudge_id, _due, reason in self.app.store.pending():
            if reason == "held":
                await self.app.fire_later(nudge_id, now, "held")

    async def resync(self) -> None:
        """Rebuild the schedule (a new local zone moves every nudge) and run what is due."""
        await self.app.schedule()
        self.app.scheduler.wakeup()

    def on_notification_answer(self, nudge_id: str, action: str, text: str | None) -> None:
        """Called by the desktop notifier (synchronously, on the loop) when a button is
        pressed, a reply sent, the body clicked (which opens what the message asks for) or
        Write pressed (the journal opens with the question, ``text``); also when a
        notification expired or was closed unanswered."""
        if action == "clicked" and nudge_id in self._commands:
            self.open_command(self._commands[nudge_id])
        if action == "write":
            import shlex

            self.open_command(f"habitd journal --prompt {shlex.quote(text or 'Write')}")
            return

        nudge = self.app.config.nudge(nudge_id)
        if nudge is not None:
            answer = Action(
                action, nudge=nudge_id, habit=nudge.habit, text=text, source="notification"
            )
        elif nudge_id in self._shown:  # a kind reply, an urgent message: its own answers
            about, question = self._shown[nudge_id]
            habit = about if self.app.config.habit(about) else None
            answer = Action(action, habit=habit, text=text, note=question, source="notification")
        else:
            log.info("ignoring an answer to unknown nudge %s (config changed?)", nudge_id)
            return
        task = asyncio.get_running_loop().create_task(
            self.app.write(lambda: self.app.core.record_action(answer))
        )
        task.add_done_callback(_log_task_error)

    def open_command(self, command: str) -> None:
        """Open ``command`` in a terminal; where there is none, say which to run (a
        notification). Call it on the daemon's loop."""
        from habitd.terminal import open_in_terminal

        if open_in_terminal(command, self.app.config.settings.terminal):
            log.info("opened a terminal for a clicked notification")
            return
        task = asyncio.get_running_loop().create_task(
            self.show(
                Message(
                    title="Open a terminal and run:",
                    body=command,
                    urgency="low",
                ),
                "terminal",
                "note",
                None,
            )
        )
        task.add_done_callback(_log_task_error)


def _log_task_error(task: Any) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("answer could not be recorded: %s", task.exception())
