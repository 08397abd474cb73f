"""Full-size work a band of rows at a time, so a 100-megapixel photo never needs more than one full-size float
copy of anything: what is computed from the whole picture is computed small, and brought up one band at a time."""

from __future__ import annotations

from typing import Iterator

import cv2
import numpy as np

BAND_PIXELS = 2_000_000  # pixels per band: a float32 RGB band is 24 MB


def row_bands(height: int, width: int, pixels: int | None = None) -> Iterator[slice]:
    """Consecutive slices of rows covering ``height``, each of about ``pixels`` pixels (default
    :data:`BAND_PIXELS`; at least one row)."""
    step = max(1, (pixels or BAND_PIXELS) // max(1, width))
    for top in range(0, height, step):
        yield slice(top, min(height, top + step))


def grow_rows(small: np.ndarray, height: int, width: int, rows: slice) -> np.ndarray:
    """Rows ``rows`` of ``small`` enlarged bilinearly to (height, width), as float32: the same values (to float
    rounding) as those rows of ``cv2.resize(small, (width, height), interpolation=cv2.INTER_LINEAR)`` on a float
    array, without making the whole enlarged array."""
    small = np.asarray(small, np.float32)
    positions = (np.arange(rows.start, rows.stop, dtype=np.float64) + 0.5) * (small.shape[0] / height) - 0.5
    positions = np.clip(positions, 0, small.shape[0] - 1)
    upper = np.floor(positions).astype(np.intp)
    lower = np.minimum(upper + 1, small.shape[0] - 1)
    first = upper[0] if len(upper) else 0
    needed = small[first : (lower[-1] + 1 if len(lower) else first)]  # the horizontal pass on these rows only
    wide = cv2.resize(needed, (width, len(needed)), interpolation=cv2.INTER_LINEAR).reshape(
        len(needed), width, *small.shape[2:])
    weight = (positions - upper).astype(np.float32).reshape(-1, *([1] * (wide.ndim - 1)))
    return wide[upper - first] * (1 - weight) + wide[lower - first] * weight


def sample(small: np.ndarray, height: int, width: int, ys: np.ndarray, xs: np.ndarray) -> np.ndarray:
    """The values that enlarging ``small`` bilinearly to (height, width) would give at the pixels (ys, xs) only:
    (N,) or (N, C) float32."""
    small = np.asarray(small, np.float32)
    map_x = np.clip((xs.astype(np.float32) + 0.5) * (small.shape[1] / width) - 0.5, 0, small.shape[1] - 1)
    map_y = np.clip((ys.astype(np.float32) + 0.5) * (small.shape[0] / height) - 0.5, 0, small.shape[0] - 1)
    chunks = [cv2.remap(small, map_x[None, i : i + _REMAP_POINTS], map_y[None, i : i + _REMAP_POINTS],
                        cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)[0] for i in range(0, len(xs), _REMAP_POINTS)]
    return np.concatenate(chunks) if chunks else np.zeros((0, *small.shape[2:]), np.float32)


_REMAP_POINTS = 32_000  # OpenCV's remap takes maps of fewer than 32767 columns
