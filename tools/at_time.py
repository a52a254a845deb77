"""Run a command with the whole process tree's clock moved to a chosen moment (libfaketime).

    python tools/at_time.py ZONE WHEN -- COMMAND [ARG...]

ZONE is an IANA zone (it also becomes the command's ``TZ``). WHEN is ``HH:MM[:SS]`` (the next such
time in ZONE) or ``YYYY-MM-DD HH:MM[:SS]`` (that moment in ZONE; in a repeated DST hour, the
first one). The clock is moved by an offset (``faketime -f +Ns``), not set to an absolute
time: an absolute time restarts for every new process, so the CLI and the daemon would
disagree about what happened first. Every process the command starts inherits the offset.

Examples::

    python tools/at_time.py UTC 01:30 -- pytest tests/test_goals.py
    python tools/at_time.py Pacific/Kiritimati 02:00 -- pytest
    python tools/at_time.py Europe/Berlin "2026-10-25 02:58" -- pytest
"""

from __future__ import annotations

import math
import os
import shutil
import sys
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo


def offset_to(zone: str, when: str, now: datetime | None = None) -> int:
    """Seconds from ``now`` to ``when`` in ``zone`` (see the module's docstring)."""
    tz = ZoneInfo(zone)
    now = (now or datetime.now(UTC)).astimezone(tz)
    if len(when) <= 8:  # HH:MM or HH:MM:SS
        clock = time.fromisoformat(when)
        target = datetime.combine(now.date(), clock, tz)
        if target <= now:
            target = datetime.combine(now.date() + timedelta(days=1), clock, tz)
    else:
        target = datetime.fromisoformat(when).replace(tzinfo=tz)
    return math.ceil((target.astimezone(UTC) - now.astimezone(UTC)).total_seconds())


def main(argv: list[str]) -> int:
    """Parse ``ZONE WHEN -- COMMAND...`` and exec the command under faketime."""
    if len(argv) < 4 or argv[2] != "--":
        print(__doc__, file=sys.stderr)
        return 2
    zone, when, command = argv[0], argv[1], argv[3:]
    faketime = shutil.which("faketime")
    if faketime is None:
        print("at_time: faketime is missing (Debian: apt-get install faketime)", file=sys.stderr)
        return 2
    seconds = offset_to(zone, when)
    print(f"at_time: {when} in {zone} (faketime -f {seconds:+d}s)", file=sys.stderr, flush=True)
    environ = {**os.environ, "TZ": zone}
    os.execve(faketime, [faketime, "-f", f"{seconds:+d}s", *command], environ)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
