"""Pre- and post-processing geometry: fit an image into the model input keeping its aspect ratio, and map the
model output back to the original size."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class Fit:
    """How an image was placed in the model input: scaled to (height, width), padded to (padded_h, padded_w)."""

    original: tuple[int, int]
    height: int
    width: int
    padded_h: int
    padded_w: int


def plan_fit(shape: tuple[int, int], long_side: int, multiple: int = 32) -> Fit:
    """Scale so the longer side equals ``long_side``, then pad bottom/right up to a multiple of ``multiple``."""
    h, w = shape
    scale = long_side / max(h, w)
    sh, sw = max(1, round(h * scale)), max(1, round(w * scale))
    return Fit((h, w), sh, sw, -(-sh // multiple) * multiple, -(-sw // multiple) * multiple)


def resize(array: np.ndarray, height: int, width: int) -> np.ndarray:
    """Area interpolation when shrinking (no aliasing), bilinear when enlarging."""
    if array.shape[:2] == (height, width):
        return array
    shrinking = height * width < array.shape[0] * array.shape[1]
    return cv2.resize(array, (width, height), interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR)


def to_input(image: np.ndarray, fit: Fit, pad_value: float = 127.5) -> np.ndarray:
    """uint8 RGB (H, W, 3) -> float32 CHW canvas (3, padded_h, padded_w), RGB in [0, 255]."""
    canvas = np.full((3, fit.padded_h, fit.padded_w), pad_value, np.float32)
    canvas[:, : fit.height, : fit.width] = resize(image, fit.height, fit.width).transpose(2, 0, 1)
    return canvas


def to_original(prob: np.ndarray, fit: Fit) -> np.ndarray:
    """Model output (padded_h, padded_w) -> float32 probability at the original image size."""
    crop = np.ascontiguousarray(prob[: fit.height, : fit.width], dtype=np.float32)
    h, w = fit.original
    return cv2.resize(crop, (w, h), interpolation=cv2.INTER_LINEAR)
