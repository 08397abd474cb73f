"""Where data sets live: relative data paths resolve against ``$PORTRAITSEG_DATA`` (users point it at their data)."""

from __future__ import annotations

import os
from pathlib import Path

DATA_ENV = "PORTRAITSEG_DATA"


def resolve_data_dir(path: str | os.PathLike) -> Path:
    """An absolute or existing path as is; otherwise relative to ``$PORTRAITSEG_DATA``."""
    p = Path(path).expanduser()
    if p.is_absolute() or p.exists() or not os.environ.get(DATA_ENV):
        return p
    return Path(os.environ[DATA_ENV]) / p
