"""Shared fixtures: a tiny randomly initialised checkpoint, synthetic labelled folders, the real data location."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.helpers import make_dataset, tiny_config


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory) -> Path:
    """A randomly initialised (not trained) small U-Net saved as a checkpoint folder with its ONNX export."""
    import torch

    from portraitseg.zoo.checkpoint import save_checkpoint
    from portraitseg.zoo.export import export_onnx
    from portraitseg.zoo.model import build_model

    torch.manual_seed(0)
    config = tiny_config()
    model = build_model(config).eval()
    folder = tmp_path_factory.mktemp("tiny") / "tiny-unet"
    save_checkpoint(model, config, folder)
    export_onnx(model, config, folder / "model.onnx")
    return folder


@pytest.fixture
def synthetic_data(tmp_path) -> Path:
    return make_dataset(tmp_path / "synthetic", 24)


BESIDE_CHECKOUT = Path(__file__).resolve().parents[2] / "shared" / "data"


def pytest_configure(config):
    """Find the real data beside the checkout (../shared/data) when PORTRAITSEG_DATA is not set, as CI has it.
    The suite tests the project, not the plugins a user has installed: their entry points stay unloaded (the tests
    that install a plugin load it in a subprocess of their own)."""
    os.environ["PORTRAITSEG_LOAD_PLUGINS"] = ""
    if not os.environ.get("PORTRAITSEG_DATA") and (BESIDE_CHECKOUT / "eg1800" / "images").is_dir():
        os.environ["PORTRAITSEG_DATA"] = str(BESIDE_CHECKOUT)
    elif os.environ.get("PORTRAITSEG_DATA"):  # absolute, so tests that change folder still find it
        os.environ["PORTRAITSEG_DATA"] = str(Path(os.environ["PORTRAITSEG_DATA"]).resolve())


def pytest_report_header(config):
    root = os.environ.get("PORTRAITSEG_DATA")
    found = bool(root) and Path(root, "eg1800", "images").is_dir()
    return (f"real data: {root}" if found else
            f"real data: ABSENT (set PORTRAITSEG_DATA or put it in {BESIDE_CHECKOUT}): the tests that need it skip")


@pytest.fixture(scope="session")
def data_root() -> Path:
    """The real labelled data ($PORTRAITSEG_DATA, else ../shared/data beside the checkout). Skipped when absent,
    except under CI where it must exist."""
    root = os.environ.get("PORTRAITSEG_DATA")
    if root and Path(root, "eg1800", "images").is_dir():
        return Path(root)
    if os.environ.get("CI"):
        pytest.fail(f"CI is set but PORTRAITSEG_DATA={root!r} holds no eg1800/ data")
    pytest.skip(f"real data absent: set PORTRAITSEG_DATA to a folder holding eg1800/ (and ccp_train/), or put it in "
                f"{BESIDE_CHECKOUT}")


@pytest.fixture(scope="module")
def playwright():
    """Playwright driving Debian's Chromium (skipped where either is missing, except under CI)."""
    from benchmarks.browser import CHROMIUM

    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("chromium missing: scripts/setup.sh --test installs it")
        pytest.skip("chromium not installed (apt-get install chromium)")
    with sync_api.sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def imagenet_weights(data_root) -> Path:
    path = data_root.parent / "weights" / "mobilenet_v2_imagenet"
    if not path.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but {path} is missing")
        pytest.skip(f"{path} absent")
    return path


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory):
    """``portraitseg demo`` on a free port (the bundled default model), ready when its page answers; its console
    output is in ``benchmarks.browser.SERVER_LOGS[url]``."""
    import subprocess
    import sys

    from benchmarks.browser import SERVER_LOGS
    from tests.helpers import free_port, wait_until_serving

    port = free_port()
    tmp = tmp_path_factory.mktemp("demo")
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "GRADIO_TEMP_DIR": str(tmp / "gradio")}
    with open(tmp / "demo.log", "w") as log:
        server = subprocess.Popen([sys.executable, "-m", "portraitseg", "demo", "--port", str(port)], env=env,
                                  stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}/"
        wait_until_serving(url, server, tmp / "demo.log", timeout=90)
        SERVER_LOGS[url] = tmp / "demo.log"
        yield url
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
