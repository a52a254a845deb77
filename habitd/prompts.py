"""Questions in the terminal that never lose an answer.

Each question checks its own answer and, when it cannot use it, says why in a few warm
words and asks again: nothing typed before is lost, and no raw parser error reaches the
person. An empty answer skips an optional question. Ctrl-C or the end of input saves
nothing and says so. A line the terminal cut (a canonical-mode terminal passes at most
4,095 characters per line) is never taken silently: the person is told and can go on.
"""

from __future__ import annotations

import difflib
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn, TypeVar, overload

import click

from habitd.entries import HALT, MAX_TEXT

T = TypeVar("T")

LINE_LIMIT = 4095
"""The longest line a terminal in canonical mode passes on (Linux's n_tty buffer)."""

NUMBER_WORDS = (
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
)


class Again(Exception):
    """The answer cannot be used; the message says why and what would do."""


def nothing_saved() -> NoReturn:
    """Ctrl-C or the end of input: say that nothing was saved, and stop."""
    click.echo("\nNothing was saved.", err=True)
    sys.exit(1)


@overload
def ask(
    question: str,
    parse: None = None,
    *,
    required: str | None = None,
    interrupted: Callable[[], NoReturn] = ...,
) -> str | None: ...


@overload
def ask(
    question: str,
    parse: Callable[[str], T],
    *,
    required: str | None = None,
    interrupted: Callable[[], NoReturn] = ...,
) -> T | None: ...


def ask(
    question: str,
    parse: Callable[[str], Any] | None = None,
    *,
    required: str | None = None,
    interrupted: Callable[[], NoReturn] = nothing_saved,
) -> Any:
    """Ask until the answer can be used. ``parse`` turns the text into a value or raises
    :class:`Again`; an empty answer is None, unless ``required`` (then its text is the
    hint and the question is asked again). Ctrl-C or the end of input calls
    ``interrupted`` (by default: say nothing was saved, and exit)."""
    while True:
        text = _read(question, interrupted)
        if not text:
            if required is None:
                return None
            click.echo(f"  {required}")
            continue
        if parse is None:
            return text
        try:
            return parse(text)
        except Again as why:
            click.echo(f"  {why}")


def _read(question: str, interrupted: Callable[[], NoReturn]) -> str:
    try:
        text: str = click.prompt(question, default="", show_default=False)
    except click.Abort:
        interrupted()
    parts = [text]
    while len(parts[-1]) >= LINE_LIMIT:
        click.echo(
            f"  Your terminal passes at most {LINE_LIMIT:,} characters in one line, so the end "
            "of that did not arrive. Type or paste the rest here (Enter alone to go on)."
        )
        try:
            more: str = click.prompt("", default="", show_default=False, prompt_suffix="")
        except click.Abort:
            interrupted()
        if not more:
            break
        parts.append(more)
    return "\n".join(parts).strip()


def text(limit: int = MAX_TEXT) -> Callable[[str], str]:
    """Free text up to ``limit`` characters (the same limit as every other way in)."""

    def parse(answer: str) -> str:
        if len(answer) > limit:
            raise Again(
                f"That is {len(answer):,} characters; an answer holds up to {limit:,}. "
                "Write a shorter version (or save the long one with --note from a file)."
            )
        return answer

    return parse


def scale(top: int, what: str) -> Callable[[str], int]:
    """A whole number from 0 to ``top`` (``7``, ``7/10``, ``seven``); ``what`` ends the hint
    ("how strong is it right now?")."""

    def parse(answer: str) -> int:
        word = answer.strip().lower().removesuffix(f"/{top}").removesuffix("%").strip()
        if word in NUMBER_WORDS:
            return NUMBER_WORDS.index(word)
        try:
            number = float(word)
        except ValueError:
            number = -1.0
        if number != int(number) or not 0 <= number <= top:
            raise Again(f"A whole number from 0 to {top}: {what}")
        return int(number)

    return parse


def words(known: Sequence[str], what: str, *, cutoff: float = 0.75) -> Callable[[str], list[str]]:
    """Words from ``known``, comma- or space-separated, taking a close misspelling as the
    word it is near (and saying so)."""

    def parse(answer: str) -> list[str]:
        found: list[str] = []
        for raw in answer.replace(",", " ").split():
            word = raw.strip().lower()
            match = word if word in known else closest(word, known, cutoff)
            if match is None:
                raise Again(f"{raw!r} is not one of {', '.join(known)}: {what}")
            if match != word:
                click.echo(f"  (taking {raw!r} as {match})")
            if match not in found:
                found.append(match)
        return found

    return parse


def closest(word: str, known: Sequence[str], cutoff: float = 0.75) -> str | None:
    """The one word of ``known`` that ``word`` is a close misspelling of, if any."""
    matches = difflib.get_close_matches(word, list(known), n=1, cutoff=cutoff)
    return matches[0] if matches else None


def yes_no(answer: str) -> bool:
    """``y``/``yes`` or ``n``/``no``."""
    word = answer.strip().lower()
    if word in ("y", "yes"):
        return True
    if word in ("n", "no"):
        return False
    raise Again("y or n (Enter for no)?")


def halt() -> Callable[[str], list[str]]:
    """HALT states: hungry, angry, lonely, tired."""
    return words(HALT, "which of them fit? (Enter to skip)")


def show_answers(answers: dict[str, Any]) -> None:
    """What the person wrote, printed back when it could not be saved, so nothing is lost."""
    click.echo("Here is what you wrote, so it is not lost:", err=True)
    for key, value in answers.items():
        if value not in (None, "", []):
            click.echo(f"  {key}: {value}", err=True)
