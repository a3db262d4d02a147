"""``digitaly reports build``: a day's report as a PDF or CSV file."""

from __future__ import annotations

import asyncio
import sys
import time
from datetime import date, datetime
from pathlib import Path
from typing import Any

import click

from bot.adapters.memory import MemoryStore
from bot.adapters.mongo import open_store
from bot.clock import utcnow
from bot.core.errors import NotFoundError
from bot.settings import Settings
from reports.build import NETWORK, BuiltReport, build_files, render_files, scope_for
from reports.data import ReportKind
from reports.sample import SampleUnit, sample_day, seed_sample

__all__ = ["reports_group"]

_SHOW_AFTER_SECONDS = 0.5


class _LazyBar:
    """A progress bar on stderr that appears only once a build takes more than a moment."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.bar: Any = None
        self.shown = 0

    def __call__(self, fraction: float) -> None:
        if self.bar is None:
            if time.monotonic() - self.started < _SHOW_AFTER_SECONDS:
                return
            self.bar = click.progressbar(length=100, label="Gerando relatório", file=sys.stderr)
            self.bar.__enter__()
        percent = int(fraction * 100)
        if percent > self.shown:
            self.bar.update(percent - self.shown)
            self.shown = percent

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)


async def _build_from_db(settings: Settings, **options: Any) -> BuiltReport:
    async with open_store(settings) as opened:
        return await build_files(opened.store, settings, **options)


async def _build_from_sample(settings: Settings, size: int, **options: Any) -> BuiltReport:
    units = [SampleUnit(u.key, u.timezone, u.whatsapp_sender) for u in settings.units]
    if not units:
        raise click.UsageError("o config.yaml não tem unidades para inventar consultas de exemplo")
    data = sample_day(options["day"], units, size)
    if size <= 1000:  # small enough to go through the store's reads like production
        store = MemoryStore()
        await seed_sample(store, data)
        return await build_files(store, settings, **options)
    return await render_files(data, settings, **options)


@click.group("reports")
def reports_group() -> None:
    """Relatórios do dia: presença prevista, faltas, estatísticas."""


@reports_group.command("build")
@click.option(
    "--date", "day", required=True, type=click.DateTime(["%Y-%m-%d"]), help="O dia, AAAA-MM-DD."
)
@click.option(
    "--unit", default=None, help="A key de uma unidade do config.yaml (padrão: todas as unidades)."
)
@click.option(
    "--kind",
    type=click.Choice([k.value for k in ReportKind]),
    default=ReportKind.SUMMARY.value,
    show_default=True,
    help="summary: o resultado do dia; expected: a lista de presença prevista, antes do dia.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["pdf", "csv"]),
    default="pdf",
    show_default=True,
    help="PDF para ler e imprimir; CSV para planilhas.",
)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Onde gravar ('-' para a saída padrão). Padrão: um nome nesta pasta.")  # fmt: skip
@click.option("--demo", "demo_size", type=int, default=None, metavar="N",
              help="Usa N consultas inventadas em vez do banco de dados (uma prévia).")  # fmt: skip
def build_command(
    day: datetime, unit: str | None, kind: str, fmt: str, out: Path | None, demo_size: int | None
) -> None:
    """Monta o relatório de um dia com o que as conversas e os envios registraram."""
    from bot.cli import load_or_exit, resolved_settings

    settings = load_or_exit()
    unit = None if unit in (None, NETWORK) else unit
    try:
        scope_for(settings, unit)
    except NotFoundError:
        known = ", ".join(u.key for u in settings.units)
        raise click.BadParameter(
            f"a unidade {unit!r} não existe no config.yaml (unidades: {known})", param_hint="--unit"
        ) from None
    options: dict[str, Any] = {
        "day": date(day.year, day.month, day.day),
        "unit": unit,
        "kind": ReportKind(kind),
        "now": utcnow(),
    }
    bar = _LazyBar()
    options["progress"] = bar
    try:
        if demo_size is not None:
            built = asyncio.run(_build_from_sample(settings, demo_size, **options))
        else:
            with resolved_settings(settings) as resolved:
                built = asyncio.run(_build_from_db(resolved, **options))
    finally:
        bar.close()
    data = built.pdf.data if fmt == "pdf" else built.csv
    if out is not None and str(out) == "-":
        sys.stdout.buffer.write(data)
        return
    name = "presenca-prevista" if kind == ReportKind.EXPECTED.value else "resumo"
    target = out or Path(f"relatorio-{name}-{unit or NETWORK}-{options['day']}.{fmt}")
    target.write_bytes(data)
    totals = built.report.totals
    pages = f", {built.pdf.pages} página(s)" if fmt == "pdf" else ""
    click.echo(
        f"{target}: {totals.appointments} consulta(s), {totals.confirmed} confirmada(s){pages}",
        err=True,
    )
