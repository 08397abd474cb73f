"""The one effect object and temporal smoother that predict, the demo, the webcam loop and benchmarks share."""

import cv2
import numpy as np
import pytest

from portraitseg.effects import EFFECTS, Effect, blurred_small
from portraitseg.errors import EffectError
from portraitseg.temporal import TemporalSmoother


def bright_person(h=120, w=160):
    """A white person (a centred box) on a black background, and a probability that is exactly that box."""
    image = np.zeros((h, w, 3), np.uint8)
    prob = np.zeros((h, w), np.float32)
    image[30:90, 60:100] = 255
    prob[30:90, 60:100] = 1.0
    return image, prob


def test_every_effect_has_its_output_kind():
    image, prob = bright_person()
    shapes = {kind: Effect.from_options(kind, background=image if kind == "replace" else None)(image, prob).shape
              for kind in EFFECTS}
    assert shapes == {"mask": (120, 160), "prob": (120, 160), "cutout": (120, 160, 4), "blur": (120, 160, 3),
                      "color": (120, 160, 3), "replace": (120, 160, 3)}


@pytest.mark.parametrize("options, message", [
    (dict(kind="sparkle"), "unknown effect 'sparkle'"), (dict(kind="color", color="not-a-colour"), "not a colour"),
    (dict(kind="replace"), "needs a background image"), (dict(threshold=1.5), "threshold"),
    (dict(softness=-1), "softness"), (dict(blur=0), "blur strength"),
])
def test_bad_settings_are_refused_with_a_message(options, message):
    with pytest.raises(EffectError, match=message):
        Effect.from_options(**options)


def test_the_cutout_honours_threshold_and_softness():
    image, _ = bright_person()
    prob = np.tile(np.linspace(0, 1, 160, dtype=np.float32), (120, 1))
    hard = Effect("cutout", threshold=0.7)(image, prob)[..., 3]
    assert set(np.unique(hard)) == {0, 255} and (hard[:, prob[0] >= 0.7] == 255).all()
    soft = Effect("cutout", threshold=0.5, softness=0.4)(image, prob)[..., 3]
    assert len(np.unique(soft)) > 20 and soft[0, 0] == 0 and soft[0, -1] == 255


def test_blur_keeps_the_person_out_of_the_background_so_no_halo_forms():
    image, prob = bright_person()
    out = Effect("blur", blur=20)(image, prob)
    ring = np.zeros(prob.shape, bool)
    ring[22:98, 52:108] = True
    ring[30:90, 60:100] = False  # the background just around the person
    plain = cv2.resize(blurred_small(image, 20), image.shape[1::-1], interpolation=cv2.INTER_LINEAR)
    assert plain[ring].mean() > 30  # a plain blur smears the white person into the background
    assert out[ring].mean() < 5  # the effect's background stays the colour of the background
    assert (out[30:90, 60:100] == 255).all()  # and the person stays sharp


def test_replace_scales_the_background_once_per_frame_size():
    image, prob = bright_person()
    effect = Effect.from_options("replace", background=np.full((50, 50, 3), 7, np.uint8))
    first = effect(image, prob)
    assert (first[0, 0] == 7).all() and (first[50, 80] == 255).all()
    cached = effect._covered[(120, 160)]
    effect(image, prob)
    assert effect._covered[(120, 160)] is cached


def test_the_preview_of_a_cutout_is_a_checkerboard_where_transparent():
    image, prob = bright_person()
    preview = Effect("cutout").preview(image, prob)
    assert preview.shape == (120, 160, 3) and set(np.unique(preview[:20, :20])) == {153, 204}


def test_temporal_smoother_blends_and_restarts_on_a_new_size():
    smoother = TemporalSmoother(0.5, method="ema")
    first = smoother(np.zeros((4, 4), np.float32))
    second = smoother(np.ones((4, 4), np.float32))
    assert (first == 0).all() and np.allclose(second, 0.5)
    assert np.allclose(smoother(np.ones((2, 2), np.float32)), 1.0)
    assert np.allclose(TemporalSmoother(0.0)(np.ones((2, 2))), 1.0)
    with pytest.raises(EffectError, match="smoothing"):
        TemporalSmoother(1.0)
    with pytest.raises(EffectError, match="unknown smoothing method"):
        TemporalSmoother(0.5, method="kalman")


def test_motion_aware_smoothing_holds_back_flicker_but_not_movement():
    smoother = TemporalSmoother(0.9)
    still = np.full((8, 8), 0.45, np.float32)
    smoother(still)
    flickered = smoother(np.full((8, 8), 0.55, np.float32))          # noise across the threshold
    assert (flickered < 0.5).all()                                    # held back: the label does not flip
    moved = smoother(np.ones((8, 8), np.float32))                    # a limb arrives
    assert (moved > 0.85).all()                                       # followed almost at once
    ema = TemporalSmoother(0.9, method="ema")
    ema(still)
    assert (ema(np.ones((8, 8), np.float32)) < 0.6).all()             # the old blend trails it


def test_cut_outs_carry_the_persons_colour_not_the_old_background_in_soft_edges():
    """A red person before a green wall with a soft edge whose mixing the alpha describes: the cut-out's edge and a
    composite on black carry the person's red, not the wall's green."""
    from portraitseg.effects import composite

    h, w = 60, 120
    prob = np.clip((60 - np.arange(w)) / 40 + 0.5, 0, 1)[None].repeat(h, 0).astype(np.float32)
    effect = Effect("color", softness=0.6, color=(0, 0, 0))
    alpha = effect.alpha(prob)
    red, green = np.array([230, 20, 20], np.float32), np.array([20, 230, 20], np.float32)
    image = (alpha[..., None] * red + (1 - alpha[..., None]) * green).astype(np.uint8)
    band = (alpha > 0.05) & (alpha < 0.95)
    assert band.sum() > 10 * h and image[band][:, 1].max() > 150     # the raw edge is mostly the green wall
    rgba = Effect("cutout", softness=0.6)(image, prob)
    assert rgba[band][:, 1].max() < 40 and rgba[band][:, 0].min() > 190   # decontaminated: the person's red
    np.testing.assert_array_equal(rgba[alpha >= 0.98][:, :3], image[alpha >= 0.98])
    assert (rgba[..., 3] == np.clip(alpha * 255 + 0.5, 0, 255).astype(np.uint8)).all()
    raw = composite(image, alpha, np.zeros_like(image))
    assert raw[band][:, 1].max() > 45 and effect(image, prob)[band][:, 1].max() < 25  # no green fringe on black
