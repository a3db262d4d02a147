"""Intent names the reading code itself relies on, said once.

``unknown`` is the answer when a reply answers nothing the state listens for (or the reader is
unsure): every flow has it, it needs no declaration, and the reply model learns it from
``fallback.examples``.
"""

from __future__ import annotations

__all__ = ["UNKNOWN"]

UNKNOWN = "unknown"
