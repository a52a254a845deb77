"""The TOML config: parsed with tomllib into typed, validated, immutable objects.

Every problem is collected, not just the first, and each one names the file, the line and
column (from TOML's own syntax errors, or from :class:`~habitd.sourcemap.SourceMap` for
everything else) and the key path: ``habitd.toml:12:6: nudge[1].at: expected a time as
HH:MM (24-hour), got '25:00'``. Plugins validate their own ``[plugins.NAME]`` tables and
nudge options through hooks; :func:`load` only checks what the core owns.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from habitd.errors import HabitdError
from habitd.timeparse import (
    QuietHours,
    TimeRange,
    parse_clock,
    parse_days,
    parse_duration,
    parse_local_datetime,
    parse_pause_range,
    parse_quiet_hours,
    parse_range,
)

ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]*$")
NOTIFIERS = ("auto", "desktop", "log")
HABIT_TYPES = ("yes-no", "at-least", "at-most", "abstain")
ACTIVITIES = ("journal", "reached", "practice")
"""What a habit can count (``counts = "journal"``): any journal entry (a feeling, an urge, a
thought record), a support contact reached, a guided practice finished. A plugin may count
its own, named ``PLUGIN:WORD``, with ``ctx.count``."""
_TARGET = re.compile(r"^(daily|weekly|(\d+)/week|(\d+)/(\d+))$")
_T = TypeVar("_T")
if TYPE_CHECKING:
    from habitd.paths import Paths
    from habitd.sourcemap import Path as KeyPath


class Problem(NamedTuple):
    """One thing wrong with a config, at a key path. ``at="key"`` points at the key itself.

    ``where`` is set for a problem in another file (a plugin's own TOML): its
    ``file:line:col`` prefix, already resolved.
    """

    path: KeyPath
    message: str
    at: str = "value"
    where: str | None = None


class ConfigError(HabitdError):
    """A config that cannot be used; ``lines`` has every problem as file:line:col: key: message."""

    def __init__(
        self,
        lines: list[str],
        problems: Sequence[Problem] = (),
        partial: Config | None = None,
    ) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines
        self.problems = list(problems)
        """The problems themselves (for a config that parsed as TOML)."""
        self.partial = partial
        """The config without its broken parts, so plugins can still check the rest and
        ``habitd config check`` reports every problem in one run."""


class Settings(NamedTuple):
    """The ``[habitd]`` table."""

    timezone: str = "local"
    day_starts: time = time(4, 0)
    notifier: str = "auto"
    quiet_hours: QuietHours | None = None
    tray: bool = True
    """Show habitd in the system tray, where a tray host runs."""
    terminal: str | None = None
    """How to open a terminal for a clicked nudge (``"foot"``, ``"xterm -e"``); the command
    is added at the end. Unset: ``xdg-terminal-exec``, then ``x-terminal-emulator -e``."""
    nudge_timeout: timedelta = timedelta(0)
    """How long a nudge stays on screen unanswered; zero (the default): until answered or
    closed. Urgent messages always stay."""


@dataclass(frozen=True)
class Schedule:
    """When something happens: exactly one of ``at``, ``every``, ``cron`` or ``date``."""

    at: tuple[time, ...] = ()
    every: timedelta | None = None
    between: TimeRange | None = None
    cron: str | None = None
    date: datetime | None = None
    days: tuple[int, ...] = (0, 1, 2, 3, 4, 5, 6)
    jitter: timedelta = timedelta(0)

    def describe(self) -> str:
        """A short human description, for listings."""
        if self.at:
            return "at " + ", ".join(f"{t:%H:%M}" for t in self.at)
        if self.every:
            from habitd.timeparse import format_duration

            window = f" between {self.between}" if self.between else ""
            return f"every {format_duration(self.every)}{window}"
        if self.cron:
            return f"cron {self.cron}"
        return f"once at {self.date:%Y-%m-%d %H:%M}" if self.date else "never"


@dataclass(frozen=True)
class Nudge:
    """One ``[[nudge]]``: what to say (its kind renders it) and when."""

    id: str
    kind: str
    schedule: Schedule
    habit: str | None = None
    title: str | None = None
    body: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    grace: timedelta = timedelta(hours=1)
    snooze: timedelta = timedelta(minutes=15)
    catch_up: bool = True
    """Deliver it when quiet hours end (True), or let it go (False)."""
    repeat: timedelta | None = None
    """For a habit nudge: ask again this often until the habit is answered that day."""
    enabled: bool = True


@dataclass(frozen=True)
class Habit:
    """One ``[[habit]]``."""

    id: str
    name: str
    target: str = "daily"
    type: str = "yes-no"
    threshold: float | None = None
    """For ``at-least``/``at-most``: the value a day must reach (or stay within)."""
    unit: str = ""
    start: date | None = None
    """For counting days since the start (kratom-free days); default: the first mark."""
    paused: tuple[tuple[date, date], ...] = ()
    """Vacations: days in these ranges neither break nor extend a streak."""
    counts: str | None = None
    """An activity that marks the habit done for its day (see :data:`ACTIVITIES`)."""
    cost_per_day: float | None = None
    """For an abstain habit: what a day of it used to cost (the report shows what was not
    spent), in ``currency``."""
    currency: str = ""

    @property
    def counted(self) -> bool:
        """Whether a mark needs a value (at-least, at-most)."""
        return self.type in ("at-least", "at-most")


class PluginsConfig(NamedTuple):
    """The ``[plugins]`` table: what to block, where else to look, and each plugin's settings."""

    disabled: tuple[str, ...] = ()
    paths: tuple[Path, ...] = ()
    settings: Mapping[str, Mapping[str, Any]] = MappingProxyType({})


@dataclass(frozen=True)
class Config:
    """A whole, validated config. ``source`` is the file it came from."""

    source: Path
    settings: Settings = field(default_factory=Settings)
    nudges: tuple[Nudge, ...] = ()
    habits: tuple[Habit, ...] = ()
    plugins: PluginsConfig = field(default_factory=PluginsConfig)
    text: str = field(default="", repr=False, compare=False)
    support: Mapping[str, Any] = field(default_factory=dict)
    """The ``[support]`` table, validated by the support plugin."""
    positions: Mapping[str, tuple[int, ...]] = field(
        default_factory=dict, repr=False, compare=False
    )
    """Where each nudge and habit stands in the file (``positions["nudge"][i]``): in a
    config with broken items left out, ``nudges[i]`` is not the file's ``nudge[i]``."""

    def located(self, problem: Problem) -> Problem:
        """``problem`` with its ``nudge``/``habit`` index turned into the file's."""
        path = problem.path
        if len(path) >= 2 and path[0] in self.positions and isinstance(path[1], int):
            places = self.positions[str(path[0])]
            if path[1] < len(places):
                return problem._replace(path=(path[0], places[path[1]], *path[2:]))
        return problem

    def nudge(self, nudge_id: str) -> Nudge | None:
        """The nudge with this id, if any."""
        return next((n for n in self.nudges if n.id == nudge_id), None)

    def habit(self, habit_id: str) -> Habit | None:
        """The habit with this id, if any."""
        return next((h for h in self.habits if h.id == habit_id), None)

    def plugin_settings(self, name: str) -> Mapping[str, Any]:
        """The ``[plugins.NAME]`` table for one plugin (empty when absent). The built-in
        ``support`` plugin's settings live in the top-level ``[support]`` table."""
        if name == "support":
            return self.support
        return self.plugins.settings.get(name, {})

    def format_problems(self, problems: list[Problem]) -> list[str]:
        """Render problems as ``file:line:col: key.path: message``, in file order."""
        return format_problems(self.source, self.text, problems)


class Setting(NamedTuple):
    """A ``[plugins.NAME]`` setting a plugin declares in its module-level ``SETTINGS`` dict:
    the default (whose type is the setting's type), what it is for, and optionally
    ``convert``, which turns the value into what the plugin uses and raises ``ValueError``
    with a readable message (``parse_duration`` for ``"2h"``)."""

    default: Any
    help: str = ""
    convert: Callable[[Any], Any] | None = None


def read_settings(
    declared: Mapping[str, Setting],
    table: Mapping[str, Any],
    path: KeyPath,
    problems: list[Problem],
) -> dict[str, Any]:
    """Values for declared settings, defaults filled in; every problem goes to ``problems``."""
    read = TableReader(table, path, problems)
    read.check_keys(tuple(declared))
    values: dict[str, Any] = {}
    for key, setting in declared.items():
        default = setting.default
        if key not in table:
            values[key] = (
                setting.convert(default) if setting.convert and default is not None else default
            )
            continue
        kind: type | tuple[type, ...] = object
        if isinstance(default, bool):
            kind = bool
        elif isinstance(default, int | float):
            kind = (int, float)
        elif default is not None:
            kind = type(default)
        values[key] = read.get(key, kind, default, setting.convert)
    return values


def check_options(
    config: Config, kind: str, checks: Mapping[str, Callable[[Any], str | None]]
) -> list[Problem]:
    """Validate ``[nudge.options]`` of every nudge of ``kind`` (for a kind's plugin): an
    unknown key is a problem, and each known key's check returns a message or None."""
    problems = []
    for index, nudge in enumerate(config.nudges):
        if nudge.kind != kind:
            continue
        for key, value in nudge.options.items():
            path = ("nudge", index, "options", key)
            if key not in checks:
                known = ", ".join(checks)
                problems.append(
                    Problem(path, f"unknown option (a {kind} nudge has: {known})", "key")
                )
            elif (message := checks[key](value)) is not None:
                problems.append(Problem(path, message))
    return problems


def default_config_text() -> str:
    """The packaged default config (the same file as ``config/habitd.toml``)."""
    return default_config_path().read_text(encoding="utf-8")


def default_config_path() -> Path:
    """Where the packaged default config lives (a file in the package: no
    ``importlib.resources`` on the client's path)."""
    return Path(__file__).with_name("data") / "habitd.toml"


def read_config(paths: Paths) -> Config:
    """The config file, or the packaged default when none exists and none was asked for."""
    if paths.config_file.exists() or paths.config_explicit:
        return load(paths.config_file)
    import logging

    logging.getLogger("habitd.config").info(
        "no config at %s; using the packaged default (write yours with `habitd init`)",
        paths.config_file,
    )
    return load(default_config_path())


def load(path: Path) -> Config:
    """Read and validate ``path``. Raises :class:`ConfigError` with every problem found, or
    when others could write the file (it says where plugins come from: see
    :mod:`habitd.trust`)."""
    from habitd.trust import problem

    unsafe = problem(path) if path.exists() else None
    if unsafe:
        raise ConfigError([f"{path}: not read: {unsafe}"])
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([f"{path}: no such file (create one with `habitd init`)"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([f"{path}: cannot read: {exc}"]) from None
    return loads(text, path)


def loads(text: str, source: Path) -> Config:
    """Parse and validate TOML ``text`` that came from ``source``."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([_syntax_error(source, text, str(exc))]) from None
    except RecursionError:
        raise ConfigError([f"{source}: nested too deeply to be a habitd config"]) from None
    problems: list[Problem] = []
    config = _build(data, source, text, problems)
    if problems:
        raise ConfigError(format_problems(source, text, problems), problems, config)
    return config


def format_problems(source: Path, text: str, problems: list[Problem]) -> list[str]:
    """Render problems as ``file:line:col: key.path: message``, sorted by position."""
    from habitd.sourcemap import SourceMap, dotted

    where = SourceMap(text)
    rendered: list[tuple[int, int, str]] = []
    for problem in problems:
        if problem.where is not None:
            key = dotted(problem.path)
            label = f"{key}: " if key else ""
            rendered.append((1 << 30, 0, f"{problem.where}: {label}{problem.message}"))
            continue
        position = where.locate(problem.path)
        line, col = (0, 0)
        if position:
            line = position.line
            col = position.key_col if problem.at == "key" else position.value_col
        prefix = f"{source}:{line}:{col}" if position else f"{source}"
        rendered.append((line, col, f"{prefix}: {dotted(problem.path)}: {problem.message}"))
    return [text for _, _, text in sorted(rendered, key=lambda item: (item[0], item[1]))]


def _syntax_error(source: Path, text: str, message: str) -> str:
    match = re.match(r"^(.*) \(at line (\d+), column (\d+)\)$", message)
    end = re.match(r"^(.*) \(at end of document\)$", message)
    if match:
        reason, line, col = match[1], int(match[2]), int(match[3])
    elif end:
        lines = text.splitlines() or [""]
        reason, line, col = f"{end[1]} at the end of the file", len(lines), len(lines[-1]) + 1
    else:
        return f"{source}: TOML syntax: {message}"
    from habitd.sourcemap import SourceMap, dotted

    lines = text.splitlines()
    here = lines[line - 1].strip() if 0 < line <= len(lines) else ""
    if here.startswith("["):  # a broken table header: name it, not the key before it
        key = f"the table header {here[:40]!r}"
    else:
        path = SourceMap(text).path_at_line(line)
        key = dotted(path) if path else "(top)"
    return f"{source}:{line}:{col}: {key}: TOML syntax: {reason}"


# --- building typed objects -------------------------------------------------------------------


class TableReader:
    """Reads one TOML table, recording a problem (and returning a default) on every bad value.

    Public so that plugins can validate their own TOML (``[plugins.NAME]``, extra files) with
    the same messages and key paths: ``get(key, type, default, convert, required)``,
    ``check_keys(allowed)`` and ``problem(key, message)``.
    """

    def __init__(self, table: Mapping[str, Any], path: KeyPath, problems: list[Problem]) -> None:
        self.table = table
        self.path = path
        self.problems = problems

    def check_keys(self, allowed: tuple[str, ...]) -> None:
        for key in self.table:
            if key not in allowed:
                hint = _close_matches(key, allowed)
                advice = (
                    f"did you mean {hint[0]!r}?" if hint else f"known keys: {', '.join(allowed)}"
                )
                self.problem(key, f"unknown key ({advice})", at="key")

    def problem(self, key: str | int | None, message: str, at: str = "value") -> None:
        path = self.path if key is None else (*self.path, key)
        self.problems.append(Problem(path, message, at))

    def get(
        self,
        key: str,
        kind: type[_T] | tuple[type, ...],
        default: _T,
        convert: Callable[[Any], Any] | None = None,
        required: bool = False,
    ) -> Any:
        if key not in self.table:
            if required:
                self.problem(None, f"missing required key {key!r}", at="key")
            return default
        value = self.table[key]
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
            expected = (
                kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            )
            self.problem(key, f"expected {_type_word(expected)}, got {_describe(value)}")
            return default
        if convert is None:
            return value
        try:
            return convert(value)
        except ValueError as exc:
            self.problem(key, str(exc))
            return default


def _type_word(name: str) -> str:
    words = {
        "str": "a string",
        "int": "an integer",
        "bool": "true or false",
        "list": "a list",
        "dict": "a table",
        "float": "a number",
        "datetime": "a date and time",
    }
    if name == "str or time":
        return 'a time like "08:30"'
    if name == "int or float":
        return "a number"
    return " or ".join(words.get(part, part) for part in name.split(" or "))


def _describe(value: Any) -> str:
    kinds = {
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "a table",
    }
    return f"{kinds.get(type(value), type(value).__name__)} ({_short(value)})"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _clock(value: Any) -> time:
    if isinstance(value, time):
        return value.replace(second=0, microsecond=0)
    return parse_clock(value)


def _id(value: str) -> str:
    if not ID_PATTERN.match(value):
        raise ValueError(f"ids use lowercase letters, digits and '-', got {value!r}")
    return value


def _timezone(value: str) -> str:
    if value == "local":
        return value
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f'unknown time zone {value!r}; use "local" or an IANA name like "Europe/Berlin"'
        ) from None
    return value


def _choice(options: tuple[str, ...]) -> Callable[[str], str]:
    def check(value: str) -> str:
        if value not in options:
            hint = _close_matches(value, options)
            suggestion = f" (did you mean {hint[0]!r}?)" if hint else ""
            raise ValueError(f"expected one of {', '.join(options)}, got {value!r}{suggestion}")
        return value

    return check


def _target(value: str) -> str:
    match = _TARGET.match(value)
    if not match:
        raise ValueError(f"expected daily, weekly, N/week or N/D (like 5/7), got {value!r}")
    if match[2] and not 1 <= int(match[2]) <= 7:
        raise ValueError(f"times per week must be 1 to 7, got {value!r}")
    if match[3] and not 1 <= int(match[3]) <= int(match[4]):
        raise ValueError(f"N/D needs 1 <= N <= D, got {value!r}")
    return value


def _positive(value: str) -> timedelta:
    duration = parse_duration(value)
    if not duration:
        raise ValueError(f"the duration must be more than zero, got {value!r}")
    return duration


NUDGE_EVERY_AT_LEAST = timedelta(minutes=1)
"""A nudge is a notification and a row in history each time: not more often than this."""


_TOP_KEYS = ("habitd", "nudge", "habit", "support", "plugins")
_SETTINGS_KEYS = (
    "timezone",
    "day_starts",
    "notifier",
    "quiet_hours",
    "terminal",
    "tray",
    "nudge_timeout",
)
_NUDGE_KEYS = (
    "id",
    "kind",
    "at",
    "every",
    "between",
    "cron",
    "date",
    "days",
    "jitter",
    "habit",
    "title",
    "body",
    "options",
    "grace",
    "snooze",
    "catch_up",
    "repeat",
    "enabled",
)
HABIT_KEYS = (
    "id",
    "name",
    "target",
    "type",
    "threshold",
    "unit",
    "start",
    "paused",
    "counts",
    "cost_per_day",
    "currency",
)
_SCHEDULE_KEYS = ("at", "every", "between", "cron", "date", "days", "jitter")
_PLUGINS_KEYS = ("disabled", "paths")


def _build(data: dict[str, Any], source: Path, text: str, problems: list[Problem]) -> Config:
    top = TableReader(data, (), problems)
    top.check_keys(_TOP_KEYS)
    settings = _settings(top.get("habitd", dict, {}), problems)
    built_habits = _many(top.get("habit", list, []), ("habit",), problems, _habit)
    built_nudges = _many(top.get("nudge", list, []), ("nudge",), problems, _nudge)
    _unique(built_nudges, "nudge", problems)
    _unique(built_habits, "habit", problems)
    habits = [habit for _, habit in built_habits]
    nudges = [nudge for _, nudge in built_nudges]
    habit_ids = [habit.id for habit in habits]
    declared = [  # a habit with its own problem is still there: no "unknown habit" for it
        table.get("id") for table in top.get("habit", list, []) if isinstance(table, dict)
    ]
    for index, nudge in built_nudges:
        if nudge.habit in declared and nudge.habit not in habit_ids:
            continue
        if nudge.habit and nudge.habit not in habit_ids:
            known = ", ".join(habit_ids) or "none yet (add a [[habit]] table)"
            problems.append(
                Problem(
                    ("nudge", index, "habit"),
                    f"unknown habit {nudge.habit!r}; defined habits: {known}",
                )
            )
    plugins = _plugins(top.get("plugins", dict, {}), source, problems)
    support = top.get("support", dict, {})
    positions = {
        "nudge": tuple(index for index, _ in built_nudges),
        "habit": tuple(index for index, _ in built_habits),
    }
    return Config(source, settings, tuple(nudges), tuple(habits), plugins, text, support, positions)


def _settings(table: Mapping[str, Any], problems: list[Problem]) -> Settings:
    read = TableReader(table, ("habitd",), problems)
    read.check_keys(_SETTINGS_KEYS)
    return Settings(
        timezone=read.get("timezone", str, "local", _timezone),
        day_starts=read.get("day_starts", (str, time), time(4, 0), _clock),
        notifier=read.get("notifier", str, "auto", _choice(NOTIFIERS)),
        quiet_hours=read.get("quiet_hours", (str, dict), None, parse_quiet_hours),
        terminal=read.get("terminal", str, None),
        tray=read.get("tray", bool, True),
        nudge_timeout=read.get("nudge_timeout", str, timedelta(0), _timeout),
    )


def _timeout(value: str) -> timedelta:
    if value.strip() in ("0", "0s", "never", "none"):
        return timedelta(0)
    duration = parse_duration(value)
    if duration < timedelta(seconds=1) or duration > timedelta(days=1):
        raise ValueError(f'{value!r}: give 0 (stay until answered) or 1s to 24h, like "2m"')
    return duration


def _many(
    items: list[Any],
    path: KeyPath,
    problems: list[Problem],
    build: Callable[[Mapping[str, Any], KeyPath, list[Problem]], _T | None],
) -> list[tuple[int, _T]]:
    """The items that are valid, each with its index in the file."""
    built: list[tuple[int, _T]] = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            problems.append(Problem((*path, index), f"expected a table, got {_describe(item)}"))
            continue
        value = build(item, (*path, index), problems)
        if value is not None:
            built.append((index, value))
    return built


def _unique(items: Sequence[tuple[int, Nudge | Habit]], what: str, problems: list[Problem]) -> None:
    seen: dict[str, int] = {}
    for index, item in items:
        if item.id in seen:
            problems.append(
                Problem(
                    (what, index, "id"),
                    f"duplicate {what} id {item.id!r} (first used by {what}[{seen[item.id]}])",
                )
            )
        seen.setdefault(item.id, index)


def habit_table(habit: Habit) -> dict[str, Any]:
    """The ``[[habit]]`` table that reads back as ``habit``: every key of :data:`HABIT_KEYS`
    that holds a value (dates as text, vacations as ranges), for exports and imports."""
    table: dict[str, Any] = {}
    for key in HABIT_KEYS:
        value = getattr(habit, key)
        if value is None or value in ("", ()):
            continue
        if key == "start":
            value = value.isoformat()
        elif key == "paused":
            value = [f"{first.isoformat()}..{last.isoformat()}" for first, last in value]
        elif isinstance(value, float) and value.is_integer():
            value = int(value)
        table[key] = value
    return table


def _habit(table: Mapping[str, Any], path: KeyPath, problems: list[Problem]) -> Habit | None:
    read = TableReader(table, path, problems)
    read.check_keys(HABIT_KEYS)
    before = len(problems)
    habit_id = read.get("id", str, "", _id, required=True)
    kind = read.get("type", str, "yes-no", _choice(HABIT_TYPES))
    threshold = read.get("threshold", (int, float), None, _not_negative)
    if kind in ("at-least", "at-most") and "threshold" not in table:
        read.problem(None, f"an {kind} habit needs a threshold (like threshold = 6)", at="key")
    if kind not in ("at-least", "at-most") and "threshold" in table:
        read.problem(
            "threshold", f"a threshold only goes with at-least or at-most, not {kind}", at="key"
        )
    counts = read.get("counts", str, None, _activity)
    cost = read.get("cost_per_day", (int, float), None, _not_negative)
    if cost is not None and kind != "abstain":
        read.problem("cost_per_day", f"cost_per_day goes with abstain habits, not {kind}", at="key")
    if counts is not None and kind not in ("yes-no",):
        read.problem("counts", f"counts goes with yes-no habits, not {kind}", at="key")
    paused = read.get("paused", list, [])
    ranges = []
    for position, text in enumerate(paused):
        try:
            ranges.append(parse_pause_range(text))
        except ValueError as exc:
            read.problem("paused", f"item {position}: {exc}")
    habit = Habit(
        id=habit_id,
        name=read.get("name", str, habit_id),
        target=read.get("target", str, "daily", _target),
        type=kind,
        threshold=float(threshold) if threshold is not None else None,
        unit=read.get("unit", str, ""),
        start=read.get("start", (str, date), None, _date),
        paused=tuple(ranges),
        counts=counts,
        cost_per_day=float(cost) if cost is not None else None,
        currency=read.get("currency", str, ""),
    )
    return habit if len(problems) == before else None


def _activity(value: str) -> str:
    if value in ACTIVITIES or re.match(r"^[a-z0-9-]+:[a-z0-9-]+$", value):
        return value
    import difflib

    hint = difflib.get_close_matches(value, ACTIVITIES, n=1)
    suggestion = f" (did you mean {hint[0]!r}?)" if hint else ""
    raise ValueError(
        f"unknown activity {value!r}{suggestion}; a habit counts {', '.join(ACTIVITIES)}, or "
        "a plugin's PLUGIN:WORD"
    )


def _not_empty(value: str) -> str:
    if not value.strip():
        raise ValueError("an empty title shows an empty notification; leave it out for the default")
    return value


def _not_negative(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError(f"expected a number, got {value}")
    if value < 0:
        raise ValueError(f"expected zero or more, got {value:g}")
    return value


def _date(value: str | date) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"expected a date as YYYY-MM-DD, got {value!r}") from None


def parse_schedule(table: Mapping[str, Any]) -> Schedule:
    """A :class:`Schedule` from the keys a nudge uses (``at``, ``every``, ``between``, ``cron``,
    ``date``, ``days``, ``jitter``), for plugins' jobs. Raises ``ValueError`` naming each problem.
    """
    problems: list[Problem] = []
    read = TableReader(table, (), problems)
    read.check_keys(_SCHEDULE_KEYS)
    schedule = _schedule(read, "a schedule")
    if problems:
        from habitd.sourcemap import dotted

        raise ValueError(
            "; ".join(f"{dotted(p.path) or 'schedule'}: {p.message}" for p in problems)
        )
    return schedule


def _schedule(read: TableReader, what: str) -> Schedule:
    table = read.table
    at = read.get("at", (list, str), [])
    at_times: list[time] = []
    for position, value in enumerate([at] if isinstance(at, str) else at):
        try:
            moment = _clock(value)
        except ValueError as exc:
            read.problem("at", str(exc) if isinstance(at, str) else f"item {position}: {exc}")
            continue
        if moment in at_times:
            read.problem("at", f"item {position}: {moment:%H:%M} is listed twice")
        at_times.append(moment)
    schedule = Schedule(
        at=tuple(sorted(set(at_times))),
        every=read.get("every", str, None, _positive),
        between=read.get("between", str, None, parse_range),
        cron=read.get("cron", str, None, _cron),
        date=read.get("date", (str, datetime), None, parse_local_datetime),
        days=read.get("days", (str, list), (0, 1, 2, 3, 4, 5, 6), parse_days),
        jitter=read.get("jitter", str, timedelta(0), parse_duration),
    )
    chosen = [key for key in ("at", "every", "cron", "date") if key in table]
    if len(chosen) != 1:
        found = " and ".join(chosen) if chosen else "none"
        read.problem(
            None, f"{what} needs exactly one of at, every, cron or date (found {found})", at="key"
        )
    if "between" in table and "every" not in table:
        read.problem("between", "'between' only goes with 'every'", at="key")
    if "days" in table and ("cron" in table or "date" in table):
        read.problem(
            "days", "'days' goes with 'at' or 'every'; a cron or date says its own days", at="key"
        )
    return schedule


def _nudge(table: Mapping[str, Any], path: KeyPath, problems: list[Problem]) -> Nudge | None:
    read = TableReader(table, path, problems)
    read.check_keys(_NUDGE_KEYS)
    before = len(problems)
    schedule = _schedule(read, "a nudge")
    if schedule.every is not None and timedelta(0) < schedule.every < NUDGE_EVERY_AT_LEAST:
        read.problem(
            "every",
            f"every {table.get('every')} is too often for a nudge (a notification and a row "
            "each time); at least 1m",
        )
    if "repeat" in table and "habit" not in table:
        read.problem(
            "repeat", "'repeat' asks again until a habit is answered: add habit = ...", at="key"
        )
    options = read.get("options", dict, {})
    nudge = Nudge(
        id=read.get("id", str, "", _id, required=True),
        kind=read.get("kind", str, "reminder"),
        schedule=schedule,
        habit=read.get("habit", str, None),
        title=read.get("title", str, None, _not_empty),
        body=read.get("body", str, None),
        options=options,
        grace=read.get("grace", str, timedelta(hours=1), parse_duration),
        snooze=read.get("snooze", str, timedelta(minutes=15), _positive),
        catch_up=read.get("catch_up", bool, True),
        repeat=read.get("repeat", str, None, _positive),
        enabled=read.get("enabled", bool, True),
    )
    return nudge if len(problems) == before else None


def _cron(value: str) -> str:
    fields = value.split()
    if len(fields) != 5:
        raise ValueError(
            f"a cron expression has 5 fields (minute hour day month weekday), "
            f"got {len(fields)} in {value!r}"
        )
    from habitd.schedule import cron_trigger

    try:
        cron_trigger(value, "UTC")
    except ValueError as exc:
        raise ValueError(f"invalid cron expression {value!r}: {exc}") from None
    return value


def _plugins(table: Mapping[str, Any], source: Path, problems: list[Problem]) -> PluginsConfig:
    read = TableReader(table, ("plugins",), problems)
    disabled = read.get("disabled", list, [])
    paths = read.get("paths", list, [])
    settings: dict[str, Mapping[str, Any]] = {}
    for key, value in table.items():
        if key in _PLUGINS_KEYS:
            continue
        if isinstance(value, dict):
            settings[key] = value
        else:
            read.problem(
                key,
                f"expected a [plugins.{key}] table of that plugin's settings, "
                f"got {_describe(value)}",
                at="key",
            )
    for name, where in (("disabled", disabled), ("paths", paths)):
        if not all(isinstance(item, str) for item in where):
            read.problem(name, "expected a list of strings")
    folders = tuple(
        (source.parent / Path(item).expanduser()) for item in paths if isinstance(item, str)
    )
    names = tuple(item for item in disabled if isinstance(item, str))
    return PluginsConfig(disabled=names, paths=folders, settings=settings)


def _close_matches(word: str, options: Sequence[str]) -> list[str]:
    """The closest option to a mistyped ``word`` (for "did you mean"), if any is close."""
    import difflib

    return difflib.get_close_matches(word, options, n=1)
