"""The body-view augmenters (body_crop, rotate, low_light, overlap_person) and the body-crop validation set."""

import numpy as np
import pytest

from tests.helpers import Pool, agreement, require_train_extra, tiny_run, two_colour_pair

require_train_extra()

from portraitseg.augment.views import body_window  # noqa: E402
from portraitseg.evaluation.body_crops import (BODY_CROPS, HELD_OUT, body_crop_pairs, body_crop_view,  # noqa: E402
                                               held_out_names)
from portraitseg.geometry import IGNORE_LABEL  # noqa: E402
from portraitseg.plugins import get_registry  # noqa: E402
from portraitseg.trainers.selection import selection_score  # noqa: E402

VIEWS = ("body_crop", "rotate", "low_light", "overlap_person")


def make(name, **params):
    augmenter = get_registry("augmenters").create(name, p=1.0, **params)
    if hasattr(augmenter, "bind"):
        augmenter.bind(Pool([two_colour_pair(seed) for seed in range(6)]))
    return augmenter


@pytest.mark.parametrize("name", VIEWS)
def test_each_view_is_registered_reproducible_and_keeps_the_label_aligned(name):
    augmenter = make(name)
    image, mask = two_colour_pair(7)
    first = augmenter(image, mask, np.random.default_rng([0, 1, 2]))
    again = augmenter(image, mask, np.random.default_rng([0, 1, 2]))
    np.testing.assert_array_equal(first[0], again[0])
    np.testing.assert_array_equal(first[1], again[1])
    assert first[0].shape == image.shape and first[0].dtype == np.uint8 and first[1].shape == mask.shape
    assert set(np.unique(first[1])) <= {0, 255}
    if name != "low_light":  # darkening changes the colours agreement() reads; its own test checks it
        assert agreement(*first) > 0.9


@pytest.mark.parametrize("name, bad", [("body_crop", {"min_fill": 0.9, "max_fill": 0.3}),
                                       ("rotate", {"right_angle": 0.8, "upside_down": 0.5}),
                                       ("low_light", {"exposure_low": 0.0}),
                                       ("overlap_person", {"behind": 2.0})])
def test_bad_parameters_are_refused_by_name(name, bad):
    from portraitseg.augment.pipeline import Pipeline
    from portraitseg.errors import AugmenterError

    with pytest.raises(AugmenterError, match=name):
        Pipeline([{"name": name, **bad}])


def test_body_window_fills_the_frame_and_cuts_the_head_when_asked():
    mask = np.zeros((400, 300), np.uint8)
    mask[40:400, 90:210] = 255  # a standing person, head at row 40
    rng = np.random.default_rng(0)
    for _ in range(20):
        y0, y1, x0, x1 = body_window(mask, 4 / 3, rng, (0.3, 0.9), headless=1.0)
        share = (mask[y0:y1, x0:x1] > 127).mean()
        assert 0.3 <= share <= 0.9 and y0 >= 40 + 0.15 * 360  # below the head
    assert body_window(np.zeros((50, 50), np.uint8), 1.0, rng, (0.3, 0.9), 0.5) is None


def test_body_crop_is_sharper_than_the_canvas_and_keeps_unknown_labels():
    """It cuts from the pool's cached pair, not the canvas, and carries IGNORE_LABEL pixels with it."""
    image, mask = two_colour_pair(1)
    label = mask.copy()
    label[:, :3] = IGNORE_LABEL
    augmenter = make("body_crop", headless=0.0)
    augmenter.bind(Pool([(image, label)]))
    canvas = np.zeros((48, 36, 3), np.uint8), np.zeros((48, 36), np.uint8)
    seen = set()
    for seed in range(10):
        out_image, out_mask = augmenter(*canvas, np.random.default_rng(seed))
        assert out_mask.shape == (48, 36) and out_mask.any()
        seen |= set(np.unique(out_mask))
    assert IGNORE_LABEL in seen


