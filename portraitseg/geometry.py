"""Pre- and post-processing geometry: fit an image into the model input keeping its aspect ratio, and map the
model output back to the original size."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from portraitseg.bands import grow_rows, row_bands
from portraitseg.thresholds import label_person


PAD_VALUE = 128  # mid-grey, in training and serving alike
# Training labels are uint8: 0 background, 255 person, IGNORE_LABEL where neither is known (VOC's void band along
# outlines, unlabelled regions). Such pixels count in no loss; everything else reads them as background.
IGNORE_LABEL = 100


@dataclass(frozen=True)
class Fit:
    """How an image was placed in the model input: scaled to (height, width), padded to (padded_h, padded_w)."""

    original: tuple[int, int]
    height: int
    width: int
    padded_h: int
    padded_w: int


def plan_fit(shape: tuple[int, int], long_side: int, multiple: int) -> Fit:
    """Scale so the longer side equals ``long_side``, then pad bottom/right up to a multiple of ``multiple``."""
    h, w = shape
    scale = long_side / max(h, w)
    sh, sw = max(1, round(h * scale)), max(1, round(w * scale))
    return Fit((h, w), sh, sw, -(-sh // multiple) * multiple, -(-sw // multiple) * multiple)


def binary_mask(mask: np.ndarray) -> np.ndarray:
    """uint8 0/255 from a mask that resizing made grey at its edges (above 127 is person)."""
    return np.where(label_person(mask), 255, 0).astype(np.uint8)


def resize_label(mask: np.ndarray, height: int, width: int) -> np.ndarray:
    """Resize a training label (0 / 255 / :data:`IGNORE_LABEL`) without inventing labels at its edges: person and
    unknown pixels are resized apart and thresholded at half, person winning where both do."""
    if mask.shape[:2] == (height, width):
        return mask
    person = binary_mask(resize(np.where(mask == 255, 255, 0).astype(np.uint8), height, width))
    if not (mask == IGNORE_LABEL).any():
        return person
    unknown = binary_mask(resize(np.where(mask == IGNORE_LABEL, 255, 0).astype(np.uint8), height, width))
    return np.where(person == 255, 255, np.where(unknown == 255, IGNORE_LABEL, 0)).astype(np.uint8)


def resize(array: np.ndarray, height: int, width: int) -> np.ndarray:
    """Area interpolation when shrinking (no aliasing), bilinear when enlarging."""
    if array.shape[:2] == (height, width):
        return array
    shrinking = height * width < array.shape[0] * array.shape[1]
    return cv2.resize(array, (width, height), interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR)


def letterbox(array: np.ndarray, fit: Fit, pad_value: int = PAD_VALUE) -> np.ndarray:
    """Scale ``array`` (H, W[, C]) to the fit's size and pad it bottom/right to (padded_h, padded_w). The one
    letterbox of the project: serving (:func:`to_input`) and training (``trainers.data``) both place images with it."""
    canvas = np.full((fit.padded_h, fit.padded_w, *array.shape[2:]), pad_value, array.dtype)
    canvas[: fit.height, : fit.width] = resize(array, fit.height, fit.width)
    return canvas


def to_input(image: np.ndarray, fit: Fit) -> np.ndarray:
    """uint8 RGB (H, W, 3) -> float32 CHW canvas (3, padded_h, padded_w), RGB in [0, 255]."""
    return letterbox(image, fit).transpose(2, 0, 1).astype(np.float32)


def to_original(prob: np.ndarray, fit: Fit, dtype: type = np.float32) -> np.ndarray:
    """Model output (padded_h, padded_w) -> probability at the original image size, bilinear, a band of rows at
    a time into an array of ``dtype``."""
    crop = np.ascontiguousarray(prob[: fit.height, : fit.width], dtype=np.float32)
    h, w = fit.original
    out = np.empty((h, w), dtype)
    for rows in row_bands(h, w):
        out[rows] = grow_rows(crop, h, w, rows)
    return out


def cover_crop(image: np.ndarray, mask: np.ndarray | None, canvas: tuple[int, int], rng: np.random.Generator):
    """Scale so the canvas is covered, then cut a random canvas-sized window (mask, a training label, may be
    None)."""
    ch, cw = canvas
    h, w = image.shape[:2]
    scale = max(ch / h, cw / w)
    sh, sw = max(ch, round(h * scale)), max(cw, round(w * scale))
    y, x = int(rng.integers(0, sh - ch + 1)), int(rng.integers(0, sw - cw + 1))
    image = resize(image, sh, sw)[y : y + ch, x : x + cw]
    if mask is None:
        return np.ascontiguousarray(image), None
    mask = resize_label(mask, sh, sw)[y : y + ch, x : x + cw]
    return np.ascontiguousarray(image), mask
