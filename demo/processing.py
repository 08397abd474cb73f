"""What the demo does to photos and webcam frames, kept free of Gradio so it is testable on its own."""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from portraitseg.effects import apply_effect, cutout, parse_color
from portraitseg.image_io import read_image
from portraitseg.segmenter import Segmenter

BACKGROUNDS = ("blur", "color", "image", "transparent", "mask")
DEMO_MAX_PIXELS = 16_000_000  # larger uploads are processed at this size: a peak of well under 1.5 GB each


@dataclass
class Look:
    """The user's choices for how a result looks."""

    background: str = "blur"
    threshold: float = 0.5
    softness: float = 0.2
    blur_strength: float = 15.0
    color: str = "#2e8b57"
    image: np.ndarray | None = None


def checkerboard(h: int, w: int, cell: int = 16) -> np.ndarray:
    """The usual grey checkerboard that stands for transparency in a JPEG preview."""
    ys, xs = np.indices((h, w)) // cell
    return np.where(((ys + xs) % 2 == 0)[..., None], 204, 153).astype(np.uint8).repeat(3, axis=2)


def render(image: np.ndarray, prob: np.ndarray, look: Look) -> np.ndarray:
    """The composite the page shows: RGB (RGBA for 'transparent' is previewed over a checkerboard)."""
    if look.background == "mask":
        return apply_effect(image, prob, "mask", look.threshold)
    if look.background == "transparent":
        return apply_effect(image, prob, "replace", look.threshold, look.softness,
                            background=checkerboard(*image.shape[:2]))
    if look.background == "image" and look.image is not None:
        return apply_effect(image, prob, "replace", look.threshold, look.softness, background=look.image)
    if look.background == "color":
        return apply_effect(image, prob, "color", look.threshold, look.softness, color=parse_color(look.color))
    return apply_effect(image, prob, "blur", look.threshold, look.softness, blur_strength=look.blur_strength)


@dataclass
class PhotoResult:
    name: str
    mask: np.ndarray
    cutout: np.ndarray
    composite: np.ndarray
    model_ms: float
    total_ms: float


def process_photo(path: str | Path, segmenter: Segmenter, look: Look,
                  max_pixels: int = DEMO_MAX_PIXELS) -> PhotoResult:
    """Segment one uploaded photo and render its mask, cut-out and composite. Photos above ``max_pixels`` are
    processed at that size (scaled while decoding), which bounds the server's memory per request."""
    start = time.perf_counter()
    image = read_image(path, max_pixels=max_pixels)
    model_start = time.perf_counter()
    prob = segmenter(image)
    model_ms = (time.perf_counter() - model_start) * 1000
    result = PhotoResult(Path(path).name, apply_effect(image, prob, "mask", look.threshold), cutout(image, prob),
                         render(image, prob, look), model_ms, 0.0)
    result.total_ms = (time.perf_counter() - start) * 1000
    return result


@dataclass
class StreamState:
    """Per-viewer webcam state: the smoothed mask of the previous frame and recent frame times."""

    previous: np.ndarray | None = None
    stamps: deque = field(default_factory=lambda: deque(maxlen=30))
    latencies: deque = field(default_factory=lambda: deque(maxlen=30))
    frames: int = 0

    def fps(self) -> float:
        if len(self.stamps) < 2:
            return 0.0
        return (len(self.stamps) - 1) / max(self.stamps[-1] - self.stamps[0], 1e-6)


def process_frame(frame: np.ndarray, segmenter: Segmenter, look: Look, state: StreamState,
                  smoothing: float = 0.5) -> np.ndarray:
    """One webcam frame (already mirrored by the browser when mirroring is on, so the mask matches what the viewer
    sees). ``smoothing`` in [0, 1) blends the previous mask in, so edges do not flicker from frame to frame."""
    start = time.perf_counter()
    prob = segmenter(frame)
    if smoothing > 0 and state.previous is not None and state.previous.shape == prob.shape:
        prob = smoothing * state.previous + (1 - smoothing) * prob
    state.previous = prob
    out = render(frame, prob, look)
    now = time.perf_counter()
    state.stamps.append(now)
    state.latencies.append((now - start) * 1000)
    state.frames += 1
    return out


def background_image(path: str | None) -> np.ndarray | None:
    return read_image(path, max_pixels=DEMO_MAX_PIXELS) if path else None


