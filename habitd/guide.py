"""Guided sessions in the terminal: each step with its timing, a live line on a terminal
(what to do, a breathing bar, the time left) and plain lines in a pipe. Ctrl-C ends a
session cleanly; what was done still counts.

This runs in the client. ``speed`` (a hidden option) compresses time for tests.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import click

TICK = 0.1
BAR = 12


@dataclass
class Session:
    """What a guided session did, in practice time (not sped-up wall time)."""

    seconds: float = 0.0
    """Whole steps done."""
    in_step: float = 0.0
    """Seconds into the step under way (an interrupted step still counts)."""
    completed: bool = False
    intensities: list[tuple[float, int]] = field(default_factory=list)

    @property
    def done(self) -> float:
        """Every second of guidance done so far."""
        return self.seconds + self.in_step


def plan(
    practice: dict[str, Any], cycles: int | None = None, minutes: float | None = None
) -> list[dict[str, Any]]:
    """The steps to go through: the practice's cycles, or as many as fill ``minutes``."""
    steps: list[dict[str, Any]] = list(practice["steps"])
    length = sum(step["seconds"] for step in steps)
    if minutes is not None:
        count: int = max(1, math.ceil(minutes * 60 / length))
    else:
        count = int(cycles or practice["cycles"])
    return steps * count


def _clock(seconds: float) -> str:
    whole = max(0, math.ceil(seconds))
    return f"{whole // 60}:{whole % 60:02d}"


def _bar(say: str, progress: float) -> str:
    filled = round(progress * BAR)
    if "out" in say.lower():  # breathing out: the bar empties
        filled = BAR - filled
    return "█" * filled + "░" * (BAR - filled)


class Guide:
    """Walks through steps, drawing on ``out`` and sleeping between updates."""

    def __init__(
        self,
        tty: bool,
        speed: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.tty = tty
        self.speed = speed
        self.sleep = sleep
        self.clock = clock

    def run(self, steps: Sequence[dict[str, Any]], session: Session) -> bool:
        """Go through ``steps``; False if the person pressed Ctrl-C."""
        total_left = sum(step["seconds"] for step in steps)
        try:
            for step in steps:
                self._step(step, total_left, session)
                total_left -= step["seconds"]
        except KeyboardInterrupt:
            if self.tty:
                click.echo()
            return False
        if self.tty:
            click.echo("\r" + " " * 78 + "\r", nl=False)
        return True

    def _step(self, step: dict[str, Any], total_left: float, session: Session) -> None:
        say, seconds = step["say"], float(step["seconds"])
        if not self.tty:
            click.echo(f"[{_clock(session.seconds)}] {say} ({seconds:g}s)")
        started = self.clock()
        done = 0.0
        while done < seconds:
            if self.tty:
                line = (
                    f"\r  {say[:44]:<44} {_bar(say, done / seconds)} {_clock(seconds - done):>5}"
                    f"  ({_clock(total_left - done)} left)"
                )
                click.echo(line, nl=False)
            self.sleep(min(TICK, (seconds - done) / self.speed))
            done = min(seconds, (self.clock() - started) * self.speed)
            session.in_step = done
        session.seconds += seconds
        session.in_step = 0.0
