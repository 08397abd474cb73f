"""Training on real-world data: ignore masks, person-free pairs, hard-negative mining, bodies without faces, and
augmentation that never invents person pixels."""

import numpy as np
import pytest
from PIL import Image

from tests.helpers import require_train_extra

require_train_extra()

import torch  # noqa: E402

from portraitseg.augment.composite import Cutout, crop_body, cut_person  # noqa: E402
from portraitseg.evaluation.data import find_pairs  # noqa: E402
from portraitseg.geometry import IGNORE_LABEL, PAD_VALUE, resize_label  # noqa: E402
from portraitseg.plugins import get_registry  # noqa: E402
from portraitseg.trainers.data import TrainingSet, load_label, split_label  # noqa: E402
from portraitseg.trainers.losses import bce, dice_bce, focal, lovasz_hinge, soft_dice  # noqa: E402
from portraitseg.trainers.sampling import HardNegatives  # noqa: E402
from tests.helpers import make_dataset, person_image  # noqa: E402


def add_ignore_band(root, width=3):
    """An ignore/ mask per pair: a band along the person's outline, as VOC's void band."""
    import cv2

    (root / "ignore").mkdir()
    for mask_path in (root / "masks").iterdir():
        mask = np.asarray(Image.open(mask_path))
        kernel = np.ones((2 * width + 1, 2 * width + 1), np.uint8)
        band = cv2.dilate(mask, kernel) - cv2.erode(mask, kernel)
        Image.fromarray(band).save(root / "ignore" / mask_path.name)
    return root


def test_ignore_masks_are_found_and_read_as_unknown_not_as_person(tmp_path):
    root = add_ignore_band(make_dataset(tmp_path / "voc", 3))
    pairs = find_pairs(root)
    assert all(p.ignore is not None for p in pairs)
    image, label = load_label(pairs[0])
    person = np.asarray(Image.open(pairs[0].mask)) > 127
    band = np.asarray(Image.open(pairs[0].ignore)) > 127
    assert set(np.unique(label)) == {0, IGNORE_LABEL, 255}
    assert (label[person] == 255).all()                         # a person pixel stays a person
    assert (label[band & ~person] == IGNORE_LABEL).all()
    assert (label[~band & ~person] == 0).all()
    assert find_pairs(make_dataset(tmp_path / "plain", 1))[0].ignore is None


def test_resizing_a_label_keeps_three_values_and_invents_no_unknown_edge():
    label = np.zeros((40, 40), np.uint8)
    label[10:30, 10:30] = 255
    plain = resize_label(label, 23, 17)
    assert set(np.unique(plain)) == {0, 255}                    # no grey edge read as "unknown"
    label[:, :4] = IGNORE_LABEL
    mixed = resize_label(label, 23, 17)
    assert set(np.unique(mixed)) == {0, IGNORE_LABEL, 255}


def test_geometric_augmenters_move_the_unknown_pixels_with_the_mask():
    rng = np.random.default_rng(0)
    image, mask = person_image(96, 72, rng)
    mask[:, :10] = IGNORE_LABEL
    image[:, :10] = (0, 255, 0)
    for name in ("hflip", "scale_rotate_crop"):
        augmenter = get_registry("augmenters").create(name, p=1.0)
        for seed in range(5):
            out_image, out_mask = augmenter(image, mask, np.random.default_rng(seed))
            assert set(np.unique(out_mask)) <= {0, IGNORE_LABEL, 255}
            green = (out_image[..., 1] > 200) & (out_image[..., 0] < 50)
            unknown = out_mask == IGNORE_LABEL
            assert unknown.any() and (green[unknown].mean() > 0.9)


