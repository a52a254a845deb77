"""The ``habitd`` command: parse, call an App method, render.

It must feel instant, so at import it loads only click, json, os and socket (through
:mod:`habitd.ipc`). Commands talk to the daemon over its socket; when none answers they
run the same App method in-process (:mod:`habitd.local`) and say so once on stderr.
Heavy modules load only inside the commands that need them, and plugins' own commands
are looked up only when the name typed is not a built-in one.

Exit codes: 0 ok, 1 error, 2 usage, 3 the daemon is needed and not running.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, NoReturn

import click

from habitd import __version__, ipc
from habitd.paths import socket_path

EXIT_NO_DAEMON = 3


class Context:
    """What every command shares: the config override and whether we warned already."""

    def __init__(self, config: str | None) -> None:
        self.config = config
        self.warned = False
        self.local: Any = None
        """The in-process data (:class:`habitd.local.Local`), once a call needed it."""

    def in_process(self) -> Any:
        """The command's one in-process :class:`habitd.local.Local`, closed when it ends."""
        if self.local is None:
            from habitd.local import Local

            self.local = Local(self.config)
            click.get_current_context().find_root().call_on_close(self.local.close)
        return self.local


def fail(message: str, code: int = 1) -> NoReturn:
    """Print ``message`` to stderr (one ``habitd:`` prefix per line) and exit with ``code``."""
    for line in message.splitlines() or [""]:
        click.echo(f"habitd: {line}", err=True)
    sys.exit(code)


WRITES = frozenset(
    (
        "done",
        "skip",
        "lapse",
        "unmark",
        "snooze",
        "pause",
        "resume",
        "entry_add",
        "entry_edit",
        "entry_delete",
        "import_data",
        "import_undo",
    )
)
"""Methods that take an idempotency ``key``: the client makes one per command, so a retry
(after the daemon died or hung before answering) can never write twice."""
READS = frozenset(("entries", "entry", "history", "vocabulary", "help_now", "urge_help"))
"""The core's reads: safe to answer in-process when the daemon is stuck or busy (help in a
hard moment must not wait on a hung daemon)."""
SAFE_IN_PROCESS = WRITES | READS

WRITE_PATIENCE = 2.0
"""Seconds a write waits for the daemon's answer before it saves in-process with the same
key (a write takes milliseconds on the daemon's writer; one unanswered for this long is
stuck behind something, and the person must not wait; the key keeps it to one write)."""


def hung_message(timeout: float) -> str:
    """What to say when the daemon took a request and did not answer."""
    return (
        f"habitd did not answer in {timeout:g} s (it may be stuck: `systemctl --user restart "
        "habitd`, or stop it and run the command again)"
    )


def call(method: str, need_daemon: bool = False, **params: Any) -> Any:
    """Call an App method on the daemon, or in-process when none answers.

    A write carries a fresh key. When the daemon dies or does not answer it within
    :data:`WRITE_PATIENCE` seconds, the same call runs in-process with the same key: if the
    daemon had already saved it (or saves it later), the first result comes back and
    nothing is written twice."""
    ctx = click.get_current_context().find_object(Context)
    assert ctx is not None
    params = {key: value for key, value in params.items() if value is not None}
    if method in WRITES:
        params.setdefault("key", os.urandom(16).hex())
    patience = min(ipc.client_timeout(), WRITE_PATIENCE) if method in WRITES else None
    try:
        return ipc.call(socket_path(), method, params, patience)
    except ipc.Busy:
        if need_daemon or method not in SAFE_IN_PROCESS:
            fail("habitd is busy (too many connections); try again in a moment")
        click.echo("habitd: the daemon is busy; working on your data directly", err=True)
        ctx.warned = True
    except ipc.NoAnswer as exc:
        if need_daemon or method not in SAFE_IN_PROCESS:
            fail(hung_message(exc.timeout))
        click.echo(f"habitd: {hung_message(exc.timeout)}; working on your data directly", err=True)
        ctx.warned = True
    except ipc.Dropped:
        if need_daemon:
            fail("the daemon stopped before answering", EXIT_NO_DAEMON)
        click.echo(
            "habitd: the daemon stopped before answering; working on your data directly", err=True
        )
        ctx.warned = True
    except ipc.NoDaemon:
        if need_daemon:
            fail(
                "the daemon is not running (start it with `habitd run` or "
                "`systemctl --user start habitd`)",
                EXIT_NO_DAEMON,
            )
    except ipc.RemoteError as exc:
        from habitd.errors import DatabaseGone

        if exc.code == DatabaseGone.rpc_code and not need_daemon and method in SAFE_IN_PROCESS:
            click.echo(f"habitd: {exc.message}", err=True)
            click.echo("habitd: working on your data directly", err=True)
            ctx.warned = True
        else:
            lines = (exc.data or {}).get("lines") if isinstance(exc.data, dict) else None
            fail(
                "\n".join(lines) if lines else exc.message,
                EXIT_NO_DAEMON if exc.code == 4 else 1,
            )
    if not ctx.warned:
        click.echo("habitd: the daemon is not running; working on your data directly", err=True)
        ctx.warned = True
    from habitd.errors import HabitdError

    try:
        return ctx.in_process().call(method, params)
    except HabitdError as exc:
        fail(exc.message, exc.exit_code)


