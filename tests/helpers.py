"""Helpers shared by the tests (fixtures live in conftest.py): paths, a free port, waiting for a server, tiny
model configs and synthetic labelled images."""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from portraitseg.zoo.config import ModelConfig

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "demo" / "examples"

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

def wait_until_serving(url: str, server: subprocess.Popen, log: Path, timeout: float) -> None:
    """Poll ``url`` until it answers; fail with the server's log if it exits or the timeout passes."""
    deadline = time.time() + timeout
    while True:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except Exception:
            if time.time() > deadline or server.poll() is not None:
                server.kill()
                pytest.fail(f"server for {url} did not start: " + log.read_text()[-3000:])
            time.sleep(0.3)

def tiny_config(**overrides) -> ModelConfig:
    values = dict(encoder="mobilenet_v2_050", decoder_channels=(32, 16, 16, 8), train_size=(64, 64),
                  serve_long_side=64)
    values.update(overrides)
    return ModelConfig(**values)

def person_image(h: int, w: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A synthetic 'portrait': a bright ellipse (head) on a rectangle (shoulders) over noisy background."""
    import cv2

    image = rng.integers(0, 90, (h, w, 3)).astype(np.uint8)
    mask = np.zeros((h, w), np.uint8)
    cy, cx = int(h * rng.uniform(0.35, 0.45)), int(w * rng.uniform(0.4, 0.6))
    cv2.ellipse(mask, (cx, cy), (w // 6, h // 5), 0, 0, 360, 255, -1)
    cv2.rectangle(mask, (cx - w // 3, cy + h // 6), (cx + w // 3, h), 255, -1)
    colour = rng.integers(150, 256, 3)
    image[mask > 0] = colour
    return image, mask

def make_dataset(root: Path, count: int, size=(80, 60), seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    (root / "images").mkdir(parents=True)
    (root / "masks").mkdir()
    for i in range(count):
        image, mask = person_image(size[0], size[1], rng)
        Image.fromarray(image).save(root / "images" / f"{i:05d}.jpg", quality=95)
        Image.fromarray(mask).save(root / "masks" / f"{i:05d}.png")
    return root


def two_colour_pair(seed=0):
    """Person pixels pure red, background pure blue: after any augmenter, 'reddish' must still mean person."""
    rng = np.random.default_rng(seed)
    _, mask = person_image(96, 72, rng)
    image = np.zeros((96, 72, 3), np.uint8)
    image[mask > 127] = (255, 0, 0)
    image[mask <= 127] = (0, 0, 255)
    return image, mask


def agreement(image, mask):
    """The worst of: share of clearly red pixels inside the mask, share of clearly blue pixels outside it, and
    share of mask pixels that are red-dominant. (Areas an augmenter fills in may take any colour.)"""
    r, g, b = (image[..., i].astype(int) for i in range(3))
    red, blue = (r > 180) & (g < 80) & (b < 80), (b > 180) & (r < 80) & (g < 80)
    person = mask > 127
    return min((red & person).sum() / max(1, red.sum()), (blue & ~person).sum() / max(1, blue.sum()),
               (person & (r > b)).sum() / max(1, person.sum()))


class Pool:
    """Red people on blue backgrounds, the shape the data set offers to sample-mixing augmenters."""

    def __init__(self, pairs):
        self.pairs = pairs

    @property
    def pool_size(self):
        return len(self.pairs)

    def pool_pair(self, index):
        return self.pairs[index]


def blue_canvas(h=96, w=128):
    image = np.zeros((h, w, 3), np.uint8)
    image[..., 2] = 255
    return image, np.zeros((h, w), np.uint8)


TINY = dict(encoder="mobilenet_v2_050", decoder_channels=[32, 16, 16, 8], train_size=[64, 64], batch_size=4,
            workers=0, precision="fp32", warmup_steps=2, val_fraction=0.25, augmentations=["hflip:p=0.5"],
            selection_people=None, selection_empty=None, selection_crops=None, hard_negatives=False, ema=0.0,
            channels_last=False, save_every_steps=100)


def tiny_run(data, output, **overrides):
    """A tiny, fast training config on ``data`` writing to ``output``."""
    from portraitseg.trainers.config import build_config

    return build_config(None, {**TINY, "data": [str(data)], "output": str(output), **overrides})


def require_train_extra() -> None:
    """Skip the calling test module, with the reason, where the ``train`` extra (torch, safetensors, onnx, PyYAML)
    is not installed: a serving-only install runs the rest of the suite."""
    for module in ("torch", "safetensors", "onnx", "yaml"):
        pytest.importorskip(module, reason=f"{module} is missing: pip install 'portraitseg[train]' for these tests")


def reset_plugins() -> None:
    """Forget the loaded plugins, so the next lookup loads them again (a test that registers its own)."""
    from portraitseg import plugins

    plugins.get_registry.cache_clear()
    plugins.get_plugin_manager.cache_clear()
