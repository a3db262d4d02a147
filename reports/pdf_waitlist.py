"""The PDF's waitlist lines, under the statistics (figures from :mod:`reports.waitlist`)."""

from __future__ import annotations

from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Flowable, Paragraph

from reports.pdf_layout import heading_room
from reports.text import format_duration, format_int
from reports.waitlist import WaitlistFigures

__all__ = ["waitlist_section"]


def waitlist_section(figures: WaitlistFigures, styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    """The statistics' waitlist lines (in Portuguese, for the clinic's managers)."""
    if figures.refilled == 0:
        text = "Nenhum horário desmarcado foi preenchido pela lista de espera neste dia."
    else:
        text = (
            f"Horários desmarcados preenchidos pela lista de espera: "
            f"<b>{format_int(figures.refilled)}</b>. Tempo mediano do cancelamento ao "
            f"preenchimento: <b>{format_duration(figures.median_seconds)}</b>."
        )
    return [
        heading_room(),
        Paragraph("Lista de espera", styles["h2"]),
        Paragraph(text, styles["body"]),
    ]
