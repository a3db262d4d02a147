"""The report's font: Bitstream Vera, shipped inside the reportlab wheel.

Nothing depends on the operating system's fonts. Vera covers Latin-1 and the
typographic marks (— “ ” € …), so every Portuguese accent renders; a character
it lacks (an emoji in a name) is replaced, never dropped silently into a
blank box.
"""

from __future__ import annotations

import unicodedata
from functools import cache
from pathlib import Path

import reportlab
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

__all__ = ["BOLD", "REGULAR", "fit", "register_fonts", "safe"]

REGULAR = "DigitalyVera"
BOLD = "DigitalyVera-Bold"
_DIR = Path(reportlab.__file__).parent / "fonts"


@cache
def register_fonts() -> frozenset[int]:
    """Register the fonts once per process; return the code points they can draw."""
    regular = TTFont(REGULAR, str(_DIR / "Vera.ttf"))
    pdfmetrics.registerFont(regular)
    pdfmetrics.registerFont(TTFont(BOLD, str(_DIR / "VeraBd.ttf")))
    pdfmetrics.registerFontFamily(REGULAR, normal=REGULAR, bold=BOLD, italic=REGULAR)
    return frozenset(regular.face.charToGlyph)


@cache
def _replacement(char: str) -> str:
    covered = register_fonts()
    if ord(char) in covered:
        return char
    base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
    if base and all(ord(c) in covered for c in base):
        return base
    return "" if unicodedata.category(char) in {"Mn", "Cf", "Cc"} else "?"


def safe(text: str) -> str:
    """``text`` with what the font cannot draw replaced (most text passes unchanged)."""
    covered = register_fonts()
    if all(ord(c) in covered for c in text):
        return text
    return "".join(_replacement(c) for c in text)


def fit(text: str, width: float, font: str, size: float) -> str:
    """``text`` cut with an ellipsis so it fits ``width`` points."""
    text = safe(text)
    if pdfmetrics.stringWidth(text, font, size) <= width:
        return text
    low, high = 0, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if pdfmetrics.stringWidth(text[:middle].rstrip() + "…", font, size) <= width:
            low = middle
        else:
            high = middle - 1
    return text[:low].rstrip() + "…"
