"""Regression test of the bundled default model on EG1800 test_clean, through every way it is served."""

import json

import numpy as np
import pytest

import portraitseg
from portraitseg.evaluation.data import find_pairs
from portraitseg.evaluation.evaluate import evaluate
from portraitseg.zoo.catalog import DEFAULT_MODEL, bundled_models
from tests.helpers import EXAMPLES

MIN_MIOU = 96.0
MAX_INT8_LOSS = 0.3


def test_the_default_model_is_bundled_small_and_loads_without_arguments():
    """Bundled, under 25 MB, and its card states the recorded test figures."""
    folder = bundled_models()[DEFAULT_MODEL]
    assert next(iter(bundled_models())) == DEFAULT_MODEL
    assert sum(p.stat().st_size for p in folder.iterdir()) < 25e6
    recorded = json.loads((folder / "eval.json").read_text())
    card = (folder / "README.md").read_text()
    assert f"| {recorded['miou']:.2f} |" in card and f"| {recorded['int8']['miou']:.2f} |" in card
    segmenter = portraitseg.load()
    assert segmenter.backend_name == "onnxruntime" and segmenter.description == DEFAULT_MODEL
    assert segmenter.precision == "int8-qdq"  # on a CPU the validated INT8 model serves by default
    prob = segmenter(EXAMPLES / "grace_hopper.jpg")
    assert prob[prob.shape[0] // 2, prob.shape[1] // 2] > 0.9  # the centre of a portrait is person
    assert prob[5, 5] < 0.1 and prob[5, -5] < 0.1  # the top corners are background


@pytest.fixture(scope="module")
def test_clean(data_root):
    pairs = find_pairs(data_root / "eg1800", "splits/test_clean.txt")
    assert len(pairs) == 258
    return pairs


@pytest.fixture(scope="module")
def scores(test_clean):
    return {}


@pytest.mark.slow
@pytest.mark.parametrize("backend, precision", [("onnxruntime", "fp32"), ("torch", "fp32"), ("onnxruntime", "int8")])
def test_bundled_model_on_eg1800_test_clean(test_clean, scores, backend, precision):
    result = evaluate(portraitseg.load(backend=backend, precision=precision), test_clean, progress=False)
    scores[(backend, precision)] = result["miou"]
    print(f"{backend} {precision}: mIoU {result['miou']:.2f}, dataset IoU {result['dataset_iou']:.2f}, "
          f"boundary F {result['boundary_f']:.4f}")
    assert result["miou"] >= MIN_MIOU
    # the recorded figures, from which the model card is rendered, are what this model scores here
    recorded = json.loads((bundled_models()[DEFAULT_MODEL] / "eval.json").read_text())
    if precision == "int8":
        assert result["miou"] >= scores.get(("onnxruntime", "fp32"), 0) - MAX_INT8_LOSS
        assert abs(result["miou"] - recorded["int8"]["miou"]) < 0.2
    else:
        assert abs(result["miou"] - recorded["miou"]) < 0.05


def test_backends_agree_on_the_bundled_model():
    onnx, torch = portraitseg.load(backend="onnxruntime", precision="fp32"), portraitseg.load(backend="torch")
    for path in sorted(EXAMPLES.glob("*.jpg")):
        assert np.abs(onnx(path) - torch(path)).max() < 1e-4, path.name
