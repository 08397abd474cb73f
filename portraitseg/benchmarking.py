"""Latency measurement shared by ``portraitseg bench`` and the benchmark scripts: medians and p95, never means."""

from __future__ import annotations

import os
import platform
import time
from pathlib import Path
from typing import Callable

import numpy as np


def _timed(fn: Callable[[], object], runs: int, warmup: int, progress: str | None = None) -> dict[str, float]:
    """Median and p95 milliseconds of ``runs`` calls after ``warmup``; ``progress`` names a bar shown on stderr."""
    from tqdm.auto import tqdm

    with tqdm(total=warmup + runs, desc=progress, unit="call", disable=progress is None, leave=False) as bar:
        for _ in range(warmup):
            fn()
            bar.update()
        samples = []
        for _ in range(runs):
            start = time.perf_counter()
            fn()
            samples.append((time.perf_counter() - start) * 1000)
            bar.update()
    return {"median_ms": float(np.median(samples)), "p95_ms": float(np.percentile(samples, 95)), "runs": runs}


def time_model_call(backend: Callable[[np.ndarray], np.ndarray], batch: np.ndarray, runs: int = 50,
                    warmup: int = 5, progress: str | None = None) -> dict[str, float]:
    """The backend alone on a prepared input batch."""
    return _timed(lambda: backend(batch), runs, warmup, progress)


def idle_cores() -> tuple[int, str]:
    """How many threads a benchmark may use without fighting other work for the cores: the cores this process may
    use less the 1-minute load average (at least 1), and the reason, for the report. On a busy machine more
    threads than idle cores make every call wait on the slowest thread (torch's 2 threads took 1.4-2.3 s a call
    where 1 took 0.28 s)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    threads = max(1, min(cores, cores - round(load)))
    return threads, f"{cores} cores, load average {load:.1f}"


def time_whole_path(segmenter, image_path: str, runs: int = 50, warmup: int = 5,
                    progress: str | None = None) -> dict[str, float]:
    """Decode the file, preprocess, run the model, post-process and composite a blurred background."""
    from portraitseg.effects import Effect
    from portraitseg.image_io import read_image

    effect = Effect("blur")

    def whole() -> None:
        image = read_image(image_path)
        effect(image, segmenter(image))

    return _timed(whole, runs, warmup, progress)


def interleaved_medians(callables: dict, rounds: int, calls: int) -> dict:
    """Median milliseconds per callable over ``rounds`` interleaved rounds of ``calls`` calls each (a warm-up round
    first), so that machine noise hits every callable alike: compare them as ratios."""
    samples: dict = {key: [] for key in callables}
    for round_index in range(rounds + 1):
        for key, call in callables.items():
            for _ in range(calls):
                start = time.perf_counter()
                call()
                if round_index:
                    samples[key].append((time.perf_counter() - start) * 1000)
    return {key: float(np.median(values)) for key, values in samples.items()}


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


def cpu_name() -> str:
    """The CPU's model name (from /proc/cpuinfo where there is one)."""
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        lines = []
    return next((l.split(":", 1)[1].strip() for l in lines if l.startswith("model name")),
                platform.processor() or "unknown CPU")


def machine_description() -> str:
    """CPU, cores available to this process and the vector units that decide CPU speed here (AVX2, AVX-512,
    VNNI for INT8, bf16 matrix units for training)."""
    try:
        flags = set(Path("/proc/cpuinfo").read_text().split())
    except OSError:
        flags = set()
    units = [name for flag, name in (("avx2", "AVX2"), ("avx512f", "AVX-512"), ("avx512_vnni", "VNNI"),
                                     ("avx512_bf16", "AVX-512 BF16"), ("amx_bf16", "AMX")) if flag in flags]
    return f"{cpu_name()}, {len(os.sched_getaffinity(0))} cores ({', '.join(units) or 'no AVX2'})"
