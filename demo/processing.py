"""What the demo does to photos and webcam frames, kept free of Gradio so it is testable on its own."""

from __future__ import annotations

import os
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from portraitseg.effects import Effect
from portraitseg.image_io import WORKING_MAX_PIXELS, read_image
from portraitseg.segmenter import Segmenter
from portraitseg.temporal import TemporalSmoother

DEMO_MAX_PIXELS = WORKING_MAX_PIXELS  # larger uploads are processed at this size: a peak of well under 1.5 GB each


@dataclass
class PhotoResult:
    """One segmented photo: the image as processed and its probability, kept so that a new effect re-composes
    without running the model again."""

    name: str
    image: np.ndarray
    prob: np.ndarray
    model_ms: float
    total_ms: float


@dataclass
class KeptPhoto:
    """A segmented photo kept on disk (its picture and float16 probability as ``.npy`` files in ``folder``) for
    new effects without running the model again: a session's results cost the server disk, not memory."""

    name: str
    folder: Path
    model_ms: float
    total_ms: float
    width: int
    height: int

    @classmethod
    def save(cls, result: PhotoResult, folder: Path) -> "KeptPhoto":
        folder.mkdir(parents=True, exist_ok=True)
        np.save(folder / "image.npy", result.image)
        np.save(folder / "prob.npy", result.prob.astype(np.float16))
        height, width = result.image.shape[:2]
        return cls(result.name, folder, result.model_ms, result.total_ms, width, height)

    def exists(self) -> bool:
        return (self.folder / "prob.npy").is_file()

    def load(self) -> tuple[np.ndarray, np.ndarray]:
        """(the picture, its probability as float32); marks the result as used: its request's folder, which the
        expiry looks at, starts its time again."""
        os.utime(self.folder.parent)
        return np.load(self.folder / "image.npy"), np.load(self.folder / "prob.npy").astype(np.float32)


def process_photo(path: str | Path, segmenter: Segmenter, max_pixels: int = DEMO_MAX_PIXELS) -> PhotoResult:
    """Segment one uploaded photo. Photos above ``max_pixels`` are processed at that size (scaled while decoding),
    which bounds the server's memory per request."""
    start = time.perf_counter()
    image = read_image(path, max_pixels=max_pixels)
    model_start = time.perf_counter()
    prob = segmenter(image)
    model_ms = (time.perf_counter() - model_start) * 1000
    return PhotoResult(Path(path).name, image, prob, model_ms, (time.perf_counter() - start) * 1000)


@dataclass
class StreamState:
    """Per-viewer webcam state: the temporal smoother and recent frame times."""

    smoother: TemporalSmoother = field(default_factory=TemporalSmoother)
    stamps: deque = field(default_factory=lambda: deque(maxlen=30))
    latencies: deque = field(default_factory=lambda: deque(maxlen=30))
    frames: int = 0

    def fps(self) -> float:
        if len(self.stamps) < 2:
            return 0.0
        return (len(self.stamps) - 1) / max(self.stamps[-1] - self.stamps[0], 1e-6)


def process_frame(frame: np.ndarray, segmenter: Segmenter, effect: Effect, state: StreamState) -> np.ndarray:
    """One webcam frame (already mirrored by the browser when mirroring is on, so the mask matches what the viewer
    sees), smoothed over time by ``state.smoother`` and rendered with ``effect``."""
    start = time.perf_counter()
    out = effect.preview(frame, state.smoother(segmenter(frame)))
    now = time.perf_counter()
    state.stamps.append(now)
    state.latencies.append((now - start) * 1000)
    state.frames += 1
    return out
