"""Built-in augmenters. Each acts on a uint8 RGB image (H, W, 3) and a uint8 mask (H, W) of 0/255, draws its
randomness from the given ``numpy.random.Generator``, and keeps the image and the mask aligned."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from portraitseg.effects import composite
from portraitseg.geometry import PAD_VALUE
from portraitseg.thresholds import label_person

Pair = tuple[np.ndarray, np.ndarray]


@dataclass
class Augmenter:
    """Base: applies :meth:`apply` with probability ``p``."""

    p: float = 0.5

    def __call__(self, image: np.ndarray, mask: np.ndarray, rng: np.random.Generator) -> Pair:
        if rng.random() >= self.p:
            return image, mask
        return self.apply(image, mask, rng)

    def apply(self, image: np.ndarray, mask: np.ndarray, rng: np.random.Generator) -> Pair:  # pragma: no cover
        raise NotImplementedError


@dataclass
class HorizontalFlip(Augmenter):
    def apply(self, image, mask, rng):
        return np.ascontiguousarray(image[:, ::-1]), np.ascontiguousarray(mask[:, ::-1])


@dataclass
class Brightness(Augmenter):
    """Scale the HSV value channel by a factor in [low, high], as the original project did."""

    low: float = 0.6
    high: float = 1.4

    def apply(self, image, mask, rng):
        hsv = cv2.cvtColor(image, cv2.COLOR_RGB2HSV).astype(np.float32)
        hsv[..., 2] = np.clip(hsv[..., 2] * rng.uniform(self.low, self.high), 0, 255)
        return cv2.cvtColor(hsv.astype(np.uint8), cv2.COLOR_HSV2RGB), mask


@dataclass
class JpegQuality(Augmenter):
    """Re-encode as JPEG at a random quality in [low, high]."""

    low: int = 20
    high: int = 95

    def apply(self, image, mask, rng):
        quality = int(rng.integers(self.low, self.high + 1))
        ok, encoded = cv2.imencode(".jpg", image[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, quality])
        return np.ascontiguousarray(cv2.imdecode(encoded, cv2.IMREAD_COLOR)[..., ::-1]), mask


@dataclass
class ScaleRotateCrop(Augmenter):
    """Random zoom (below 1 zooms out: the person gets smaller, as in half- and full-body shots), rotation and
    shift, on the same canvas. The mask is warped with nearest-neighbour. Uncovered areas are filled with the
    letterbox's mid-grey and labelled background: mirroring the border would draw upside-down heads and hair
    there and label them person."""

    scale_low: float = 0.55
    scale_high: float = 1.25
    max_rotate: float = 15.0
    max_shift: float = 0.15

    def apply(self, image, mask, rng):
        h, w = mask.shape
        scale = float(np.exp(rng.uniform(np.log(self.scale_low), np.log(self.scale_high))))
        angle = rng.uniform(-self.max_rotate, self.max_rotate)
        matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, scale)
        matrix[:, 2] += rng.uniform(-self.max_shift, self.max_shift, 2) * (w, h)
        return warp_pair(image, mask, matrix)


def warp_pair(image: np.ndarray, mask: np.ndarray, matrix: np.ndarray) -> Pair:
    """Warp a pair by an affine ``matrix`` on its own canvas: the image bilinear, the mask nearest-neighbour;
    uncovered areas mid-grey (the letterbox's) and labelled background."""
    h, w = mask.shape
    image = cv2.warpAffine(image, matrix, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                           borderValue=(PAD_VALUE,) * 3)
    mask = cv2.warpAffine(mask, matrix, (w, h), flags=cv2.INTER_NEAREST, borderMode=cv2.BORDER_CONSTANT,
                          borderValue=0)
    return image, mask


@dataclass
class ColorJitter(Augmenter):
    """Random contrast, saturation and hue shift."""

    contrast: float = 0.3
    saturation: float = 0.3
    hue: float = 8.0

    def apply(self, image, mask, rng):
        img = image.astype(np.float32)
        mean = img.mean()
        img = (img - mean) * rng.uniform(1 - self.contrast, 1 + self.contrast) + mean
        hsv = cv2.cvtColor(np.clip(img, 0, 255).astype(np.uint8), cv2.COLOR_RGB2HSV).astype(np.float32)
        hsv[..., 0] = (hsv[..., 0] + rng.uniform(-self.hue, self.hue)) % 180
        hsv[..., 1] = np.clip(hsv[..., 1] * rng.uniform(1 - self.saturation, 1 + self.saturation), 0, 255)
        return cv2.cvtColor(hsv.astype(np.uint8), cv2.COLOR_HSV2RGB), mask


@dataclass
class GaussianBlur(Augmenter):
    sigma_low: float = 0.5
    sigma_high: float = 2.0

    def apply(self, image, mask, rng):
        return cv2.GaussianBlur(image, (0, 0), rng.uniform(self.sigma_low, self.sigma_high)), mask


@dataclass
class MotionBlur(Augmenter):
    """Blur along a random direction, as a moving camera or subject does."""

    kernel_low: int = 3
    kernel_high: int = 11

    def apply(self, image, mask, rng):
        size = int(rng.integers(self.kernel_low, self.kernel_high + 1)) | 1
        kernel = np.zeros((size, size), np.float32)
        kernel[size // 2, :] = 1.0
        rotation = cv2.getRotationMatrix2D((size / 2 - 0.5, size / 2 - 0.5), rng.uniform(0, 180), 1.0)
        kernel = cv2.warpAffine(kernel, rotation, (size, size))
        kernel /= max(kernel.sum(), 1e-6)
        return cv2.filter2D(image, -1, kernel), mask


@dataclass
class Noise(Augmenter):
    """Additive Gaussian noise with a random standard deviation (in 0-255 units)."""

    sigma_low: float = 2.0
    sigma_high: float = 10.0

    def apply(self, image, mask, rng):
        sigma = rng.uniform(self.sigma_low, self.sigma_high)
        noisy = image.astype(np.float32) + rng.normal(0, sigma, image.shape).astype(np.float32)
        return np.clip(noisy, 0, 255).astype(np.uint8), mask


def synthetic_background(h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    """A random smooth gradient with a few flat shapes: cheap, varied, and nothing like the training scenes."""
    corners = rng.integers(0, 256, (2, 2, 3)).astype(np.float32)
    background = cv2.resize(corners, (w, h), interpolation=cv2.INTER_LINEAR)
    for _ in range(int(rng.integers(0, 6))):
        colour = tuple(float(v) for v in rng.integers(0, 256, 3))
        centre = (int(rng.integers(0, w)), int(rng.integers(0, h)))
        if rng.random() < 0.5:
            cv2.circle(background, centre, int(rng.integers(5, max(6, w // 3))), colour, -1)
        else:
            size = (int(rng.integers(5, max(6, w // 2))), int(rng.integers(5, max(6, h // 2))))
            cv2.rectangle(background, centre, (centre[0] + size[0], centre[1] + size[1]), colour, -1)
    return np.clip(background, 0, 255).astype(np.uint8)


@dataclass
class BackgroundSwap(Augmenter):
    """Paste the person onto another background: a photo from ``folder`` (a path or a name under
    ``$PORTRAITSEG_DATA``, read as copy_paste reads its backgrounds) when given, else a synthetic one. Portrait
    models overfit their training backgrounds; this breaks that habit."""

    folder: str | None = None
    feather: float = 1.0

    def __post_init__(self) -> None:
        from portraitseg.augment.backgrounds import BackgroundPhotos

        self._photos = BackgroundPhotos(self.folder, "background_swap")

    def _background(self, h: int, w: int, rng: np.random.Generator) -> np.ndarray:
        return self._photos.draw((h, w), rng) if len(self._photos) else synthetic_background(h, w, rng)

    def apply(self, image, mask, rng):
        h, w = mask.shape
        alpha = label_person(mask).astype(np.float32)
        if self.feather > 0:
            alpha = cv2.GaussianBlur(alpha, (0, 0), self.feather)
        return composite(image, alpha, self._background(h, w, rng)), mask