def test_rotate_by_right_angles_turns_image_and_label_together():
    image, mask = two_colour_pair(2)
    square_image, square_mask = image[:72], mask[:72]
    augmenter = make("rotate", right_angle=0.0, upside_down=1.0)
    out_image, out_mask = augmenter(square_image, square_mask, np.random.default_rng(0))
    np.testing.assert_array_equal(out_mask, square_mask[::-1, ::-1])
    np.testing.assert_array_equal(out_image, square_image[::-1, ::-1])
    turned = make("rotate", right_angle=1.0, upside_down=0.0)(image, mask, np.random.default_rng(0))
    assert turned[1].shape == mask.shape and agreement(*turned) > 0.95  # a portrait canvas stays portrait


def test_low_light_darkens_and_darkens_clothes_more():
    image, mask = two_colour_pair(3)
    image = np.full_like(image, 200)
    out, out_mask = make("low_light", dark_clothes=1.0, noise=0.0)(image, mask, np.random.default_rng(0))
    np.testing.assert_array_equal(out_mask, mask)
    assert out.mean() < 0.7 * image.mean()
    rows = np.flatnonzero(mask.max(axis=1) > 127)
    body = mask.copy()
    body[: rows[0] + (rows[-1] - rows[0]) // 2] = 0
    assert out[body > 127].mean() < out[mask == 0].mean()


def test_overlap_person_adds_a_person_and_keeps_the_first():
    image, mask = two_colour_pair(4)
    out_image, out_mask = make("overlap_person", behind=0.0)(image, mask, np.random.default_rng(5))
    assert (out_mask[mask > 127] == 255).all() and (out_mask > 127).sum() > (mask > 127).sum()
    behind_image, _ = make("overlap_person", behind=1.0)(image, mask, np.random.default_rng(5))
    np.testing.assert_array_equal(behind_image[mask > 127], image[mask > 127])  # the first stays in front


def test_body_crop_view_is_the_same_window_every_time():
    from tests.helpers import person_image

    image, mask = person_image(480, 360, np.random.default_rng(5))
    first, again = body_crop_view(image, mask, "photo-1"), body_crop_view(image, mask, "photo-1")
    np.testing.assert_array_equal(first[0], again[0])
    np.testing.assert_array_equal(first[1], again[1])
    assert first[1].shape != mask.shape and min(first[1].shape) >= 128 and 0.3 <= (first[1] > 127).mean() <= 0.9
    small = two_colour_pair(5)  # a person too small for a 128-pixel close view: the photo is scored whole
    assert body_crop_view(*small, "photo-2")[1].shape == small[1].shape


def test_selection_counts_the_body_crops():
    assert selection_score({"val_miou": 90.0, "people_miou": 50.0, "crops_miou": 60.0}) == pytest.approx(200 / 3)


def test_training_leaves_the_held_out_photos_out(tmp_path):
    from portraitseg.trainers.loop import collect_pairs
    from tests.helpers import make_dataset

    listed = sorted(held_out_names(HELD_OUT["ccp_train"].name.split(".")[0]))[:2]
    root = make_dataset(tmp_path / "ccp_train", 8)
    for k, name in enumerate(listed):  # two of the data set's photos carry held-out names
        for sub, suffix in (("images", ".jpg"), ("masks", ".png")):
            (root / sub / f"{k:05d}{suffix}").rename(root / sub / f"{name}{suffix}")
    train, val = collect_pairs(tiny_run(root, tmp_path / "run", val_fraction=0.25))
    names = {p.name for p in train + val}
    assert len(names) == 6 and not names & set(listed)


def test_body_crops_score_through_eval(data_root, capsys):
    if not all((data_root / name / "images").is_dir() for name in HELD_OUT):
        pytest.skip("voc_person_train and ccp_train are not in the real data")
    from portraitseg.cli import main

    assert len(body_crop_pairs()) == sum(len(held_out_names(n)) for n in HELD_OUT) == 160
    assert main(["eval", "--data", BODY_CROPS, "--limit", "6", "--backend", "torch"]) == 0
    assert "images                    6" in capsys.readouterr().out
