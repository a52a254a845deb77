"""Quiet hours and the person's pause: nudges due then are held, and delivered afterwards."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from habitd.app import App, Verdict
from habitd.config import Nudge
from habitd.hookspecs import hookimpl
from habitd.notify import Message


@hookimpl
def habitd_before_send(nudge: Nudge, message: Message, app: App) -> Verdict | None:
    """Hold a nudge during a pause (until it ends) and in quiet hours (until they end)."""
    del nudge, message
    paused = app.paused_until()
    if paused is not None:
        return Verdict.hold(paused, "paused")
    quiet = app.config.settings.quiet_hours
    now = app.now()
    if quiet is not None and now.time() in quiet:
        return Verdict.hold(quiet.end_after(now), "quiet hours")
    return None


@hookimpl
def habitd_status(app: App) -> Mapping[str, Any]:
    """Quiet hours, and whether they are on now."""
    quiet = app.config.settings.quiet_hours
    return {
        "quiet_hours": str(quiet) if quiet else "off",
        "in_quiet_hours": bool(quiet and app.now().time() in quiet),
    }
