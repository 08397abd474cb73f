"""The copy-paste composite augmenter, canvas-shaped batches and the one letterbox of training and serving."""

import numpy as np
import pytest

from tests.helpers import require_train_extra

require_train_extra()

import torch  # noqa: E402

from portraitseg.augment.composite import CopyPaste, cut_person  # noqa: E402
from portraitseg.geometry import plan_fit, to_input  # noqa: E402
from portraitseg.plugins import get_registry  # noqa: E402
from portraitseg.evaluation.data import find_pairs  # noqa: E402
from portraitseg.trainers.data import TrainingSet, place_on_canvas  # noqa: E402
from portraitseg.trainers.sampling import CanvasBatchSampler, default_canvases  # noqa: E402
from portraitseg.trainers.selection import selection_score  # noqa: E402
from tests.helpers import Pool, agreement, blue_canvas, two_colour_pair  # noqa: E402


def make_copy_paste(**params):
    params = {"objects": 0.0, "body_crop": 0.0, **params}
    augmenter = get_registry("augmenters").create("copy_paste", p=1.0, backgrounds=None, colour_match=0.0,
                                                  **params)
    augmenter.bind(Pool([two_colour_pair(seed) for seed in range(6)]))
    return augmenter


def test_copy_paste_is_registered_and_reproducible_per_draw():
    augmenter = make_copy_paste()
    image, mask = two_colour_pair(7)
    first = augmenter(image, mask, np.random.default_rng([0, 3, 5]))
    again = augmenter(image, mask, np.random.default_rng([0, 3, 5]))
    other = augmenter(image, mask, np.random.default_rng([0, 3, 6]))
    np.testing.assert_array_equal(first[0], again[0])
    np.testing.assert_array_equal(first[1], again[1])
    assert not np.array_equal(first[1], other[1])


def test_pasted_people_are_labelled_and_the_canvas_people_stay_labelled():
    augmenter = make_copy_paste(empty=0.0, background_canvas=0.0, feather=0.0)
    pasted_something = 0
    for seed in range(20):
        image, mask = two_colour_pair(100 + seed)
        out_image, out_mask = augmenter(image, mask, np.random.default_rng(seed))
        assert out_image.shape == image.shape and set(np.unique(out_mask)) <= {0, 255}
        assert (out_mask[mask > 127] == 255).all()  # pasted people occlude, the union stays person
        assert agreement(out_image, out_mask) > 0.97  # every red pixel is labelled, every blue one is not
        pasted_something += (out_mask > 127).sum() > (mask > 127).sum()
    assert pasted_something >= 15


def test_pasted_objects_are_never_labelled_and_hide_the_people_behind_them():
    augmenter = make_copy_paste(empty=0.0, background_canvas=0.0, objects=1.0, max_objects=2, feather=0.0)
    hidden = 0
    for seed in range(20):
        image, mask = two_colour_pair(200 + seed)
        out_image, out_mask = augmenter(image, mask, np.random.default_rng(seed))
        assert agreement(out_image, out_mask) > 0.97  # blue objects unlabelled, red people labelled
        hidden += ((mask > 127) & (out_mask == 0)).any()
    assert hidden >= 3  # objects pasted in front of people take those pixels out of the mask
    nobody = make_copy_paste(empty=1.0, objects=1.0)
    assert not any(nobody(*two_colour_pair(s), np.random.default_rng(s))[1].any() for s in range(10))


def test_person_free_canvases_have_empty_masks_at_the_configured_rate():
    augmenter = make_copy_paste(empty=0.3)
    empty = 0
    for seed in range(200):
        image, mask = blue_canvas()
        out_image, out_mask = augmenter(image, mask, np.random.default_rng(seed))
        if not out_mask.any():
            empty += 1
    assert 0.2 < empty / 200 < 0.45  # 30% person-free, plus pastes that landed outside the frame
    nobody = make_copy_paste(empty=1.0)
    for seed in range(10):
        image, mask = nobody(*two_colour_pair(seed), np.random.default_rng(seed))
        assert not mask.any()
        red = (image[..., 0] > 180) & (image[..., 2] < 80)
        assert red.mean() < 0.01  # person-free windows of the pool's photos, not its people


def test_a_person_cut_by_the_bottom_of_its_photo_stays_cut_by_the_bottom_of_the_canvas():
    image, mask = two_colour_pair(0)  # the shoulders run to the bottom edge
    cutout = cut_person(image, mask)
    assert cutout.bottom and not cutout.top
    augmenter = make_copy_paste(empty=0.0, background_canvas=1.0, max_people=1)
    for seed in range(30):
        _, out_mask = augmenter(*blue_canvas(), np.random.default_rng(seed))
        if out_mask.any():
            assert out_mask[-1].any(), f"seed {seed}: the pasted bust floats above the bottom edge"


