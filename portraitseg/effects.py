"""Turn a probability mask into what people want to see: a mask, a cut-out, or a new background."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import cv2
import numpy as np
from PIL import ImageColor

from portraitseg.bands import BAND_PIXELS, grow_rows, row_bands, sample
from portraitseg.errors import EffectError
from portraitseg.geometry import resize
from portraitseg.pixels import to_uint8
from portraitseg.thresholds import DEFAULT_THRESHOLD, mask_uint8, person_mask, valid_threshold

EFFECTS = ("mask", "prob", "cutout", "blur", "color", "replace")
DEFAULT_BLUR = 15.0  # the blur effect's default strength everywhere (sigma in pixels of a 640-pixel-wide frame)
DEFAULT_COLOR = "#00ff00"  # the 'color' effect's default everywhere: the library, the commands, the demo, live
VIEW_SOFTNESS = 0.2  # the edge softness of what is watched (the demo, the webcam); files default to a hard edge (0)


def alpha_from_prob(prob: np.ndarray, threshold: float = DEFAULT_THRESHOLD, softness: float = 0.0) -> np.ndarray:
    """Float alpha in [0, 1]. ``softness`` 0 gives a hard mask at ``threshold``; above 0 a smooth ramp of that
    width (in probability units) centred on the threshold, for soft edges."""
    if softness <= 0:
        return person_mask(prob, threshold).astype(np.float32)
    t = np.clip((prob - threshold) / softness + 0.5, 0.0, 1.0)
    return (t * t * (3 - 2 * t)).astype(np.float32)


def parse_color(text: str) -> tuple[int, int, int]:
    """``#00ff00``, ``0,255,0`` or a CSS colour name -> (r, g, b)."""
    text = text.strip()
    try:
        if "," in text:
            r, g, b = (int(v) for v in text.split(","))
            if not all(0 <= v <= 255 for v in (r, g, b)):
                raise ValueError
            return r, g, b
        return ImageColor.getrgb(text)[:3]
    except ValueError:
        raise EffectError(f"not a colour: {text!r} (use #rrggbb, r,g,b or a name like 'green')") from None


def cover_rows(background: np.ndarray, height: int, width: int) -> Callable[[slice], np.ndarray]:
    """Rows of :func:`cover`'s result, made a band at a time where the background is enlarged (the whole
    result is made once where it is reduced: it is no larger than the background then)."""
    bh, bw = background.shape[:2]
    scale = max(height / bh, width / bw)
    sh, sw = max(height, round(bh * scale)), max(width, round(bw * scale))
    if sh * sw <= bh * bw:
        covered = cover(background, height, width)
        return lambda rows: covered[rows]
    top, left = (sh - height) // 2, (sw - width) // 2
    return lambda rows: grow_rows(background, sh, sw, slice(top + rows.start, top + rows.stop))[:, left:left + width]


def cover(background: np.ndarray, height: int, width: int) -> np.ndarray:
    """Scale and centre-crop ``background`` to fill (height, width) without distortion."""
    bh, bw = background.shape[:2]
    scale = max(height / bh, width / bw)
    sh, sw = max(height, round(bh * scale)), max(width, round(bw * scale))
    scaled = resize(background, sh, sw)
    top, left = (sh - height) // 2, (sw - width) // 2
    return scaled[top : top + height, left : left + width]


BLUR_WORKING_PIXELS = 4_000_000  # the blur is computed at most this large (and grown back a band at a time)


