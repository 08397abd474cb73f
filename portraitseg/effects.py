"""Turn a probability mask into what people want to see: a mask, a cut-out, or a new background."""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np
from PIL import ImageColor

from portraitseg.errors import EffectError
from portraitseg.geometry import resize
from portraitseg.thresholds import DEFAULT_THRESHOLD, mask_uint8, person_mask

EFFECTS = ("mask", "prob", "cutout", "blur", "color", "replace")
DEFAULT_COLOR = "#00ff00"  # the 'color' effect's default everywhere: the library, the commands, the demo, live


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


def cover(background: np.ndarray, height: int, width: int) -> np.ndarray:
    """Scale and centre-crop ``background`` to fill (height, width) without distortion."""
    bh, bw = background.shape[:2]
    scale = max(height / bh, width / bw)
    sh, sw = max(height, round(bh * scale)), max(width, round(bw * scale))
    scaled = resize(background, sh, sw)
    top, left = (sh - height) // 2, (sw - width) // 2
    return scaled[top : top + height, left : left + width]


def blurred(image: np.ndarray, strength: float = 15.0, weight: np.ndarray | None = None) -> np.ndarray:
    """Gaussian blur with sigma ``strength`` pixels (relative to a 640-pixel-wide frame, so it looks the same at
    any resolution); computed at reduced size, which is both faster and smoother. With ``weight`` (H, W) in
    [0, 1], a normalised blur of the weighted pixels only: blurring the background with ``weight = 1 - alpha``
    keeps the person's colours out of it, so no bright halo forms around them."""
    h, w = image.shape[:2]
    sigma = max(0.5, strength * max(h, w) / 640)
    factor = max(1, int(sigma // 4))
    size = (max(1, w // factor), max(1, h // factor))

    def shrink(array: np.ndarray) -> np.ndarray:
        return cv2.resize(array, size, interpolation=cv2.INTER_AREA)

    def grow(array: np.ndarray) -> np.ndarray:
        return cv2.resize(array, (w, h), interpolation=cv2.INTER_LINEAR)

    if weight is None:
        return grow(cv2.GaussianBlur(shrink(image), (0, 0), sigma / factor))
    small = shrink(image).astype(np.float32)  # all the arithmetic at the reduced size: a webcam frame's budget
    small_weight = shrink(weight.astype(np.float32))
    plain = cv2.GaussianBlur(small, (0, 0), sigma / factor)
    total = cv2.GaussianBlur(small_weight, (0, 0), sigma / factor)[..., None]
    masked = cv2.GaussianBlur(small * small_weight[..., None], (0, 0), sigma / factor)
    out = np.where(total > 1e-3, masked / np.maximum(total, 1e-3), plain)
    return grow(np.clip(out + 0.5, 0, 255).astype(np.uint8))


def composite(image: np.ndarray, alpha: np.ndarray, background: np.ndarray) -> np.ndarray:
    """``image`` over ``background`` with ``alpha`` (H, W) in [0, 1]; uint8 RGB out."""
    a = alpha[..., None]
    out = image.astype(np.float32) * a + background.astype(np.float32) * (1 - a)
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


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


def foreground_colours(image: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """The person's own colours where ``alpha`` is between 0 and 1 (colour decontamination). A pixel there is
    ``alpha * F + (1 - alpha) * B``: with ``B`` the nearby background and ``F`` the nearby person (the sure
    pixels' colours spread into the edge, :func:`spread`), ``F`` is solved for where ``alpha`` is large enough to
    trust, and taken from the nearby person where it is not. So hair cut out of a green wall and put on white
    carries no green fringe. Pixels with alpha 0 or 1 keep their colour."""
    band = (alpha > 0.02) & (alpha < 0.98)
    if not band.any():
        return image
    person = spread(image, (alpha >= 0.98).astype(np.float32))
    background = spread(image, (alpha <= 0.02).astype(np.float32))
    a = np.maximum(alpha, 1e-3)[..., None]
    solved = np.clip((image.astype(np.float32) - (1 - a) * background) / a, 0, 255)
    trust = np.clip((alpha - 0.15) / 0.35, 0, 1)[..., None]
    colours = trust * solved + (1 - trust) * person
    return np.where(band[..., None], np.clip(colours + 0.5, 0, 255), image).astype(np.uint8)


def cutout(image: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """RGBA uint8 with ``alpha`` as the transparency and the person's own colours in the soft edge
    (:func:`foreground_colours`), so the cut-out shows no fringe of its old background on a new one."""
    return np.dstack([foreground_colours(image, alpha), np.clip(alpha * 255 + 0.5, 0, 255).astype(np.uint8)])


def checkerboard(h: int, w: int, cell: int = 16) -> np.ndarray:
    """The usual grey checkerboard that stands for transparency where an image cannot have any (a preview)."""
    ys, xs = np.indices((h, w)) // cell
    return np.where(((ys + xs) % 2 == 0)[..., None], 204, 153).astype(np.uint8).repeat(3, axis=2)


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
    blur: float = 15.0
    color: tuple[int, int, int] = ImageColor.getrgb(DEFAULT_COLOR)[:3]
    background: np.ndarray | None = field(default=None, repr=False)
    _covered: dict = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.kind not in EFFECTS:
            raise EffectError(f"unknown effect {self.kind!r}; choose one of {', '.join(EFFECTS)}")
        if not 0 < self.threshold < 1:
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
                     blur: float = 15.0, color: str | tuple[int, int, int] = DEFAULT_COLOR,
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
        the segmenter takes: an RGB array, a path or a PIL image."""
        image = _rgb(image)
        if self.kind == "mask":
            return mask_uint8(prob, self.threshold)
        if self.kind == "prob":
            return np.clip(prob * 255 + 0.5, 0, 255).astype(np.uint8)
        alpha = self.alpha(prob)
        if self.kind == "cutout":
            return cutout(image, alpha)
        person = image if self.kind == "blur" else foreground_colours(image, alpha)  # a new backdrop: no old fringe
        return composite(person, alpha, self.backdrop(image, alpha))

    def backdrop(self, image: np.ndarray, alpha: np.ndarray) -> np.ndarray:
        """What shows behind the person: the blurred image (with the person blurred out of it, so no halo), the
        colour, or the background image scaled to cover the frame (cached per frame size)."""
        h, w = image.shape[:2]
        if self.kind == "color":
            return np.broadcast_to(np.array(self.color, np.uint8), image.shape)
        if self.kind == "replace":
            if (h, w) not in self._covered:
                self._covered.clear()
                self._covered[(h, w)] = cover(self.background, h, w)
            return self._covered[(h, w)]
        return blurred(image, self.blur, weight=1.0 - alpha)

    def preview(self, image, prob: np.ndarray) -> np.ndarray:
        """An RGB picture of the result for a page: a cut-out shown over a checkerboard, a mask as grey."""
        image = _rgb(image)
        if self.kind == "cutout":
            alpha = self.alpha(prob)
            return composite(foreground_colours(image, alpha), alpha, checkerboard(*image.shape[:2]))
        return self(image, prob)


def _rgb(image) -> np.ndarray:
    """A uint8 RGB array as is; anything else (a path, a PIL image, another dtype) read as the segmenter reads it."""
    if isinstance(image, np.ndarray) and image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3:
        return image
    from portraitseg.image_io import read_image

    return read_image(image)
