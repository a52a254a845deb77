"""``habitd doctor``: a checklist for when nudges do not show."""

from __future__ import annotations

import sys

import click

from habitd.cli import Context, emit_json


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def doctor(obj: Context, as_json: bool) -> None:
    """Check the bus, the notification server, the daemon, the unit, config and permissions."""
    import asyncio

    from habitd.doctor import examine
    from habitd.paths import resolve

    findings = asyncio.run(examine(resolve(obj.config)))
    if as_json:
        emit_json([finding.as_json() for finding in findings])
    else:
        for finding in findings:
            mark = click.style("ok ", fg="green") if finding.ok else click.style("!! ", fg="red")
            click.echo(f"{mark} {finding.check}: {finding.detail}")
            if finding.fix:
                click.echo(f"    fix: {finding.fix}")
    sys.exit(0 if all(finding.ok for finding in findings) else 1)
