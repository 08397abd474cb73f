"""Evaluate a segmenter on labelled pairs with the metrics defined in docs/metrics.md."""

from __future__ import annotations

import sys
from typing import Any

from tqdm.auto import tqdm

from portraitseg.segmenter import Segmenter
from portraitseg.evaluation.data import Pair, load_pair
from portraitseg.evaluation.metrics import MetricAccumulator
from portraitseg.thresholds import DEFAULT_THRESHOLD, person_mask, threshold_for


def evaluate(segmenter: Segmenter, pairs: list[Pair], threshold: float | None = None, progress: bool = True,
             per_image: bool = False) -> dict[str, Any]:
    """Threshold each probability at ``threshold`` (default: the segmenter's own) at the original size and score it
    against the mask."""
    threshold = threshold_for(threshold, getattr(segmenter, "threshold", DEFAULT_THRESHOLD))
    acc = MetricAccumulator()
    names = []
    for pair in tqdm(pairs, desc="eval", unit="img", disable=not progress, leave=False,
                     mininterval=1 if sys.stderr.isatty() else 30):
        image, mask = load_pair(pair)
        acc.add(person_mask(segmenter(image), threshold), mask > 127)
        names.append(pair.name)
    result: dict[str, Any] = acc.summary()
    if per_image:
        result["per_image"] = [
            {"name": n, "iou": 100 * i, "boundary_f": b} for n, i, b in zip(names, acc.ious, acc.boundary_fs)
        ]
    return result
