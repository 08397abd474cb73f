"""Float values made uint8 pixels, rounded one way everywhere: scaled, half up, clipped to 0..255."""

from __future__ import annotations

import numpy as np


def to_uint8(values: np.ndarray, scale: float = 1.0) -> np.ndarray:
    """``values * scale`` rounded half up into 0..255 (``scale`` 255 for an alpha in [0, 1])."""
    scaled = values * scale if scale != 1.0 else values
    return np.clip(scaled + 0.5, 0, 255).astype(np.uint8)
