"""Writing things down: ``habitd journal``, ``urge``, ``thought``, ``entries`` and ``entry``.

With no options each command asks its questions one by one (your own words for feelings
and triggers come first); with options it never asks. Every question checks its own answer
and asks again, kindly, when it cannot use it (:mod:`habitd.prompts`), so a typo never costs
what was typed before. Ctrl-C saves nothing, and says so. An entry is committed before the
command reports it saved.
"""

from __future__ import annotations

from typing import Any

import click

from habitd import prompts
from habitd.cli import Context, call, emit_json, fail, here, table, when
from habitd.entries import EMOTIONS

INTENSITY = click.IntRange(0, 10)


def _words(kind: str, fallback: tuple[str, ...] = ()) -> str:
    """The person's own words first, then the usual ones, as a hint."""
    own = call("vocabulary")[kind]
    shown = list(dict.fromkeys([*own, *fallback]))[:8]
    separator = "; " if any("," in word for word in shown) else ", "  # "alone, at 2am" is one
    return f" ({separator.join(shown)}...)" if shown else ""


WHEN = click.option(
    "--when",
    default=None,
    help="When it happened, if not now: 2h ago, 21:30, yesterday 23:10, 2026-11-20 08:00.",
)


def _save(
    kind: str,
    fields: dict[str, Any],
    as_json: bool,
    thanks: str,
    asked: bool = False,
    when: str | None = None,
) -> None:
    """Save the entry; when it was typed at the prompts and cannot be saved, print the
    answers back first, so nothing the person wrote is lost."""
    kept = {k: v for k, v in fields.items() if v is not None}
    shown = False
    craving = kept.get("craving")
    if kind == "urge" and isinstance(craving, int) and not as_json:
        shown = _help_first(craving)
    try:
        result = call("entry_add", kind=kind, fields=kept, when=when)
    except SystemExit:
        if asked:
            prompts.show_answers(kept)
        raise
    if as_json:
        emit_json(result)
        return
    click.echo(f"Saved (entry {result['id']}). {thanks}")
    if result.get("help") and not shown:  # a strong urge: who to reach, and the line
        from habitd.commands.support import show_help

        show_help(
            result["help"],
            "It is strong right now, and it will pass. You don't have to ride it alone:",
        )


def _help_first(craving: int) -> bool:
    """A strong urge: who to reach and the line, shown before saving, from this process (a
    stuck daemon would keep them from the person until the save gave up on it). Whether
    they were shown; any trouble here is left to the save, which shows them too."""
    from habitd.commands.support import show_help
    from habitd.errors import HabitdError

    try:
        found = here("urge_help", craving=craving)
    except HabitdError:
        return False
    if found is None:
        return False
    show_help(found, "It is strong right now, and it will pass. You don't have to ride it alone:")
    return True


def _interactive(*values: Any) -> bool:
    return all(value is None for value in values)


@click.command()
@click.option(
    "--mood", type=click.IntRange(1, 5), default=None, help="Your day: 1 awful ... 5 rad."
)
@click.option("--emotion", default=None, help="What you feel: anxious, sad, calm...")
@click.option("--intensity", type=INTENSITY, default=None, help="How strongly, 0-10.")
@click.option("--trigger", default=None, help="What set it off.")
@click.option("--note", default=None, help="Anything you want to say.")
@click.option("--gratitude", default=None, help="Something that went well.")
@click.option(
    "--prompt",
    default=None,
    help="A question you are answering (a nudge's): asked first, kept with the entry.",
)
@WHEN
@click.option("--json", "as_json", is_flag=True, help='Print {"id": N}.')
def journal(
    mood: int | None,
    emotion: str | None,
    intensity: int | None,
    trigger: str | None,
    note: str | None,
    gratitude: str | None,
    prompt: str | None,
    when: str | None,
    as_json: bool,
) -> None:
    """Write down a feeling, what set it off, and anything else."""
    asked = _interactive(mood, emotion, intensity, trigger, note, gratitude)
    if asked:
        text = prompts.text()
        if prompt:  # the question the person came to answer comes first
            note = prompts.ask(prompt, text)
        mood = prompts.ask(
            "How is your day, 1 (awful) to 5 (great)?",
            prompts.scale(5, "1 awful, 2 bad, 3 so-so, 4 good, 5 great (Enter to skip)"),
        )
        if mood == 0:
            mood = None  # 0 is not on the scale: taken as no answer
        emotion = prompts.ask("What are you feeling?" + _words("emotions", EMOTIONS), text)
        if emotion:
            intensity = prompts.ask(
                "How strongly, 0-10?", prompts.scale(10, "how strong is it? (Enter to skip)")
            )
        trigger = prompts.ask("What set it off?" + _words("triggers"), text)
        if not prompt:
            note = prompts.ask("Anything else you want to write?", text)
        gratitude = prompts.ask("One thing that went well today?", text)
        if not (mood or emotion or trigger or note or gratitude):
            fail("Nothing to save: every question was left empty.")
    _save(
        "journal",
        {
            "mood": mood,
            "emotion": emotion,
            "intensity": intensity,
            "trigger": trigger,
            "note": note,
            "gratitude": gratitude,
            "prompt": prompt,
        },
        as_json,
        "Putting it into words is part of the work.",
        asked,
        when,
    )


