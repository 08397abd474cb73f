"""Where a probability becomes a person: the one default threshold and the one rule for choosing and applying
it, shared by the library, the commands, batch, the demo and evaluation; and the one rule for a label mask's
person pixels, shared by training, augmentation and evaluation."""

from __future__ import annotations

import numbers

import numpy as np

DEFAULT_THRESHOLD = 0.5  # a model config's threshold when it names none
LABEL_PERSON_ABOVE = 127  # label masks are 0 / 255; resizing greys their edges, and above half is person


def valid_threshold(value) -> bool:
    """Whether ``value`` can be a threshold: a finite number strictly between 0 and 1 (at 0 or 1 every pixel, or
    none, would be the person). One range for a model's config, an effect and the live route."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and 0 < value < 1


def threshold_for(given: float | None, model_threshold: float) -> float:
    """The caller's threshold when given, else the model's own."""
    return model_threshold if given is None else given


def person_mask(prob: np.ndarray, threshold: float) -> np.ndarray:
    """Boolean mask of the pixels whose probability is at or above ``threshold``."""
    return prob >= threshold


def mask_uint8(prob: np.ndarray, threshold: float) -> np.ndarray:
    """The person mask as the 0/255 picture every output writes."""
    return person_mask(prob, threshold).view(np.uint8) * np.uint8(255)


def label_person(mask):
    """The person pixels of a label mask (a NumPy array or a torch tensor, 0..255): above
    :data:`LABEL_PERSON_ABOVE`."""
    return mask > LABEL_PERSON_ABOVE
