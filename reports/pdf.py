"""The report as a PDF: A4, reportlab platypus, tables that split across pages.

Every page has a header (clinic, unit, date) and a footer (page X of Y, when
it was generated). Times are in the unit's timezone; the font is embedded.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import groupby
from typing import Any

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.doctemplate import LayoutError

from reports.charts import by_doctor_chart, trend_chart
from reports.data import DailyReport, Group, ReportKind
from reports.fonts import BOLD, REGULAR, register_fonts, safe
from reports.pdf_layout import (
    BODY_SIZE,
    BODY_WIDTH,
    BRAND,
    FOOTER_HEIGHT,
    HEADER_HEIGHT,
    INK,
    MARGIN,
    MUTED,
    PAGE_HEIGHT,
    PAGE_WIDTH,
    RULE,
    TITLES,
    escape,
    grid_table,
    heading_room,
    kpis,
    paragraph_styles,
    word_room,
    wrap_text,
)
from reports.pdf_moves import moves_section
from reports.pdf_waitlist import waitlist_section
from reports.text import (
    format_date,
    format_datetime,
    format_duration,
    format_int,
    format_long_date,
    format_percent,
    format_time,
)

__all__ = ["TITLES", "RenderedPdf", "render_pdf"]


@dataclass(frozen=True, slots=True)
class RenderedPdf:
    data: bytes
    pages: int


# --- sections ------------------------------------------------------------------------------


def _presence(report: DailyReport, styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    lines = report.presence
    story: list[Flowable] = [
        Paragraph(f"Lista de presença <font size=9>({format_int(len(lines))})</font>", styles["h1"])
    ]
    if not lines:
        story.append(
            Paragraph("Nenhum paciente confirmou presença para este dia.", styles["muted"])
        )
        return story
    zone = report.zone
    widths = [15 * mm, BODY_WIDTH - 100 * mm, 30 * mm, 32 * mm, 23 * mm]
    header = ["Horário", "Paciente", "Código", "Confirmou em", "Chegada"]
    for (unit_name, doctor), group in groupby(
        lines, key=lambda line: (line.unit_name, line.doctor)
    ):
        members = list(group)
        specialties = sorted({line.specialty for line in members if line.specialty})
        about = [*specialties, unit_name] if report.unit is None else specialties
        where = f" · {escape(', '.join(about))}" if about else ""
        title = f"{escape(doctor)}<font color='#5B6B7C' size=8.5>{where} – {len(members)}</font>"
        rows = [
            [
                format_time(line.starts_at, zone),
                line.patient_name,
                line.code,
                format_datetime(line.answered_at, zone) if line.answered_at else "–",
                "",
            ]
            for line in members
        ]
        story += [heading_room(), Paragraph(title, styles["h2"]), grid_table(header, rows, widths)]
    return story


def _absences(report: DailyReport, styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    lines = report.absences
    story: list[Flowable] = [
        Paragraph(
            f"Lista de ausentes <font size=9>({format_int(len(lines))})</font>", styles["h1"]
        ),
        Paragraph(
            "Quem desmarcou, pediu para remarcar, não respondeu, não recebeu o lembrete ou pediu "
            "para não receber mensagens, com o motivo. Em vermelho: cancelamentos que o robô não "
            "conseguiu aplicar.",
            styles["muted"],
        ),
    ]
    if not lines:
        story.append(Paragraph("Nenhum paciente ausente.", styles["muted"]))
        return story
    zone = report.zone
    widths = [15 * mm, 44 * mm, 30 * mm, 36 * mm, BODY_WIDTH - 125 * mm]
    header = ["Horário", "Paciente", "Código", "Médico(a)", "Situação e motivo"]
    for unit_name, group in groupby(lines, key=lambda line: line.unit_name):
        members = list(group)
        rows = [
            [
                format_time(line.starts_at, zone),
                line.patient_name,
                line.code,
                line.doctor,
                wrap_text(f"{line.outcome_label}: {line.reason}", widths[-1]),
            ]
            for line in members
        ]
        flagged = [n for n, line in enumerate(members) if line.cancellation == "failed"]
        if report.unit is None:
            story.append(heading_room())
            story.append(
                Paragraph(f"{escape(unit_name)} <font color='#5B6B7C'>– {len(members)}</font>",
                          styles["h2"])
            )  # fmt: skip
        story.append(grid_table(header, rows, widths, highlight=flagged))
    return story


def _failed_cancellations(report: DailyReport, styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    lines = report.failed_cancellations
    story: list[Flowable] = [
        Paragraph("Cancelamentos que o robô não conseguiu aplicar", styles["h1"])
    ]
    if not lines:
        story.append(Paragraph("Nenhum: todos os cancelamentos foram aplicados ou aguardam o robô.",
                               styles["muted"]))  # fmt: skip
        return story
    story.append(Paragraph("Desmarcar manualmente no sistema da clínica.", styles["muted"]))
    zone = report.zone
    # "01/12/2026 14:30" is 25.3 mm at body size; with the cells' padding 30 mm keeps it whole.
    widths = [30 * mm, 41 * mm, 30 * mm, 36 * mm, BODY_WIDTH - 137 * mm]
    rows = [
        [
            format_datetime(line.starts_at, zone),
            line.patient_name,
            line.code,
            line.doctor,
            wrap_text(line.cancellation_detail or "sem detalhe", widths[-1]),
        ]
        for line in lines
    ]
    header = ["Consulta", "Paciente", "Código", "Médico(a)", "Resposta do robô"]
    story.append(grid_table(header, rows, widths))
    return story


def _answers_rows(groups: Sequence[Group]) -> list[list[str]]:
    return [
        [
            g.label,
            format_int(g.stats.appointments),
            format_int(g.stats.confirmed),
            format_int(g.stats.cancelled),
            format_int(g.stats.rescheduled),
            format_int(g.stats.no_answer),
            format_int(g.stats.kept_silent),
            format_int(g.stats.undelivered + g.stats.opted_out),
            format_percent(g.stats.confirmation_rate),
            format_duration(g.stats.median_answer_seconds),
        ]
        for g in groups
    ]


def _delivery_rows(groups: Sequence[Group]) -> list[list[str]]:
    return [
        [
            g.label,
            format_int(g.stats.reminders_sent),
            format_int(g.stats.reminders_delivered),
            format_int(g.stats.reminders_read),
            format_int(g.stats.reminders_failed),
            format_percent(
                g.stats.reminders_delivered / g.stats.reminders_sent
                if g.stats.reminders_sent
                else None
            ),
        ]
        for g in groups
    ]


def _statistics(report: DailyReport, styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    totals = Group(report.unit or "", "Total", None, report.totals)
    story: list[Flowable] = [Paragraph("Estatísticas", styles["h1"])]
    answers_header = [
        "", "Consultas", "Confirmadas", "Desmarcadas", "Remarcar", "Sem resposta",
        "Manteve, sem confirmar", "Não entregue ou saiu", "Taxa de confirmação",
        "Tempo mediano de resposta",
    ]  # fmt: skip
    numbers = [16, 20, 21, 16, 16, 16, 16, 20, 15]  # mm: the longest header word fits
    room = [max(n * mm, word_room(h)) for n, h in zip(numbers, answers_header[1:], strict=True)]
    answer_widths = [BODY_WIDTH - sum(room), *room]
    delivery_header = ["", "Enviados", "Entregues", "Lidos", "Falhas", "Entrega"]
    delivery_widths = [BODY_WIDTH - 110 * mm, *[22 * mm] * 5]
    sections: list[tuple[str, Sequence[Group]]] = []
    if report.unit is None:
        sections.append(("por unidade", report.by_unit))
    sections.append(("por médico(a)", report.by_doctor))
    for title, groups in sections:
        label = "Unidade" if title == "por unidade" else "Médico(a)"
        # Nine figures leave the name little room: wrapped on two lines, never cut.
        rows = [
            [wrap_text(row[0], answer_widths[0]), *row[1:]]
            for row in _answers_rows([*groups, totals])
        ]
        story += [
            heading_room(),
            Paragraph(f"Respostas {title}", styles["h2"]),
            _bold_last(grid_table([label, *answers_header[1:]], rows, answer_widths, numeric_from=1)),
            heading_room(),
            Paragraph(f"Lembretes {title}", styles["h2"]),
            _bold_last(
                grid_table([label, *delivery_header[1:]], _delivery_rows([*groups, totals]),
                       delivery_widths, numeric_from=1)
            ),
        ]  # fmt: skip
    story += moves_section(report.moves, styles)
    story += [heading_room(), Paragraph("Falhas de entrega por erro", styles["h2"])]
    if report.errors:
        rows = [[e.label, format_int(e.count)] for e in report.errors]
        story.append(grid_table(["Erro", "Lembretes"], rows, [BODY_WIDTH - 30 * mm, 30 * mm],
                            numeric_from=1))  # fmt: skip
    else:
        story.append(Paragraph("Nenhuma falha de entrega.", styles["muted"]))
    return story


def _bold_last(table: Table) -> Table:
    table.setStyle(TableStyle([("FONT", (0, -1), (-1, -1), BOLD, BODY_SIZE)]))
    return table


def _charts(report: DailyReport) -> list[Flowable]:
    story: list[Flowable] = []
    for drawing in (
        by_doctor_chart(report.by_doctor, BODY_WIDTH),
        trend_chart(report.trend, BODY_WIDTH),
    ):
        if drawing is not None:
            story += [Spacer(1, 8), KeepTogether([drawing])]
    return story


# --- pages -----------------------------------------------------------------------------------


def _page_decorator(report: DailyReport) -> Callable[[Canvas, int, int], None]:
    clinic, scope = safe(report.clinic), safe(report.scope)
    generated = safe(
        f"Gerado em {format_datetime(report.generated_at, report.zone)} · "
        f"horários de {report.timezone.replace('_', ' ')}"
    )

    def draw(canvas: Canvas, page: int, pages: int) -> None:
        canvas.saveState()
        top = PAGE_HEIGHT - MARGIN
        canvas.setFillColor(BRAND)
        canvas.rect(MARGIN, top - 2.2 * mm, 3 * mm, 2.2 * mm * 4.5, stroke=0, fill=1)
        canvas.setFont(BOLD, 12)
        canvas.drawString(MARGIN + 5 * mm, top - 1 * mm, clinic)
        canvas.setFillColor(INK)
        canvas.setFont(REGULAR, 9.5)
        canvas.drawString(MARGIN + 5 * mm, top - 6.5 * mm, scope)
        canvas.setFont(BOLD, 9.5)
        canvas.drawRightString(PAGE_WIDTH - MARGIN, top - 1 * mm, safe(TITLES[report.kind]))
        canvas.setFont(REGULAR, 9.5)
        canvas.drawRightString(
            PAGE_WIDTH - MARGIN, top - 6.5 * mm, safe(format_long_date(report.day))
        )
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.6)
        canvas.line(MARGIN, top - 10 * mm, PAGE_WIDTH - MARGIN, top - 10 * mm)
        bottom = MARGIN - 2 * mm
        canvas.line(MARGIN, bottom + 5 * mm, PAGE_WIDTH - MARGIN, bottom + 5 * mm)
        canvas.setFillColor(MUTED)
        canvas.setFont(REGULAR, 7.5)
        canvas.drawString(MARGIN, bottom + 1.5 * mm, generated)
        canvas.drawRightString(PAGE_WIDTH - MARGIN, bottom + 1.5 * mm, f"Página {page} de {pages}")
        canvas.setFont(REGULAR, 6.5)
        canvas.drawString(MARGIN, bottom - 1.5 * mm,
                          "Uso interno – contém dados pessoais de pacientes (LGPD): não encaminhar.")  # fmt: skip
        canvas.restoreState()

    return draw


def _progress(report: Callable[[float], None]) -> Callable[[str, int], None]:
    """reportlab's (kind, value) progress calls as fractions of the story laid out."""
    size = [1]

    def hear(kind: str, value: int) -> None:
        if kind == "SIZE_EST":
            size[0] = max(1, value)
        elif kind == "PROGRESS":
            report(min(1.0, value / size[0]))

    return hear


