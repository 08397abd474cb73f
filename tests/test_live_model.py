"""The live model: MediaPipe selfie segmentation's network as an encoder + decoder pair, converted exactly from
its TensorFlow Lite file, trained further into the bundled ``portrait-live``, and the default of every live path
(the webcam command, the page's live tab and routes) while photos keep the photo model."""

import numpy as np
import pytest
from PIL import Image

from portraitseg.zoo.catalog import DEFAULT_LIVE_MODEL, DEFAULT_MODEL, bundled_models, default_model
from tests.helpers import EXAMPLES, REPO

LIVE_DIR = REPO / "zoo" / "bundled" / DEFAULT_LIVE_MODEL


def test_each_role_has_its_bundled_model():
    assert DEFAULT_LIVE_MODEL == "portrait-live" and DEFAULT_LIVE_MODEL in bundled_models()
    assert default_model("photo") == DEFAULT_MODEL and default_model("live") == DEFAULT_LIVE_MODEL
    with pytest.raises(ValueError, match="unknown role 'video'"):
        default_model("video")


def test_the_live_model_is_mediapipe_cost_and_photos_keep_the_photo_model():
    from portraitseg.api import load, resolve_model
    from portraitseg.zoo.config import ModelConfig

    assert ModelConfig.load(resolve_model(None)).encoder == "mobilenet_v2"  # load() with no name: photos
    config = ModelConfig.load(resolve_model(DEFAULT_LIVE_MODEL))
    assert (config.encoder, config.decoder, config.live_long_side) == ("mediapipe_selfie", "selfie", 256)
    frame = np.asarray(Image.open(EXAMPLES / "grace_hopper.jpg").convert("RGB"))
    prob = load(DEFAULT_LIVE_MODEL).live()(frame)
    assert prob.shape == frame.shape[:2]
    assert 0.1 < float((prob > 0.5).mean()) < 0.9  # a person is found in the portrait, not everything painted


def test_the_card_carries_the_apache_notice_and_what_changed():
    card = (LIVE_DIR / "README.md").read_text()
    assert "Apache License, Version 2.0" in card and "MediaPipe" in card
    assert "fine-tuned" in card.lower()
    assert (LIVE_DIR / "NOTICE").read_text().count("Apache") >= 1


def test_the_webcam_command_defaults_to_the_live_model():
    import argparse

    from portraitseg.cli import webcam
    from portraitseg.cli import predict

    for module, expected in ((webcam, DEFAULT_LIVE_MODEL), (predict, DEFAULT_MODEL)):
        parser = argparse.ArgumentParser()
        module.add_arguments(parser)
        args = parser.parse_args(["-i", "x.jpg", "-o", "out"] if module is predict else [])
        assert args.model == expected, module.__name__


def test_the_demo_preselects_each_role(tmp_path):
    pytest.importorskip("gradio")
    from portraitseg.demo.models import ModelChoices

    models = ModelChoices()
    assert (models.default, models.live_default) == (DEFAULT_MODEL, DEFAULT_LIVE_MODEL)
    chosen = ModelChoices([str(LIVE_DIR)], live=DEFAULT_MODEL)
    assert (chosen.default, chosen.live_default) == (str(LIVE_DIR), DEFAULT_MODEL)
    from portraitseg.demo.routes import live_page

    line = live_page(models).describe(models.live_default)
    assert not models._loaded  # the live config and the live tab's line come from files: no model was loaded
    assert line.startswith("**Live model** `portrait-live`") and "256px" in line and "browser" in line, line
    assert "**Photo model** `portrait-unet-mnv2`" in models.describe(models.default)


@pytest.fixture(scope="module")
def tflite(data_root):
    path = data_root.parent / "peers" / "selfie_segmentation.tflite"
    if not path.is_file():
        pytest.skip(f"{path} absent (it ships in the npm package @mediapipe/selfie_segmentation)")
    pytest.importorskip("torch")
    pytest.importorskip("ai_edge_litert")
    return path


