"""The right line: national crisis and substance-use helplines for where the person is.

The table is ``habitd/data/helplines.toml``: each line with its source (the service's own
page) and the date it was checked. The region comes from ``[support] region``, else the
locale's territory (``LC_ALL``, ``LC_MESSAGES``, ``LANG``: ``en_GB.UTF-8`` is GB), else the
time zone's country (the system's ``zone.tab``). Where no entry is certain, the person sees
their local emergency number and a directory of lines, never a guessed number.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

TABLE = Path(__file__).with_name("data") / "helplines.toml"
FALLBACK = (
    "If you might harm yourself or are in danger, call your local emergency number now. "
    "Helplines where you are: findahelpline.com"
)
EMERGENCY = "If you are in danger right now, call your local emergency number."
_TERRITORY = re.compile(r"^[a-zA-Z]{2,3}_([A-Za-z]{2})(?:[.@]|$)")
ZONE_TABLES = (Path("/usr/share/zoneinfo/zone.tab"), Path("/usr/share/zoneinfo/zone1970.tab"))


class Line(NamedTuple):
    """One helpline: who, how to reach them, where that was checked and when."""

    name: str
    how: str
    source: str
    checked: str

    def text(self) -> str:
        """``988 Suicide & Crisis Lifeline: call or text 988``."""
        return f"{self.name}: {self.how}"


class Choice(NamedTuple):
    """The lines to show, and how the region was found (for ``config check``/``doctor``)."""

    region: str | None
    found_by: str
    lines: tuple[Line, ...]
    override: str | None

    def text(self) -> str:
        """What the person reads: the configured line, else the table's, else the fallback."""
        if self.override:
            return self.override
        if not self.lines:
            return FALLBACK
        return " ".join([*(f"{line.text()}." for line in self.lines), EMERGENCY])

    def describe(self) -> str:
        """One line for ``habitd config check`` and ``habitd doctor``."""
        if self.override:
            return "your own ([support] crisis_line)"
        if not self.lines:
            where = f"region {self.region} ({self.found_by})" if self.region else self.found_by
            return f"none listed for {where}; the general text is shown"
        names = ", ".join(line.name for line in self.lines)
        return f"{names}, for {self.region} ({self.found_by})"

    def as_json(self) -> dict[str, Any]:
        """For ``help-now --json``."""
        return {
            "region": self.region,
            "found_by": self.found_by,
            "lines": [line._asdict() for line in self.lines],
            "text": self.text(),
        }


def table() -> dict[str, tuple[Line, ...]]:
    """Every region's lines, from the packaged table."""
    data = tomllib.loads(TABLE.read_text(encoding="utf-8"))
    return {
        region: tuple(Line(**line) for line in entry.get("lines", ()))
        for region, entry in data.items()
    }


def choose(
    support: Mapping[str, Any], environ: Mapping[str, str] | None = None, zone: str | None = None
) -> Choice:
    """The lines for this person: ``[support] crisis_line`` wins, then ``region``, then the
    locale's territory, then the country of the machine's time zone (or of ``zone``)."""
    from habitd.clock import local_zone_name

    environ = os.environ if environ is None else environ
    zone = local_zone_name() or zone
    override = support.get("crisis_line")
    override = override if isinstance(override, str) and override.strip() else None
    region, found_by = _region(support, environ, zone)
    lines = table().get(region, ()) if region else ()
    return Choice(region, found_by, lines, override)


def _region(
    support: Mapping[str, Any], environ: Mapping[str, str], zone: str | None
) -> tuple[str | None, str]:
    configured = support.get("region")
    if isinstance(configured, str) and configured.strip():
        return configured.strip().upper(), "[support] region"
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(variable, "")
        if value:
            match = _TERRITORY.match(value)
            if match:
                return match[1].upper(), f"{variable}={value}"
            break  # the first one set decides, as the C library does (C, POSIX: no territory)
    country = zone_country(zone) if zone else None
    if country:
        return country, f"time zone {zone}"
    return None, "no region, locale territory or zone country found"


def zone_country(zone: str) -> str | None:
    """The country of an IANA zone (``Europe/Berlin``: DE), from the system's zone table."""
    for path in ZONE_TABLES:
        try:
            rows = path.read_text(encoding="utf-8").splitlines()
        except OSError:
            continue
        for row in rows:
            fields = row.split("\t")
            if not row.startswith("#") and len(fields) >= 3 and fields[2] == zone:
                return fields[0].split(",")[0].upper()
    return None
