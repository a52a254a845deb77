"""Writing things down: ``habitd journal``, ``urge``, ``thought``, ``entries`` and ``entry``.

With no options each command asks its questions one by one (your own words for feelings
and triggers come first); with options it never asks. Ctrl-C saves nothing, and says so.
An entry is committed before the command reports it saved.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, NoReturn

import click

from habitd.cli import call, emit_json, fail, table, when
from habitd.entries import EMOTIONS

INTENSITY = click.IntRange(0, 10)


def _abort() -> NoReturn:
    click.echo("\nNothing was saved.", err=True)
    sys.exit(1)


def _ask(question: str, **options: Any) -> Any:
    """One question; an empty answer is None. Ctrl-C or end of input: nothing is saved."""
    try:
        answer = click.prompt(
            question, default=options.pop("default", ""), show_default=False, **options
        )
    except click.Abort:
        _abort()
    return None if answer == "" else answer


def _words(kind: str, fallback: tuple[str, ...] = ()) -> str:
    """The person's own words first, then the usual ones, as a hint."""
    own = call("vocabulary")[kind]
    shown = list(dict.fromkeys([*own, *fallback]))[:8]
    return f" ({', '.join(shown)}...)" if shown else ""


def _save(kind: str, fields: dict[str, Any], as_json: bool, thanks: str) -> None:
    result = call("entry_add", kind=kind, fields={k: v for k, v in fields.items() if v is not None})
    if as_json:
        emit_json(result)
        return
    click.echo(f"Saved (entry {result['id']}). {thanks}")
    if result.get("help"):  # a strong urge: who to reach, and the line, at once
        from habitd.commands.support import show_help

        show_help(
            result["help"],
            "It is strong right now, and it will pass. You don't have to ride it alone:",
        )


def _interactive(*values: Any) -> bool:
    return all(value is None for value in values)


@click.command()
@click.option("--emotion", default=None, help="What you feel: anxious, sad, calm...")
@click.option("--intensity", type=INTENSITY, default=None, help="How strongly, 0-10.")
@click.option("--trigger", default=None, help="What set it off.")
@click.option("--note", default=None, help="Anything you want to say.")
@click.option("--gratitude", default=None, help="Something that went well.")
@click.option("--json", "as_json", is_flag=True, help='Print {"id": N}.')
def journal(
    emotion: str | None,
    intensity: int | None,
    trigger: str | None,
    note: str | None,
    gratitude: str | None,
    as_json: bool,
) -> None:
    """Write down a feeling, what set it off, and anything else."""
    if _interactive(emotion, intensity, trigger, note, gratitude):
        emotion = _ask("What are you feeling?" + _words("emotions", EMOTIONS))
        if emotion:
            intensity = _ask("How strongly, 0-10?", type=INTENSITY)
        trigger = _ask("What set it off?" + _words("triggers"))
        note = _ask("Anything else you want to write?")
        gratitude = _ask("One thing that went well today?")
    _save(
        "journal",
        {
            "emotion": emotion,
            "intensity": intensity,
            "trigger": trigger,
            "note": note,
            "gratitude": gratitude,
        },
        as_json,
        "Putting it into words is part of the work.",
    )


@click.command()
@click.option("--intensity", type=INTENSITY, default=None, help="How strong the urge is, 0-10.")
@click.option("--trigger", default=None, help="What was happening.")
@click.option("--halt", default=None, help="Any of hungry,angry,lonely,tired.")
@click.option("--coped", default=None, help="What helped, or what you did instead.")
@click.option("--acted/--not-acted", default=None, help="Whether you acted on it.")
@click.option("--json", "as_json", is_flag=True, help='Print {"id": N}.')
def urge(
    intensity: int | None,
    trigger: str | None,
    halt: str | None,
    coped: str | None,
    acted: bool | None,
    as_json: bool,
) -> None:
    """Log a craving: how strong, what set it off, HALT, what helped."""
    if _interactive(intensity, trigger, halt, coped, acted):
        intensity = _ask("How strong is the urge, 0-10?", type=INTENSITY)
        trigger = _ask("What was happening?" + _words("triggers"))
        halt = _ask("Hungry, angry, lonely or tired? (any, comma-separated)")
        coped = _ask("What helped, or what are you doing instead?")
        try:
            acted = click.confirm("Did you act on it?", default=False)
        except click.Abort:
            _abort()
    elif intensity is None:
        fail("give --intensity 0-10 (or no options at all to be asked)", 2)
    _save(
        "urge",
        {"craving": intensity, "trigger": trigger, "halt": halt, "coped": coped, "acted": acted},
        as_json,
        "Noticing an urge is already riding it. `habitd surf` helps it pass.",
    )