def here(method: str, **params: Any) -> Any:
    """One of the core's reads, run in this process without asking the daemon: what a hard
    moment needs (help now, the help after a strong urge) never waits on a daemon that is
    stuck or slow. Raises :class:`habitd.errors.HabitdError` with a message to show."""
    if method not in READS:
        raise ValueError(f"{method} is not one of the core's reads")
    ctx = click.get_current_context().find_object(Context)
    assert ctx is not None
    return ctx.in_process().call(method, params)


def emit_json(value: Any) -> None:
    """Machine output: JSON on stdout."""
    click.echo(json.dumps(value, indent=2, default=str))


def when(text: str | None) -> str:
    """An ISO timestamp as a short local time, e.g. ``Wed 25 Nov 08:30`` (with the year
    when it is not this year's: ``Mon 10 Sep 2300 08:30``)."""
    if not text:
        return "-"
    moment = datetime.fromisoformat(text).astimezone()
    from habitd.clock import utc_now

    same_year = moment.year == utc_now().astimezone().year
    return moment.strftime("%a %d %b %H:%M" if same_year else "%a %d %b %Y %H:%M")


def fact(key: str, value: Any) -> str:
    """A ``key: value`` fact as people read it: ``answered today 3/5``, ``in quiet hours``,
    a time as a local time; None for a fact that is off (False, None)."""
    label = key.replace("_", " ")
    if value is True:
        return label
    if value is False or value is None:
        return ""
    if isinstance(value, str) and len(value) >= 16 and value[4:5] == "-" and "T" in value:
        try:
            return f"{label} {when(value)}"
        except ValueError:
            pass
    return f"{label} {value}"


def marked_day(result: dict[str, Any]) -> str:
    """The day an answer counted for, as people read it: ``Wed 25 Nov``, and, between
    midnight and ``day_starts``, why it is the evening before."""
    from habitd.clock import describe_day, utc_now

    day = date.fromisoformat(result["day"])
    text = describe_day(day, utc_now().date())
    if result.get("day_starts"):
        text += f" (before {result['day_starts']} it still counts for the evening before)"
    return text


def table(rows: Sequence[Sequence[Any]], headers: Sequence[str]) -> None:
    """Print aligned columns."""
    cells = [[str(h) for h in headers]] + [["" if c is None else str(c) for c in r] for r in rows]
    widths = [max(len(click.unstyle(row[i])) for row in cells) for i in range(len(headers))]
    for number, row in enumerate(cells):
        line = "  ".join(
            cell + " " * (width - len(click.unstyle(cell)))
            for cell, width in zip(row, widths, strict=True)
        )
        click.echo(click.style(line.rstrip(), bold=True) if number == 0 else line.rstrip())


BUILTIN_COMMANDS = {
    "init": "setup:init",
    "config": "setup:config_group",
    "run": "daemon:run",
    "status": "daemon:status",
    "reload": "daemon:reload",
    "next": "nudges:next_",
    "trigger": "nudges:trigger",
    "history": "nudges:history",
    "snooze": "nudges:snooze",
    "pause": "nudges:pause",
    "resume": "nudges:resume",
    "done": "answers:done",
    "skip": "answers:skip",
    "unmark": "answers:unmark",
    "plugins": "plugins:plugins_",
    "doctor": "doctor:doctor",
    "service": "service:service",
    "lapse": "goals:lapse",
    "streaks": "goals:streaks",
    "habit": "goals:habit",
    "export": "goals:export",
    "import": "imports:import_",
    "breathe": "mindfulness:breathe",
    "practices": "mindfulness:practices",
    "surf": "mindfulness:surf",
    "journal": "journal:journal",
    "urge": "journal:urge",
    "thought": "journal:thought",
    "entries": "journal:entries",
    "entry": "journal:entry",
    "contacts": "support:contacts",
    "reached": "support:reached",
    "help-now": "support:help_now",
    "report": "insights:report",
    "plugin": "plugin:plugin",
    "backup": "backup:backup",
    "completion": "setup:completion",
    "restore": "backup:restore",
}
"""Command name -> ``module:attribute`` in :mod:`habitd.commands`, imported on first use."""


