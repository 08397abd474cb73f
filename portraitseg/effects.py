"""Turn a probability mask into what people want to see: a mask, a cut-out, or a new background."""

from __future__ import annotations

import cv2
import numpy as np
from PIL import ImageColor

from portraitseg.geometry import resize

EFFECTS = ("mask", "prob", "cutout", "blur", "color", "replace")


def alpha_from_prob(prob: np.ndarray, threshold: float = 0.5, softness: float = 0.0) -> np.ndarray:
    """Float alpha in [0, 1]. ``softness`` 0 gives a hard mask at ``threshold``; above 0 a smooth ramp of that
    width (in probability units) centred on the threshold, for soft edges."""
    if softness <= 0:
        return (prob >= threshold).astype(np.float32)
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
        raise ValueError(f"not a colour: {text!r} (use #rrggbb, r,g,b or a name like 'green')") from None


def cover(background: np.ndarray, height: int, width: int) -> np.ndarray:
    """Scale and centre-crop ``background`` to fill (height, width) without distortion."""
    bh, bw = background.shape[:2]
    scale = max(height / bh, width / bw)
    sh, sw = max(height, round(bh * scale)), max(width, round(bw * scale))
    scaled = resize(background, sh, sw)
    top, left = (sh - height) // 2, (sw - width) // 2
    return scaled[top : top + height, left : left + width]


def blurred(image: np.ndarray, strength: float = 15.0) -> np.ndarray:
    """Gaussian blur with sigma ``strength`` pixels (relative to a 640-pixel-wide frame, so it looks the same at
    any resolution); computed at reduced size, which is both faster and smoother."""
    h, w = image.shape[:2]
    sigma = max(0.5, strength * max(h, w) / 640)
    factor = max(1, int(sigma // 4))
    small = cv2.resize(image, (max(1, w // factor), max(1, h // factor)), interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (0, 0), sigma / factor)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


def composite(image: np.ndarray, alpha: np.ndarray, background: np.ndarray) -> np.ndarray:
    """``image`` over ``background`` with ``alpha`` (H, W) in [0, 1]; uint8 RGB out."""
    a = alpha[..., None]
    out = image.astype(np.float32) * a + background.astype(np.float32) * (1 - a)
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


def cutout(image: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """RGBA uint8 with ``alpha`` as the transparency."""
    return np.dstack([image, np.clip(alpha * 255 + 0.5, 0, 255).astype(np.uint8)])


def apply_effect(image: np.ndarray, prob: np.ndarray, effect: str, threshold: float = 0.5, softness: float = 0.0,
                 color: tuple[int, int, int] = (0, 255, 0), background: np.ndarray | None = None,
                 blur_strength: float = 15.0) -> np.ndarray:
    """One of :data:`EFFECTS` for an RGB image and its probability mask (same height and width)."""
    if effect == "mask":
        return np.where(prob >= threshold, 255, 0).astype(np.uint8)
    if effect == "prob":
        return np.clip(prob * 255 + 0.5, 0, 255).astype(np.uint8)
    if effect == "cutout":  # soft alpha: the probability itself
        return cutout(image, prob)
    alpha = alpha_from_prob(prob, threshold, softness)
    if effect == "blur":
        return composite(image, alpha, blurred(image, blur_strength))
    if effect == "color":
        return composite(image, alpha, np.broadcast_to(np.array(color, np.uint8), image.shape))
    if effect == "replace":
        if background is None:
            raise ValueError("effect 'replace' needs a background image")
        return composite(image, alpha, cover(background, *image.shape[:2]))
    raise ValueError(f"unknown effect {effect!r}; choose one of {', '.join(EFFECTS)}")