THOUGHT_RECORD: tuple[tuple[str, str, Any], ...] = (
    ("situation", "Situation: where were you, what was happening?", None),
    ("emotion", "Emotion: what did you feel?", None),
    ("strength", "How strong was it, 0-100?", click.IntRange(0, 100)),
    ("automatic", "Automatic thought: what went through your mind?", None),
    ("evidence_for", "Evidence for that thought?", None),
    ("evidence_against", "Evidence against it?", None),
    ("balanced", "A balanced thought, taking both into account?", None),
    ("rerated", "Now, how strong is the emotion, 0-100?", click.IntRange(0, 100)),
)


@click.command()
@click.option("--json", "as_json", is_flag=True, help='Print {"id": N}.')
def thought(as_json: bool) -> None:
    """A CBT thought record: situation, emotion, thought, evidence, a balanced view."""
    fields: dict[str, Any] = {}
    for key, question, kind in THOUGHT_RECORD:
        hint = _words("emotions", EMOTIONS) if key == "emotion" else ""
        fields[key] = _ask(question + hint, **({"type": kind} if kind else {}))
    before, after = fields.get("strength"), fields.get("rerated")
    thanks = "Well reasoned."
    if isinstance(before, int) and isinstance(after, int) and after < before:
        thanks = f"The feeling went from {before} to {after}. That is the work, done."
    _save("thought", fields, as_json, thanks)


def _summary(entry: dict[str, Any]) -> str:
    kind = entry["kind"]
    parts: list[str] = []
    if kind == "urge" or kind == "craving":
        parts.append(f"urge {entry.get('craving')}/10")
    if entry.get("emotion"):
        strength = entry.get("intensity", entry.get("strength"))
        parts.append(f"{entry['emotion']}" + (f" {strength}" if strength is not None else ""))
    for key in ("trigger", "halt", "situation", "note", "gratitude", "coped"):
        if entry.get(key):
            parts.append(f"{key}: {entry[key]}")
    return "; ".join(parts)[:90]


@click.command()
@click.option("--since", default=None, help="How far back: 7d, 12h, or a date.")
@click.option("--kind", default=None, help="journal, urge, thought or craving.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def entries(since: str | None, kind: str | None, as_json: bool) -> None:
    """Your entries, oldest first."""
    rows = call("entries", since=since, kind=kind)
    if as_json:
        emit_json(rows)
        return
    if not rows:
        click.echo("no entries yet: habitd journal")
        return
    table(
        [(r["id"], when(r["ts"]), r["kind"], _summary(r)) for r in rows],
        ("id", "when", "kind", "entry"),
    )


@click.group()
def entry() -> None:
    """Change or delete one entry."""


EDITABLE = {
    "journal": ("emotion", "intensity", "trigger", "note", "gratitude"),
    "urge": ("craving", "trigger", "halt", "coped", "note"),
    "thought": tuple(key for key, _, _ in THOUGHT_RECORD),
    "craving": ("craving",),
}


@entry.command("edit")
@click.argument("entry_id", type=int)
@click.option("--emotion", default=None)
@click.option("--intensity", type=INTENSITY, default=None)
@click.option("--trigger", default=None)
@click.option("--note", default=None)
def entry_edit(
    entry_id: int, emotion: str | None, intensity: int | None, trigger: str | None, note: str | None
) -> None:
    """Change an entry: with options, just those fields; without, asked one by one."""
    given = {
        k: v
        for k, v in (
            ("emotion", emotion),
            ("intensity", intensity),
            ("trigger", trigger),
            ("note", note),
        )
        if v is not None
    }
    if not given:
        current = call("entry", id=entry_id)
        for key in EDITABLE[current["kind"]]:
            answer = _ask(f"{key}", default=str(current.get(key, "")))
            if answer is not None and str(answer) != str(current.get(key, "")):
                given[key] = _number(key, answer)
    call("entry_edit", id=entry_id, fields=given)
    click.echo(f"entry {entry_id} updated")


def _number(key: str, answer: str) -> Any:
    convert: Callable[[str], Any] = (
        int if key in ("intensity", "craving", "strength", "rerated") else str
    )
    try:
        return convert(answer)
    except ValueError:
        fail(f"{key} must be a whole number, got {answer!r}")


@entry.command("delete")
@click.argument("entry_id", type=int)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def entry_delete(entry_id: int, yes: bool) -> None:
    """Delete an entry for good."""
    if not yes:
        found = call("entry", id=entry_id)
        try:
            click.confirm(f"Delete entry {entry_id} ({_summary(found)})?", abort=True)
        except click.Abort:
            _abort()
    call("entry_delete", id=entry_id)
    click.echo(f"entry {entry_id} deleted")