def _blur_factor(h: int, w: int, sigma: float) -> int:
    """The reduction the background blur is computed at: a quarter of its sigma, and at least enough to bring the
    picture to :data:`BLUR_WORKING_PIXELS`."""
    return max(1, int(sigma // 4), math.ceil(math.sqrt(h * w / BLUR_WORKING_PIXELS)))


def blurred_small(image: np.ndarray, strength: float = DEFAULT_BLUR, weight: np.ndarray | None = None) -> np.ndarray:
    """Gaussian blur with sigma ``strength`` pixels (relative to a 640-pixel-wide frame, so it looks the same at
    any resolution), computed and returned at a reduced size (:func:`_blur_factor`), which is both faster and
    smoother; uint8. With ``weight`` (H, W; float in [0, 1] or uint8 in [0, 255]), a normalised blur of the
    weighted pixels only: blurring the background with ``weight = 1 - alpha`` keeps the person's colours out of
    it, so no bright halo forms around them."""
    h, w = image.shape[:2]
    sigma = max(0.5, strength * max(h, w) / 640)
    factor = _blur_factor(h, w, sigma)
    size = (max(1, w // factor), max(1, h // factor))

    def shrink(array: np.ndarray) -> np.ndarray:
        return cv2.resize(array, size, interpolation=cv2.INTER_AREA)

    if weight is None:
        return cv2.GaussianBlur(shrink(image), (0, 0), sigma / factor)
    small = shrink(image).astype(np.float32)  # all the arithmetic at the reduced size: a webcam frame's budget
    small_weight = shrink(weight).astype(np.float32) * (1 / 255 if weight.dtype == np.uint8 else 1)
    plain = cv2.GaussianBlur(small, (0, 0), sigma / factor)
    total = cv2.GaussianBlur(small_weight, (0, 0), sigma / factor)[..., None]
    masked = cv2.GaussianBlur(small * small_weight[..., None], (0, 0), sigma / factor)
    return to_uint8(np.where(total > 1e-3, masked / np.maximum(total, 1e-3), plain))


def composite(image: np.ndarray, alpha: np.ndarray, background: np.ndarray) -> np.ndarray:
    """``image`` (uint8 RGB) over ``background`` (uint8, or float for an enlarged blur) with ``alpha`` (H, W) in
    [0, 1]; uint8 RGB out, rounded to the nearest level. OpenCV's weighted blend, several times faster than the
    same sum in numpy on a 12 MP photo."""
    a = np.ascontiguousarray(alpha, dtype=np.float32)
    if background.dtype == np.uint8:
        return cv2.blendLinear(np.ascontiguousarray(image), np.ascontiguousarray(background), a, 1 - a)
    return to_uint8(cv2.blendLinear(image.astype(np.float32), np.ascontiguousarray(background, np.float32), a,
                                    1 - a))


def spread(image: np.ndarray, weight: np.ndarray, levels: int = 6) -> np.ndarray:
    """The colours of the pixels where ``weight`` is 1, spread into their surroundings: each pixel takes the
    weighted mean colour at the finest scale (a pyramid of 3x reductions, Gaussian sigma 2 at each) where enough
    weighted pixels are near. Float32 (H, W, 3)."""
    h, w = weight.shape
    colours = image.astype(np.float32)
    out, filled = colours.copy(), np.zeros((h, w), bool)
    for level in range(levels):
        factor = 3 ** level
        size = (max(1, w // factor), max(1, h // factor))
        small_weight = cv2.resize(weight, size, interpolation=cv2.INTER_AREA)
        small = cv2.resize(colours * weight[..., None], size, interpolation=cv2.INTER_AREA)
        total = cv2.resize(cv2.GaussianBlur(small_weight, (0, 0), 2.0), (w, h), interpolation=cv2.INTER_LINEAR)
        mean = cv2.resize(cv2.GaussianBlur(small, (0, 0), 2.0), (w, h), interpolation=cv2.INTER_LINEAR)
        found = (total > 0.05) & ~filled
        out[found] = mean[found] / total[found, None]
        filled |= found
        if filled.all():
            break
    return out


DECONTAMINATION_PIXELS = 2_000_000  # the colours spread into a soft edge are computed at most this large


class SpreadColours:
    """:func:`spread` of the pixels where ``sure_rows(rows)`` (a bool band) holds, computed at no more than
    :data:`DECONTAMINATION_PIXELS` and read at any full-size pixels. A larger photo is first brought down by
    whole blocks of pixels, each block giving the mean colour of its sure pixels, weighted by their share: so no
    colour from beyond the sure region leaks in. Smooth colour fields lose nothing by it; the edge's detail
    comes from the full-size photo and alpha where the fields are used."""

    def __init__(self, image: np.ndarray, sure_rows: Callable[[slice], np.ndarray]) -> None:
        h, w = image.shape[:2]
        self.full = (h, w)
        factor = min(h, w, math.ceil(math.sqrt(h * w / DECONTAMINATION_PIXELS)))
        if factor <= 1:
            weight = np.empty((h, w), np.float32)
            for rows in row_bands(h, w):
                weight[rows] = sure_rows(rows)
            self.field = spread(image, weight)
            return
        small_h, small_w = h // factor, w // factor
        share, sums = np.zeros((small_h, small_w), np.float32), np.zeros((small_h, small_w, 3), np.float32)
        step = max(1, BAND_PIXELS // (w * factor))  # block rows per band
        for top in range(0, small_h, step):
            blocks = slice(top, min(small_h, top + step))
            rows = slice(blocks.start * factor, blocks.stop * factor)
            sure = sure_rows(rows)[:, : small_w * factor].astype(np.float32)
            picture = image[rows, : small_w * factor].astype(np.float32) * sure[..., None]
            count = blocks.stop - blocks.start
            share[blocks] = sure.reshape(count, factor, small_w, factor).mean(axis=(1, 3))
            sums[blocks] = picture.reshape(count, factor, small_w, factor, 3).mean(axis=(1, 3))
        colours = sums / np.maximum(share, 1e-6)[..., None]
        self.field = spread(colours, share)

    def at(self, ys: np.ndarray, xs: np.ndarray) -> np.ndarray:
        """The spread colours at full-size pixels (ys, xs): (N, 3) float32."""
        if self.field.shape[:2] == self.full:
            return self.field[ys, xs]
        return sample(self.field, *self.full, ys, xs)


def decontaminate(out: np.ndarray, alpha_rows: Callable[[slice], np.ndarray]) -> None:
    """Replace, in ``out`` (uint8 RGB, the photo), the colours where alpha is between 0 and 1 by the person's own
    (colour decontamination). A pixel there is ``alpha * F + (1 - alpha) * B``: with ``B`` the nearby background
    and ``F`` the nearby person (the sure pixels' colours spread into the edge, :class:`SpreadColours`), ``F`` is
    solved for where ``alpha`` is large enough to trust, and taken from the nearby person where it is not. So hair
    cut out of a green wall and put on white carries no green fringe. Pixels with alpha 0 or 1 keep their colour.
    ``alpha_rows(rows)`` gives the float alpha of a band of rows: the full-size alpha is never made."""
    h, w = out.shape[:2]
    if all(((alpha <= 0.02) | (alpha >= 0.98)).all() for alpha in map(alpha_rows, row_bands(h, w))):
        return
    person_colours = SpreadColours(out, lambda rows: alpha_rows(rows) >= 0.98)
    background_colours = SpreadColours(out, lambda rows: alpha_rows(rows) <= 0.02)
    for rows in row_bands(h, w):
        alpha = alpha_rows(rows)
        ys, xs = np.nonzero((alpha > 0.02) & (alpha < 0.98))
        if not len(ys):
            continue
        a = np.maximum(alpha[ys, xs], 1e-3)[:, None]
        pixels = out[rows][ys, xs].astype(np.float32)
        full_ys = ys + rows.start
        solved = np.clip((pixels - (1 - a) * background_colours.at(full_ys, xs)) / a, 0, 255)
        trust = np.clip((a - 0.15) / 0.35, 0, 1)
        colours = trust * solved + (1 - trust) * person_colours.at(full_ys, xs)
        out[rows][ys, xs] = to_uint8(colours)


def foreground_colours(image: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """The person's own colours where ``alpha`` is between 0 and 1 (see :func:`decontaminate`); a copy."""
    out = image.copy()
    decontaminate(out, lambda rows: alpha[rows])
    return out


def checkerboard(h: int, w: int, cell: int = 16, top: int = 0) -> np.ndarray:
    """The usual grey checkerboard that stands for transparency where an image cannot have any (a preview); rows
    from ``top`` on, so a band of a larger one can be drawn alone."""
    ys = (np.arange(top, top + h) // cell)[:, None]
    xs = (np.arange(w) // cell)[None, :]
    return np.where(((ys + xs) % 2 == 0)[..., None], np.uint8(204), np.uint8(153)).repeat(3, axis=2)


MAX_BLUR = 200.0  # a Gaussian sigma in pixels at the photo's size; beyond it the background is one colour


@dataclass(eq=False)
class Effect:
    """What to make of an image and its person probability, validated once and reused for every photo or frame.

    ``kind``: ``mask`` (0/255 at ``threshold``), ``prob`` (the probability as 8-bit grey), ``cutout`` (RGBA, the
    alpha from ``threshold`` and ``softness``), ``blur``, ``color`` or ``replace`` (the background blurred with
    strength ``blur``, painted ``color`` or replaced by ``background``, an RGB array decoded once). ``softness``
    0 gives a hard edge; above 0 a ramp of that width in probability units around the threshold.
    """

    kind: str = "blur"
    threshold: float = DEFAULT_THRESHOLD
    softness: float = 0.0
    blur: float = DEFAULT_BLUR
    color: tuple[int, int, int] = ImageColor.getrgb(DEFAULT_COLOR)[:3]
    background: np.ndarray | None = field(default=None, repr=False)
    _covered: dict = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.kind not in EFFECTS:
            raise EffectError(f"unknown effect {self.kind!r}; choose one of {', '.join(EFFECTS)}")
        if not valid_threshold(self.threshold):
            raise EffectError(f"threshold must be between 0 and 1, got {self.threshold!r}")
        if not 0 <= self.softness <= 1:
            raise EffectError(f"softness must be between 0 and 1, got {self.softness!r}")
        if not 0 < self.blur <= MAX_BLUR:
            raise EffectError(f"blur strength must be above 0 and at most {MAX_BLUR:g}, got {self.blur!r}")
        if len(self.color) != 3 or not all(0 <= int(v) <= 255 for v in self.color):
            raise EffectError(f"color must be three values in 0..255, got {self.color!r}")
        if self.kind == "replace" and self.background is None:
            raise EffectError("effect 'replace' needs a background image")

    @classmethod
    def from_options(cls, kind: str = "blur", threshold: float = DEFAULT_THRESHOLD, softness: float = 0.0,
                     blur: float = DEFAULT_BLUR, color: str | tuple[int, int, int] = DEFAULT_COLOR,
                     background=None) -> "Effect":
        """From user-facing values: ``color`` as text (``#rrggbb``, ``r,g,b`` or a name), ``background`` as a
        path, array or PIL image (read once, at most 16 megapixels)."""
        from portraitseg.image_io import WORKING_MAX_PIXELS, read_image

        rgb = parse_color(color) if isinstance(color, str) else tuple(color)
        picture = read_image(background, max_pixels=WORKING_MAX_PIXELS) if background is not None else None
        return cls(kind, float(threshold), float(softness), float(blur), rgb, picture)

    def alpha(self, prob: np.ndarray) -> np.ndarray:
        return alpha_from_prob(prob, self.threshold, self.softness)

    def __call__(self, image, prob: np.ndarray) -> np.ndarray:
        """The effect for an image and its probability mask (same height and width). The image may be anything
        the segmenter takes: an RGB array, a path or a PIL image. Full-size work goes a band of rows at a time
        (:mod:`portraitseg.bands`): beside the image, the probability and the result, a photo of any size needs
        a few bytes per pixel."""
        image = _rgb(image)
        h, w = image.shape[:2]
        if self.kind == "mask":
            return mask_uint8(prob, self.threshold)
        if self.kind == "prob":
            return _by_rows(np.empty((h, w), np.uint8), lambda rows: to_uint8(prob[rows].astype(np.float32), 255))
        alpha_rows = self._alpha_rows(prob)
        if self.kind == "cutout":
            out = np.empty((h, w, 4), np.uint8)
            out[..., :3] = image
            decontaminate(out[..., :3], alpha_rows)
            return _by_rows(out, lambda rows: np.dstack([out[rows, :, :3], to_uint8(alpha_rows(rows), 255)]))
        return self._over(image, alpha_rows, self._backdrop_rows(image, alpha_rows))

    def preview(self, image, prob: np.ndarray) -> np.ndarray:
        """An RGB picture of the result for a page: a cut-out shown over a checkerboard, a mask as grey."""
        image = _rgb(image)
        if self.kind != "cutout":
            return self(image, prob)
        w = image.shape[1]
        return self._over(image, self._alpha_rows(prob),
                          lambda rows: checkerboard(rows.stop - rows.start, w, top=rows.start))

    def _alpha_rows(self, prob: np.ndarray) -> Callable[[slice], np.ndarray]:
        return lambda rows: self.alpha(prob[rows].astype(np.float32, copy=False))

    def _over(self, image: np.ndarray, alpha_rows: Callable[[slice], np.ndarray],
              backdrop_rows: Callable[[slice], np.ndarray]) -> np.ndarray:
        """The person over the backdrop, a band at a time; on a new backdrop (not the photo's own, blurred) with
        the person's own colours in the soft edge, so no fringe of the old background shows."""
        if self.kind == "blur":
            return _by_rows(np.empty_like(image),
                            lambda rows: composite(image[rows], alpha_rows(rows), backdrop_rows(rows)))
        out = image.copy()
        decontaminate(out, alpha_rows)
        return _by_rows(out, lambda rows: composite(out[rows], alpha_rows(rows), backdrop_rows(rows)))

    def _backdrop_rows(self, image: np.ndarray, alpha_rows: Callable[[slice], np.ndarray]):
        """What shows behind the person, a band of rows at a time: the blurred image (with the person blurred
        out of it, so no halo), the colour, or the background image scaled to cover the frame (whole and cached
        per frame size for video frames, a band at a time for a large photo)."""
        h, w = image.shape[:2]
        if self.kind == "color":
            return lambda rows: np.broadcast_to(np.array(self.color, np.uint8), (rows.stop - rows.start, w, 3))
        if self.kind == "replace":
            if h * w > BAND_PIXELS:
                return cover_rows(self.background, h, w)
            if (h, w) not in self._covered:
                self._covered.clear()
                self._covered[(h, w)] = cover(self.background, h, w)
            return lambda rows: self._covered[(h, w)][rows]
        away = _by_rows(np.empty((h, w), np.uint8), lambda rows: to_uint8(1.0 - alpha_rows(rows), 255))
        small = blurred_small(image, self.blur, weight=away)
        return lambda rows: grow_rows(small, h, w, rows)


def _by_rows(out: np.ndarray, rows_of: Callable[[slice], np.ndarray]) -> np.ndarray:
    """Fill ``out`` a band of rows at a time from ``rows_of(rows)``; returns it."""
    for rows in row_bands(*out.shape[:2]):
        out[rows] = rows_of(rows)
    return out


def _rgb(image) -> np.ndarray:
    """A uint8 RGB array as is; anything else (a path, a PIL image, another dtype) read as the segmenter reads it."""
    if isinstance(image, np.ndarray) and image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3:
        return image
    from portraitseg.image_io import read_image

    return read_image(image)
