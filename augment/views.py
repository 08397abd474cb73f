"""Augmenters for the views of people that portrait data lacks and everyday photos are full of: bodies filling the
frame with the head cut off, people lying down or seen from above, dark clothes in low light, and one person
overlapping another. Each keeps the label aligned; unknown label pixels (``IGNORE_LABEL``) travel with the image.

``body_crop`` and ``overlap_person`` draw people from the training set, as ``copy_paste`` does (the data set binds
itself as their pool before training)."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from portraitseg.augment.composite import PooledAugmenter, cut_person, person_box
from portraitseg.augment.transforms import Augmenter, warp_pair
from portraitseg.effects import composite
from portraitseg.geometry import cover_crop, resize, resize_label
from portraitseg.pixels import to_uint8
from portraitseg.thresholds import label_person


def body_window(mask: np.ndarray, aspect: float, rng: np.random.Generator, fill: tuple[float, float],
                headless: float, min_side: int = 64, tries: int = 12) -> tuple[int, int, int, int] | None:
    """A window (y0, y1, x0, x1) of ``aspect`` (height / width) inside the photo where the person covers a share of
    it in ``fill`` (the best of ``tries`` draws); with probability ``headless`` its top lies 15-45% down the
    person, below the head. None where the mask holds no person, no window of ``min_side`` pixels a side fits (a
    person too small in the photo for a close view), or none comes within half of ``fill[0]`` of the shares asked."""
    box = person_box(mask)
    if box is None:
        return None
    h, w = mask.shape
    py0, py1, px0, px1 = box
    person = label_person(mask)
    cut_head = rng.random() < headless
    top_low = py0 + (py1 - py0) * (rng.uniform(0.15, 0.45) if cut_head else 0.0)
    best, best_gap = None, np.inf
    for _ in range(tries):
        win_h = (py1 - top_low) * rng.uniform(0.35, 1.1)
        win_h = min(win_h, h, w * aspect)
        win_w = win_h / aspect
        if min(win_h, win_w) < min_side:
            continue
        y0 = top_low + rng.uniform(0.0 if cut_head else -0.1, 0.2) * win_h
        cx = rng.uniform(px0, px1)
        x0 = cx - win_w * rng.uniform(0.3, 0.7)
        y0 = int(np.clip(y0, 0, h - win_h))
        x0 = int(np.clip(x0, 0, w - win_w))
        window = (y0, y0 + int(win_h), x0, x0 + int(win_w))
        share = person[window[0] : window[1], window[2] : window[3]].mean()
        gap = max(fill[0] - share, share - fill[1], 0.0)
        if gap < best_gap:
            best, best_gap = window, gap
        if gap == 0.0:
            break
    return best if best_gap <= fill[0] / 2 else None  # nothing near the asked share: no close view here


@dataclass
class BodyCrop(PooledAugmenter):
    """With probability ``p``, replace the sample by a close view of a person from the training set: a
    canvas-shaped window where the person fills ``min_fill`` to ``max_fill`` of the frame, the head cut off in a
    share ``headless`` of them (torsos, arms and hands without a face). Windows are cut from the cached photo (1.5x
    the canvas), not from the canvas, so a close view stays sharp."""

    p: float = 0.2
    min_fill: float = 0.3
    max_fill: float = 0.9
    headless: float = 0.5

    def __post_init__(self) -> None:
        if not 0 < self.min_fill <= self.max_fill <= 1 or not 0 <= self.headless <= 1:
            raise ValueError("need 0 < min_fill <= max_fill <= 1 and headless in [0, 1]")

    def apply(self, image, mask, rng):
        self.require_pool()
        ch, cw = mask.shape
        for _ in range(4):
            photo, label = self.pool.pool_pair(int(rng.integers(self.pool.pool_size)))
            window = body_window(label, ch / cw, rng, (self.min_fill, self.max_fill), self.headless,
                                 min_side=min(ch, cw) // 2)
            if window is not None:
                y0, y1, x0, x1 = window
                return resize(photo[y0:y1, x0:x1], ch, cw), resize_label(label[y0:y1, x0:x1], ch, cw)
        return image, mask


@dataclass
class Rotate(Augmenter):
    """Turn the photo as people lying down or seen from above appear: by 90 or 270 degrees (share ``right_angle``),
    180 (share ``upside_down``), otherwise by a free angle up to ``max_angle``; the turned photo covers the canvas
    (a random window of it where the shapes differ, no padding for a right angle; mid-grey, labelled background,
    where a free angle uncovers corners)."""

    p: float = 0.2
    right_angle: float = 0.5
    upside_down: float = 0.15
    max_angle: float = 180.0

    def __post_init__(self) -> None:
        if not 0 <= self.right_angle + self.upside_down <= 1:
            raise ValueError("right_angle + upside_down is a probability in [0, 1]")

    def apply(self, image, mask, rng):
        canvas = mask.shape
        draw = rng.random()
        if draw < self.right_angle + self.upside_down:
            turns = 2 if draw >= self.right_angle else int(rng.choice([1, 3]))
            image, mask = np.rot90(image, turns), np.rot90(mask, turns)
            if mask.shape == canvas:
                return np.ascontiguousarray(image), np.ascontiguousarray(mask)
            return cover_crop(np.ascontiguousarray(image), np.ascontiguousarray(mask), canvas, rng)
        h, w = canvas
        matrix = cv2.getRotationMatrix2D((w / 2, h / 2), rng.uniform(-self.max_angle, self.max_angle), 1.0)
        return warp_pair(image, mask, matrix)


@dataclass
class LowLight(Augmenter):
    """Under-exposure: the photo darkened by an exposure factor in [``exposure_low``, ``exposure_high``] and a gamma
    in [1, ``gamma_high``], with sensor noise that grows as the light falls (up to ``noise`` in 0-255 units). With
    probability ``dark_clothes`` the person's body (below the top ``head_share`` of them) is darkened further,
    as dark clothing is."""

    p: float = 0.15
    exposure_low: float = 0.15
    exposure_high: float = 0.6
    gamma_high: float = 2.2
    noise: float = 12.0
    dark_clothes: float = 0.5
    head_share: float = 0.25

    def __post_init__(self) -> None:
        if not 0 < self.exposure_low <= self.exposure_high <= 1 or self.gamma_high < 1:
            raise ValueError("need 0 < exposure_low <= exposure_high <= 1 and gamma_high >= 1")

    def apply(self, image, mask, rng):
        light = image.astype(np.float32) / 255.0
        box = person_box(mask)
        if box is not None and rng.random() < self.dark_clothes:
            body = label_person(mask).astype(np.float32)
            body[: box[0] + int(self.head_share * (box[1] - box[0]))] = 0.0
            body = cv2.GaussianBlur(body, (0, 0), 2.0)[..., None]
            light *= 1.0 - body * rng.uniform(0.4, 0.85)
        exposure = rng.uniform(self.exposure_low, self.exposure_high)
        light = np.power(light * exposure, rng.uniform(1.0, self.gamma_high))
        sigma = self.noise * (1.0 - exposure) / 255.0
        light += rng.normal(0.0, 1.0, light.shape).astype(np.float32) * sigma * np.sqrt(light + 0.02)
        return to_uint8(light, 255), mask


@dataclass
class OverlapPerson(PooledAugmenter):
    """A second person from the training set pasted overlapping the sample's person (hugs, crowds, an arm over a
    shoulder): about the same height, shifted sideways by ``min_overlap`` to ``max_overlap`` of the width they
    share, in front of the first or (share ``behind``) behind them. The label is the union of what is visible."""

    p: float = 0.15
    min_overlap: float = 0.2
    max_overlap: float = 0.6
    behind: float = 0.5

    def __post_init__(self) -> None:
        if not 0 <= self.min_overlap <= self.max_overlap <= 1 or not 0 <= self.behind <= 1:
            raise ValueError("need 0 <= min_overlap <= max_overlap <= 1 and behind in [0, 1]")

    def apply(self, image, mask, rng):
        self.require_pool()
        box = person_box(mask)
        other = cut_person(*self.pool.pool_pair(int(rng.integers(self.pool.pool_size))))
        if box is None or other is None:
            return image, mask
        y0, y1, x0, x1 = box
        ch, cw = mask.shape
        scale = (y1 - y0) * rng.uniform(0.8, 1.2) / other.mask.shape[0]
        ph, pw = max(2, round(other.mask.shape[0] * scale)), max(2, round(other.mask.shape[1] * scale))
        person, alpha = resize(other.image, ph, pw), resize(other.mask, ph, pw)
        if rng.random() < 0.5:
            person, alpha = person[:, ::-1], alpha[:, ::-1]
        shift = (1.0 - rng.uniform(self.min_overlap, self.max_overlap)) * min(pw, x1 - x0)
        x = int(round(x0 + shift if rng.random() < 0.5 else x1 - shift - pw))
        y = int(round(y0 + rng.uniform(-0.1, 0.1) * (y1 - y0)))
        cy0, cy1, cx0, cx1 = max(0, y), min(ch, y + ph), max(0, x), min(cw, x + pw)
        if cy1 <= cy0 or cx1 <= cx0:
            return image, mask
        alpha = alpha[cy0 - y : cy1 - y, cx0 - x : cx1 - x]
        soft = cv2.GaussianBlur(alpha.astype(np.float32) / 255.0, (0, 0), 1.0)
        if rng.random() < self.behind:  # the first person stays in front: the second shows only around them
            soft *= mask[cy0:cy1, cx0:cx1] <= 127
        out_image, out_mask = image.copy(), mask.copy()
        region = out_image[cy0:cy1, cx0:cx1]
        out_image[cy0:cy1, cx0:cx1] = composite(person[cy0 - y : cy1 - y, cx0 - x : cx1 - x], soft, region)
        out_mask[cy0:cy1, cx0:cx1][soft > 0.5] = 255
        return out_image, out_mask
