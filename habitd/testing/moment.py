"""Clock moments: the tests that touch days and times, each started at a chosen moment.

``HABITD_TEST_MOMENT=ZONE@WHEN`` (``make test-clocks`` sets it, one moment per run) makes
habitd's pytest plugin:

- run only the tests marked ``clock`` (the others do not read the clock);
- give the test configs the moment's zone (:data:`TEST_ZONE`, in ``BASE_CONFIG`` and in
  :func:`habitd.testing.habit_today`), so the code under test counts days in it;
- start *each* test at the moment: the processes it starts (the daemon, the CLI) get
  libfaketime with the offset to the moment computed when the test begins, and the test's
  own process travels there with time-machine. A test that runs six minutes into the run
  still begins at 01:30, or two minutes before the clocks change.

WHEN is ``HH:MM[:SS]`` (the next such time in ZONE) or ``YYYY-MM-DDTHH:MM[:SS]`` (that moment
in ZONE; in a repeated DST hour, the first one). The clock is moved by an offset, never set
to an absolute time: an absolute time restarts for every new process, so the CLI and the
daemon would disagree about what happened first.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

MOMENT_VARIABLE = "HABITD_TEST_MOMENT"


@dataclass(frozen=True)
class Moment:
    """A zone and a time of day (the next one) or a date and time in that zone."""

    zone: str
    when: str

    @classmethod
    def parse(cls, text: str) -> Moment:
        """``ZONE@WHEN``; raises ValueError naming what is wrong."""
        zone, at, when = text.strip().partition("@")
        if not at or not zone or not when:
            raise ValueError(f"expected ZONE@WHEN (UTC@01:30), got {text!r}")
        ZoneInfo(zone)  # an unknown zone fails here, not in the middle of a run
        moment = cls(zone, when)
        moment.target(datetime.now(UTC))  # and so does a time that does not parse
        return moment

    def target(self, now: datetime) -> datetime:
        """The moment itself, seen from ``now``: the next ``HH:MM`` in the zone, or the date
        and time given."""
        tz = ZoneInfo(self.zone)
        local = now.astimezone(tz)
        if len(self.when) <= 8:  # HH:MM or HH:MM:SS
            clock = time.fromisoformat(self.when)
            target = datetime.combine(local.date(), clock, tz)
            if target <= local:
                target = datetime.combine(local.date() + timedelta(days=1), clock, tz)
            return target
        return datetime.fromisoformat(self.when).replace(tzinfo=tz)

    def offset(self, now: datetime) -> int:
        """Whole seconds from ``now`` to the moment (libfaketime's ``+Ns``)."""
        return math.ceil((self.target(now).astimezone(UTC) - now).total_seconds())

    def __str__(self) -> str:
        return f"{self.zone}@{self.when}"


def current() -> Moment | None:
    """The moment this run is at (``$HABITD_TEST_MOMENT``), or None for the real clock."""
    text = os.environ.get(MOMENT_VARIABLE, "").strip()
    return Moment.parse(text) if text else None


def libfaketime() -> str:
    """The path of libfaketime (Debian: ``apt-get install faketime``)."""
    library = next(iter(sorted(Path("/usr/lib").glob("*/faketime/libfaketime.so.1"))), None)
    if library is None:
        raise RuntimeError("libfaketime is missing (Debian: apt-get install faketime)")
    return str(library)


MOMENT = current()
"""The moment this run is at, or None."""

TEST_ZONE = MOMENT.zone if MOMENT else "UTC"
"""The zone of the test configs: the moment's, or UTC when the run is at the real clock."""
