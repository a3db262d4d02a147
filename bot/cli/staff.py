"""``digitaly staff create|list|disable|enable|reset-password``: accounts for the staff
console (passwords hashed with argon2). Messages are in Portuguese: staff read them."""

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


def _ask_password() -> str:
    return str(
        click.prompt(
            f"Senha (pelo menos {_MIN_PASSWORD} caracteres)",
            hide_input=True,
            confirmation_prompt="Repita a senha",
        )
    )


def _check_password(password: str) -> None:
    if len(password) < _MIN_PASSWORD:
        raise click.UsageError(f"a senha precisa de pelo menos {_MIN_PASSWORD} caracteres")


async def _change(settings: Settings, email: str, action: str, password: str = "") -> bool:
    async with open_store(settings, schema=False) as opened:
        staff = StaffDirectory(opened.db)
        if action == "staff.reset_password":
            done = await staff.reset_password(email, password)
        else:
            done = await staff.set_disabled(email, action == "staff.disable")
        if done:
            await staff.record("cli", action, utcnow(), staff_account=email.strip().lower())
        return done


def _run_change(email: str, action: str, password: str = "") -> bool:
    from bot.cli import load_or_exit, resolved_settings

    with resolved_settings(load_or_exit()) as settings:
        done = asyncio.run(_change(settings, email, action, password))
    if not done:
        click.echo(f"digitaly: não existe conta para {email} (veja: digitaly staff list)", err=True)
        sys.exit(1)
    return done


@click.group("staff")
def staff_group() -> None:
    """As contas da equipe no console (/console)."""


@staff_group.command("create")
@click.option("--name", required=True, help="O nome da pessoa, mostrado no console.")
@click.option("--email", required=True, help="O e-mail com que ela entra.")
@click.option("--password-stdin", is_flag=True, help="Lê a senha da entrada padrão (uma linha).")
def create_command(name: str, email: str, password_stdin: bool) -> None:
    """Cria uma conta do console; a senha (pelo menos 10 caracteres) é pedida duas vezes
    (ou lida da entrada padrão)."""
    from bot.cli import load_or_exit, resolved_settings

    if "@" not in email:
        raise click.BadParameter("escreva um endereço de e-mail", param_hint="--email")
    password = sys.stdin.readline().rstrip("\n") if password_stdin else _ask_password()
    _check_password(password)
    with resolved_settings(load_or_exit()) as settings:
        created = asyncio.run(_create(settings, name, email, password))
    if not created:
        click.echo(f"digitaly: já existe uma conta para {email}", err=True)
        sys.exit(1)
    click.echo(f"Conta criada para {email}. Entre em /console.")


@staff_group.command("list")
def list_command() -> None:
    """Lista as contas do console: e-mail, nome e se está ativa."""
    from bot.cli import load_or_exit, resolved_settings

    async def accounts(settings: Settings) -> list[dict[str, object]]:
        async with open_store(settings, schema=False) as opened:
            return await StaffDirectory(opened.db).accounts_list()

    with resolved_settings(load_or_exit()) as settings:
        found = asyncio.run(accounts(settings))
    if not found:
        click.echo("Nenhuma conta. Crie uma com: digitaly staff create")
    for account in found:
        state = "desativada" if account.get("disabled") else "ativa"
        click.echo(f"{account['_id']}\t{account.get('name', '')}\t{state}")


@staff_group.command("disable")
@click.argument("email")
def disable_command(email: str) -> None:
    """Desativa uma conta: as sessões abertas terminam na hora e o login é recusado."""
    _run_change(email, "staff.disable")
    click.echo(f"Conta {email} desativada; as sessões abertas foram encerradas.")


@staff_group.command("enable")
@click.argument("email")
def enable_command(email: str) -> None:
    """Reativa uma conta desativada."""
    _run_change(email, "staff.enable")
    click.echo(f"Conta {email} reativada.")


@staff_group.command("reset-password")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Lê a nova senha da entrada padrão.")
def reset_password_command(email: str, password_stdin: bool) -> None:
    """Troca a senha de uma conta (pelo menos 10 caracteres); as sessões abertas terminam."""
    password = sys.stdin.readline().rstrip("\n") if password_stdin else _ask_password()
    _check_password(password)
    _run_change(email, "staff.reset_password", password)
    click.echo(f"Senha de {email} trocada; as sessões abertas foram encerradas.")
