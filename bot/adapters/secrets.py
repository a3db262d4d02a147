"""Local secrets kept under DATA_DIR (mode 0600) when the environment gives none."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path

__all__ = ["local_secret"]


def local_secret(data_dir: Path, name: str, make: Callable[[], str] | None = None) -> str:
    """The secret stored in ``data_dir/name``, created on first use; safe against a racing twin."""
    path = data_dir / name
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    data_dir.mkdir(parents=True, exist_ok=True)
    value = make() if make else secrets.token_hex(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process wrote it first
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    return value
