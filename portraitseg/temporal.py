"""Temporal smoothing of probability masks for video: steady where the picture is still, no lag where it moves."""

from __future__ import annotations

import cv2
import numpy as np

from portraitseg.errors import EffectError

SMOOTHING_METHODS = ("motion", "ema")
DEFAULT_SMOOTHING = 0.9


class TemporalSmoother:
    """Blends each mask with the previous smoothed one, pixel by pixel: ``out = w * previous + (1 - w) * prob``.

    ``method="motion"`` (the default): ``w = weight * clip(1 - change / change_scale, 0, 1)``, where ``change`` is
    the disagreement between the new and the previous probability (after a 3x3 blur). A flicker is a small
    disagreement (0.45 against 0.55) and is smoothed away; a moving arm is a large one and passes at once, so the
    mask never trails the picture. ``method="ema"``: the fixed blend of earlier releases (``w = weight``
    everywhere), which lags moving limbs. ``weight`` 0 turns smoothing off; a frame of another size starts afresh.
    Measured by ``benchmarks/video_stability.py``."""

    def __init__(self, weight: float = DEFAULT_SMOOTHING, method: str = "motion", change_scale: float = 0.7) -> None:
        if not 0 <= weight < 1:
            raise EffectError(f"smoothing must be in [0, 1), got {weight!r}")
        if method not in SMOOTHING_METHODS:
            raise EffectError(f"unknown smoothing method {method!r}; choose one of {', '.join(SMOOTHING_METHODS)}")
        self.weight, self.method, self.change_scale = weight, method, change_scale
        self.previous: np.ndarray | None = None

    def __call__(self, prob: np.ndarray) -> np.ndarray:
        if self.weight > 0 and self.previous is not None and self.previous.shape == prob.shape:
            prob = self._blend(prob)
        self.previous = prob
        return prob

    def _blend(self, prob: np.ndarray) -> np.ndarray:
        if self.method == "ema":
            return self.weight * self.previous + (1 - self.weight) * prob
        change = cv2.blur(np.abs(prob - self.previous).astype(np.float32), (3, 3))
        w = self.weight * np.clip(1 - change / self.change_scale, 0, 1)
        return (w * self.previous + (1 - w) * prob).astype(np.float32)
