"""What to offer in a hard moment: the people who help, best first, a next step, the line.

Core, so it answers at once in both modes (``habitd help-now``, and in the answer to an urge
at or above ``escalate_at`` or a lapse today). The people come from ``[support]``
(validated by the support plugin; read leniently here, so a half-finished config still
shows who can be reached), ranked for the moment: those who are good for it (``prefer_for``
names the moment or the feeling) first, then those good for ``any``, then everyone else;
within each, the one reached least recently first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, NamedTuple

from habitd import helplines

MOMENTS = ("craving", "lapse", "lonely", "angry", "sad", "anxious")
ESCALATE_AT = 7
"""The default ``[support] escalate_at``: a craving this strong is a hard moment."""
NEXT_STEPS = {
    "craving": ("habitd surf", "stay with the urge: it rises, peaks and passes"),
    "lapse": ("habitd journal", "a few words about what led to it, when you are ready"),
}
BREATHE = ("habitd breathe", "a few slow breaths first")


class Contact(NamedTuple):
    """Someone to reach, as the config lists them."""

    name: str
    role: str
    reach: str
    prefer_for: tuple[str, ...]


def contacts(support: Mapping[str, Any]) -> list[Contact]:
    """Every ``[[support.contact]]`` with a name and a way to reach them, in config order."""
    found = []
    for raw in support.get("contact", ()) if isinstance(support.get("contact"), list) else ():
        if not isinstance(raw, Mapping):
            continue
        name, reach = raw.get("name"), raw.get("reach")
        if not (isinstance(name, str) and name.strip() and isinstance(reach, str)):
            continue
        prefer = raw.get("prefer_for", ())
        role = raw.get("role")
        found.append(
            Contact(
                name.strip(),
                role if isinstance(role, str) else "other",
                reach,
                tuple(p for p in prefer if isinstance(p, str)) if isinstance(prefer, list) else (),
            )
        )
    return found


def ranked(
    people: Iterable[Contact],
    moment: str,
    last_reached: Mapping[str, datetime],
    feeling: str | None = None,
) -> list[Contact]:
    """``people`` best first for ``moment`` (and ``feeling``, when one is named)."""
    wanted = {moment, feeling} - {None}
    listed = list(people)

    def fit(contact: Contact) -> int:
        if wanted & set(contact.prefer_for):
            return 0
        return 1 if "any" in contact.prefer_for else 2

    def last(contact: Contact) -> float:
        when = last_reached.get(contact.name)
        return when.timestamp() if when else float("-inf")

    return sorted(listed, key=lambda c: (fit(c), last(c), listed.index(c)))


def help_now(
    support: Mapping[str, Any],
    last_reached: Mapping[str, datetime],
    moment: str = "craving",
    feeling: str | None = None,
    zone: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Everything ``habitd help-now`` shows, as JSON: the people ranked for the moment (the
    first is the one to reach now), next steps, and the crisis line for where they are."""
    people = ranked(contacts(support), moment, last_reached, feeling)
    steps = [NEXT_STEPS[moment]] if moment in NEXT_STEPS else []
    steps.append(BREATHE)
    if moment != "craving":
        steps.append(NEXT_STEPS["craving"])
    return {
        "moment": moment,
        "contacts": [
            {
                "name": c.name,
                "role": c.role,
                "reach": c.reach,
                "last_reached": last_reached[c.name].isoformat()
                if c.name in last_reached
                else None,
            }
            for c in people
        ],
        "next_steps": [{"command": command, "why": why} for command, why in steps],
        "crisis": helplines.choose(support, environ, zone).as_json(),
    }


def escalate_at(support: Mapping[str, Any]) -> int:
    """The craving (0-10) at which a moment counts as hard (``[support] escalate_at``)."""
    value = support.get("escalate_at", ESCALATE_AT)
    return value if isinstance(value, int) and 1 <= value <= 10 else ESCALATE_AT
