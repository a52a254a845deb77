"""``habitd service``: install, remove and inspect the systemd user unit."""

from __future__ import annotations

import click

from habitd.cli import Context, fail


@click.group("service")
def service() -> None:
    """Run habitd as a systemd user service."""


@service.command("install")
@click.option("--now", is_flag=True, help="Also start it now.")
@click.pass_obj
def install(obj: Context, now: bool) -> None:
    """Write the unit for this install, then enable it (and start it with --now)."""
    from habitd import systemd
    from habitd.paths import resolve

    lines = systemd.install(resolve(obj.config), now, obj.config)
    for line in lines:
        click.echo(line)
    if now and not any(line.startswith("ran systemctl --user enable --now") for line in lines):
        fail("habitd was not started (see above); `habitd run` starts it by hand")


@service.command("uninstall")
def uninstall() -> None:
    """Stop and disable the service and remove its units."""
    from habitd import systemd

    for line in systemd.uninstall():
        click.echo(line)


@service.command("status")
def status() -> None:
    """Is the unit installed, enabled and active?"""
    from habitd import systemd

    for line in systemd.status():
        click.echo(line)
