"""Journal entries: what each kind holds, how values are checked and names normalised.

Kinds: ``journal`` (an emotion, its intensity 0-10, what set it off, a note, gratitude),
``urge`` (a craving's intensity 0-10, trigger, HALT states, what helped, whether acted on;
an urge-surfing session is one urge, its starting intensity as ``craving`` and every rating
in ``ratings``), ``thought`` (a CBT thought record), and ``craving`` (one rating of an
urge-surfing series, as habitd stored them before surfing became one urge).
Columns hold what reports aggregate (emotion, intensity, trigger, craving, halt, note); the
rest goes into ``extra`` as JSON.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from habitd.errors import InvalidInput

KINDS = ("journal", "urge", "thought", "craving")
HALT = ("hungry", "angry", "lonely", "tired")
EMOTIONS = (
    "anxious",
    "sad",
    "angry",
    "lonely",
    "restless",
    "ashamed",
    "bored",
    "tired",
    "overwhelmed",
    "calm",
    "hopeful",
    "grateful",
    "content",
    "proud",
)
"""Offered in prompts after the person's own words."""

COLUMNS = ("emotion", "intensity", "trigger", "craving", "halt", "note")
FIELDS: dict[str, tuple[str, ...]] = {
    "journal": (
        "mood",
        "emotion",
        "intensity",
        "trigger",
        "note",
        "gratitude",
        "activities",
        "title",
        "prompt",
        "nudge",
        "source",
    ),
    "urge": (
        "craving",
        "trigger",
        "halt",
        "coped",
        "acted",
        "note",
        "duration",
        "ratings",
        "source",
    ),
    "thought": (
        "situation",
        "emotion",
        "strength",
        "automatic",
        "evidence_for",
        "evidence_against",
        "balanced",
        "rerated",
        "note",
    ),
    "craving": ("craving", "series", "minute", "source"),
}
MAX_TEXT = 20_000
"""The longest text any field takes, by every way in (flags, prompts, notes, replies)."""


def normalise(name: str) -> str:
    """``"  Work  Stress "`` -> ``"work stress"``: names compare and count as one."""
    return re.sub(r"\s+", " ", name).strip().lower()


def _scale(field: str, value: Any, top: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise InvalidInput(f"{field} must be a whole number from 0 to {top}, got {value!r}")
    if not 0 <= value <= top:
        raise InvalidInput(f"{field} must be from 0 to {top}, got {value:g}")
    return int(value)


def _halt(value: Any) -> str:
    """HALT states as stored (``lonely,tired``); a close misspelling is taken as the state
    it is near (``tierd``: tired), anything else is refused."""
    words = value if isinstance(value, list) else str(value).replace(",", " ").split()
    states = []
    for word in (normalise(str(word)) for word in words if str(word).strip()):
        if word not in HALT:
            import difflib

            near = difflib.get_close_matches(word, HALT, n=1, cutoff=0.75)
            if not near:
                raise InvalidInput(
                    f"unknown HALT state {word!r}; use hungry, angry, lonely or tired"
                )
            word = near[0]
        states.append(word)
    return ",".join(sorted(set(states), key=HALT.index))


def _ratings(value: Any) -> list[list[float | int]]:
    """Urge surfing's ratings: ``[[minute, intensity 0-10], ...]``, in time order."""
    if not isinstance(value, list) or not value:
        raise InvalidInput("ratings are a list of [minute, intensity] pairs")
    ratings: list[list[float | int]] = []
    for pair in value:
        if not (isinstance(pair, list | tuple) and len(pair) == 2):
            raise InvalidInput(f"a rating is [minute, intensity], got {pair!r}")
        minute = pair[0]
        if isinstance(minute, bool) or not isinstance(minute, int | float) or minute < 0:
            raise InvalidInput(f"a rating's minute is a number of zero or more, got {minute!r}")
        ratings.append([minute, _scale("intensity", pair[1], 10)])
    return ratings


LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def as_text(value: str) -> str:
    """``value`` as it can be stored: a byte a terminal sent that is not UTF-8 (Python keeps
    it as a lone surrogate, which SQLite and JSON refuse) becomes U+FFFD, so the rest of
    what the person typed is saved rather than refused."""
    return LONE_SURROGATE.sub("\ufffd", value)


def clean(kind: str, fields: Mapping[str, Any]) -> dict[str, Any]:
    """Check and normalise an entry's fields; raises :class:`InvalidInput` naming the field."""
    if kind not in KINDS:
        raise InvalidInput(f"unknown entry kind {kind!r}; kinds: {', '.join(KINDS)}")
    allowed = FIELDS[kind]
    cleaned: dict[str, Any] = {}
    for field, value in fields.items():
        if value is None:
            continue
        if isinstance(value, str):
            value = as_text(value)
        elif isinstance(value, list):
            value = [as_text(v) if isinstance(v, str) else v for v in value]
        if field not in allowed:
            raise InvalidInput(f"a {kind} entry has no {field!r}; it has: {', '.join(allowed)}")
        if field in ("intensity", "craving"):
            cleaned[field] = _scale(field, value, 10)
        elif field == "mood":
            cleaned[field] = _scale(field, value, 5)
            if cleaned[field] < 1:
                raise InvalidInput("mood is from 1 (awful) to 5 (rad), got 0")
        elif field == "activities":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise InvalidInput("activities are a list of words")
            if len(value) > 50 or any(len(v) > 100 for v in value):
                raise InvalidInput("at most 50 activities of at most 100 characters each")
            cleaned[field] = [normalise(v) for v in value if v.strip()]
        elif field in ("strength", "rerated"):
            cleaned[field] = _scale(field, value, 100)
        elif field == "halt":
            cleaned[field] = _halt(value)
        elif field == "ratings":
            cleaned[field] = _ratings(value)
        elif field == "acted":
            if not isinstance(value, bool):
                raise InvalidInput(f"acted must be true or false, got {value!r}")
            cleaned[field] = value
        elif field in ("minute", "duration"):
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise InvalidInput(f"{field} must be a number of minutes, got {value!r}")
            cleaned[field] = value
        else:
            if not isinstance(value, str):
                raise InvalidInput(f"{field} must be text, got {type(value).__name__}")
            text = value.strip()
            if len(text) > MAX_TEXT:
                raise InvalidInput(
                    f"{field} is {len(text):,} characters; keep it under {MAX_TEXT:,}"
                )
            if field in ("emotion", "trigger"):
                text = normalise(text)
            if text:
                cleaned[field] = text
    if kind == "urge" and "craving" not in cleaned:
        raise InvalidInput("an urge entry needs its intensity, 0 to 10")
    if kind == "journal" and not cleaned:
        raise InvalidInput("a journal entry needs something: an emotion, a note, gratitude...")
    if kind == "thought" and not {"situation", "automatic"} & set(cleaned):
        raise InvalidInput("a thought record needs at least the situation or the thought")
    return cleaned


def split(fields: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(columns, extra): what goes into the table's columns and what into its JSON."""
    columns = {key: value for key, value in fields.items() if key in COLUMNS}
    extra = {key: value for key, value in fields.items() if key not in COLUMNS}
    return columns, extra
