"""The practice library: guided breathing, grounding and urge-surfing exercises, from TOML.

The packaged library (``habitd/data/practices.toml``) comes first; files in
``<config dir>/practices/*.toml`` add practices or override one with the same id. Every
file is validated with the config's rules and messages (file:line:col: key: message).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from habitd.plugin import ID_PATTERN, Problem, TableReader, format_problems

MAX_TEXT = 200
MAX_STEP_SECONDS = 600


@dataclass(frozen=True)
class Step:
    """One instruction and how long it lasts."""

    say: str
    seconds: float


@dataclass(frozen=True)
class Practice:
    """A guided exercise."""

    id: str
    name: str
    text: str
    """What the notification says: short, warm, the first instruction."""
    steps: tuple[Step, ...]
    cycles: int = 1
    source: str = ""

    @property
    def cycle_seconds(self) -> float:
        """One pass through the steps."""
        return sum(step.seconds for step in self.steps)

    def as_json(self) -> dict[str, Any]:
        """For ``habitd practices --json`` and the guided session."""
        return {
            "id": self.id,
            "name": self.name,
            "text": self.text,
            "cycles": self.cycles,
            "minutes": round(self.cycle_seconds * self.cycles / 60, 1),
            "steps": [{"say": s.say, "seconds": s.seconds} for s in self.steps],
            "source": self.source,
        }


def packaged_path() -> Path:
    """The library that ships with habitd."""
    return Path(str(resources.files("habitd.data").joinpath("practices.toml")))


def parse(text: str, source: Path) -> tuple[list[Practice], list[str]]:
    """Practices in one file, and every problem as ``file:line:col: key: message``."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return [], [f"{source}: TOML syntax: {exc}"]
    problems: list[Problem] = []
    top = TableReader(data, (), problems)
    top.check_keys(("practice",))
    practices = []
    seen: dict[str, int] = {}
    for index, table in enumerate(top.get("practice", list, [])):
        if not isinstance(table, dict):
            problems.append(Problem(("practice", index), "expected a table"))
            continue
        before = len(problems)
        practice = _practice(table, ("practice", index), problems, str(source))
        if practice.id in seen:
            problems.append(
                Problem(
                    ("practice", index, "id"),
                    f"duplicate practice id {practice.id!r} (first used by "
                    f"practice[{seen[practice.id]}])",
                )
            )
            continue
        if practice.id:
            seen[practice.id] = index
        if len(problems) == before:
            practices.append(practice)
    return practices, format_problems(source, text, problems) if problems else []


def _practice(
    table: dict[str, Any], path: tuple[str | int, ...], problems: list[Problem], source: str
) -> Practice:
    read = TableReader(table, path, problems)
    read.check_keys(("id", "name", "text", "cycles", "steps"))
    practice_id = read.get("id", str, "", _id, required=True)
    text = read.get("text", str, "", required=True)
    if text and len(text) > MAX_TEXT:
        read.problem(
            "text",
            f"the notification text is {len(text)} characters; keep it under "
            f"{MAX_TEXT} so it fits a notification",
        )
    if "text" in table and isinstance(table["text"], str) and not text.strip():
        read.problem("text", "the notification text is empty")
    cycles = read.get("cycles", int, 1)
    if not 1 <= cycles <= 100:
        read.problem("cycles", f"cycles must be 1 to 100, got {cycles}")
    steps = []
    raw_steps = read.get("steps", list, [], required=True)
    if "steps" in table and not raw_steps:
        read.problem("steps", "a practice needs at least one step")
    for number, raw in enumerate(raw_steps):
        step_path = (*path, "steps", number)
        if not isinstance(raw, dict):
            problems.append(Problem(step_path, "expected a table like { say = ..., seconds = 4 }"))
            continue
        step = TableReader(raw, step_path, problems)
        step.check_keys(("say", "seconds"))
        say = step.get("say", str, "", required=True)
        seconds = step.get("seconds", (int, float), 0, required=True)
        given = raw.get("seconds")  # only a number that was given: "ten" is reported once
        if (
            isinstance(given, int | float)
            and not isinstance(given, bool)
            and not (0 < seconds <= MAX_STEP_SECONDS)
        ):
            step.problem(
                "seconds",
                f"a step lasts more than 0 and at most {MAX_STEP_SECONDS} seconds, got {seconds}",
            )
        steps.append(Step(say, float(seconds)))
    return Practice(
        practice_id, read.get("name", str, practice_id), text, tuple(steps), cycles, source
    )


def _id(value: str) -> str:
    if not ID_PATTERN.match(value):
        raise ValueError(f"ids use lowercase letters, digits and '-', got {value!r}")
    return value


def load(user_dir: Path | None) -> tuple[dict[str, Practice], list[str]]:
    """The packaged library with the person's files on top; and every problem found."""
    library: dict[str, Practice] = {}
    problems: list[str] = []
    packaged = packaged_path()
    found, errors = parse(packaged.read_text(encoding="utf-8"), packaged)
    library.update((p.id, p) for p in found)
    problems.extend(errors)
    owners: dict[str, str] = {}
    files = sorted(user_dir.glob("*.toml")) if user_dir and user_dir.is_dir() else []
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(f"{path}: cannot read: {exc}")
            continue
        found, errors = parse(text, path)
        problems.extend(errors)
        for practice in found:
            if practice.id in owners:
                problems.append(
                    f"{path}: practice {practice.id!r} is also defined in "
                    f"{owners[practice.id]}; keep one"
                )
                continue
            owners[practice.id] = str(path)
            library[practice.id] = practice
    return library, problems