def test_people_are_pasted_from_a_tenth_to_the_whole_canvas_height():
    augmenter = make_copy_paste(empty=0.0, background_canvas=1.0, max_people=1, feather=0.0)
    heights = []
    for seed in range(60):
        _, out_mask = augmenter(*blue_canvas(200, 200), np.random.default_rng(seed))
        rows = np.flatnonzero(out_mask.any(axis=1))
        if rows.size:
            heights.append((rows[-1] - rows[0] + 1) / 200)
    assert min(heights) < 0.2 and max(heights) > 0.6


def test_copy_paste_without_a_pool_or_with_bad_settings_says_so():
    with pytest.raises(RuntimeError, match="pool"):
        CopyPaste(p=1.0, backgrounds=None)(*two_colour_pair(), np.random.default_rng(0))
    with pytest.raises(ValueError, match="backgrounds folder not found"):
        CopyPaste(backgrounds="/no/such/folder")
    with pytest.raises(ValueError, match="probabilities"):
        CopyPaste(empty=1.5, backgrounds=None)


def test_batches_share_one_canvas_and_every_orientation_is_drawn():
    canvases = default_canvases((256, 192))
    assert canvases == [(256, 192), (192, 256), (256, 256)]
    sampler = CanvasBatchSampler(range(64), 4, canvases, None, seed=1, epoch=2)
    batches = list(sampler)
    assert len(batches) == 16 and all(len({(h, w) for _, h, w in b}) == 1 for b in batches)
    assert {b[0][1:] for b in batches} == set(canvases)
    assert [b[0][1:] for b in CanvasBatchSampler(range(64), 4, canvases, None, 1, 2)] == [b[0][1:] for b in batches]
    resumed = CanvasBatchSampler(range(40), 4, canvases, None, seed=1, epoch=2, first_batch=6)
    assert [b[0][1:] for b in resumed] == [b[0][1:] for b in batches[6:]]  # a resumed epoch draws the same shapes


def test_training_set_serves_each_batch_canvas(synthetic_data):
    dataset = TrainingSet(find_pairs(synthetic_data), (64, 64), 32)
    for h, w in [(64, 32), (32, 64), (64, 64)]:
        image, mask, index = dataset[(3, h, w)]
        assert image.shape == (3, h, w) and mask.shape == (1, h, w) and (mask == 255).any() and index == 3


def test_training_places_an_image_exactly_as_serving_does():
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (480, 640, 3), dtype=np.uint8)
    mask = np.zeros((480, 640), np.uint8)
    mask[100:400, 200:300] = 255
    placed, placed_mask = place_on_canvas(image, mask, (192, 256), 32)
    served = to_input(image, plan_fit(image.shape[:2], 256, 32))
    np.testing.assert_array_equal(placed.transpose(2, 0, 1).astype(np.float32), served)
    assert placed_mask.shape == (192, 256) and placed_mask[40:160, 80:120].all()
    portrait, _ = place_on_canvas(image, mask, (256, 192), 32, np.random.default_rng(1))
    assert portrait.shape == (256, 192, 3) and (portrait != 128).any(axis=2).all()  # cropped, not padded


def test_selection_score_rewards_iou_and_punishes_people_in_empty_photos():
    assert selection_score({"val_miou": 96.0, "people_miou": 50.0, "empty_person_share": 2.0}) == 71.0
    assert selection_score({"val_miou": 96.0}) == 96.0
    assert selection_score({"val_miou": 96.0, "empty_person_share": 10.0}) == 86.0
    assert np.isnan(selection_score({}))


def test_the_training_set_binds_itself_as_the_pool(synthetic_data):
    from portraitseg.augment.pipeline import Pipeline

    pipeline = Pipeline([{"name": "copy_paste", "p": 1.0, "empty": 0.0, "backgrounds": None}])
    dataset = TrainingSet(find_pairs(synthetic_data), (64, 64), 32, pipeline)
    assert pipeline.augmenters[0].pool is dataset and dataset.pool_size == 24
    image, mask, _ = dataset[(0, 64, 64)]
    assert isinstance(image, torch.Tensor) and mask.sum() > 0


def test_augment_preview_shows_composites_on_every_canvas(synthetic_data, tmp_path, capsys):
    from PIL import Image

    from portraitseg.cli import main

    out = tmp_path / "grid.png"
    assert main(["augment-preview", "--data", str(synthetic_data), "-o", str(out), "--rows", "2", "--cols", "3",
                 "--train-size", "64", "32", "--augment", "copy_paste:p=1.0,empty=0.0,backgrounds=none"]) == 0
    assert Image.open(out).size == (3 * 64, 2 * 64)
    printed = capsys.readouterr().out
    assert "copy_paste" in printed and "(64, 32), (32, 64), (64, 64)" in printed
