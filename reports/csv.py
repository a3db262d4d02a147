"""The report as CSV, the way Excel in Brazil opens it without asking.

UTF-8 with a BOM (or Excel reads the accents as Latin-1), ``;`` between
fields (Excel's list separator for pt-BR, where ``,`` is the decimal mark),
CRLF line ends, dates as dd/mm/aaaa. One row per appointment: the lists and
the statistics of the PDF are filters and pivots of these rows.
"""

from __future__ import annotations

import csv
import io

from reports.data import DailyReport
from reports.text import format_date, format_datetime, format_time

__all__ = ["HEADER", "render_csv"]

HEADER = (
    "Unidade", "Data", "Horário", "Médico(a)", "Especialidade", "Paciente", "Código",
    "Situação", "Motivo", "Lembretes enviados", "Lembretes entregues", "Lembretes lidos",
    "Lembretes com falha", "Erros de entrega", "Respondeu em", "Tempo de resposta (min)",
    "Cancelamento no sistema",
)  # fmt: skip
_ROBOT = {"pending": "aguardando o robô", "applied": "aplicado", "failed": "falhou"}
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _cell(text: str) -> str:
    """A text Excel will not run as a formula (CSV injection)."""
    return f"'{text}" if text.startswith(_FORMULA) else text


def render_csv(report: DailyReport) -> bytes:
    """The report's appointments as CSV bytes (UTF-8 with BOM, ``;``-separated)."""
    zone = report.zone
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADER)
    for line in report.lines:
        minutes = (
            f"{line.answer_seconds / 60:.1f}".replace(".", ",")
            if line.answer_seconds is not None
            else ""
        )
        writer.writerow(
            [
                _cell(line.unit_name),
                format_date(line.starts_at.astimezone(zone).date()),
                format_time(line.starts_at, zone),
                _cell(line.doctor),
                _cell(line.specialty),
                _cell(line.patient_name),
                _cell(line.code),
                line.outcome_label,
                _cell(line.reason),
                line.reminders_sent,
                line.reminders_delivered,
                line.reminders_read,
                line.reminders_failed,
                " ".join(str(code) for code in line.error_codes if code is not None),
                format_datetime(line.answered_at, zone) if line.answered_at else "",
                minutes,
                _ROBOT.get(line.cancellation or "", ""),
            ]
        )
    return buffer.getvalue().encode("utf-8-sig")