@click.command()
@click.option("--intensity", type=INTENSITY, default=None, help="How strong the urge is, 0-10.")
@click.option("--trigger", default=None, help="What was happening.")
@click.option("--halt", default=None, help="Any of hungry,angry,lonely,tired.")
@click.option("--coped", default=None, help="What helped, or what you did instead.")
@click.option("--note", default=None, help="Anything else you want to say.")
@click.option("--acted/--not-acted", default=None, help="Whether you acted on it.")
@WHEN
@click.option("--json", "as_json", is_flag=True, help='Print {"id": N}.')
def urge(
    intensity: int | None,
    trigger: str | None,
    halt: str | None,
    coped: str | None,
    note: str | None,
    acted: bool | None,
    when: str | None,
    as_json: bool,
) -> None:
    """Log a craving: how strong, what set it off, HALT, what helped."""
    asked = _interactive(intensity, trigger, halt, coped, note, acted)
    if asked:
        text = prompts.text()
        intensity = prompts.ask(
            "How strong is the urge, 0-10?",
            prompts.scale(10, "how strong is it right now?"),
            required="A number from 0 to 10, whatever it is: how strong is it right now?",
        )
        trigger = prompts.ask("What was happening?" + _words("triggers"), text)
        states = prompts.ask(
            "Hungry, angry, lonely or tired? (any, comma-separated)", prompts.halt()
        )
        halt = ",".join(states) if states else None
        coped = prompts.ask("What helped, or what are you doing instead?", text)
        acted = prompts.ask("Did you act on it? [y/N]", prompts.yes_no) or False
    elif intensity is None:
        fail("give --intensity 0-10 (or no options at all to be asked)", 2)
    _save(
        "urge",
        {
            "craving": intensity,
            "trigger": trigger,
            "halt": halt,
            "coped": coped,
            "note": note,
            "acted": acted,
        },
        as_json,
        "Noticing an urge is already riding it. `habitd surf` helps it pass.",
        asked,
        when,
    )


THOUGHT_RECORD: tuple[tuple[str, str, int | None], ...] = (
    ("situation", "Situation: where were you, what was happening?", None),
    ("emotion", "Emotion: what did you feel?", None),
    ("strength", "How strong was it, from 0 to 100 (%)?", 100),
    ("automatic", "Automatic thought: what went through your mind?", None),
    ("evidence_for", "Evidence for that thought?", None),
    ("evidence_against", "Evidence against it?", None),
    ("balanced", "A balanced thought, taking both into account?", None),
    ("rerated", "Now, how strong is the emotion, from 0 to 100 (%)?", 100),
)


