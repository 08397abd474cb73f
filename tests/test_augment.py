import numpy as np
import pytest

from portraitseg.augment.pipeline import Pipeline, parse_spec
from portraitseg.plugins import get_registry
from tests.helpers import agreement, two_colour_pair

GEOMETRIC = ["hflip", "scale_rotate_crop"]
PHOTOMETRIC = ["brightness", "jpeg_quality", "color_jitter", "gaussian_blur", "motion_blur", "noise"]


@pytest.mark.parametrize("name", GEOMETRIC)
def test_geometric_augmenters_move_image_and_mask_together(name):
    augmenter = get_registry("augmenters").create(name, p=1.0)
    for seed in range(5):
        image, mask = two_colour_pair(seed)
        out_image, out_mask = augmenter(image, mask, np.random.default_rng(seed))
        assert out_image.shape == image.shape and out_mask.shape == mask.shape
        assert set(np.unique(out_mask)) <= {0, 255}
        assert agreement(out_image, out_mask) > 0.95


def test_flip_really_flips():
    image, mask = two_colour_pair()
    out_image, out_mask = get_registry("augmenters").create("hflip", p=1.0)(image, mask, np.random.default_rng(0))
    np.testing.assert_array_equal(out_mask, mask[:, ::-1])
    np.testing.assert_array_equal(out_image, image[:, ::-1])


@pytest.mark.parametrize("name", PHOTOMETRIC)
def test_photometric_augmenters_change_pixels_but_never_the_mask(name):
    image, mask = two_colour_pair()
    image = (image * 0.7 + 40).astype(np.uint8)  # room to brighten and darken
    out_image, out_mask = get_registry("augmenters").create(name, p=1.0)(image, mask, np.random.default_rng(3))
    np.testing.assert_array_equal(out_mask, mask)
    assert out_image.dtype == np.uint8 and out_image.shape == image.shape
    assert np.abs(out_image.astype(int) - image).mean() > 0.1
    redness = out_image[..., 0].astype(int) - out_image[..., 2]
    assert redness[mask > 127].mean() > 0 > redness[mask <= 127].mean()  # the person is still where the mask is


def test_background_swap_keeps_the_person_and_replaces_the_rest():
    image, mask = two_colour_pair()
    out_image, out_mask = get_registry("augmenters").create("background_swap", p=1.0, feather=0)(
        image, mask, np.random.default_rng(1))
    np.testing.assert_array_equal(out_mask, mask)
    np.testing.assert_array_equal(out_image[mask > 127], image[mask > 127])
    assert (out_image[mask <= 127] != image[mask <= 127]).any()


def test_probability_zero_is_identity_and_the_pipeline_is_reproducible():
    image, mask = two_colour_pair()
    same = get_registry("augmenters").create("noise", p=0.0)(image, mask, np.random.default_rng(0))
    assert same[0] is image
    pipeline = Pipeline(["scale_rotate_crop:p=1", "brightness:p=1,low=0.5,high=0.9", "jpeg_quality"])
    a = pipeline(image, mask, Pipeline.rng_for(7, 2, 11))
    b = pipeline(image, mask, Pipeline.rng_for(7, 2, 11))
    c = pipeline(image, mask, Pipeline.rng_for(7, 3, 11))
    np.testing.assert_array_equal(a[0], b[0])
    assert not np.array_equal(a[0], c[0])


def test_spec_parsing_and_bad_parameters():
    assert parse_spec("brightness:p=0.3,low=0.5") == {"name": "brightness", "p": 0.3, "low": 0.5}
    assert parse_spec("jpeg_quality:low=10") == {"name": "jpeg_quality", "low": 10}
    with pytest.raises(ValueError, match="bad parameters for augmenter 'noise'"):
        Pipeline(["noise:strength=3"])
