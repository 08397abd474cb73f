"""INT8 and fp16 exports of the bundled default model: they load, run, and stay close to the float model."""

import numpy as np
import pytest

import portraitseg
from portraitseg.cli import main
from portraitseg.evaluation.data import find_pairs
from portraitseg.evaluation.evaluate import evaluate

MAX_INT8_LOSS = 0.3  # mIoU points


@pytest.fixture(scope="module")
def int8_model(data_root, tmp_path_factory):
    path = tmp_path_factory.mktemp("int8") / "int8.onnx"
    assert main(["export", "-o", str(path), "--int8", "--calibration-data", str(data_root / "eg1800"),
                 "--calibration-split", "splits/train_recommended.txt", "--calibration-images", "100"]) == 0
    return path


@pytest.mark.slow
def test_int8_model_is_smaller_and_stays_within_the_stated_accuracy(int8_model, data_root):
    import onnx

    from portraitseg.zoo.catalog import DEFAULT_MODEL, bundled_models

    float_size = (bundled_models()[DEFAULT_MODEL] / "model.onnx").stat().st_size * 2  # fp16-stored weights
    assert int8_model.stat().st_size < 0.5 * float_size
    graph = onnx.load(str(int8_model)).graph
    assert any(node.op_type == "QuantizeLinear" for node in graph.node)
    # the whole split, as the 0.3-point rule is stated for it: on a 33-image subset one photo's swing alone
    # reached 0.3 points on an AVX-512 VNNI machine while the whole split lost 0.03
    pairs = find_pairs(data_root / "eg1800", "splits/test_clean.txt")
    int8 = evaluate(portraitseg.load(int8_model), pairs, progress=False)["miou"]
    fp32 = evaluate(portraitseg.load(precision="fp32"), pairs, progress=False)["miou"]
    print(f"INT8 {int8:.2f} vs float {fp32:.2f} mIoU on {len(pairs)} test_clean images")
    assert int8 >= fp32 - MAX_INT8_LOSS


def test_fp16_export_runs_and_agrees(tmp_path):
    path = tmp_path / "fp16.onnx"
    assert main(["export", "-o", str(path), "--fp16"]) == 0
    from tests.helpers import EXAMPLES

    fp16 = portraitseg.load(path)(EXAMPLES / "astronaut.png")
    fp32 = portraitseg.load(precision="fp32")(EXAMPLES / "astronaut.png")
    assert fp16.shape == fp32.shape and np.abs(fp16 - fp32).max() < 0.05


def test_int8_needs_calibration_data(tmp_path, capsys):
    assert main(["export", "-o", str(tmp_path / "x.onnx"), "--int8"]) == 2
    assert "--calibration-data" in capsys.readouterr().err