@click.command()
@WHEN
@click.option("--json", "as_json", is_flag=True, help='Print {"id": N}.')
def thought(when: str | None, as_json: bool) -> None:
    """A CBT thought record: situation, emotion, thought, evidence, a balanced view."""
    fields: dict[str, Any] = {}
    for key, question, top in THOUGHT_RECORD:
        hint = _words("emotions", EMOTIONS) if key == "emotion" else ""
        parse: Any = (
            prompts.scale(top, "how strong, as a percentage? (Enter to skip)")
            if top
            else prompts.text()
        )
        fields[key] = prompts.ask(question + hint, parse)
    if not fields.get("situation") and not fields.get("automatic"):
        fields["situation"] = prompts.ask(
            "One more: where were you, what was happening?",
            prompts.text(),
            required="A few words are enough: a record needs the situation or the thought.",
        )
    before, after = fields.get("strength"), fields.get("rerated")
    thanks = "Well reasoned."
    if isinstance(before, int) and isinstance(after, int) and after < before:
        thanks = f"The feeling went from {before}% to {after}%. That is the work, done."
    _save("thought", fields, as_json, thanks, asked=True, when=when)


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
@click.option("--search", default=None, help="Words the entry holds, anywhere (best first).")
@click.option("--emotion", default=None, help="Only this feeling.")
@click.option("--trigger", default=None, help="Only this trigger.")
@click.option("--min-intensity", type=INTENSITY, default=None, help="At least this strong.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def entries(
    since: str | None,
    kind: str | None,
    search: str | None,
    emotion: str | None,
    trigger: str | None,
    min_intensity: int | None,
    as_json: bool,
) -> None:
    """Your entries, oldest first (with --search: the best match first)."""
    rows = call(
        "entries",
        since=since,
        kind=kind,
        search=search,
        emotion=emotion,
        trigger=trigger,
        min_intensity=min_intensity,
    )
    if as_json:
        emit_json(rows)
        return
    if not rows:
        filtered = any(
            v is not None for v in (since, kind, search, emotion, trigger, min_intensity)
        )
        click.echo("nothing matches" if filtered else "no entries yet: habitd journal")
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
    "urge": ("craving", "trigger", "halt", "coped", "acted", "note"),
    "thought": tuple(key for key, _, _ in THOUGHT_RECORD),
    "craving": ("craving",),
}


@entry.command("edit")
@click.argument("entry_id", type=click.IntRange(1, 2**63 - 1))
@click.option("--emotion", default=None)
@click.option("--intensity", type=INTENSITY, default=None)
@click.option("--trigger", default=None)
@click.option("--note", default=None)
@WHEN
def entry_edit(
    entry_id: int,
    emotion: str | None,
    intensity: int | None,
    trigger: str | None,
    note: str | None,
    when: str | None,
) -> None:
    """Change an entry (its time too, with --when): with options, just those; without,
    asked one by one, each showing its current value."""
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
    if not given and when is None:
        current = call("entry", id=entry_id)
        click.echo(f"Entry {entry_id} ({_summary(current)}). Enter keeps a value as it is.")
        for key in EDITABLE[current["kind"]]:
            now = current.get(key)
            shown = f" [{now}]" if now not in (None, "") else " [empty]"
            answer = prompts.ask(f"{key}{shown}", _parser(key))
            if answer is not None and answer != now:
                given[key] = ",".join(answer) if isinstance(answer, list) else answer
        if not given:
            click.echo("Nothing changed.")
            return
    call("entry_edit", id=entry_id, fields=given, when=when)
    click.echo(f"entry {entry_id} updated")


def _parser(key: str) -> Any:
    if key in ("intensity", "craving"):
        return prompts.scale(10, "how strong? (Enter keeps it)")
    if key in ("strength", "rerated"):
        return prompts.scale(100, "how strong, as a percentage? (Enter keeps it)")
    if key == "halt":
        return prompts.halt()
    if key == "acted":
        return prompts.yes_no
    return prompts.text()


@entry.command("delete")
@click.argument("entry_id", type=click.IntRange(1, 2**63 - 1))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_obj
def entry_delete(obj: Context, entry_id: int, yes: bool) -> None:
    """Delete an entry for good."""
    from habitd.builtin.backups import DAILY, WEEKLY
    from habitd.paths import resolve

    if not yes:
        found = call("entry", id=entry_id)
        if not prompts.ask(f"Delete entry {entry_id} ({_summary(found)})? [y/N]", prompts.yes_no):
            click.echo("Kept.")
            return
    call("entry_delete", id=entry_id)
    folder = resolve(obj.config).state_dir / "backups"
    click.echo(
        f"entry {entry_id} deleted for good. The automatic backups made before now still "
        f"hold it until they rotate out: the daily ones within {DAILY} days, the weekly ones "
        f"within {WEEKLY} weeks ({folder})."
    )
