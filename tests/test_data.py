import pytest
from PIL import Image

from tests.helpers import require_train_extra

require_train_extra()

from portraitseg.errors import PortraitsegError  # noqa: E402
from portraitseg.evaluation.data import check_pairs, find_pairs, split_validation  # noqa: E402
from portraitseg.trainers.data import TrainingSet  # noqa: E402


def test_split_lists_and_data_env(synthetic_data, monkeypatch):
    (synthetic_data / "splits").mkdir()
    (synthetic_data / "splits" / "few.txt").write_text("00003\n00001.jpg\n\n")
    monkeypatch.setenv("PORTRAITSEG_DATA", str(synthetic_data.parent))
    pairs = find_pairs("synthetic", "splits/few.txt")
    assert [p.name for p in pairs] == ["00003", "00001"]
    assert len(find_pairs(synthetic_data)) == 24
    with pytest.raises(PortraitsegError, match=r"must contain images/ and masks/ .*docs/data.md says where"):
        find_pairs(synthetic_data / "images")


def test_bad_pairs_are_named_and_skipped_or_refused(synthetic_data, caplog):
    (synthetic_data / "masks" / "00002.png").unlink()
    Image.new("L", (10, 10)).save(synthetic_data / "masks" / "00005.png")
    (synthetic_data / "images" / "00007.jpg").write_bytes(b"junk")
    pairs = find_pairs(synthetic_data)
    good = check_pairs(pairs, "skip")
    assert len(good) == 21
    assert all(name in caplog.text for name in ("00002", "00005", "00007"))
    with pytest.raises(PortraitsegError, match="3 bad pairs"):
        check_pairs(pairs, "fail")


def test_validation_split_is_seeded_and_disjoint(synthetic_data):
    pairs = find_pairs(synthetic_data)
    train, val = split_validation(pairs, 0.25, seed=3)
    assert len(val) == 6 and not set(train) & set(val) and len(train) + len(val) == 24
    assert split_validation(pairs, 0.25, seed=3) == (train, val)
    assert split_validation(pairs, 0.25, seed=4)[1] != val


def test_training_set_letterboxes_to_the_canvas(synthetic_data):
    dataset = TrainingSet(find_pairs(synthetic_data), (64, 64), 32)
    image, mask, _ = dataset[0]
    assert image.shape == (3, 64, 64) and mask.shape == (1, 64, 64)
    assert set(mask.unique().tolist()) <= {0, 255}
    # 80x60 portrait scaled to 64x48: the right 16 columns are padding, background in the mask
    assert mask[0, :, 48:].sum() == 0 and (image[:, :, 48:] == 128).all()


def test_a_truncated_image_that_passes_the_header_check_is_skipped_before_training(synthetic_data, caplog):
    jpeg = synthetic_data / "images" / "00004.jpg"
    jpeg.write_bytes(jpeg.read_bytes()[: len(jpeg.read_bytes()) // 2])
    pairs = check_pairs(find_pairs(synthetic_data), "skip")
    assert len(pairs) == 24  # the header is intact
    dataset = TrainingSet(pairs, (64, 64), 32)
    assert len(dataset) == 23 and "00004" in caplog.text and "unreadable" in caplog.text
    with pytest.raises(PortraitsegError, match="on_bad=skip"):
        TrainingSet(pairs, (64, 64), 32, on_bad="fail")


@pytest.mark.parametrize("mask_drawn_on", ["stored", "displayed"])
def test_exif_rotated_training_images_line_up_with_their_masks(tmp_path, mask_drawn_on):
    """A phone photo stored landscape with orientation 6 (shown portrait): its mask may be drawn on either."""
    import numpy as np

    from portraitseg.evaluation.data import load_pair

    root = tmp_path / "exif"
    (root / "images").mkdir(parents=True)
    (root / "masks").mkdir()
    stored = np.zeros((40, 60, 3), np.uint8)
    stored[:, :20] = 255  # the left third of the stored pixels is white: the person
    mask = np.zeros((40, 60), np.uint8)
    mask[:, :20] = 255
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(stored).save(root / "images" / "a.jpg", exif=exif, quality=95)
    label = Image.fromarray(mask)
    (label if mask_drawn_on == "stored" else label.transpose(Image.Transpose.ROTATE_270)).save(root / "masks" / "a.png")
    pairs = check_pairs(find_pairs(root), "fail")
    image, labels = load_pair(pairs[0])
    assert image.shape[:2] == labels.shape == (60, 40)  # shown portrait
    white = image.mean(axis=2) > 127
    assert (white == (labels > 127)).mean() > 0.97
