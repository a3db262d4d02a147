"""The report's rescheduling figures, as a table of the statistics section."""

from __future__ import annotations

from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Flowable, Paragraph

from reports.moves import MoveStats
from reports.pdf_layout import BODY_WIDTH, grid_table, heading_room
from reports.text import format_int

__all__ = ["moves_section"]

_HEADER = [
    "Pedidas", "Aplicadas pelo robô", "Não aplicadas", "Reservas vencidas", "Aguardando o robô",
]  # fmt: skip


def moves_section(moves: MoveStats, styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    """Remarcações pelo WhatsApp: requested, applied, failed, expired, waiting."""
    story: list[Flowable] = [heading_room(), Paragraph("Remarcações pelo WhatsApp", styles["h2"])]
    if not moves.any:
        return [*story, Paragraph("Nenhuma remarcação pedida pelo WhatsApp.", styles["muted"])]
    row = [moves.requested, moves.applied, moves.failed, moves.expired, moves.waiting]
    widths = [BODY_WIDTH / len(_HEADER)] * len(_HEADER)
    story.append(grid_table(_HEADER, [[format_int(n) for n in row]], widths, numeric_from=0))
    if moves.failed or moves.expired:
        story.append(
            Paragraph(
                "Não aplicadas: o horário foi ocupado no sistema da clínica; o paciente recebeu "
                "outras opções uma vez e depois passou para a equipe. Reservas vencidas: o robô "
                "não confirmou a tempo e o paciente foi avisado.",
                styles["muted"],
            )
        )
    return story