def test_a_zoomed_out_border_is_filled_flat_and_never_labelled_person():
    """Reflection at the border mirrored heads and hair into the margin, labelled person. Zoom a photo whose person
    fills its top rows out to half its size: the margin must be flat grey and background."""
    image = np.zeros((64, 64, 3), np.uint8)
    image[:, :, 0] = 200
    mask = np.zeros((64, 64), np.uint8)
    mask[:20] = 255                                             # a person cut by the photo's top edge
    augmenter = get_registry("augmenters").create("scale_rotate_crop", p=1.0, scale_low=0.5, scale_high=0.5,
                                                  max_rotate=0.0, max_shift=0.0)
    out_image, out_mask = augmenter(image, mask, np.random.default_rng(0))
    margin = np.ones((64, 64), bool)
    margin[15:49, 15:49] = False                                # the half-size picture, with a pixel of slack
    assert (out_mask[margin] == 0).all()
    assert (out_image[margin] == PAD_VALUE).all()
    assert (out_mask[17:26, 17:47] == 255).all()                # the person is still there, shrunk


def test_losses_leave_unknown_pixels_out():
    torch.manual_seed(0)
    logits = torch.randn(2, 1, 16, 16)
    target = (torch.rand(2, 1, 16, 16) > 0.5).float()
    valid = torch.ones_like(target)
    valid[:, :, :, :5] = 0
    other = logits.clone()
    other[:, :, :, :5] = torch.randn(2, 1, 16, 5) * 10          # anything at all where the label is unknown
    for loss in (bce, soft_dice, dice_bce, focal, lovasz_hinge):
        assert torch.allclose(loss(logits, target, valid=valid), loss(other, target, valid=valid)), loss.__name__
        assert not torch.allclose(loss(logits, target), loss(other, target)), loss.__name__
    registered = get_registry("losses").create("dice_bce")
    assert torch.allclose(registered(logits, target, valid=valid), dice_bce(logits, target, valid=valid))


def test_the_training_set_hands_out_labels_that_split_into_target_and_valid(tmp_path):
    root = add_ignore_band(make_dataset(tmp_path / "voc", 4))
    dataset = TrainingSet(find_pairs(root), (64, 64), 32)
    image, label, index = dataset[(2, 64, 64)]
    assert index == 2 and label.dtype == torch.uint8 and label.shape == (1, 64, 64)
    target, valid = split_label(label[None])
    assert (valid == 0).any() and (target[valid == 0] == 0).all() and target.sum() > 0


def test_cut_outs_drop_the_unknown_band_and_person_free_windows_avoid_it():
    from portraitseg.augment.composite import person_free_window

    rng = np.random.default_rng(1)
    image, mask = person_image(96, 72, rng)
    mask[:, :6] = np.where(mask[:, :6] == 0, IGNORE_LABEL, mask[:, :6])
    cutout = cut_person(image, mask)
    assert set(np.unique(cutout.mask)) <= {0, 255}
    label = np.zeros((96, 72), np.uint8)
    label[:, 60:] = IGNORE_LABEL                                # an unlabelled, maybe-person region on the right
    for seed in range(10):
        window = person_free_window(image, label, np.random.default_rng(seed))
        assert window is None or window.shape[1] <= 60


def test_bodies_without_faces_leave_the_head_out_and_keep_the_cut_on_the_border():
    rng = np.random.default_rng(2)
    image, mask = person_image(96, 72, rng)
    cutout = cut_person(image, mask)
    h, w = cutout.mask.shape
    kinds = set()
    for seed in range(40):
        part = crop_body(cutout, np.random.default_rng(seed))
        assert part is not None and part.mask.max() == 255
        if part.top and not cutout.top:
            kinds.add("no head")
            assert part.mask.shape[0] <= 0.75 * h + 1 and part.mask.shape[1] == w
        else:
            kinds.add("side")
            assert part.left != cutout.left or part.right != cutout.right
            assert part.mask.shape[1] <= 0.65 * w + 1
    assert kinds == {"no head", "side"}
    empty = Cutout(image[:10], np.zeros((10, 72), np.uint8), False, False, False, False)
    assert all(crop_body(empty, np.random.default_rng(s)) is None for s in range(5))


