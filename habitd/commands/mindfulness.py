"""Mindfulness in the terminal: ``habitd breathe``, ``habitd practices``, ``habitd surf``."""

from __future__ import annotations

import sys
from typing import Any, NoReturn

import click

from habitd import completion, prompts, words
from habitd.cli import call, emit_json, marked_day, table
from habitd.guide import Guide, Session, plan

SPEED = click.option("--speed", type=float, default=1.0, hidden=True)  # tests compress time


def _finish(practice: dict[str, object], session: Session, habit: str | None) -> dict[str, Any]:
    result = call(
        "mindfulness.record",
        practice=practice["id"],
        seconds=round(session.done, 1),
        completed=session.completed,
        habit=habit,
        intensities=[list(pair) for pair in session.intensities] or None,
    )
    if session.completed:
        click.echo(f"Well done: {words.span(session.done)} of {practice['name']}.")
    else:
        click.echo(f"Stopped after {words.span(session.done)}. That still counts.")
    if result.get("habit"):
        click.echo(f"{habit}: done for {marked_day(result['habit'])}.")
    return dict(result)


@click.command()
@click.argument("practice", required=False, shell_complete=completion.practices)
@click.option("--cycles", type=click.IntRange(1, 100), default=None, help="Rounds of steps.")
@click.option("--minutes", type=click.FloatRange(0.1, 120), default=None, help="How long.")
@click.option("--habit", default=None, help="A habit to mark done afterwards (meditate).")
@SPEED
def breathe(
    practice: str | None, cycles: int | None, minutes: float | None, habit: str | None, speed: float
) -> None:
    """A guided practice in the terminal (default: the one last suggested). Ctrl-C stops."""
    chosen = call("mindfulness.practice", practice=practice)
    steps = plan(chosen, cycles, minutes)
    text = chosen["text"]
    if cycles is not None or minutes is not None:  # the text's own "Four rounds" is not this
        kept = [s for s in text.rstrip(".").split(". ") if "round" not in s.lower()]
        length = words.plural(cycles, "rounds") if cycles else words.span((minutes or 0) * 60)
        text = ". ".join([*kept, length]) + "."
    click.echo(click.style(chosen["name"], bold=True) + f": {text}")
    session = Session()
    session.completed = Guide(tty=sys.stdout.isatty(), speed=speed).run(steps, session)
    _finish(chosen, session, habit)


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def practices(as_json: bool) -> None:
    """The practices you can do with `habitd breathe` (yours included)."""
    rows = call("mindfulness.practices")
    if as_json:
        emit_json(rows)
        return
    table(
        [
            (
                r["id"],
                r["name"],
                words.span(r["minutes"] * 60),
                "" if r["enabled"] else "(not rotated)",
            )
            for r in rows
        ],
        ("practice", "name", "length", ""),
    )


CHECK_EVERY = 5.0
"""Minutes between intensity ratings while surfing."""


def _stop() -> NoReturn:
    raise click.Abort


@click.command()
@click.option("--minutes", type=click.FloatRange(1, 60), default=20.0, show_default=True)
@click.option("--habit", default=None, help="A habit to mark done afterwards.")
@SPEED
def surf(minutes: float, habit: str | None, speed: float) -> None:
    """Urge surfing: ride the urge like a wave. Rates it 0-10 now, every few minutes, at the end.

    Urges rise, peak and pass, usually within 15 to 30 minutes. You do not have to act.
    """
    practice = call("mindfulness.practice", practice="urge-surfing")
    click.echo(click.style("Urge surfing", bold=True) + ": " + practice["text"])
    session = Session()
    guide = Guide(tty=sys.stdout.isatty(), speed=speed)

    def rating(question: str) -> int:
        value = prompts.ask(
            question,
            prompts.scale(10, "how strong is it right now?"),
            required="A number from 0 to 10, whatever it is: how strong is it right now?",
            interrupted=_stop,
        )
        assert value is not None  # required
        return value

    try:
        session.intensities.append((0.0, rating("How strong is the urge, 0-10?")))
        while session.done < minutes * 60:
            chunk = min(CHECK_EVERY * 60, minutes * 60 - session.done)
            steps = plan(practice, minutes=chunk / 60)
            steps = _trim(steps, chunk)
            if not guide.run(steps, session):
                break
            label = "And now" if session.done >= minutes * 60 else "How strong is it now"
            session.intensities.append((round(session.done / 60, 1), rating(f"{label}, 0-10?")))
        else:
            session.completed = True
    except (click.Abort, EOFError):
        click.echo()
    if len(session.intensities) >= 2:
        first, last = session.intensities[0][1], session.intensities[-1][1]
        if last < first:
            click.echo(f"The urge went from {first} to {last}. It passed without you acting on it.")
        else:
            click.echo("The urge is still here. That's all right: you stayed with it.")
    result = _finish(practice, session, habit)
    if result.get("help"):  # it ended strong: a person to reach, and the line, at once
        from habitd.commands.support import show_help

        show_help(result["help"], "You don't have to ride the rest of it alone:")


def _trim(steps: list[dict[str, object]], seconds: float) -> list[dict[str, object]]:
    """As many steps as fit ``seconds`` (the last one shortened)."""
    kept: list[dict[str, object]] = []
    left = seconds
    for step in steps:
        if left <= 0:
            break
        length = float(step["seconds"])  # type: ignore[arg-type]
        kept.append({**step, "seconds": min(length, left)})
        left -= length
    return kept
