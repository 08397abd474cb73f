"""Latency measurement shared by ``portraitseg bench`` and the benchmark scripts: medians and p95, never means."""

from __future__ import annotations

import time
from typing import Callable

import numpy as np


def _timed(fn: Callable[[], object], runs: int, warmup: int) -> dict[str, float]:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return {"median_ms": float(np.median(samples)), "p95_ms": float(np.percentile(samples, 95)), "runs": runs}


def time_model_call(backend: Callable[[np.ndarray], np.ndarray], batch: np.ndarray, runs: int = 50,
                    warmup: int = 5) -> dict[str, float]:
    """The backend alone on a prepared input batch."""
    return _timed(lambda: backend(batch), runs, warmup)


def time_whole_path(segmenter, image_path: str, runs: int = 50, warmup: int = 5) -> dict[str, float]:
    """Decode the file, preprocess, run the model, post-process and composite a blurred background."""
    from portraitseg.effects import Effect
    from portraitseg.image_io import read_image

    effect = Effect("blur")

    def whole() -> None:
        image = read_image(image_path)
        effect(image, segmenter(image))

    return _timed(whole, runs, warmup)


def format_rows(rows: list[dict]) -> str:
    """A Markdown table of benchmark rows."""
    if not rows:
        return ""
    keys = list(dict.fromkeys(k for row in rows for k in row))

    def cell(value) -> str:
        return f"{value:.2f}" if isinstance(value, float) else str(value)

    lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    lines += ["| " + " | ".join(cell(row.get(k, "")) for k in keys) + " |" for row in rows]
    return "\n".join(lines)
