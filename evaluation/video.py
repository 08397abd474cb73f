"""Video clips with ground truth, made from labelled photos, and the measures of a mask's stability over time.

A clip is a camera moving over a labelled photo (pan, zoom or shake) or a person cut from one moving over a
person-free scene. The path alternates still stretches, slow drift and bursts of fast motion; every frame gets
fresh sensor noise, as a webcam's does, so a still frame is never pixel-identical to the last. The truth is the
mask moved exactly as the picture is.

Measures (``stability``): ``miou``, the mean per-frame person IoU; ``flicker``, the share of pixels (%) whose
predicted label changes between consecutive frames while their true label does not; ``lag_miou``, the mean IoU
over the frames of fast motion and the two after it, where a smoother that trails the picture loses.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from portraitseg.thresholds import label_person

# (kind of segment, frames): still, fast, still, slow drift, fast, still
SEGMENTS = (("still", 8), ("fast", 5), ("still", 8), ("slow", 10), ("fast", 5), ("still", 8))
KINDS = ("pan", "zoom", "shake")


@dataclass
class Clip:
    name: str
    frames: list[np.ndarray]   # uint8 RGB (H, W, 3)
    truths: list[np.ndarray]   # bool (H, W)
    fast: list[bool]           # frame during fast motion or within two frames after it


def _schedule(rng: np.random.Generator) -> tuple[list[str], list[float]]:
    """Per frame: its segment kind and a signed step size (fraction of the frame width per frame)."""
    kinds, steps = [], []
    for kind, count in SEGMENTS:
        speed = {"still": 0.0, "slow": 0.004, "fast": 0.04}[kind] * rng.choice([-1, 1])
        kinds += [kind] * count
        steps += [speed] * count
    return kinds, steps


def _fast_flags(kinds: list[str]) -> list[bool]:
    flags = [k == "fast" for k in kinds]
    return [any(flags[max(0, i - 2) : i + 1]) for i in range(len(kinds))]


def _noisy(frame: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    gain = rng.uniform(0.98, 1.02)
    noisy = frame.astype(np.float32) * gain + rng.normal(0, 3.0, frame.shape).astype(np.float32)
    return np.clip(noisy, 0, 255).astype(np.uint8)


def clip_from_photo(image: np.ndarray, mask: np.ndarray, kind: str, rng: np.random.Generator,
                    size: tuple[int, int] = (360, 480), name: str = "") -> Clip:
    """A camera moving over a labelled photo: ``pan`` (sideways), ``zoom`` (in and out) or ``shake`` (a hand-held
    jitter on top of a pan). The window stays inside the photo."""
    h, w = mask.shape
    out_h, out_w = size
    base = max(out_w / w, out_h / h)
    kinds, steps = _schedule(rng)
    cx, cy, zoom = w / 2, h / 2, 1.15
    frames, truths = [], []
    for kind_now, step in zip(kinds, steps):
        if kind == "zoom":
            zoom = float(np.clip(zoom * (1 + 3 * step), 1.0, 1.5))
        else:
            cx += step * w
        if kind == "shake":
            cx, cy = cx + rng.normal(0, 0.006) * w, cy + rng.normal(0, 0.006) * h
        scale = base * zoom
        half_w, half_h = out_w / (2 * scale), out_h / (2 * scale)
        cx, cy = float(np.clip(cx, half_w, w - half_w)), float(np.clip(cy, half_h, h - half_h))
        matrix = np.float32([[scale, 0, out_w / 2 - scale * cx], [0, scale, out_h / 2 - scale * cy]])
        frame = cv2.warpAffine(image, matrix, (out_w, out_h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        truth = label_person(cv2.warpAffine(mask, matrix, (out_w, out_h), flags=cv2.INTER_LINEAR,
                                            borderMode=cv2.BORDER_REPLICATE))
        frames.append(_noisy(frame, rng))
        truths.append(truth)
    return Clip(name or kind, frames, truths, _fast_flags(kinds))


def clip_over_scene(image: np.ndarray, mask: np.ndarray, scene: np.ndarray, rng: np.random.Generator,
                    size: tuple[int, int] = (360, 480), name: str = "") -> Clip:
    """The person of a labelled photo (its bounding box, cut by the frame's bottom edge as webcams show people)
    walking across a still person-free scene: still, then darting sideways, drifting, darting back."""
    out_h, out_w = size
    rows, cols = np.flatnonzero(label_person(mask.max(axis=1))), np.flatnonzero(label_person(mask.max(axis=0)))
    person, alpha = image[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1], mask[rows[0] : rows[-1] + 1,
                                                                               cols[0] : cols[-1] + 1]
    scale = 0.8 * out_h / person.shape[0]
    ph, pw = max(2, round(person.shape[0] * scale)), max(2, round(person.shape[1] * scale))
    person = cv2.resize(person, (pw, ph), interpolation=cv2.INTER_AREA).astype(np.float32)
    alpha = cv2.resize(alpha, (pw, ph), interpolation=cv2.INTER_LINEAR).astype(np.float32) / 255.0
    sh, sw = scene.shape[:2]
    cover = max(out_w / sw, out_h / sh)
    backdrop = cv2.resize(scene, (max(out_w, round(sw * cover)), max(out_h, round(sh * cover))),
                          interpolation=cv2.INTER_AREA)[:out_h, :out_w].astype(np.float32)
    kinds, steps = _schedule(rng)
    x = (out_w - pw) / 2
    frames, truths = [], []
    for step in steps:
        x = float(np.clip(x + 2 * step * out_w, -0.3 * pw, out_w - 0.7 * pw))
        x0, y0 = int(round(x)), out_h - ph
        canvas, truth = backdrop.copy(), np.zeros((out_h, out_w), bool)
        cx0, cx1 = max(0, x0), min(out_w, x0 + pw)
        part = alpha[:, cx0 - x0 : cx1 - x0, None]
        canvas[y0:, cx0:cx1] = person[:, cx0 - x0 : cx1 - x0] * part + canvas[y0:, cx0:cx1] * (1 - part)
        truth[y0:, cx0:cx1] = part[..., 0] > 0.5
        frames.append(_noisy(canvas, rng))
        truths.append(truth)
    return Clip(name or "scene", frames, truths, _fast_flags(kinds))


def stability(predictions: list[np.ndarray], clip: Clip) -> dict[str, float]:
    """``miou``, ``flicker`` (%) and ``lag_miou`` of a clip's boolean predictions (see the module docstring)."""
    ious = []
    for pred, truth in zip(predictions, clip.truths):
        union = np.logical_or(pred, truth).sum()
        ious.append(1.0 if union == 0 else np.logical_and(pred, truth).sum() / union)
    flicker = [np.mean((p != q) & (t == u)) for p, q, t, u in
               zip(predictions[1:], predictions, clip.truths[1:], clip.truths)]
    lagging = [iou for iou, fast in zip(ious, clip.fast) if fast]
    return {"miou": 100 * float(np.mean(ious)), "flicker": 100 * float(np.mean(flicker)),
            "lag_miou": 100 * float(np.mean(lagging))}
