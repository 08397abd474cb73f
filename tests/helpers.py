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
    values = dict(encoder="mobilenet_v2_050", decoder_channels=(32, 16, 16, 8), input_size=(64, 64))
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
