"""The webcam page's modules (demo/live_page/) against their Python counterparts, in a real Chromium: compose.mjs
draws what effects.py draws (the same frame and matte through both, compared pixel by pixel per effect; where they
differ on purpose, the bounds below are the ones docs/live-parity.md states and explains), and matte.mjs places
the frame, smooths the probability and makes the matte as geometry.py, temporal.py and effects.py do."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from PIL import Image

from benchmarks.browser import CHROMIUM, CHROMIUM_ARGS
from portraitseg.demo.live import matte_uint8
from portraitseg.demo.live_config import SCRIPTS
from portraitseg.demo.ui import LOOKS
from portraitseg.effects import VIEW_SOFTNESS, Effect, alpha_from_prob
from portraitseg.geometry import plan_fit, to_input
from portraitseg.temporal import TemporalSmoother
from tests.helpers import EXAMPLES

pytestmark = [pytest.mark.browser, pytest.mark.slow]
ORIGIN = "http://portraitseg.test/"  # answered by the test itself: the page and the modules, nothing else
COMPOSE = """async ({frameUrl, matteUrl, look}) => {
  const {Compositor} = await import('./compose.mjs');
  const load = url => new Promise((done, fail) => { const i = new Image(); i.onload = () => done(i);
                                                    i.onerror = fail; i.src = url; });
  const onCanvas = image => { const c = document.createElement('canvas'); c.width = image.width;
                              c.height = image.height; c.getContext('2d').drawImage(image, 0, 0); return c; };
  const frame = onCanvas(await load(frameUrl)), matte = onCanvas(await load(matteUrl));
  const backgroundImage = look.background ? await load(look.background) : null;
  const out = document.createElement('canvas');
  new Compositor(out).draw(frame, matte, {...look, backgroundImage});
  return Array.from(out.getContext('2d').getImageData(0, 0, out.width, out.height).data);
}"""
# effect -> (largest mean absolute difference, largest share of pixels differing by more than 24 levels)
BOUNDS = {"mask": (0.0, 0.0), "color": (0.5, 0.005), "replace": (1.0, 0.005), "cutout": (0.5, 0.005),
          "blur": (2.0, 0.01)}


def data_url(array: np.ndarray) -> str:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


@pytest.fixture(scope="module")
def page(playwright):
    browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    page = browser.new_page()

    def answer(route):
        name = route.request.url.removeprefix(ORIGIN)
        if name.endswith(".mjs"):
            route.fulfill(body=(SCRIPTS / name).read_text(), content_type="text/javascript")
        else:
            route.fulfill(body="<p>live page modules</p>", content_type="text/html")

    page.route(ORIGIN + "**", answer)
    page.goto(ORIGIN)
    yield page
    browser.close()


@pytest.fixture(scope="module")
def frame_and_prob():
    """A real photo at the live size and the bundled model's probability for it."""
    import portraitseg

    with Image.open(EXAMPLES / "woman-5883428_1280.jpg") as im:
        frame = np.asarray(im.convert("RGB").resize((256, 171), Image.BILINEAR))
    return frame, portraitseg.load(edges="bilinear")(frame)


@pytest.mark.parametrize("kind", list(LOOKS))  # every effect the page offers needs its bound here
def test_compose_draws_what_effects_py_draws(page, frame_and_prob, kind):
    frame, prob = frame_and_prob
    h, w = prob.shape
    background = np.asarray(Image.open(EXAMPLES / "astronaut.png").convert("RGB"))
    effect = Effect.from_options(kind, 0.5, VIEW_SOFTNESS, 15.0, "#00ff00", background if kind == "replace" else None)
    expected = effect.preview(frame, prob)
    expected = np.repeat(expected[..., None], 3, axis=2) if expected.ndim == 2 else expected
    alpha = matte_uint8(alpha_from_prob(prob, 0.5, 0.0 if kind == "mask" else VIEW_SOFTNESS))  # as the server sends it
    matte = np.dstack([np.full((h, w, 3), 255, np.uint8), alpha])
    look = {"kind": kind, "blur": 15, "color": "#00ff00",
            "background": data_url(background) if kind == "replace" else None}
    drawn = np.array(page.evaluate(COMPOSE, {"frameUrl": data_url(frame), "matteUrl": data_url(matte), "look": look}),
                     np.uint8).reshape(h, w, 4)
    assert (drawn[..., 3] == 255).all()  # every effect paints the whole canvas
    difference = np.abs(drawn[..., :3].astype(int) - expected.astype(int))
    mean, far = difference.mean(), (difference.max(axis=2) > 24).mean()
    print(f"{kind}: mean |difference| {mean:.2f} levels, {100 * far:.2f}% of pixels over 24 levels")
    largest_mean, largest_far = BOUNDS[kind]
    assert mean <= largest_mean and far <= largest_far


def matte_js(page, function: str, *args):
    """Call one of matte.mjs's exports with JSON arguments (typed arrays go as lists)."""
    return page.evaluate("""async ([name, args]) => {
      const matte = await import('./matte.mjs');
      const typed = args.map(a => (Array.isArray(a) && typeof a[0] === 'number' ? new Float32Array(a) : a));
      const result = matte[name](...typed);
      const plain = v => (ArrayBuffer.isView(v) ? Array.from(v) : v);
      return result && typeof result === 'object' && !ArrayBuffer.isView(result) && !Array.isArray(result)
        ? Object.fromEntries(Object.entries(result).map(([k, v]) => [k, plain(v)])) : plain(result);
    }""", [function, list(args)])


@pytest.mark.parametrize("softness", [0.0, VIEW_SOFTNESS])
def test_the_matte_is_effects_alpha_rounded_as_the_live_route_sends_it(page, frame_and_prob, softness):
    prob = frame_and_prob[1][::4, ::4].astype(np.float32)
    alpha = matte_js(page, "alphaFromProb", prob.ravel().tolist(), 0.4, softness)
    assert np.array_equal(np.array(alpha, np.uint8), matte_uint8(alpha_from_prob(prob, 0.4, softness)).ravel())


def test_the_frame_is_placed_as_geometry_places_it(page, frame_and_prob):
    frame = frame_and_prob[0][:100, :150]
    rgba = np.dstack([frame, np.full(frame.shape[:2], 255, np.uint8)])
    placed = matte_js(page, "inputTensor", rgba.ravel().tolist(), 150, 100, 32)
    expected = to_input(frame, plan_fit(frame.shape[:2], 150, 32))
    assert (placed["height"], placed["width"]) == expected.shape[1:] == (128, 160)
    assert np.array_equal(np.array(placed["data"], np.float32).reshape(expected.shape), expected)
    for width, height in [(640, 480), (1280, 720), (1920, 1080), (480, 640)]:
        fit = plan_fit((height, width), 256, 16)
        assert matte_js(page, "scaledSize", width, height, 256) == [fit.width, fit.height]


def test_the_probability_is_smoothed_as_the_temporal_smoother_smooths_it(page):
    rng = np.random.default_rng(0)
    first = rng.random((24, 40), dtype=np.float32)
    second = np.clip(first + rng.normal(0, 0.2, first.shape), 0, 1).astype(np.float32)
    second[:8] = 1 - second[:8]  # a moving part: followed at once
    smoother = TemporalSmoother(0.9)
    smoother(first)
    expected = smoother(second)
    previous = {"data": first.ravel().tolist(), "width": 40, "height": 24}
    smoothed = matte_js(page, "smoothMotion", second.ravel().tolist(), previous, 40, 24, 0.9)
    assert np.abs(np.array(smoothed["data"], np.float32).reshape(24, 40) - expected).max() < 1e-5
