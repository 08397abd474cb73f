"""The live webcam's server side (demo/live.py) on the bundled model: frames in, mattes out, bad requests refused
with a reason, each viewer smoothed on their own; and its HTTP route."""

import cv2
import numpy as np
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from portraitseg.demo.live import LiveMattes, LiveRequestError
from portraitseg.demo.models import ModelChoices
from portraitseg.demo.routes import LIVE_FRAMES, frames_route
from tests.helpers import EXAMPLES


def jpeg(rgb: np.ndarray) -> bytes:
    return cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))[1].tobytes()


@pytest.fixture(scope="module")
def mattes():
    return LiveMattes(ModelChoices())


@pytest.fixture(scope="module")
def frame(mattes):
    """A portrait at the size the page sends: the model's live long side (256 for the bundled model)."""
    bgr = cv2.imread(str(EXAMPLES / "grace_hopper.jpg"))
    h, w = bgr.shape[:2]
    scale = mattes.models.config(mattes.models.live_default).live_long_side / max(h, w)
    return cv2.cvtColor(cv2.resize(bgr, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA),
                        cv2.COLOR_BGR2RGB)


def test_matte_is_the_frames_size_and_finds_the_person(mattes, frame):
    matte, model_ms = mattes(jpeg(frame), {"stream": "a", "smoothing": "0", "threshold": "0.5", "softness": "0"})
    h, w = frame.shape[:2]
    assert matte.shape == (h, w) and matte.dtype == np.uint8 and model_ms > 0
    assert set(np.unique(matte)) <= {0, 255}  # softness 0: a hard matte
    assert matte[h // 2 :, w // 2].mean() > 200  # her uniform, lower centre
    assert matte[: h // 10, : w // 10].mean() < 50  # the backdrop, top-left corner


def test_softness_gives_a_soft_edge(mattes, frame):
    matte, _ = mattes(jpeg(frame), {"stream": "b", "smoothing": "0", "softness": "0.6"})
    assert ((matte > 0) & (matte < 255)).any()


def test_each_viewer_is_smoothed_on_their_own(mattes, frame):
    noisy = np.clip(frame + np.random.default_rng(0).normal(0, 12, frame.shape), 0, 255).astype(np.uint8)
    settings = {"smoothing": "0.9", "softness": "1"}
    first, _ = mattes(jpeg(frame), {**settings, "stream": "viewer-1"})
    remembered, _ = mattes(jpeg(noisy), {**settings, "stream": "viewer-1"})
    fresh, _ = mattes(jpeg(noisy), {**settings, "stream": "viewer-2"})
    to_first = lambda m: np.abs(m.astype(int) - first.astype(int)).sum()  # noqa: E731
    assert to_first(remembered) < 0.8 * to_first(fresh)  # viewer 1's matte is held towards its last frame


@pytest.mark.parametrize("data, query, reason", [
    (b"", {}, "empty frame"),
    (b"not an image", {}, "not a JPEG or PNG"),
    (None, {"model": "nobody"}, "unknown model 'nobody'"),
    (None, {"threshold": "high"}, "threshold must be a number"),
    (None, {"threshold": "1"}, "threshold must be between 0 and 1"),  # the range of effects.py and config.json
    (None, {"threshold": "0"}, "threshold must be between 0 and 1"),
    (None, {"smoothing": "1"}, "smoothing must be in"),
])
def test_bad_requests_are_refused_with_the_reason(mattes, frame, data, query, reason):
    with pytest.raises(LiveRequestError, match=reason):
        mattes(jpeg(frame) if data is None else data, query)


def test_a_frame_larger_than_a_webcam_is_refused(mattes):
    with pytest.raises(LiveRequestError, match="over 1024 pixels"):
        mattes(jpeg(np.zeros((1200, 1600, 3), np.uint8)), {})


def test_route_answers_the_matte_bytes_or_the_reason(mattes, frame):
    client = TestClient(FastAPI(routes=[frames_route(mattes)]))
    answer = client.post(f"{LIVE_FRAMES}?stream=c&smoothing=0", content=jpeg(frame),
                         headers={"Accept-Encoding": "gzip"})
    assert answer.status_code == 200 and answer.headers["Content-Encoding"] == "gzip"  # undone by the client
    width, height = int(answer.headers["X-Width"]), int(answer.headers["X-Height"])
    assert (height, width) == frame.shape[:2] and len(answer.content) == width * height
    assert float(answer.headers["X-Model-Ms"]) > 0
    refused = client.post(LIVE_FRAMES, content=b"junk")
    assert refused.status_code == 400 and "not a JPEG" in refused.text