@pytest.fixture(scope="module")
def convert():
    """``scripts/convert_mediapipe_selfie.convert``."""
    import sys

    sys.path.insert(0, str(REPO / "scripts"))
    from convert_mediapipe_selfie import convert

    return convert


def test_the_converted_network_reproduces_the_tflite_on_the_sample_photos(tflite, convert):
    """Same 256x256 input (the photo squashed, as MediaPipe feeds it): the probability within 1e-3 everywhere."""
    import torch
    from ai_edge_litert.interpreter import Interpreter

    model, config = convert(tflite)
    assert sum(p.numel() for p in model.parameters()) == 106_401
    interpreter = Interpreter(model_path=str(tflite))
    interpreter.allocate_tensors()
    photos = sorted(p for p in EXAMPLES.iterdir() if p.suffix in {".jpg", ".png"})
    assert len(photos) >= 5
    for photo in photos:
        rgb = np.asarray(Image.open(photo).convert("RGB").resize((256, 256), Image.BILINEAR), dtype=np.float32)
        interpreter.set_tensor(interpreter.get_input_details()[0]["index"], rgb[None] / 255.0)
        interpreter.invoke()
        expected = interpreter.get_tensor(interpreter.get_output_details()[0]["index"])[0, :, :, 0]
        with torch.no_grad():
            got = torch.sigmoid(model(torch.from_numpy(rgb).permute(2, 0, 1)[None]))[0, 0].numpy()
        assert np.abs(got - expected).max() <= 1e-3, photo.name
        assert ((got > 0.5) != (expected > 0.5)).mean() < 1e-4, photo.name


def test_a_temperature_changes_no_mask_pixel(tflite, convert):
    import torch

    exact, _ = convert(tflite)
    soft, _ = convert(tflite, temperature=8)
    x = torch.from_numpy(np.asarray(Image.open(EXAMPLES / "astronaut.png").convert("RGB").resize((192, 256)),
                                    dtype=np.float32)).permute(2, 0, 1)[None]
    with torch.no_grad():
        a, b = exact(x), soft(x)
    assert torch.equal(a > 0, b > 0) and torch.allclose(a / 8, b, atol=1e-3)


def test_the_card_shows_the_peers_and_the_live_cost_of_the_same_runs(tmp_path):
    """bench.json's peers (benchmarks/compare.py) and live_bench.json (benchmarks/live_model.py --record) render
    as tables in the card; without them the card has neither."""
    import json
    import shutil

    pytest.importorskip("huggingface_hub")
    from portraitseg.hub_cards.render import render_card

    folder = tmp_path / "portrait-live"
    shutil.copytree(LIVE_DIR, folder)
    for name in ("bench.json", "live_bench.json"):
        (folder / name).unlink(missing_ok=True)
    plain = str(render_card(folder, model_name="portrait-live"))
    assert "Beside other portrait models" not in plain and "webcam frame" not in plain
    (folder / "bench.json").write_text(json.dumps({"run": "compare", "hardware": "cpu", "frame": "600x800",
                                                   "input": "256x192", "peers": [{"name": "MediaPipe selfie (general)",
                                                              "input": "256x256", "miou": 96.15, "median_ms": 2.76,
                                                              "people_miou": 44.53, "empty_share": 16.34,
                                                              "empty_over_1pct": 39, "empty_images": 67}]}))
    row = {"model": "portrait-live fp32", "input (HxW)": "192x256", "1 thr (ms)": 1.56, "vs MediaPipe, 1 thr": "0.74x"}
    (folder / "live_bench.json").write_text(json.dumps({"run": "live", "hardware": "cpu", "frame": "640x480",
                                                        "rows": [row]}))
    card = str(render_card(folder, model_name="portrait-live"))
    assert "| MediaPipe selfie (general) | 256x256 | 96.15 | 44.53 | 16.34% / 39 of 67 | 2.76 ms |" in card
    assert "| portrait-live fp32 | 192x256 | 1.56 | 0.74x |" in card