def _numbered_canvas(draw: Callable[[Canvas, int, int], None], pages: list[int]) -> type[Canvas]:
    """A canvas that holds its pages back until the end, to print "Página X de Y" on each."""

    class NumberedCanvas(Canvas):  # type: ignore[misc]  # reportlab ships no types
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            pages.append(total)
            for number, state in enumerate(self._pages, start=1):
                self.__dict__.update(state)
                draw(self, number, total)
                super().showPage()
            super().save()

    return NumberedCanvas


def render_pdf(report: DailyReport, progress: Callable[[float], None] | None = None) -> RenderedPdf:
    """The report as PDF bytes, with its page count; ``progress`` hears fractions done."""
    register_fonts()
    styles = paragraph_styles()
    buffer = io.BytesIO()
    scope = f"{report.scope} – {format_date(report.day)}"
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN + HEADER_HEIGHT - 8 * mm,
        bottomMargin=MARGIN + FOOTER_HEIGHT - 4 * mm,
        title=safe(f"{TITLES[report.kind]} – {scope}"),
        author=safe(report.clinic),
        subject="Relatório diário",
        creator="Digitaly",
    )
    story: list[Flowable] = [kpis(report, styles), *_charts(report)]
    if report.kind is ReportKind.EXPECTED:
        story += _presence(report, styles) + _absences(report, styles)
    else:
        story += _absences(report, styles) + _presence(report, styles)
    story += _failed_cancellations(report, styles) + _statistics(report, styles)
    story += waitlist_section(report.waitlist, styles)
    pages: list[int] = []
    if progress is not None:
        document.setProgressCallBack(_progress(progress))
    try:
        document.build(story, canvasmaker=_numbered_canvas(_page_decorator(report), pages))
    except LayoutError as exc:  # a flowable taller than a page: a bug here, never the data's
        raise RuntimeError(f"report layout failed: {exc}") from exc
    return RenderedPdf(buffer.getvalue(), pages[-1])
