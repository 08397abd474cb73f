"""Where a probability becomes a person: the one default threshold and the one rule for choosing and applying
it, shared by the library, the commands, batch, the demo and evaluation."""

from __future__ import annotations

import numpy as np

DEFAULT_THRESHOLD = 0.5  # a model config's threshold when it names none


def threshold_for(given: float | None, model_threshold: float) -> float:
    """The caller's threshold when given, else the model's own."""
    return model_threshold if given is None else given


def person_mask(prob: np.ndarray, threshold: float) -> np.ndarray:
    """Boolean mask of the pixels whose probability is at or above ``threshold``."""
    return prob >= threshold


def mask_uint8(prob: np.ndarray, threshold: float) -> np.ndarray:
    """The person mask as the 0/255 picture every output writes."""
    return person_mask(prob, threshold).view(np.uint8) * np.uint8(255)
