"""The PDF's look: page geometry, colours, paragraph styles, and the table and KPI builders.

Shared by every section of :mod:`reports.pdf`.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import (
    CondPageBreak,
    Paragraph,
    Table,
    TableStyle,
)

from reports.data import DailyReport, ReportKind
from reports.fonts import BOLD, REGULAR, fit, register_fonts, safe
from reports.records import to_contact
from reports.text import (
    format_duration,
    format_int,
    format_percent,
)

__all__ = [
    "ALERT", "BODY_SIZE", "BODY_WIDTH", "BRAND", "FOOTER_HEIGHT", "HEAD", "HEADER_HEIGHT", "INK",
    "MARGIN", "MUTED", "PAGE_HEIGHT", "PAGE_WIDTH", "RULE", "TITLES", "ZEBRA",
    "escape", "grid_table", "heading_room", "kpis", "paragraph_styles", "word_room", "wrap_text",
]  # fmt: skip

PAGE_WIDTH, PAGE_HEIGHT = A4


MARGIN = 15 * mm


BODY_WIDTH = PAGE_WIDTH - 2 * MARGIN


HEADER_HEIGHT = 22 * mm


FOOTER_HEIGHT = 12 * mm


INK = colors.HexColor("#1F2D3D")


BRAND = colors.HexColor("#1F4E79")


MUTED = colors.HexColor("#5B6B7C")


RULE = colors.HexColor("#C9D3DD")


ZEBRA = colors.HexColor("#F2F6FA")


HEAD = colors.HexColor("#E4ECF4")


ALERT = colors.HexColor("#FBEAEA")


TITLES = {
    ReportKind.EXPECTED: "Lista de presença prevista",
    ReportKind.SUMMARY: "Resumo do dia",
}


BODY_SIZE = 8.0


@cache
def paragraph_styles() -> dict[str, ParagraphStyle]:
    register_fonts()
    base = ParagraphStyle("body", fontName=REGULAR, fontSize=9, leading=12, textColor=INK)
    return {
        "body": base,
        "muted": ParagraphStyle("muted", parent=base, textColor=MUTED, fontSize=8, leading=10),
        "h1": ParagraphStyle(
            "h1", parent=base, fontName=BOLD, fontSize=13, leading=16, textColor=BRAND,
            spaceBefore=10, spaceAfter=5, keepWithNext=True,
        ),
        "h2": ParagraphStyle(
            "h2", parent=base, fontName=BOLD, fontSize=9.5, leading=12,
            spaceBefore=7, spaceAfter=3,
        ),
        "cell": ParagraphStyle("cell", parent=base, fontSize=7.5, leading=9),
        "th": ParagraphStyle("th", parent=base, fontName=BOLD, fontSize=7, leading=8.5),
        "th_right": ParagraphStyle(
            "th_right", parent=base, fontName=BOLD, fontSize=7, leading=8.5, alignment=TA_RIGHT
        ),
        "kpi": ParagraphStyle(
            "kpi", parent=base, fontName=BOLD, fontSize=16, leading=19, alignment=TA_CENTER
        ),
        "kpi_label": ParagraphStyle(
            "kpi_label", parent=base, fontSize=7.5, leading=9, alignment=TA_CENTER,
            textColor=MUTED,
        ),
    }  # fmt: skip


def escape(text: str) -> str:
    return safe(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def word_room(header: str) -> float:
    """The width a column needs so that no word of its header is broken (bold header size)."""
    padding = 6  # left + right cell padding, as in grid_table
    longest = max(float(stringWidth(word, BOLD, 7)) for word in header.split())
    return longest + padding + 1  # one point of slack: reportlab wraps at the exact width


def grid_table(
    header: Sequence[str],
    rows: Sequence[Sequence[Any]],
    widths: Sequence[float],
    *,
    numeric_from: int | None = None,
    highlight: Sequence[int] = (),
) -> Table:
    """A table whose header row repeats on every page it spans."""
    padding = 6  # left + right cell padding
    styles = paragraph_styles()
    head = [
        Paragraph(
            escape(h),
            styles["th_right" if numeric_from is not None and n >= numeric_from else "th"],
        )
        for n, h in enumerate(header)
    ]
    body = [
        [
            fit(cell, w - padding, REGULAR, BODY_SIZE)
            if isinstance(cell, str) and "\n" not in cell
            else cell
            for cell, w in zip(row, widths, strict=True)
        ]
        for row in rows
    ]
    table = Table([head, *body], colWidths=list(widths), repeatRows=1)
    style: list[tuple[Any, ...]] = [
        ("FONT", (0, 1), (-1, -1), REGULAR, BODY_SIZE),
        ("TEXTCOLOR", (0, 0), (-1, -1), INK),
        ("BACKGROUND", (0, 0), (-1, 0), HEAD),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, BRAND),
        ("LINEBELOW", (0, -1), (-1, -1), 0.5, RULE),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, ZEBRA]),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("VALIGN", (0, 0), (-1, 0), "BOTTOM"),
        ("TOPPADDING", (0, 0), (-1, -1), 2.2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.2),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]
    if numeric_from is not None:
        style.append(("ALIGN", (numeric_from, 0), (-1, -1), "RIGHT"))
    for row in highlight:
        style.append(("BACKGROUND", (0, row + 1), (-1, row + 1), ALERT))
    table.setStyle(TableStyle(style))
    return table


def heading_room() -> CondPageBreak:
    """Start a new page unless a heading and a few rows of its table still fit.

    (keepWithNext would move a whole table that fits on a page, leaving a gap.)
    """
    return CondPageBreak(30 * mm)


def wrap_text(text: str, width: float) -> str:
    """Lines that fit a cell, joined by newlines: a plain cell, far cheaper than a Paragraph."""
    return "\n".join(simpleSplit(safe(text), REGULAR, BODY_SIZE, width - 6))


def kpis(report: DailyReport, styles: dict[str, ParagraphStyle]) -> Table:
    totals = report.totals
    figures = [
        (format_int(totals.appointments), "consultas"),
        (format_int(totals.confirmed), "confirmadas"),
        (format_percent(totals.confirmation_rate), "taxa de confirmação"),
        (format_int(totals.cancelled), "desmarcadas"),
        (format_int(to_contact(totals)), "a contatar"),
        (format_duration(totals.median_answer_seconds), "tempo mediano de resposta"),
    ]
    cells = [
        [Paragraph(escape(value), styles["kpi"]), Paragraph(escape(label), styles["kpi_label"])]
        for value, label in figures
    ]
    width = BODY_WIDTH / len(cells)
    table = Table([cells], colWidths=[width] * len(cells))
    table.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (-1, -1), 0.5, RULE),
                ("INNERGRID", (0, 0), (-1, -1), 0.5, RULE),
                ("BACKGROUND", (0, 0), (-1, -1), ZEBRA),
                ("TOPPADDING", (0, 0), (-1, -1), 5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
            ]
        )
    )
    return table
