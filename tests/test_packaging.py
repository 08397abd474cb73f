"""The wheel carries every sub-package (mapped from the top-level folders), the bundled models and the examples."""

import os
import subprocess
import sys
import zipfile

import pytest

from tests.helpers import REPO


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "-w", str(out), str(REPO)], check=True)
    return next(out.glob("portraitseg-*.whl"))


@pytest.mark.slow
def test_wheel_maps_the_folders_to_subpackages_and_ships_data(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for module in ("portraitseg/zoo/model.py", "portraitseg/augment/transforms.py", "portraitseg/trainers/loop.py",
                   "portraitseg/demo/ui.py", "portraitseg/hub_cards/render.py", "portraitseg/hub_cards/model_card.md",
                   "portraitseg/zoo/encoders/mobilenet_v2.py", "portraitseg/cli/predict.py",
                   "portraitseg/demo/examples/grace_hopper.jpg", "portraitseg/demo/live_page/camera.mjs",
                   "portraitseg/zoo/bundled/portrait-unet-mnv2/model.onnx", "portraitseg/trainers/default.yaml",
                   "portraitseg/zoo/bundled/portrait-live/model.onnx", "portraitseg/zoo/bundled/portrait-live/NOTICE",
                   "portraitseg/zoo/selfie_layers.py",
                   "portraitseg/ray.py", "portraitseg/zoo/encoders/efficientnet_lite.py",
                   "portraitseg/demo/browser_runtime/ort-wasm-simd-threaded.wasm",  # fetched by scripts/setup.sh
                   "portraitseg/demo/browser_runtime/LICENSE"):
        assert module in names, module
    assert not any(n.startswith(("tests/", "zoo/", "trainers/")) for n in names)


@pytest.mark.slow
def test_installed_wheel_imports_from_site_packages(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target),
                    str(wheel)], check=True)
    code = ("import portraitseg.zoo, portraitseg.augment, portraitseg.trainers, portraitseg.demo, "
            "portraitseg.hub_cards, portraitseg.zoo.catalog as c; "
            "print(portraitseg.zoo.__file__); print(sorted(c.bundled_models()))")
    env = {**os.environ, "PYTHONPATH": str(target)}
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    zoo_file, bundled = result.stdout.splitlines()
    assert zoo_file.startswith(str(target))
    assert "portrait-unet-mnv2" in bundled and "portrait-live" in bundled


SERVING_CODE = """
import sys, portraitseg
segmenter = portraitseg.load()
prob = segmenter(sys.argv[1])
fp32 = portraitseg.load(precision="fp32")(sys.argv[1])
heavy = sorted(m for m in ("torch", "portraitseg.trainers", "portraitseg.demo", "gradio", "onnx") if m in sys.modules)
print(segmenter.precision, prob.shape, round(float(abs(prob - fp32).mean()), 4), heavy)
"""


