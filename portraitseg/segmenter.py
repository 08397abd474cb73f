"""The segmenter: image in, probability mask at the image's size out, whatever backend runs the model."""

from __future__ import annotations

from itertools import groupby
from typing import TYPE_CHECKING, Callable, Iterable, Iterator

import numpy as np

from portraitseg.edges import EDGE_MODES, guided_upsample
from portraitseg.errors import EffectError
from portraitseg.geometry import Fit, plan_fit, to_input, to_original
from portraitseg.image_io import WORKING_MAX_PIXELS, ImageInput, read_image
from portraitseg.thresholds import person_mask, threshold_for

if TYPE_CHECKING:
    from portraitseg.zoo.config import ModelConfig

Backend = Callable[[np.ndarray], np.ndarray]
COMPACT_PIXELS = WORKING_MAX_PIXELS  # above this, probabilities are float16


class Segmenter:
    """Calls a backend on images. Preprocessing keeps the aspect ratio: the image is scaled so its longer side is
    ``serve_long_side`` pixels, padded bottom/right to a multiple of ``multiple``, and the output is cropped and scaled
    back to the original size: ``edges="guided"`` (the default) follows the photo's own edges there
    (:func:`portraitseg.edges.guided_upsample`), ``"bilinear"`` interpolates (cheaper, softer edges)."""

    def __init__(self, backend: Backend, serve_long_side: int, threshold: float, multiple: int,
                 description: str = "", edges: str = "guided", live_long_side: int | None = None) -> None:
        if edges not in EDGE_MODES:
            raise EffectError(f"unknown edges {edges!r}; choose one of {', '.join(EDGE_MODES)}")
        self.backend = backend
        self.serve_long_side = serve_long_side
        self.live_long_side = live_long_side or serve_long_side
        self.threshold = threshold
        self.multiple = multiple
        self.description = description
        self.edges = edges
        self._live: Segmenter | None = None

    @classmethod
    def from_config(cls, backend: Backend, config: "ModelConfig", description: str = "",
                    edges: str = "guided") -> "Segmenter":
        """The one way a model config becomes a segmenter: its serving and live long sides, threshold and stride."""
        return cls(backend, config.serve_long_side, config.threshold, config.output_stride, description, edges,
                   config.live_long_side)

    def __repr__(self) -> str:
        return (f"Segmenter({self.description or 'model'}, backend={self.backend_name}, provider={self.provider}, "
                f"precision={self.precision}, serve_long_side={self.serve_long_side}, edges={self.edges})")

    @property
    def long_side(self) -> int:
        """The old name (before 0.5.0) of :attr:`serve_long_side`."""
        return self.serve_long_side

    @property
    def backend_name(self) -> str:
        return getattr(self.backend, "name", type(self.backend).__name__)

    @property
    def precision(self) -> str:
        return getattr(self.backend, "precision", "fp32")

    @property
    def provider(self) -> str:
        return getattr(self.backend, "provider", "unknown")

    def live(self) -> "Segmenter":
        """The same model fed at its live long side (frame rate over detail): what live video runs, made once."""
        if self.live_long_side == self.serve_long_side:
            return self
        if self._live is None:
            self._live = self.at_long_side(self.live_long_side)
        return self._live

    def at_long_side(self, long_side: int) -> "Segmenter":
        """The same model (backend shared, nothing reloaded) fed at another long side: smaller for live video."""
        return Segmenter(self.backend, long_side, self.threshold, self.multiple, self.description, self.edges,
                         self.live_long_side)

    def __call__(self, image: ImageInput) -> np.ndarray:
        """Probability (H, W) in [0, 1] at the original size of ``image``: float32, or float16 for a photo over
        :data:`COMPACT_PIXELS` (half the memory; a probability off by at most 0.0005)."""
        rgb = read_image(image)
        fit = plan_fit(rgb.shape[:2], self.serve_long_side, self.multiple)
        return self._to_original(self.backend(to_input(rgb, fit)[None])[0, 0], fit, rgb)

    def _to_original(self, output: np.ndarray, fit: Fit, rgb: np.ndarray) -> np.ndarray:
        dtype = np.float16 if fit.original[0] * fit.original[1] > COMPACT_PIXELS else np.float32
        if self.edges == "guided" and (fit.height, fit.width) != fit.original:
            return guided_upsample(np.ascontiguousarray(output[: fit.height, : fit.width]), rgb, dtype=dtype)
        return to_original(output, fit, dtype)

    def mask(self, image: ImageInput, threshold: float | None = None) -> np.ndarray:
        """Boolean person mask at the original size."""
        return person_mask(self(image), threshold_for(threshold, self.threshold))

    def segment_many(self, images: Iterable[ImageInput], batch_size: int = 8) -> Iterator[np.ndarray]:
        """Yield one probability mask per image, in order, batching images whose model inputs share a shape."""
        chunk: list[ImageInput] = []
        for image in images:
            chunk.append(image)
            if len(chunk) == batch_size:
                yield from self._run_chunk(chunk)
                chunk = []
        if chunk:
            yield from self._run_chunk(chunk)

    def _run_chunk(self, images: list[ImageInput]) -> list[np.ndarray]:
        rgbs = [read_image(img) for img in images]
        fits = [plan_fit(rgb.shape[:2], self.serve_long_side, self.multiple) for rgb in rgbs]
        results: list[np.ndarray | None] = [None] * len(images)
        order = sorted(range(len(images)), key=lambda i: (fits[i].padded_h, fits[i].padded_w))
        for _, group in groupby(order, key=lambda i: (fits[i].padded_h, fits[i].padded_w)):
            indices = list(group)
            probs = self.backend(np.stack([to_input(rgbs[i], fits[i]) for i in indices]))
            for i, prob in zip(indices, probs):
                results[i] = self._to_original(prob[0], fits[i], rgbs[i])
        return results  # type: ignore[return-value]