COMMANDS_GROUP = "habitd.commands"
"""Entry-point group for plugin packages' commands: ``name = "module:command"``. Typing
the name imports that module alone; ``--help`` lists the names without importing them."""


class HabitdGroup(click.Group):
    """Click's lazy-loading group: a built-in command's module is imported only when that
    command runs, a plugin package's command (entry-point group ``habitd.commands``) only
    when it is typed, and plugins are asked through ``habitd_commands`` only when a name is
    found in neither."""

    listing = False
    """True while ``--help`` lists the commands: a plugin's command is then described from
    the index (:mod:`habitd.commandindex`), never imported."""

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in BUILTIN_COMMANDS:
            import importlib

            module, attribute = BUILTIN_COMMANDS[cmd_name].split(":")
            command = getattr(importlib.import_module(f"habitd.commands.{module}"), attribute)
            assert isinstance(command, click.Command)
            return command
        declared = _declared_commands()
        if cmd_name in declared:
            return _load_declared(cmd_name, declared[cmd_name])
        known, incomplete = _plugin_command_index(ctx)
        if cmd_name in known and self.listing:
            return click.Command(cmd_name, short_help=known[cmd_name])
        if cmd_name not in known and (not incomplete or _near(cmd_name, [*declared, *known])):
            return None  # a typo: refused without importing a single plugin
        return _plugin_commands(ctx, IMPORT_PATIENCE).get(cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        known, _ = _plugin_command_index(ctx)
        return sorted({*BUILTIN_COMMANDS, *_declared_commands(), *known})

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        self.listing = True
        try:
            super().format_commands(ctx, formatter)
        finally:
            self.listing = False

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; a file or folder it cannot use, or an output it cannot write
        (``/dev/full``, a closed pipe), is said in one line, never a traceback."""
        try:
            result = super().invoke(ctx)
            sys.stdout.flush()
            return result
        except OSError as exc:
            said = exc.strerror or str(exc)
            if exc.filename is None:  # the output itself
                _quiet_stdout()
                fail(f"could not write the output: {said}")
            fail(f"cannot use {exc.filename}: {said} (is a folder missing, read-only or full?)")


def _quiet_stdout() -> None:
    """An output that failed is done with: point it at /dev/null, so the flush when Python
    exits does not fail again and print a traceback of its own."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def _declared_commands() -> dict[str, tuple[str, str]]:
    """Plugin packages' commands: name -> (``module:attribute``, package), read from the
    installed packages' ``entry_points.txt`` (importlib.metadata would cost ~30 ms of
    imports on every plugin command); only those ``$HABITD_INSTALLED_PLUGINS`` names when it
    is set. Two packages declaring one name, or one taking a built-in's name, is an error
    naming both."""
    from habitd.paths import installed_plugins_allowed

    allowed = installed_plugins_allowed()
    found: dict[str, tuple[str, str]] = {}
    seen: set[str] = set()
    for folder in sys.path:
        try:
            listing = sorted(os.listdir(folder or "."))
        except OSError:
            continue
        for item in listing:
            if not item.endswith((".dist-info", ".egg-info")):
                continue
            package = item.rsplit(".", 1)[0].split("-")[0].lower().replace("_", "-")
            if package in seen:  # the first on sys.path is the one Python imports
                continue
            seen.add(package)
            try:
                with open(os.path.join(folder or ".", item, "entry_points.txt")) as file:
                    text = file.read()
            except OSError:
                continue
            for name, value in _entry_points(text, COMMANDS_GROUP):
                if allowed is not None and name not in allowed:
                    continue
                if name in BUILTIN_COMMANDS:
                    fail(
                        f"plugin command {name!r} from {package} ({value}) has the name of a "
                        "built-in command; uninstall or update that package"
                    )
                if name in found:
                    first_value, first_package = found[name]
                    fail(
                        f"two plugins declare the command {name!r}: {first_package} "
                        f"({first_value}) and {package} ({value}); uninstall one"
                    )
                found[name] = (value, package)
    return found


def _entry_points(text: str, group: str) -> list[tuple[str, str]]:
    """``name = value`` lines of one ``[group]`` of an ``entry_points.txt``."""
    found, inside = [], False
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("["):
            inside = line == f"[{group}]"
        elif inside and "=" in line and not line.startswith(("#", ";")):
            name, value = (part.strip() for part in line.split("=", 1))
            found.append((name, value))
    return found


def _load_declared(name: str, declared: tuple[str, str]) -> click.Command:
    import importlib

    value, package = declared
    module, _, attribute = value.partition(":")
    try:
        command = importlib.import_module(module.strip())
        for part in attribute.strip().split(".") if attribute else ():
            command = getattr(command, part)
    except Exception as exc:
        fail(f"the command {name!r} of {package} ({value}) could not load: {exc}")
    if not isinstance(command, click.Command):
        fail(f"the command {name!r} of {package} ({value}) is not a click command")
    return command


HELP_PATIENCE = 1.5
"""Seconds each plugin may take to import when the client lists commands (``--help``)
without a current index; one slower is left out and named in the index."""
IMPORT_PATIENCE = 5.0
"""Seconds each plugin may take to import when the person typed a command the index does
not know (its plugin may be one that was slow)."""


def _near(name: str, others: list[str]) -> bool:
    """Whether ``name`` is a near miss of a command (``staus``): a typo, not a command of
    a plugin that was too slow to say what it offers."""
    import difflib

    return bool(difflib.get_close_matches(name, [*BUILTIN_COMMANDS, *others], n=1, cutoff=0.75))


def _plugin_command_index(ctx: click.Context) -> tuple[dict[str, str], list[str]]:
    """The plugins' commands (name -> short help) and the plugins that did not load in
    time, from the index while it is current, else from the plugins (then kept)."""
    from habitd import commandindex
    from habitd.paths import resolve

    paths = resolve(ctx.find_root().params.get("config"))
    current = commandindex.signature(paths.config_file, paths.plugins_dir)
    found = commandindex.read(paths.state_dir, current)
    if found is not None:
        return found["commands"], found["incomplete"]
    commands = _plugin_commands(ctx, HELP_PATIENCE)
    known = {name: command.get_short_help_str(limit=80) for name, command in commands.items()}
    incomplete = sorted(_SLOW)
    commandindex.write(paths.state_dir, current, known, incomplete)
    return known, incomplete


_LOADED: dict[float, dict[str, click.Command]] = {}
"""The plugins' commands this process loaded, by the import patience they had."""
_SLOW: set[str] = set()
"""Plugins whose import took longer than this process gave them."""


def _plugin_commands(ctx: click.Context, patience: float) -> dict[str, click.Command]:
    """Commands from plugins' ``habitd_commands`` hook (loads plugins, not the store), each
    import given ``patience`` seconds; plugins are loaded once per process unless one was
    too slow for the patience they had."""
    for had, loaded in _LOADED.items():
        if had >= patience or not _SLOW:
            return loaded
    from habitd.config import ConfigError, default_config_path, load, read_config
    from habitd.paths import resolve
    from habitd.plugins import PluginHost

    # the group's own options are parsed before a subcommand is looked up: --config counts
    paths = resolve(ctx.find_root().params.get("config"))
    try:
        config = read_config(paths)
    except ConfigError:
        config = load(default_config_path())
    host = PluginHost(import_timeout=patience)
    host.load(config, paths.plugins_dir)
    commands: dict[str, click.Command] = {}
    for _name, found in host.call_direct("habitd_commands"):
        for command in found or ():
            if command.name:
                commands.setdefault(command.name, command)
    _SLOW.update(host.slow_imports)
    host.close()
    _LOADED[patience] = commands
    return commands


def _print_version(ctx: click.Context, value: bool) -> None:
    # click.version_option would import locale: this costs nothing on the fast path
    if value and not ctx.resilient_parsing:
        click.echo(f"habitd, version {__version__}")
        ctx.exit()


@click.group(cls=HabitdGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config",
    type=click.Path(dir_okay=False),
    envvar="HABITD_CONFIG",
    help="Config file (default: the one in your config dir; env HABITD_CONFIG).",
)
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=lambda ctx, _param, value: _print_version(ctx, value),
    help="Show the version and exit.",
)
@click.pass_context
def main(ctx: click.Context, config: str | None) -> None:
    """habitd: kind nudges, a private journal and your streaks, all on your own machine.

    Start the daemon with `habitd run` (or as a user service), then answer its nudges from
    the notification or from here.
    """
    ctx.obj = Context(config)
