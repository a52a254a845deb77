"""Quiet hours, the person's pause and do-not-disturb: nudges due then are held and
delivered when it is over (or let go, for a nudge with ``catch_up = false``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from habitd.app import App, Verdict
from habitd.config import Nudge
from habitd.contract import Message
from habitd.hookspecs import hookimpl

BUSY_RECHECK = timedelta(minutes=10)
"""How long a nudge held by do-not-disturb waits before it looks again."""


@hookimpl
def habitd_before_send(nudge: Nudge, message: Message, app: App) -> Verdict | None:
    """Hold a nudge during a pause, in quiet hours and while the desktop is busy."""
    del message
    now = app.now()
    paused = app.paused_until()
    quiet = app.config.settings.quiet_hours
    quiet_end = quiet.end_if_quiet(now) if quiet is not None else None
    if paused is not None:
        reason, until = "paused", paused
    elif quiet_end is not None:
        reason, until = "quiet hours", quiet_end
    elif app.busy is not None:
        reason, until = app.busy, now + BUSY_RECHECK
    else:
        return None
    if not nudge.catch_up:
        return Verdict.drop(reason)
    return Verdict.hold(until, reason)


@hookimpl
def habitd_status(app: App) -> Mapping[str, Any]:
    """Quiet hours, and whether they are on now."""
    quiet = app.config.settings.quiet_hours
    end = quiet.end_if_quiet(app.now()) if quiet is not None else None
    return {
        "quiet_hours": str(quiet) if quiet else "off",
        "in_quiet_hours": end is not None,
    }
