"""Shared fixtures: a tiny randomly initialised checkpoint, synthetic labelled folders, the real data location."""

from __future__ import annotations

import os
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


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory) -> Path:
    """A randomly initialised (not trained) small U-Net saved as a checkpoint folder with its ONNX export."""
    import torch

    from portraitseg.zoo.checkpoint import save_checkpoint
    from portraitseg.zoo.export import export_onnx
    from portraitseg.zoo.unet import build_model

    torch.manual_seed(0)
    config = tiny_config()
    model = build_model(config).eval()
    folder = tmp_path_factory.mktemp("tiny") / "tiny-unet"
    save_checkpoint(model, config, folder)
    export_onnx(model, config, folder / "model.onnx")
    return folder


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


@pytest.fixture
def synthetic_data(tmp_path) -> Path:
    return make_dataset(tmp_path / "synthetic", 24)


@pytest.fixture(scope="session")
def data_root() -> Path:
    """The real labelled data ($PORTRAITSEG_DATA). Skipped when absent, except under CI where it must exist."""
    root = os.environ.get("PORTRAITSEG_DATA")
    if root and Path(root, "eg1800", "images").is_dir():
        return Path(root)
    if os.environ.get("CI"):
        pytest.fail(f"CI is set but PORTRAITSEG_DATA={root!r} holds no eg1800/ data")
    pytest.skip("real data absent: set PORTRAITSEG_DATA to a folder holding eg1800/ (and ccp_train/)")


@pytest.fixture(scope="session")
def imagenet_weights(data_root) -> Path:
    path = data_root.parent / "weights" / "mobilenet_v2_imagenet"
    if not path.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but {path} is missing")
        pytest.skip(f"{path} absent")
    return path
