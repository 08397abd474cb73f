"""Copy-paste composites (Ghiasi et al., "Simple Copy-Paste is a Strong Data Augmentation", CVPR 2021): people
from the training pairs pasted at any scale and position onto another training photo or a person-free scene, and
person-free canvases with empty masks. They teach layout that portrait data sets lack: groups, small and
off-centre people, people cut by the frame, and photos with nobody in them.

Acting on a sample needs other samples: the data set binds itself as the pool (``pool_size`` and ``pool_pair(i)``,
see :class:`portraitseg.trainers.data.TrainingSet`) before training starts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import cv2
import numpy as np

from portraitseg.augment.backgrounds import DEFAULT_BACKGROUNDS, BackgroundPhotos
from portraitseg.augment.transforms import Augmenter, synthetic_background
from portraitseg.effects import composite
from portraitseg.geometry import binary_mask, cover_crop, resize
from portraitseg.thresholds import label_person


class SamplePool(Protocol):
    """Random access to decoded training pairs: uint8 RGB (H, W, 3) and uint8 label (H, W) of 0 / 255 /
    ``IGNORE_LABEL``; ``person_free`` lists the indices of pairs with nobody in them."""

    @property
    def pool_size(self) -> int: ...

    person_free: list[int]

    def pool_pair(self, index: int) -> tuple[np.ndarray, np.ndarray]: ...


@dataclass
class PooledAugmenter(Augmenter):
    """An augmenter that draws from the training set: the data set binds itself as its pool before training."""

    pool: SamplePool | None = field(default=None, init=False, repr=False, kw_only=True)

    def bind(self, pool: SamplePool) -> None:
        """Draw people and person-free windows from ``pool`` (the training set)."""
        self.pool = pool

    def require_pool(self) -> None:
        if self.pool is None or self.pool.pool_size == 0:
            raise RuntimeError(f"{type(self).__name__} needs a pool of training pairs: the training set binds "
                               "itself")


@dataclass
class Cutout:
    """One person region cut from a training pair, with the borders of its photo that it touches."""

    image: np.ndarray
    mask: np.ndarray
    top: bool
    bottom: bool
    left: bool
    right: bool


def person_box(mask: np.ndarray) -> tuple[int, int, int, int] | None:
    """(y0, y1, x0, x1) bounding every person pixel of the mask, or None where it has none."""
    rows, cols = np.flatnonzero(label_person(mask.max(axis=1))), np.flatnonzero(label_person(mask.max(axis=0)))
    if rows.size == 0:
        return None
    return int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1


def cut_person(image: np.ndarray, mask: np.ndarray) -> Cutout | None:
    """The bounding box of the mask's person pixels, or None where the mask is empty. Unknown label pixels
    (``IGNORE_LABEL``) are left out of the cut-out's mask."""
    box = person_box(mask)
    if box is None:
        return None
    y0, y1, x0, x1 = box
    h, w = mask.shape
    return Cutout(image[y0:y1, x0:x1], binary_mask(mask[y0:y1, x0:x1]), y0 == 0, y1 == h, x0 == 0, x1 == w)


def crop_body(cutout: Cutout, rng: np.random.Generator) -> Cutout | None:
    """A part of the person with the head left out, as photos show bodies without faces: the lower 40-75%
    (torso and legs, or legs alone), or the left or right 35-65% of a person (an arm, a side of a back). The cut
    side is marked as touching the border, so it is pasted against the canvas's edge like any cut person.
    None where the part holds no person pixels."""
    h, w = cutout.mask.shape
    if rng.random() < 0.6:
        y0 = int(h * rng.uniform(0.25, 0.6))
        part = Cutout(cutout.image[y0:], cutout.mask[y0:], True, cutout.bottom, cutout.left, cutout.right)
    elif rng.random() < 0.5:
        x1 = max(1, int(w * rng.uniform(0.35, 0.65)))
        part = Cutout(cutout.image[:, :x1], cutout.mask[:, :x1], cutout.top, cutout.bottom, cutout.left, True)
    else:
        x0 = int(w * rng.uniform(0.35, 0.65))
        part = Cutout(cutout.image[:, x0:], cutout.mask[:, x0:], cutout.top, cutout.bottom, True, cutout.right)
    return part if part.mask.size and label_person(part.mask.max()) else None


def person_free_window(image: np.ndarray, mask: np.ndarray, rng: np.random.Generator,
                       min_share: float = 0.08) -> np.ndarray | None:
    """A strip of ``image`` left of, right of, above or below every labelled person (picked with probability
    proportional to its area), or None where no strip holds ``min_share`` of the photo."""
    box = person_box(np.where(mask > 0, 255, 0))  # unknown pixels may hide a person: keep out of them too
    if box is None:
        return image
    h, w = mask.shape
    y0, y1, x0, x1 = box
    strips = [s for s in (image[:, :x0], image[:, x1:], image[:y0], image[y1:])
              if s.shape[0] * s.shape[1] >= min_share * h * w and min(s.shape[:2]) >= 8]
    if not strips:
        return None
    areas = np.array([s.shape[0] * s.shape[1] for s in strips], float)
    return strips[int(rng.choice(len(strips), p=areas / areas.sum()))]


