"""``digitaly staff create``: accounts for the staff console (passwords hashed with argon2)."""

from __future__ import annotations

import asyncio
import sys

import click

from bot.adapters.mongo import open_store
from bot.adapters.staff import StaffDirectory
from bot.clock import utcnow
from bot.settings import Settings

__all__ = ["staff_group"]

_MIN_PASSWORD = 10


async def _create(settings: Settings, name: str, email: str, password: str) -> bool:
    async with open_store(settings, schema=False) as opened:
        staff = StaffDirectory(opened.db)
        await staff.ensure_indexes()
        created = await staff.create(name, email, password, utcnow())
        if created:
            await staff.record("cli", "staff.create", utcnow(), staff_account=email)
        return created


@click.group("staff")
def staff_group() -> None:
    """Accounts for the staff console (/console)."""


@staff_group.command("create")
@click.option("--name", required=True, help="The person's name, shown in the console.")
@click.option("--email", required=True, help="What they log in with.")
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from standard input (one line)."
)
def create_command(name: str, email: str, password_stdin: bool) -> None:
    """Create a console account; the password is asked twice (or read from stdin)."""
    from bot.cli import load_or_exit, resolved_settings

    if "@" not in email:
        raise click.BadParameter("an e-mail address", param_hint="--email")
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(password) < _MIN_PASSWORD:
        raise click.UsageError(f"the password needs at least {_MIN_PASSWORD} characters")
    with resolved_settings(load_or_exit()) as settings:
        created = asyncio.run(_create(settings, name, email, password))
    if not created:
        click.echo(f"digitaly: an account for {email} exists already", err=True)
        sys.exit(1)
    click.echo(f"Account created for {email}. Log in at /console.")