def test_load_and_predict_import_neither_torch_nor_the_trainer_nor_the_demo():
    """Serving the bundled model, INT8 or float, runs on ONNX Runtime alone: nothing exported on first use."""
    result = subprocess.run([sys.executable, "-c", SERVING_CODE, str(REPO / "demo/examples/grace_hopper.jpg")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    shipped_int8 = (REPO / "zoo/bundled/portrait-unet-mnv2/model.int8.onnx").is_file()
    # on the CPU the INT8 file serves where the model ships one (bundle_model.py: only where it kept the accuracy)
    assert result.stdout.startswith(f"{'int8-qdq' if shipped_int8 else 'fp32'} (600, 512)"), result.stdout
    assert result.stdout.strip().endswith("[]"), result.stdout  # and no heavy module was imported


# Prints the installed distributions that the requirement tree of portraitseg[cpu] does not reach (pip and
# setuptools aside): a serving install holds what the project asks for and nothing else, whatever its size.
UNREQUESTED_CODE = """
import re
from importlib import metadata
from pip._vendor.packaging.requirements import Requirement

def norm(name):
    return re.sub(r"[-_.]+", "-", name).lower()

reached, todo = set(), [("portraitseg", ("cpu",))]
while todo:
    name, extras = todo.pop()
    if (norm(name), extras) in reached:
        continue
    reached.add((norm(name), extras))
    for line in metadata.requires(name) or []:
        req = Requirement(line)
        if req.marker is None or any(req.marker.evaluate({"extra": e}) for e in extras + ("",)):
            todo.append((req.name, tuple(sorted(req.extras))))
installed = {norm(d.metadata["Name"]) for d in metadata.distributions()}
print(sorted(installed - {n for n, _ in reached} - {"pip", "setuptools", "wheel"}))
"""

SETUPTOOLS_WARNINGS = ("BuildBackendWarning", "SetuptoolsDeprecationWarning", "SetuptoolsWarning",
                       "is absent from the `packages` configuration")


@pytest.mark.slow
def test_a_serving_install_has_no_torch_and_serves_from_the_wheel_and_the_sdist(tmp_path):
    """``pip install 'portraitseg[cpu]'`` in a fresh venv, from the wheel and from the sdist: no torch, no web
    stack and no distribution its requirements do not ask for (the size is a benchmark's figure:
    benchmarks/install_footprint.py), pip check clean, load(), predict and bench work, and training and the demo say
    which extra they need."""
    dist = tmp_path / "dist"
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "-v", "--no-deps", "-w", str(dist), str(REPO)],
                           capture_output=True, text=True)
    assert built.returncode == 0, built.stderr[-3000:]
    banners = [w for w in SETUPTOOLS_WARNINGS if w in built.stdout + built.stderr]
    assert not banners, f"setuptools warned while building: {banners}"
    subprocess.run([sys.executable, "-c", f"from setuptools import build_meta; build_meta.build_sdist({str(dist)!r})"],
                   cwd=REPO, check=True, capture_output=True)
    for artifact in (next(dist.glob("*.whl")), next(dist.glob("*.tar.gz"))):
        venv = tmp_path / f"venv-{artifact.suffix.strip('.')}"
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        py = str(venv / "bin" / "python")
        install = subprocess.run([py, "-m", "pip", "install", "--quiet", f"{artifact}[cpu]"], capture_output=True,
                                 text=True)
        assert install.returncode == 0, install.stderr[-3000:]
        assert subprocess.run([py, "-m", "pip", "check"], capture_output=True).returncode == 0
        assert subprocess.run([py, "-c", "import torch"], capture_output=True).returncode != 0
        served = subprocess.run([py, "-c", SERVING_CODE, str(REPO / "demo/examples/grace_hopper.jpg")],
                                capture_output=True, text=True, cwd=tmp_path)
        assert served.returncode == 0 and served.stdout.strip().endswith("[]"), served.stderr[-2000:]
        out = tmp_path / f"out-{artifact.suffix}"
        cli = venv / "bin" / "portraitseg"
        predicted = subprocess.run([str(cli), "predict", "-i", str(REPO / "demo/examples"), "-o", str(out)],
                                   capture_output=True, text=True)
        assert predicted.returncode == 0, predicted.stderr[-2000:]
        trained = subprocess.run([str(cli), "train", "--epochs", "1"], capture_output=True, text=True)
        assert trained.returncode == 2 and "pip install 'portraitseg[train]'" in trained.stderr, trained.stderr
        assert subprocess.run([py, "-c", "import gradio"], capture_output=True).returncode != 0  # no web stack
        demo = subprocess.run([str(cli), "demo"], capture_output=True, text=True)
        assert demo.returncode == 2 and "pip install 'portraitseg[demo]'" in demo.stderr, demo.stderr
        bench = subprocess.run([str(cli), "bench", "--runs", "3", "--warmup", "1"], capture_output=True, text=True)
        assert bench.returncode == 0 and "skipped: torch (not installed)" in bench.stdout, bench.stderr[-2000:]
        unrequested = subprocess.run([py, "-c", UNREQUESTED_CODE], capture_output=True, text=True)
        assert unrequested.stdout.strip() == "[]", unrequested.stdout + unrequested.stderr[-2000:]


def test_help_is_fast_and_lists_every_command():
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "portraitseg", "--help"], capture_output=True,
                            text=True)
    assert result.returncode == 0
    for command in ("predict", "eval", "train", "export", "bench", "plugins", "demo", "webcam", "push"):
        assert command in result.stdout
    heavy = [line for line in result.stderr.splitlines() if line.rstrip().endswith(("| torch", "| gradio"))]
    assert not heavy, "portraitseg --help must not import torch or gradio"
