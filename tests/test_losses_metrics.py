import math

import numpy as np
import pytest

from tests.helpers import require_train_extra

require_train_extra()

import torch  # noqa: E402

from portraitseg.plugins import get_registry  # noqa: E402
from portraitseg.evaluation.evaluate import evaluate  # noqa: E402
from portraitseg.evaluation.metrics import MetricAccumulator, boundary_f, foreground_iou  # noqa: E402


losses = get_registry("losses")
target = torch.tensor([[[[1.0, 1.0], [0.0, 0.0]]]])


def test_bce_at_zero_logits_is_ln2():
    assert losses.create("bce")(torch.zeros_like(target), target).item() == pytest.approx(math.log(2))


def test_dice_is_zero_when_right_and_near_one_when_wrong():
    confident = (target * 2 - 1) * 50
    assert losses.create("dice")(confident, target).item() == pytest.approx(0.0, abs=1e-6)
    assert losses.create("dice", smooth=0.0)(-confident, target).item() == pytest.approx(1.0, abs=1e-6)
    # soft dice at p = 0.5 everywhere: 1 - 2 * (0.5 * 2) / (0.5 * 4 + 2) = 0.5
    assert losses.create("dice", smooth=0.0)(torch.zeros_like(target), target).item() == pytest.approx(0.5)


def test_dice_pushes_the_painted_area_down_on_a_photo_with_nobody():
    losses = get_registry("losses")
    empty = torch.zeros(2, 1, 8, 8)
    logits = torch.zeros(2, 1, 8, 8, requires_grad=True)  # p = 0.5 everywhere
    loss = losses.create("dice")(logits, empty)
    assert loss.item() == pytest.approx(0.5)  # half of the picture painted as person
    loss.backward()
    assert (logits.grad > 0).all()  # every pixel is pushed towards background
    confident_background = torch.full((2, 1, 8, 8), -20.0)
    assert losses.create("dice")(confident_background, empty).item() == pytest.approx(0.0, abs=1e-6)


def test_dice_bce_is_their_sum_and_weights_apply():
    logits = torch.tensor([[[[0.3, -1.2], [2.0, -0.5]]]])
    expected = losses.create("dice")(logits, target) + losses.create("bce")(logits, target)
    assert losses.create("dice_bce")(logits, target).item() == pytest.approx(expected.item())
    halved = losses.create("dice_bce", dice_weight=0.5, bce_weight=0.5)(logits, target)
    assert halved.item() == pytest.approx(expected.item() / 2)


def test_focal_known_value():
    # at p = 0.5: alpha_t * (1 - 0.5)^2 * ln 2, alpha_t = 0.25 for person pixels and 0.75 for background
    value = losses.create("focal")(torch.zeros_like(target), target).item()
    assert value == pytest.approx((0.25 + 0.75) / 2 * 0.25 * math.log(2))


def test_lovasz_is_zero_with_margin_and_one_at_zero_logits():
    assert losses.create("lovasz")((target * 2 - 1) * 2, target).item() == pytest.approx(0.0)
    assert losses.create("lovasz")(torch.zeros_like(target), target).item() == pytest.approx(1.0)


def test_distillation_follows_the_teacher_only_where_it_agrees_with_the_label():
    from portraitseg.trainers.losses import agreeing_distillation

    teacher = torch.tensor([[[[3.0, -2.0], [4.0, -1.0]]]])  # right, wrong, wrong, right against ``target``
    student = torch.tensor([[[[0.5, 0.2], [-3.0, -0.4]]]])
    agree = torch.tensor([[[[1.0, 0.0], [0.0, 1.0]]]])
    expected = losses.create("bce")(student, torch.sigmoid(teacher), valid=agree)
    assert agreeing_distillation(student, teacher, target).item() == pytest.approx(expected.item())
    only_first = torch.tensor([[[[1.0, 1.0], [1.0, 0.0]]]])
    expected = losses.create("bce")(student[..., :1, :1], torch.sigmoid(teacher[..., :1, :1]))
    assert agreeing_distillation(student, teacher, target, only_first).item() == pytest.approx(expected.item())
    assert agreeing_distillation(teacher, teacher, target).item() < agreeing_distillation(student, teacher,
                                                                                          target).item()


def test_unknown_loss_parameter_is_an_error():
    with pytest.raises(TypeError, match="unknown parameters"):
        losses.create("dice", gamma=2)


def test_iou_and_dataset_iou_match_a_hand_computation():
    truth_a = np.zeros((4, 4), bool)
    truth_a[:2] = True  # 8 px
    pred_a = np.zeros((4, 4), bool)
    pred_a[:3] = True  # 12 px, 8 overlap -> IoU 8/12
    truth_b = np.zeros((4, 4), bool)
    truth_b[0, 0] = True  # 1 px
    pred_b = np.zeros((4, 4), bool)  # misses it -> IoU 0
    acc = MetricAccumulator()
    acc.add(pred_a, truth_a)
    acc.add(pred_b, truth_b)
    summary = acc.summary()
    assert summary["miou"] == pytest.approx(100 * (8 / 12 + 0) / 2)
    assert summary["dataset_iou"] == pytest.approx(100 * 8 / 13)
    assert foreground_iou(np.zeros((2, 2), bool), np.zeros((2, 2), bool)) == 1.0


def test_boundary_f_tolerates_small_shifts_only():
    truth = np.zeros((40, 40), bool)
    truth[10:30, 10:30] = True
    assert boundary_f(truth, truth) == 1.0
    shifted = np.roll(truth, 2, axis=1)
    assert boundary_f(shifted, truth) == 1.0  # within 3 px
    far = np.roll(truth, 8, axis=1)
    assert boundary_f(far, truth) < 0.5


def test_evaluate_thresholds_probabilities_at_the_original_size(synthetic_data):
    from portraitseg.evaluation.data import find_pairs, load_pair

    pairs = find_pairs(synthetic_data)[:3]
    truth = {p.name: load_pair(p)[1] > 127 for p in pairs}

    class Oracle:  # returns the ground truth as probability 0.6 / 0.4, so thresholding at 0.5 recovers it
        def __call__(self, image):
            match = next(t for t in truth.values() if t.shape == image.shape[:2])
            return np.where(match, 0.6, 0.4).astype(np.float32)

    assert evaluate(Oracle(), pairs[:1], progress=False)["miou"] == pytest.approx(100.0)
    result = evaluate(Oracle(), pairs[:1], threshold=0.7, progress=False)
    assert result["miou"] == pytest.approx(0.0) and result["dataset_iou"] == pytest.approx(0.0)


@pytest.mark.parametrize("backend", ["onnxruntime", "torch"])
def test_eval_cli_prints_a_table_and_writes_json(synthetic_data, tiny_checkpoint, tmp_path, capsys, backend):
    import json

    from portraitseg.cli import main

    out = tmp_path / "metrics.json"
    assert main(["eval", "-m", str(tiny_checkpoint), "--backend", backend, "--data", str(synthetic_data),
                 "--limit", "5", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    result = json.loads(out.read_text())
    assert result["images"] == 5 and len(result["per_image"]) == 5 and result["backend"] == backend
    assert f"{result['miou']:.2f}" in printed and "boundary F" in printed
    assert result["miou"] == pytest.approx(np.mean([r["iou"] for r in result["per_image"]]))
