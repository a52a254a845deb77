"""Noticing that time moved under us: suspend and resume, clock changes, a new time zone,
and the screen lock.

APScheduler sleeps on the monotonic clock, which stops while the machine is suspended, so
a nudge due during a suspend would fire late by the length of the sleep. Two independent
signals wake the schedule instead:

- logind's ``PrepareForSleep(false)`` on the system bus, the moment the machine resumes
  (when logind is there), which also reports the session's ``LockedHint``;
- a backstop check every :data:`BACKSTOP` seconds comparing the wall clock with the
  monotonic clock (a gap means a suspend or a clock change) and the local zone with the
  last one seen (travel). It is the only periodic wakeup habitd has.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from habitd.clock import utc_now, zone

log = logging.getLogger("habitd.wake")

BACKSTOP = 300.0
"""Seconds between clock checks: rare enough to cost nothing, often enough to bound delays."""
TOLERANCE = 30.0
"""Seconds of disagreement between wall and monotonic clocks that count as a jump."""
LOGIND = "org.freedesktop.login1"
LOGIND_PATH = "/org/freedesktop/login1"


def local_zone_name() -> str:
    """The machine's zone as it is now (re-read, not cached: what ``"local"`` uses next)."""
    return str(zone("local"))


class ClockWatch:
    """Calls ``on_jump(reason)`` when the wall clock jumped or the local zone changed."""

    def __init__(
        self,
        on_jump: Callable[[str], None],
        interval: float = BACKSTOP,
        tolerance: float = TOLERANCE,
    ) -> None:
        self.on_jump = on_jump
        self.interval = interval
        self.tolerance = tolerance
        self._handle: asyncio.TimerHandle | None = None
        self._mark()

    def _mark(self) -> None:
        self._wall = utc_now().timestamp()
        self._monotonic = time.monotonic()
        self._zone = local_zone_name()

    def start(self) -> None:
        """Begin the backstop checks; call inside the running loop."""
        self._mark()
        self._handle = asyncio.get_running_loop().call_later(self.interval, self._tick)

    def stop(self) -> None:
        """Stop checking."""
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def _tick(self) -> None:
        self.check("backstop check")
        self._handle = asyncio.get_running_loop().call_later(self.interval, self._tick)

    def check(self, why: str) -> str | None:
        """Compare the clocks now; report and return the reason if time jumped."""
        drift = (utc_now().timestamp() - self._wall) - (time.monotonic() - self._monotonic)
        zone = local_zone_name()
        reason = None
        if abs(drift) > self.tolerance:
            reason = f"the wall clock moved {drift:+.0f}s more than the monotonic clock ({why})"
        elif zone != self._zone:
            reason = f"the local time zone changed from {self._zone} to {zone}"
        self._mark()
        if reason is not None:
            self.on_jump(reason)
        return reason


class Logind:
    """Resume and screen-lock signals from logind on the system bus, when it is there."""

    def __init__(self, on_resume: Callable[[], None], on_lock: Callable[[bool], None]) -> None:
        self.on_resume = on_resume
        self.on_lock = on_lock
        self._bus: Any = None

    async def start(self, timeout: float = 3.0) -> bool:
        """Subscribe; False (and a debug line) when there is no system bus or no logind."""
        from dbus_fast import BusType
        from dbus_fast.aio import MessageBus

        try:
            bus = await asyncio.wait_for(MessageBus(bus_type=BusType.SYSTEM).connect(), timeout)
        except Exception as exc:
            log.debug("no system bus (%s): relying on the clock check after a suspend", exc)
            return False
        try:
            manager = await self._interface(bus, LOGIND_PATH, f"{LOGIND}.Manager")
            manager.on_prepare_for_sleep(self._sleeping)
            auto = await self._interface(bus, f"{LOGIND_PATH}/session/auto", f"{LOGIND}.Session")
            session_path = await manager.call_get_session(await auto.get_id())
            session = await self._interface(bus, session_path, f"{LOGIND}.Session")
            properties = await self._interface(bus, session_path, "org.freedesktop.DBus.Properties")
            properties.on_properties_changed(self._changed)
            self.on_lock(bool(await session.get_locked_hint()))
        except Exception as exc:
            log.debug("logind is not usable (%s): relying on the clock check", exc)
            bus.disconnect()
            return False
        self._bus = bus
        log.info("listening to logind for resume and screen lock (session %s)", session_path)
        return True

    @staticmethod
    async def _interface(bus: Any, path: str, name: str) -> Any:
        introspection = await bus.introspect(LOGIND, path)
        return bus.get_proxy_object(LOGIND, path, introspection).get_interface(name)

    def _sleeping(self, going_to_sleep: bool) -> None:
        if not going_to_sleep:
            self.on_resume()

    def _changed(self, interface: str, changed: dict[str, Any], invalidated: list[str]) -> None:
        del interface, invalidated
        if "LockedHint" in changed:
            self.on_lock(bool(getattr(changed["LockedHint"], "value", changed["LockedHint"])))

    def stop(self) -> None:
        """Disconnect from the system bus."""
        if self._bus is not None:
            self._bus.disconnect()
            self._bus = None
