"""Setting up: ``habitd init`` and ``habitd config``."""

from __future__ import annotations

import sys

import click

from habitd import ipc
from habitd.cli import Context, emit_json, fail, hung_message
from habitd.paths import socket_path


@click.command()
@click.option("--force", is_flag=True, help="Replace an existing config.")
@click.pass_obj
def init(obj: Context, force: bool) -> None:
    """Write a commented default config (if none exists)."""
    import os

    from habitd.config import default_config_text
    from habitd.paths import ensure_private_dir, resolve

    paths = resolve(obj.config)
    target = paths.config_file
    if target.exists() and not force:
        fail(f"{target} already exists; use --force to replace it")
    ensure_private_dir(target.parent)
    if target.exists():  # --force: the old one (contacts and all) is kept beside it
        from habitd.clock import utc_now

        kept = target.with_name(f"{target.name}.bak-{utc_now().astimezone():%Y%m%d-%H%M%S}")
        os.replace(target, kept)
        click.echo(f"kept the old config as {kept}")
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(default_config_text())
    click.echo(f"wrote {target}")
    click.echo("check it with `habitd config check`, then `habitd reload` if the daemon runs")


@click.group("config")
def config_group() -> None:
    """Check your config, or see where habitd keeps its files."""


@config_group.command("check")
@click.argument("path", required=False, type=click.Path(dir_okay=False))
@click.pass_obj
def config_check(obj: Context, path: str | None) -> None:
    """Validate a config: prints "ok" or every problem as file:line:col: key: message."""
    import asyncio
    from pathlib import Path

    from habitd.app import check_config
    from habitd.config import Config, ConfigError, load, read_config
    from habitd.paths import resolve

    paths = resolve(path or obj.config)

    async def check() -> tuple[Config, list[str]]:
        try:
            config = load(Path(path)) if path else read_config(paths)
        except ConfigError as exc:
            await check_config(exc, paths)  # raises, with the plugins' problems added
            raise
        return config, await check_config(config, paths)

    try:
        config, warnings = asyncio.run(check())
    except ConfigError as exc:
        for line in exc.lines:
            click.echo(line)
        sys.exit(1)
    click.echo(f"ok ({config.source})" if not path else "ok")
    for warning in warnings:
        click.echo(f"habitd: {warning}", err=True)
    from habitd import clock, helplines

    zone = str(clock.zone(config.settings.timezone))
    click.echo(f"crisis line: {helplines.choose(config.support, zone=zone).describe()}", err=True)


@config_group.command("path")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def config_path(obj: Context, as_json: bool) -> None:
    """Where the config, data, state and socket live."""
    from habitd.paths import resolve

    locations = resolve(obj.config).as_dict()
    if as_json:
        emit_json(locations)
        return
    for key, value in locations.items():
        click.echo(f"{key + ':':12} {value}")


@config_group.command("edit")
@click.pass_obj
def config_edit(obj: Context) -> None:
    """Edit the config in $VISUAL/$EDITOR, validated before it is saved (like visudo).

    You edit a copy; on save it is checked with every plugin. With problems, you see each
    one and go back into the editor (or quit, leaving the config as it was). Once valid,
    it replaces the config and a running daemon reloads it.
    """
    import asyncio
    import os
    import shlex
    import subprocess
    import tempfile
    from pathlib import Path

    from habitd.app import check_config
    from habitd.config import ConfigError, default_config_text, loads
    from habitd.paths import ensure_private_dir, resolve

    paths = resolve(obj.config)
    target = paths.config_file
    original = target.read_text(encoding="utf-8") if target.exists() else default_config_text()
    ensure_private_dir(target.parent)
    editor = shlex.split(os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi")
    fd, name = tempfile.mkstemp(prefix=".habitd-edit-", suffix=".toml", dir=target.parent)
    draft = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(original)

        async def check(text: str) -> None:
            try:
                config = loads(text, target)
            except ConfigError as exc:
                await check_config(exc, paths)  # every problem, the plugins' included
                raise
            await check_config(config, paths)

        while True:
            if subprocess.run([*editor, str(draft)], check=False).returncode != 0:
                fail(f"the editor ({' '.join(editor)}) failed; {target} is unchanged")
            text = draft.read_text(encoding="utf-8")
            if text == original:
                click.echo(f"no changes; {target} is unchanged")
                return
            try:
                asyncio.run(check(text))
            except ConfigError as exc:
                for line in exc.lines:
                    click.echo(line, err=True)
                try:
                    answer = click.prompt(
                        "(e)dit again or (q)uit without saving?",
                        type=click.Choice(["e", "q"]),
                        default="e",
                        err=True,
                    )
                except click.Abort:  # no one to answer (no terminal): keep the work
                    kept = target.with_name(target.name + ".draft")
                    os.replace(draft, kept)
                    fail(
                        f"{target} is unchanged; your edit is kept in {kept} "
                        "(fix it, then copy it in place)"
                    )
                if answer == "q":
                    click.echo(f"{target} is unchanged", err=True)
                    sys.exit(1)
                continue
            os.replace(draft, target)
            click.echo(f"saved {target}")
            break
    finally:
        draft.unlink(missing_ok=True)
    try:
        result = ipc.call(socket_path(), "reload")
    except ipc.NoDaemon:
        click.echo("the daemon is not running; it will read the new config when it starts")
    except ipc.NoAnswer as exc:
        fail(f"saved, but {hung_message(exc.timeout)}")
    except ipc.Busy:
        fail("saved, but habitd is busy; run `habitd reload` in a moment")
    except ipc.RemoteError as exc:
        fail(exc.message)
    else:
        click.echo(f"the daemon reloaded it: {result['nudges']} nudges")


@click.command("completion")
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]))
def completion(shell: str) -> None:
    """Print the shell completion script: `eval "$(habitd completion bash)"` in ~/.bashrc
    (zsh: ~/.zshrc; fish: `habitd completion fish | source`). Habit and nudge ids,
    practices and contacts complete from your config."""
    from habitd.completion import script

    click.echo(script(shell))