def test_copy_paste_pastes_headless_bodies_when_asked(tmp_path):
    from tests.helpers import Pool, blue_canvas, two_colour_pair

    augmenter = get_registry("augmenters").create("copy_paste", p=1.0, backgrounds=None, colour_match=0.0,
                                                  objects=0.0, empty=0.0, background_canvas=1.0, max_people=1,
                                                  body_crop=1.0, feather=0.0, min_height=0.5)
    augmenter.bind(Pool([two_colour_pair(seed) for seed in range(4)]))
    touching_top = 0
    for seed in range(20):
        _, out = augmenter(*blue_canvas(), np.random.default_rng(seed))
        rows = np.flatnonzero(out.max(axis=1) > 127)
        touching_top += rows.size > 0 and rows[0] == 0
    assert touching_top >= 5                                    # parts cut below the head start at the top edge


def test_copy_paste_draws_person_free_photos_from_the_pool():
    from tests.helpers import Pool

    green = (np.full((40, 40, 3), (0, 255, 0), np.uint8), np.zeros((40, 40), np.uint8))
    pool = Pool([green])
    pool.person_free = [0]
    augmenter = get_registry("augmenters").create("copy_paste", p=1.0, backgrounds=None, empty=1.0, objects=0.0,
                                                  photo_share=1.0)
    augmenter.bind(pool)
    image, mask = augmenter(np.zeros((32, 32, 3), np.uint8), np.zeros((32, 32), np.uint8), np.random.default_rng(0))
    assert (image[..., 1] == 255).all() and not mask.any()


def test_hard_negatives_draw_what_the_model_paints_more_often_and_resume_the_same_draws():
    mined = HardNegatives([10, 11, 12, 13])
    for index, painted in ((10, 0.4), (11, 0.0), (12, 0.0), (13, 0.0), (5, 0.9)):   # 5 has people: ignored
        mined.update(index, painted)
    mined.start_epoch()
    order = mined.order(14, seed=0, epoch=3)
    assert len(order) == 14 and sorted(set(order) - {10, 11, 12, 13}) == list(range(10))
    counts = {i: 0 for i in (10, 11, 12, 13)}
    for epoch in range(200):
        for i in mined.order(14, seed=0, epoch=epoch):
            if i >= 10:
                counts[int(i)] += 1
    assert counts[10] > 5 * max(counts[11], counts[12], counts[13])
    again = HardNegatives([10, 11, 12, 13])
    again.load_state_dict(mined.state_dict())
    np.testing.assert_array_equal(again.order(14, seed=0, epoch=3), order)
    with pytest.raises(ValueError, match="other training pairs"):
        HardNegatives([1, 2]).load_state_dict(mined.state_dict())


def test_a_run_with_ignore_masks_person_free_pairs_and_hard_negatives_trains_and_resumes(tmp_path):
    from tests.helpers import tiny_run
    from portraitseg.trainers.loop import Trainer

    people = add_ignore_band(make_dataset(tmp_path / "voc", 12))
    empty = make_dataset(tmp_path / "free", 8, seed=3)
    for mask in (empty / "masks").iterdir():
        Image.new("L", Image.open(mask).size).save(mask)
    config = tiny_run(people, tmp_path / "run", epochs=2, hard_negatives=True)
    config.data = [str(people), str(empty)]
    trainer = Trainer(config, progress=False)
    assert len(trainer.dataset.person_free) == 6 and trainer.val_empty
    history = trainer.fit()
    assert "hard_negative_mean_painted" in history[-1] and "val_empty_person_share" in history[-1]
    row = history[-1]                                            # the held-out person-free pairs enter the score
    assert row["selection"] == pytest.approx(row["val_miou"] - row["val_empty_person_share"])
    resumed = Trainer(config, progress=False)
    assert resumed.resume()
    np.testing.assert_array_equal(resumed.hard_negatives.scores, trainer.hard_negatives.scores)
