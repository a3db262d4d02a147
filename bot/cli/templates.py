"""``digitaly templates check``: the flows' WhatsApp templates, as Twilio has them."""

from __future__ import annotations

import asyncio
import sys

import click
from twilio.base.exceptions import TwilioException

from bot.settings import Settings

__all__ = ["templates_group"]


@click.group("templates")
def templates_group() -> None:
    """Os modelos (templates) de WhatsApp dos fluxos, na Twilio."""


async def _check(settings: Settings) -> list[str]:
    # Here, not at the top: every `digitaly` command, `web` included, imports this module,
    # and twilio-python's REST client would stay resident in a serving process.
    from bot.adapters.twilio_content import TwilioTemplates, check_flow_templates

    templates = TwilioTemplates.from_settings(settings)
    try:
        return await check_flow_templates(settings.flows_dir, templates)
    finally:
        await templates.aclose()


@templates_group.command("check")
def check_command() -> None:
    """Confere cada content_sid dos fluxos na Twilio: existe, aprovado para WhatsApp, mesmas variáveis e botões."""
    from bot.cli import load_or_exit

    settings = load_or_exit()
    if not settings.twilio_enabled:
        click.echo(
            "digitaly: defina TWILIO_ACCOUNT_SID e TWILIO_AUTH_TOKEN para conferir os modelos",
            err=True,
        )
        sys.exit(2)
    try:
        problems = asyncio.run(_check(settings))
    except (TwilioException, OSError) as exc:
        click.echo(f"digitaly: não foi possível consultar a Twilio: {exc}", err=True)
        sys.exit(1)
    for problem in problems:
        click.echo(problem, err=True)
    if problems:
        sys.exit(1)
    click.echo("Todos os modelos dos fluxos conferem com a Twilio.")
