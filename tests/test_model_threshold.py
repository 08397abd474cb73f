"""A model's threshold comes from its config everywhere (a user's value still wins): predict, eval, the photo tab,
the live route. The model here is the bundled one published again with threshold 0.3."""

from __future__ import annotations

import json
import shutil

import cv2
import numpy as np
import pytest

from portraitseg.cli import main
from portraitseg.zoo.catalog import DEFAULT_MODEL, resolve_zoo_name
from tests.helpers import EXAMPLES, make_dataset

PHOTO = EXAMPLES / "grace_hopper.jpg"


@pytest.fixture(scope="module")
def lenient_model(tmp_path_factory):
    """The bundled model with threshold 0.3 in its config.json."""
    folder = tmp_path_factory.mktemp("models") / "lenient"
    shutil.copytree(resolve_zoo_name(DEFAULT_MODEL), folder)
    config = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**config, "threshold": 0.3}))
    return folder


def _mask(tmp_path, name, *options):
    out = tmp_path / name
    assert main(["predict", "-i", str(PHOTO), "-o", str(out), "--output", "mask", *options]) == 0
    return cv2.imread(str(out / "grace_hopper.png"), cv2.IMREAD_GRAYSCALE)


def test_predict_thresholds_at_the_models_value_unless_told(lenient_model, tmp_path):
    own = _mask(tmp_path, "own", "-m", str(lenient_model))
    told = _mask(tmp_path, "told", "--threshold", "0.3")  # the bundled model (0.5) told 0.3
    default = _mask(tmp_path, "default")
    overridden = _mask(tmp_path, "overridden", "-m", str(lenient_model), "--threshold", "0.5")
    np.testing.assert_array_equal(own, told)
    np.testing.assert_array_equal(overridden, default)
    assert (own > 0).sum() > (default > 0).sum()  # a lower threshold keeps more pixels


def test_eval_reports_and_uses_the_models_threshold(lenient_model, tmp_path):
    data = make_dataset(tmp_path / "data", 4)
    assert main(["eval", "-m", str(lenient_model), "--data", str(data), "--json", str(tmp_path / "own.json")]) == 0
    assert json.loads((tmp_path / "own.json").read_text())["threshold"] == 0.3


def test_the_photo_tab_and_the_live_route_start_from_the_models_threshold(lenient_model):
    pytest.importorskip("gradio", reason="the demo extra is missing: pip install 'portraitseg[demo]'")
    from portraitseg.demo.live import LiveMattes
    from portraitseg.demo.models import ModelChoices
    from portraitseg.demo.ui import build_app

    models = ModelChoices([str(lenient_model)])
    models.names = [str(lenient_model), *[n for n in models.names if n != str(lenient_model)]]  # served first
    app = build_app(models)
    slider = next(c for c in app.config["components"] if c.get("props", {}).get("elem_id") == "threshold")
    assert slider["props"]["value"] == 0.3

    bgr = cv2.resize(cv2.imread(str(PHOTO)), (219, 256))
    frame = cv2.imencode(".jpg", bgr)[1].tobytes()
    settings = {"smoothing": "0", "softness": "0"}
    own, _ = LiveMattes(models)(frame, {**settings, "model": str(lenient_model), "stream": "a"})
    told, _ = LiveMattes(models)(frame, {**settings, "model": DEFAULT_MODEL, "threshold": "0.3", "stream": "b"})
    default, _ = LiveMattes(models)(frame, {**settings, "model": DEFAULT_MODEL, "stream": "c"})
    np.testing.assert_array_equal(own, told)
    assert (own > 0).sum() > (default > 0).sum()
