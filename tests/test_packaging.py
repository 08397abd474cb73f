"""The wheel carries every sub-package (mapped from the top-level folders), the bundled model and the examples."""

import os
import subprocess
import sys
import zipfile

import pytest

from tests.conftest import REPO


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "-w", str(out), str(REPO)], check=True)
    return next(out.glob("portraitseg-*.whl"))


def test_wheel_maps_the_folders_to_subpackages_and_ships_data(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for module in ("portraitseg/zoo/unet.py", "portraitseg/augment/transforms.py", "portraitseg/trainers/loop.py",
                   "portraitseg/demo/ui.py", "portraitseg/hub_cards/render.py", "portraitseg/hub_cards/model_card.md",
                   "portraitseg/zoo/encoders/mobilenet_v2.py", "portraitseg/cli/predict.py",
                   "portraitseg/demo/examples/grace_hopper.jpg"):
        assert module in names, module
    assert not any(n.startswith(("tests/", "zoo/", "trainers/")) for n in names)


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
    assert "portrait-unet-mnv2" in bundled


def test_help_is_fast_and_lists_every_command():
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "portraitseg", "--help"], capture_output=True,
                            text=True)
    assert result.returncode == 0
    for command in ("predict", "eval", "train", "export", "bench", "plugins", "demo", "webcam", "push"):
        assert command in result.stdout
    heavy = [line for line in result.stderr.splitlines() if line.rstrip().endswith(("| torch", "| gradio"))]
    assert not heavy, "portraitseg --help must not import torch or gradio"
