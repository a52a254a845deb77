"""Small words done right: plurals, spans of time, how long ago. What people read should
say "1 day" and "12 seconds", never "1 days" or "0.2 minutes"."""

from __future__ import annotations

import re


def plural(count: float, unit: str) -> str:
    """``1 day``, ``5 days``, ``1 time``, ``2.5 glasses`` (``unit`` given in the plural)."""
    number = f"{count:g}"
    if count == 1:
        unit = "entry" if unit == "entries" else re.sub(r"(?<=[sx])es$|s$", "", unit)
    return f"{number} {unit}"


def span(seconds: float) -> str:
    """A length of time as people say it: ``12 seconds``, ``2 minutes``, ``1 minute 30
    seconds``, ``1 hour 5 minutes``."""
    total = max(0, round(seconds))
    if total < 60:
        return plural(total, "seconds")
    minutes, rest = divmod(total, 60)
    if minutes < 60:
        return plural(minutes, "minutes") + (f" {plural(rest, 'seconds')}" if rest else "")
    hours, minutes = divmod(minutes, 60)
    return plural(hours, "hours") + (f" {plural(minutes, 'minutes')}" if minutes else "")


def ago(days: int) -> str:
    """``today``, ``yesterday``, ``3 days ago``."""
    if days <= 0:
        return "today"
    if days == 1:
        return "yesterday"
    return f"{days} days ago"
