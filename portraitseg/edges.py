"""Edge-aware upsampling of the model's probability map to the photo's size: a fast guided filter (He and Sun,
"Fast Guided Filter", 2015) whose guide is the full-resolution photo, so the mask's edge follows the photo's edges
(hair, shoulders) instead of a bilinear guess between coarse model pixels."""

from __future__ import annotations

import cv2
import numpy as np

from portraitseg.bands import BAND_PIXELS, grow_rows, row_bands

EDGE_MODES = ("guided", "bilinear")


def _box(array: np.ndarray, radius: int) -> np.ndarray:
    return cv2.boxFilter(array, -1, (2 * radius + 1, 2 * radius + 1), borderType=cv2.BORDER_REFLECT)


def _grey(image: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.float32) * (1.0 / 255.0)


def guided_upsample(prob: np.ndarray, image: np.ndarray, radius: int = 4, eps: float = 1e-3,
                    dtype: type = np.float32) -> np.ndarray:
    """Upsample ``prob`` (h, w, float32 in [0, 1], the model's output over the photo) to ``image``'s size (H, W),
    guided by the photo's grey levels. The local linear model ``q = a * I + b`` is fitted at the model's
    resolution in windows of ``2 * radius + 1`` model pixels (so the window is the same share of any photo) with
    regularisation ``eps`` (larger: smoother, closer to bilinear); ``a`` and ``b`` are then upsampled and applied
    to the full-resolution guide, a band of rows at a time. Returns (H, W) in [0, 1] of ``dtype``. The defaults
    measured best on EG1800's test photos (``benchmarks/edges.py``): radius 4 (about 10 px of a 600x800 photo served
    at 320), grey guide (a colour guide scored the same at 2.5x the cost)."""
    h, w = prob.shape
    full_h, full_w = image.shape[:2]
    if full_h * full_w <= BAND_PIXELS:
        low = cv2.resize(_grey(image), (w, h), interpolation=cv2.INTER_AREA)
    else:
        low = _grey_area(image, w, h)
    p = prob.astype(np.float32)
    mean_i, mean_p = _box(low, radius), _box(p, radius)
    cov_ip = _box(low * p, radius) - mean_i * mean_p
    var_i = _box(low * low, radius) - mean_i * mean_i
    a = cov_ip / (var_i + eps)
    b = mean_p - a * mean_i
    mean_a, mean_b = _box(a, radius), _box(b, radius)
    out = np.empty((full_h, full_w), dtype)
    for rows in row_bands(full_h, full_w):  # the full-size guide and coefficients a band at a time
        band = grow_rows(mean_a, full_h, full_w, rows) * _grey(image[rows]) + grow_rows(mean_b, full_h, full_w, rows)
        out[rows] = np.clip(band, 0.0, 1.0)
    return out


def _grey_area(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """The grey guide area-reduced to (width, height) from 8-bit grey, without a full-size float copy (the
    reduced values differ from reducing float grey by under half a grey level)."""
    grey = cv2.resize(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY), (width, height), interpolation=cv2.INTER_AREA)
    return grey.astype(np.float32) * (1.0 / 255.0)
