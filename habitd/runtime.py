"""The daemon's runtime: the one place that wires the App to what only a daemon has.

:func:`Runtime.start` opens the App (store, config, plugins) and gives it the notifier, the
scheduler with its schedule, and the reactor that answers the change log, then starts the
clock watch and the logind listener. The daemon runs exactly this, and so do tests that
want a daemon inside their own event loop, so the wiring is never copied.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from habitd.app import App
from habitd.notify import make_notifier
from habitd.paths import Paths
from habitd.reactor import Reactor
from habitd.tray import Tray
from habitd.wake import BACKSTOP, ClockWatch, Logind

log = logging.getLogger("habitd.runtime")

SETTLE_AT_STOP = 5.0
"""Seconds a stopping runtime gives reactions in progress to finish."""


@dataclass
class Runtime:
    """A started App (with its notifier and scheduler), its reactor, clock watch and logind."""

    app: App
    reactor: Reactor
    clock: ClockWatch
    logind: Logind
    tray: Tray | None = None

    @classmethod
    async def start(
        cls, paths: Paths, notifier_mode: str | None = None, watch_every: float = BACKSTOP
    ) -> Runtime:
        """Open and wire everything (inside the running loop), then react to what was
        written while no daemon ran. Raises ConfigError or HabitdError as App.open does."""
        app = await App.open(paths, daemon=True)
        if notifier_mode:
            app.notifier_mode = notifier_mode
        runtime = cls(
            app,
            Reactor(app),
            ClockWatch(app.delivery.on_clock_jump, interval=watch_every),
            Logind(app.delivery.on_resume, app.delivery.on_lock),
        )
        tray = Tray(app)

        def changed() -> None:
            runtime.reactor.poke()
            tray.refresh()

        app.changed = changed
        runtime.tray = tray
        try:
            app.notifier = await make_notifier(
                app.notifier_mode,
                app.delivery.on_notification_answer,
                lambda: app.config.settings.nudge_timeout,
            )
            if app.notifier.name == "log":
                tray.reason = "not started: notifications go to the log (no desktop session)"
            elif app.config.settings.tray:
                await tray.start()
            app.tray_reason = lambda: (
                tray.reason if app.config.settings.tray else "off in the config"
            )
            app.scheduler.start()
            await app.schedule()
            runtime.clock.start()
            await runtime.logind.start()
            await app.plugins.call_all("habitd_startup")
        except BaseException:
            await runtime._close()
            raise
        runtime.reactor.poke()  # what was written while no daemon ran
        return runtime

    async def settle(self) -> None:
        """Wait until every change written so far has been reacted to (and what the
        reactions asked for, such as a message, is done)."""
        await self.reactor.settle()
        await self.app.settle()

    async def stop(self) -> None:
        """Let reactions in progress finish (briefly), tell plugins, and close everything."""
        try:
            await asyncio.wait_for(self.settle(), SETTLE_AT_STOP)
        except TimeoutError:
            log.info("stopping with reactions left; they run at the next start")
        await self.app.plugins.call_all("habitd_shutdown")
        await self._close()

    async def _close(self) -> None:
        if self.tray is not None:
            self.tray.stop()
        self.clock.stop()
        self.logind.stop()
        self.app.scheduler.shutdown()
        await self.app.close()
