"""Quality metrics (defined in docs/metrics.md), computed on boolean masks at the image's original size."""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

BOUNDARY_TOLERANCE = 3  # pixels


def foreground_iou(pred: np.ndarray, truth: np.ndarray) -> float:
    """IoU of the person class; 1.0 when both masks are empty (nothing to find, nothing found)."""
    union = np.logical_or(pred, truth).sum()
    return 1.0 if union == 0 else float(np.logical_and(pred, truth).sum() / union)


def _boundary(mask: np.ndarray) -> np.ndarray:
    m = mask.astype(np.uint8)
    return (m - cv2.erode(m, np.ones((3, 3), np.uint8), borderType=cv2.BORDER_REPLICATE)).astype(bool)


def boundary_counts(pred: np.ndarray, truth: np.ndarray, tolerance: int = BOUNDARY_TOLERANCE):
    """(matched predicted boundary px, predicted boundary px, matched true boundary px, true boundary px)."""
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * tolerance + 1, 2 * tolerance + 1))
    bp, bt = _boundary(pred), _boundary(truth)
    near_t = cv2.dilate(bt.astype(np.uint8), kernel).astype(bool)
    near_p = cv2.dilate(bp.astype(np.uint8), kernel).astype(bool)
    return int((bp & near_t).sum()), int(bp.sum()), int((bt & near_p).sum()), int(bt.sum())


def boundary_f(pred: np.ndarray, truth: np.ndarray, tolerance: int = BOUNDARY_TOLERANCE) -> float:
    """F-score of boundary pixels within ``tolerance`` pixels of the other mask's boundary (1.0 if both have none)."""
    mp, np_, mt, nt = boundary_counts(pred, truth, tolerance)
    if np_ == 0 and nt == 0:
        return 1.0
    precision = mp / np_ if np_ else 0.0
    recall = mt / nt if nt else 0.0
    return 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)


@dataclass
class MetricAccumulator:
    """Accumulates per-image IoU and boundary F, and the dataset-level intersection and union."""

    ious: list[float] = field(default_factory=list)
    boundary_fs: list[float] = field(default_factory=list)
    person_shares: list[float] = field(default_factory=list)
    images_with_people: int = 0
    intersection: int = 0
    union: int = 0

    def add(self, pred: np.ndarray, truth: np.ndarray) -> float:
        if pred.shape != truth.shape:
            raise ValueError(f"prediction {pred.shape} and truth {truth.shape} differ in size")
        iou = foreground_iou(pred, truth)
        self.ious.append(iou)
        self.boundary_fs.append(boundary_f(pred, truth))
        self.person_shares.append(float(pred.mean()))
        self.images_with_people += bool(truth.any())
        self.intersection += int(np.logical_and(pred, truth).sum())
        self.union += int(np.logical_or(pred, truth).sum())
        return iou

    def summary(self) -> dict[str, float]:
        """Percentages for IoUs, a 0-1 score for boundary F (as the peers' figures are quoted), and the share of
        pixels predicted as person (mean over images, %) with the number of images where it exceeds 1%: the
        figures that matter on person-free photos."""
        n = len(self.ious)
        return {
            "images": n,
            "miou": 100 * float(np.mean(self.ious)) if n else float("nan"),
            "dataset_iou": 100 * self.intersection / self.union if self.union else float("nan"),
            "boundary_f": float(np.mean(self.boundary_fs)) if n else float("nan"),
            "person_share": 100 * float(np.mean(self.person_shares)) if n else float("nan"),
            "over_1pct": int(sum(s > 0.01 for s in self.person_shares)),
            "images_with_people": self.images_with_people,
        }