def random_blob(h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    """A smooth random shape filling most of an (h, w) box, uint8 0/255: round plates, loaves, animals, lamps."""
    k = int(rng.integers(5, 13))
    angles = np.sort(rng.uniform(0, 2 * np.pi, k))
    radii = rng.uniform(0.55, 1.0, k)
    points = np.stack([w / 2 + radii * np.cos(angles) * w / 2, h / 2 + radii * np.sin(angles) * h / 2], axis=1)
    blob = np.zeros((h, w), np.uint8)
    cv2.fillPoly(blob, [points.astype(np.int32)], 255)
    blob = cv2.GaussianBlur(blob, (0, 0), max(1.0, min(h, w) / 10))
    return binary_mask(blob)


def _offset(size: int, canvas: int, touches_low: bool, touches_high: bool, rng: np.random.Generator) -> int:
    """Where a pasted box of ``size`` starts along one axis. A side cut by its photo's border stays cut by the
    canvas's border (bottom stays bottom); free boxes may hang up to 30% outside the frame."""
    if touches_low and touches_high:
        return int(round((canvas - size) * rng.uniform(0.0, 1.0))) if size < canvas else int(
            rng.integers(canvas - size, 1))
    if touches_high:
        return canvas - size + int(round(rng.uniform(0.0, 0.25) * size))
    if touches_low:
        return -int(round(rng.uniform(0.0, 0.25) * size))
    return int(round(rng.uniform(-0.3 * size, max(-0.3 * size + 1, canvas - 0.7 * size))))


def _match_colour(person: np.ndarray, region: np.ndarray, strength: float) -> np.ndarray:
    """Move the person's per-channel mean and spread part of the way (``strength``) to the region's."""
    p = person.reshape(-1, 3).astype(np.float32)
    r = region.reshape(-1, 3).astype(np.float32)
    p_mean, p_std, r_mean, r_std = p.mean(0), p.std(0) + 1e-3, r.mean(0), r.std(0) + 1e-3
    target_mean = p_mean + strength * (r_mean - p_mean)
    target_std = p_std * (1 + strength * (r_std / p_std - 1))
    return (person.astype(np.float32) - p_mean) * (target_std / p_std) + target_mean


@dataclass
class CopyPaste(PooledAugmenter):
    """With probability ``p``, replace the sample by a composite. A share ``empty`` of composites is a person-free
    canvas with an empty mask. The others paste ``1..max_people`` people (fewer more often) onto the sample itself
    (its people stay labelled, later pastes occlude earlier ones, the mask is the union of what is visible) or,
    with probability ``background_canvas``, onto a person-free canvas. Each person is ``min_height`` to
    ``max_height`` of the canvas height (log-uniform), flipped half the time, placed anywhere including partly
    outside the frame, its edge feathered by ``feather`` pixels and its colours moved up to ``colour_match`` of
    the way to the canvas's. With probability ``objects``, 1 to ``max_objects`` things that are not people
    (person-free picture cut to a random blob, pasted the same way) join the composite, person-free ones included,
    so that "something pasted" or "a big central object" is no shortcut for "person"; an object pasted over a
    person hides that part of them. A share ``body_crop`` of pasted people is a part of a person with the head
    outside the frame (:func:`crop_body`). Person-free pictures are, with probability ``photo_share``, a whole
    person-free photo (from ``backgrounds``, one or more folders under ``$PORTRAITSEG_DATA``, or a person-free
    training pair: animals, food, furniture), otherwise a person-free window of a training photo."""

    p: float = 0.5
    empty: float = 0.2
    background_canvas: float = 0.5
    max_people: int = 5
    min_height: float = 0.1
    max_height: float = 1.0
    feather: float = 1.0
    colour_match: float = 0.5
    objects: float = 0.5
    max_objects: int = 2
    body_crop: float = 0.25
    photo_share: float = 0.6
    backgrounds: str | list[str] | None = DEFAULT_BACKGROUNDS

    def __post_init__(self) -> None:
        if not 0 <= self.empty <= 1 or not 0 <= self.background_canvas <= 1:
            raise ValueError("empty and background_canvas are probabilities in [0, 1]")
        if self.max_people < 1 or not 0 < self.min_height <= self.max_height:
            raise ValueError("need max_people >= 1 and 0 < min_height <= max_height")
        if not 0 <= self.objects <= 1 or self.max_objects < 1:
            raise ValueError("objects is a probability in [0, 1] and max_objects at least 1")
        if not 0 <= self.body_crop <= 1 or not 0 <= self.photo_share <= 1:
            raise ValueError("body_crop and photo_share are probabilities in [0, 1]")
        self._photos = BackgroundPhotos(self.backgrounds, "copy_paste")

    def apply(self, image, mask, rng):
        self.require_pool()
        canvas = mask.shape
        pastes = ["object"] * (int(rng.integers(1, self.max_objects + 1)) if rng.random() < self.objects else 0)
        if rng.random() < self.empty:
            image, mask = self._person_free(canvas, rng), np.zeros(canvas, np.uint8)
        else:
            if rng.random() < self.background_canvas:
                image, mask = self._person_free(canvas, rng), np.zeros(canvas, np.uint8)
            weights = 1.0 / np.arange(1, self.max_people + 1)
            pastes += ["person"] * (1 + int(rng.choice(self.max_people, p=weights / weights.sum())))
        out_image, out_mask = image.astype(np.float32), mask.copy()
        for kind in rng.permutation(pastes):
            if kind == "person":
                cutout = self._person(rng)
                if cutout is not None and rng.random() < self.body_crop:
                    cutout = crop_body(cutout, rng)
                if cutout is not None:
                    self._paste(cutout, out_image, out_mask, rng, self.min_height, self.max_height, is_person=True)
            else:
                self._paste(self._object(canvas, rng), out_image, out_mask, rng, 0.15, 0.8, is_person=False)
        return np.clip(out_image, 0, 255).astype(np.uint8), out_mask

    def _person(self, rng: np.random.Generator, tries: int = 4) -> Cutout | None:
        """A person cut from a random training pair (person-free pairs in the pool are passed over)."""
        for _ in range(tries):
            cutout = cut_person(*self.pool.pool_pair(int(rng.integers(self.pool.pool_size))))
            if cutout is not None:
                return cutout
        return None

    def _object(self, canvas: tuple[int, int], rng: np.random.Generator) -> Cutout:
        """A person-free picture cut to a random smooth blob: a pasted thing that is not a person."""
        h = int(canvas[0] * rng.uniform(0.3, 1.0))
        w = max(8, int(h * rng.uniform(0.5, 2.0)))
        return Cutout(self._person_free((h, w), rng), random_blob(h, w, rng), False, False, False, False)

    def _person_free(self, canvas: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
        """A canvas-sized person-free picture: a person-free photo, or a window of a training photo beside, above or
        below its people; a synthetic one where neither is at hand."""
        free = getattr(self.pool, "person_free", ())
        photos = len(self._photos) + len(free)
        if photos and rng.random() < self.photo_share:
            k = int(rng.integers(photos))
            return cover_crop(self._photos.photo(k) if k < len(self._photos) else
                              self.pool.pool_pair(free[k - len(self._photos)])[0], None, canvas, rng)[0]
        for _ in range(4):
            window = person_free_window(*self.pool.pool_pair(int(rng.integers(self.pool.pool_size))), rng)
            if window is not None:
                return cover_crop(window, None, canvas, rng)[0]
        return synthetic_background(*canvas, rng)

    def _paste(self, cutout: Cutout, image: np.ndarray, mask: np.ndarray, rng: np.random.Generator,
               min_height: float, max_height: float, is_person: bool) -> None:
        """Paste ``cutout`` at a random scale and place; the mask gains its pixels (a person) or loses them (an
        object in front of whoever was there)."""
        ch, cw = mask.shape
        height = ch * float(np.exp(rng.uniform(np.log(min_height), np.log(max_height))))
        scale = min(height / cutout.mask.shape[0], 1.5 * cw / cutout.mask.shape[1])
        if cutout.top and cutout.bottom:  # cut at both ends: span the canvas, so neither cut shows inside it
            scale = max(scale, ch / cutout.mask.shape[0])
        if cutout.left and cutout.right:
            scale = max(scale, cw / cutout.mask.shape[1])
        ph, pw = max(2, round(cutout.mask.shape[0] * scale)), max(2, round(cutout.mask.shape[1] * scale))
        person, alpha = resize(cutout.image, ph, pw), resize(cutout.mask, ph, pw)
        left, right = cutout.left, cutout.right
        if rng.random() < 0.5:
            person, alpha, left, right = person[:, ::-1], alpha[:, ::-1], right, left
        y = _offset(ph, ch, cutout.top, cutout.bottom, rng)
        x = _offset(pw, cw, left, right, rng)
        cy0, cy1, cx0, cx1 = max(0, y), min(ch, y + ph), max(0, x), min(cw, x + pw)
        if cy1 <= cy0 or cx1 <= cx0:
            return
        person = person[cy0 - y : cy1 - y, cx0 - x : cx1 - x]
        alpha = alpha[cy0 - y : cy1 - y, cx0 - x : cx1 - x]
        region = image[cy0:cy1, cx0:cx1]
        if self.colour_match > 0:
            person = _match_colour(person, region, rng.uniform(0, self.colour_match))
        soft = alpha.astype(np.float32) / 255.0
        if self.feather > 0:
            soft = cv2.GaussianBlur(soft, (0, 0), self.feather)
        image[cy0:cy1, cx0:cx1] = composite(person, soft, region)
        covered = label_person(alpha)
        mask[cy0:cy1, cx0:cx1][covered] = 255 if is_person else 0
