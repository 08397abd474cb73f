"""Regression test of the bundled default model on EG1800 test_clean, through both backends."""

import numpy as np
import pytest

import portraitseg
from portraitseg.trainers.data import find_pairs
from portraitseg.trainers.evaluate import evaluate
from portraitseg.zoo.catalog import DEFAULT_MODEL, bundled_models
from tests.conftest import EXAMPLES

MIN_MIOU = 96.0


def test_the_default_model_is_bundled_and_loads_without_arguments():
    assert next(iter(bundled_models())) == DEFAULT_MODEL
    segmenter = portraitseg.load()
    assert segmenter.backend_name == "onnxruntime" and segmenter.description == DEFAULT_MODEL
    prob = segmenter(EXAMPLES / "grace_hopper.jpg")
    assert prob[prob.shape[0] // 2, prob.shape[1] // 2] > 0.9  # the centre of a portrait is person
    assert prob[5, 5] < 0.1 and prob[5, -5] < 0.1  # the top corners are background


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["onnxruntime", "torch"])
def test_bundled_model_on_eg1800_test_clean(data_root, backend):
    pairs = find_pairs(data_root / "eg1800", "splits/test_clean.txt")
    assert len(pairs) == 258
    result = evaluate(portraitseg.load(backend=backend), pairs, progress=False)
    print(f"{backend}: mIoU {result['miou']:.2f}, dataset IoU {result['dataset_iou']:.2f}, "
          f"boundary F {result['boundary_f']:.4f}")
    assert result["miou"] >= MIN_MIOU


def test_backends_agree_on_the_bundled_model():
    onnx, torch = portraitseg.load(backend="onnxruntime"), portraitseg.load(backend="torch")
    for path in sorted(EXAMPLES.glob("*.jpg")):
        assert np.abs(onnx(path) - torch(path)).max() < 1e-4, path.name
