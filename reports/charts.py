"""The report's charts, as reportlab Drawings (pure: data in, a flowable out)."""

from __future__ import annotations

from collections.abc import Sequence

from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors

from reports.data import Group, TrendPoint
from reports.fonts import BOLD, REGULAR, fit, safe

__all__ = ["by_doctor_chart", "trend_chart"]

CONFIRMED = colors.HexColor("#2E7D5B")
CANCELLED = colors.HexColor("#C0504D")
OPEN = colors.HexColor("#E3A32B")  # no answer, reschedule, undelivered, opted out
TOTAL = colors.HexColor("#9DB4CC")
INK = colors.HexColor("#1F2D3D")

MAX_DOCTORS = 12


def _title(drawing: Drawing, text: str, width: float, height: float) -> None:
    drawing.add(String(0, height - 12, safe(text), fontName=BOLD, fontSize=10, fillColor=INK))
    del width


def _legend(items: Sequence[tuple[colors.Color, str]], x: float, y: float) -> Legend:
    legend = Legend()
    legend.x, legend.y = x, y
    legend.alignment = "right"
    legend.columnMaximum = 1
    legend.fontName = REGULAR
    legend.fontSize = 7.5
    legend.boxAnchor = "nw"
    legend.deltax = 90
    legend.dx = legend.dy = 7
    legend.colorNamePairs = [(color, safe(name)) for color, name in items]
    return legend


def _count_bars(
    chart: HorizontalBarChart | VerticalBarChart, fills: Sequence[colors.Color]
) -> None:
    """What both charts share: whole counts from zero on a light grid, flat coloured bars."""
    chart.valueAxis.valueMin = 0
    chart.valueAxis.labels.fontName = REGULAR
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.visibleGrid = True
    chart.valueAxis.gridStrokeColor = colors.HexColor("#DDE3EA")
    chart.valueAxis.labelTextFormat = lambda v: f"{v:.0f}"
    for index, color in enumerate(fills):
        chart.bars[index].fillColor = color
        chart.bars[index].strokeColor = None


def by_doctor_chart(groups: Sequence[Group], width: float) -> Drawing | None:
    """Stacked horizontal bars: confirmed / cancelled / the rest, per doctor (the busiest first)."""
    if not groups:
        return None
    busiest = sorted(groups, key=lambda g: (-g.stats.appointments, g.label))[:MAX_DOCTORS]
    busiest.reverse()  # the chart draws its first category at the bottom
    bar = 13.0
    plot_height = bar * len(busiest) * 1.35
    height = plot_height + 58
    drawing = Drawing(width, height)
    title = "Confirmações por médico(a)"
    if len(groups) > MAX_DOCTORS:
        title += f" – os {MAX_DOCTORS} com mais consultas"
    _title(drawing, title, width, height)
    chart = HorizontalBarChart()
    chart.x, chart.y = 150, 28
    chart.width, chart.height = width - 165, plot_height
    confirmed = [g.stats.confirmed for g in busiest]
    cancelled = [g.stats.cancelled for g in busiest]
    rest = [g.stats.appointments - g.stats.confirmed - g.stats.cancelled for g in busiest]
    chart.data = [confirmed, cancelled, rest]
    chart.categoryAxis.style = "stacked"
    chart.categoryAxis.categoryNames = [fit(g.label, 140, REGULAR, 7.5) for g in busiest]
    chart.categoryAxis.labels.fontName = REGULAR
    chart.categoryAxis.labels.fontSize = 7.5
    chart.categoryAxis.labels.boxAnchor = "e"
    chart.categoryAxis.labels.dx = -4
    chart.barSpacing = 0
    chart.groupSpacing = 4
    _count_bars(chart, (CONFIRMED, CANCELLED, OPEN))
    drawing.add(chart)
    drawing.add(
        _legend(
            [(CONFIRMED, "Confirmadas"), (CANCELLED, "Desmarcadas"), (OPEN, "Outras situações")],
            150,
            12,
        )
    )
    return drawing


def trend_chart(points: Sequence[TrendPoint], width: float) -> Drawing | None:
    """Appointments and confirmations per day over the last days (nothing with fewer than 2)."""
    if sum(1 for p in points if p.appointments) < 2:
        return None
    height = 175.0
    drawing = Drawing(width, height)
    _title(drawing, f"Últimos {len(points)} dias: consultas e confirmações", width, height)
    chart = VerticalBarChart()
    chart.x, chart.y = 35, 40
    chart.width, chart.height = width - 50, height - 75
    chart.data = [[p.appointments for p in points], [p.confirmed for p in points]]
    chart.categoryAxis.categoryNames = [f"{p.day.day:02d}/{p.day.month:02d}" for p in points]
    chart.categoryAxis.labels.fontName = REGULAR
    chart.categoryAxis.labels.fontSize = 7
    chart.barSpacing = 1
    chart.groupSpacing = 6
    _count_bars(chart, (TOTAL, CONFIRMED))
    drawing.add(chart)
    drawing.add(_legend([(TOTAL, "Consultas"), (CONFIRMED, "Confirmadas")], 35, 18))
    return drawing
