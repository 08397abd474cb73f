"""Evaluate a segmenter on labelled pairs with the metrics defined in docs/metrics.md."""

from __future__ import annotations

import logging
import sys
from typing import Any, Callable

import numpy as np

from tqdm.auto import tqdm

from portraitseg.errors import ImageReadError
from portraitseg.segmenter import Segmenter
from portraitseg.evaluation.data import Pair, load_pair
from portraitseg.evaluation.metrics import MetricAccumulator
from portraitseg.thresholds import DEFAULT_THRESHOLD, label_person, person_mask, threshold_for

log = logging.getLogger(__name__)
View = Callable[[np.ndarray, np.ndarray, str], tuple[np.ndarray, np.ndarray]]


def evaluate(segmenter: Segmenter, pairs: list[Pair], threshold: float | None = None, progress: bool = True,
             per_image: bool = False, view: View | None = None) -> dict[str, Any]:
    """Threshold each probability at ``threshold`` (default: the segmenter's own) at the original size and score it
    against the mask. ``view`` turns each (image, mask, name) into the view scored (a crop, say)."""
    threshold = threshold_for(threshold, getattr(segmenter, "threshold", DEFAULT_THRESHOLD))
    acc = MetricAccumulator()
    names, skipped = [], []
    for pair in tqdm(pairs, desc="eval", unit="img", disable=not progress, leave=False,
                     mininterval=1 if sys.stderr.isatty() else 30):
        try:
            image, mask = load_pair(pair)
        except ImageReadError as exc:  # one unreadable pair is left out with a warning, not the whole score
            log.warning("skipped %s", exc)
            skipped.append(pair.name)
            continue
        if view is not None:
            image, mask = view(image, mask, pair.name)
        acc.add(person_mask(segmenter(image), threshold), label_person(mask))
        names.append(pair.name)
    if skipped and not names:
        raise ImageReadError(f"none of the {len(pairs)} pairs could be read (the first: {skipped[0]})")
    result: dict[str, Any] = acc.summary()
    if skipped:
        result["skipped"] = skipped
    if per_image:
        result["per_image"] = [
            {"name": n, "iou": 100 * i, "boundary_f": b} for n, i, b in zip(names, acc.ious, acc.boundary_fs)
        ]
    return result
