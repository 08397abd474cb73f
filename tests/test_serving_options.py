"""Serving options are decided in one place: the threshold (the caller's, else the model's), the mask at it, and
the live form of a segmenter, which every live path uses."""

import numpy as np

from portraitseg.segmenter import Segmenter
from portraitseg.thresholds import DEFAULT_THRESHOLD, person_mask, threshold_for


def test_the_callers_threshold_wins_else_the_models():
    assert threshold_for(None, 0.42) == 0.42 and threshold_for(0.7, 0.42) == 0.7 and threshold_for(0.0, 0.42) == 0.0
    prob = np.array([[0.49, 0.5, 0.51]], np.float32)
    assert person_mask(prob, DEFAULT_THRESHOLD).tolist() == [[False, True, True]]


def test_the_live_form_is_made_once_and_shares_the_backend():
    calls = []

    def backend(x):
        calls.append(x.shape)
        return np.zeros((x.shape[0], 1, *x.shape[2:]), np.float32)

    segmenter = Segmenter(backend, 320, 0.4, 32, live_long_side=256)
    live = segmenter.live()
    assert live is segmenter.live() and live.backend is backend and live.live() is live
    assert (live.serve_long_side, live.threshold, segmenter.long_side) == (256, 0.4, 320)
    live(np.zeros((480, 640, 3), np.uint8))
    assert calls == [(1, 3, 192, 256)]
    same = Segmenter(backend, 256, 0.5, 32)
    assert same.live() is same


def test_the_webcam_command_runs_the_model_at_its_live_size(monkeypatch, tmp_path):
    """``portraitseg webcam`` (a video file here) feeds frames at its model's live long side (the live model's by
    default)."""
    import cv2

    from portraitseg.cli import main
    from portraitseg.demo import webcam

    seen = []
    original = webcam.run_webcam

    def spy(segmenter, *args, **kwargs):
        seen.append(segmenter.serve_long_side)
        return original(segmenter, *args, **kwargs)

    monkeypatch.setattr(webcam, "run_webcam", spy)
    clip = tmp_path / "clip.mp4"
    writer = cv2.VideoWriter(str(clip), cv2.VideoWriter_fourcc(*"mp4v"), 10, (160, 120))
    for _ in range(3):
        writer.write(np.full((120, 160, 3), 128, np.uint8))
    writer.release()
    assert main(["webcam", "--source", str(clip), "--no-window", "--output", str(tmp_path / "out.mp4")]) == 0
    from portraitseg.zoo.catalog import bundled_models, default_model
    from portraitseg.zoo.config import ModelConfig

    assert seen == [ModelConfig.load(bundled_models()[default_model("live")]).live_long_side]
