"""Model selection on validation data only: one score per epoch that rewards accuracy on held-out training-domain
photos and on real-world photos with people, and punishes painting people into person-free photos.

    selection = mean(val_miou, people_miou, crops_miou) - mean(empty_share, val_empty_share)

``val_miou``: mean per-image IoU on the held-out fraction of the training sets; ``people_miou``: the same on the
``selection_people`` set (coco128_person ``with_people`` by default: groups, small and off-centre people);
``crops_miou``: the same on the body-crop views (``selection_crops``: torsos, arms and hands filling the frame);
``empty_share``: the mean percentage of pixels predicted as person on the ``selection_empty`` set (person-free
photos); ``val_empty_share``: the same on the held-out person-free training pairs. A set that is not configured
(or holds no photo) drops out of the formula. All are in percent, so one point of false-positive area costs
as much as one point of IoU.
"""

from __future__ import annotations

import math
from typing import Any


def selection_score(metrics: dict[str, Any]) -> float:
    """The score of one epoch's validation metrics (keys ``val_miou``, ``people_miou``, ``crops_miou``,
    ``empty_person_share``, ``val_empty_person_share``)."""
    ious = [metrics[k] for k in ("val_miou", "people_miou", "crops_miou") if _finite(metrics.get(k))]
    if not ious:
        return float("nan")
    shares = [metrics[k] for k in ("empty_person_share", "val_empty_person_share") if _finite(metrics.get(k))]
    return sum(ious) / len(ious) - (sum(shares) / len(shares) if shares else 0.0)


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)
