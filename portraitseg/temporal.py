"""Temporal smoothing of probability masks for video: less flicker at the edges, a little lag."""

from __future__ import annotations

import numpy as np

from portraitseg.errors import EffectError


class TemporalSmoother:
    """Blends each mask with the previous smoothed one: ``out = weight * previous + (1 - weight) * prob``.
    ``weight`` 0 turns smoothing off; a frame of another size starts afresh."""

    def __init__(self, weight: float = 0.5) -> None:
        if not 0 <= weight < 1:
            raise EffectError(f"smoothing must be in [0, 1), got {weight!r}")
        self.weight = weight
        self.previous: np.ndarray | None = None

    def __call__(self, prob: np.ndarray) -> np.ndarray:
        if self.weight > 0 and self.previous is not None and self.previous.shape == prob.shape:
            prob = self.weight * self.previous + (1 - self.weight) * prob
        self.previous = prob
        return prob
