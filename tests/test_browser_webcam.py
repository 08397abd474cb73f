"""The webcam's model in the viewer's browser (ONNX Runtime Web), through a real Chromium with a fake camera
playing a known clip, against the real ``portraitseg demo``: the browser's matte agrees with the Python
segmenter's, no frame reaches the server, and the server takes over where the browser cannot run the model."""

from urllib.parse import urlparse

import numpy as np
import pytest

from benchmarks.browser import CHROMIUM, CHROMIUM_ARGS, camera_args, person_video
from portraitseg.demo.routes import LIVE_FRAMES

pytestmark = [pytest.mark.slow, pytest.mark.browser]


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return person_video(tmp_path_factory.mktemp("camera") / "person.y4m")


def open_webcam(playwright, url, clip, init_script=None):
    """(browser, page, the live-route requests the page made) on the Webcam tab, camera not started yet."""
    browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                         args=CHROMIUM_ARGS + camera_args(clip))
    page = browser.new_page()
    if init_script:
        page.add_init_script(init_script)
    frames_sent = []
    page.on("request", lambda request: frames_sent.append(request.url)
            if urlparse(request.url).path == LIVE_FRAMES else None)
    page.goto(url)
    page.wait_for_selector("#segment-button", timeout=60_000)
    page.get_by_role("tab", name="Webcam").click()
    return browser, page, frames_sent


def painted(page, count, timeout=60_000):
    page.wait_for_function(f"() => Number(document.querySelector('#live canvas').dataset.painted) >= {count}",
                           timeout=timeout)


def test_by_default_the_model_runs_in_the_browser_and_no_frame_reaches_the_server(playwright, demo_url, clip):
    browser, page, frames_sent = open_webcam(playwright, demo_url, clip)
    assert page.evaluate("crossOriginIsolated")  # COOP/COEP: two WASM threads
    page.locator("#live .live-start").click()
    painted(page, 30)
    state = page.evaluate("window.portraitsegLive.state()")
    assert state["where"] == "browser" and "2 threads" in state["engine"], state
    page.wait_for_function("() => /model in this browser/.test(document.querySelector('#live .live-stats')"
                           ".textContent)", timeout=30_000)
    assert frames_sent == []
    browser.close()


def test_the_browsers_matte_agrees_with_the_python_segmenters(playwright, demo_url, clip):
    import portraitseg

    browser, page, _ = open_webcam(playwright, demo_url, clip)
    page.locator("#live .live-start").click()
    painted(page, 5)
    segmenter = portraitseg.load("portrait-live").live()  # the webcam tab's default model
    agreements = []
    for _ in range(5):  # five frames of the clip, a few frames apart
        page.wait_for_timeout(150)
        frame = page.evaluate("""async () => {
          const video = document.querySelector('#live video');
          const side = window.portraitsegLive.state().liveSide;
          const scale = side / Math.max(video.videoWidth, video.videoHeight);
          const w = Math.round(video.videoWidth * scale), h = Math.round(video.videoHeight * scale);
          const c = document.createElement('canvas'); c.width = w; c.height = h;
          const ctx = c.getContext('2d'); ctx.drawImage(video, 0, 0, w, h);
          const rgba = ctx.getImageData(0, 0, w, h).data;
          const alpha = await window.portraitsegLive.matteOf(rgba, w, h);
          return {w, h, rgba: Array.from(rgba), alpha};
        }""")
        rgb = np.array(frame["rgba"], np.uint8).reshape(frame["h"], frame["w"], 4)[..., :3]
        browser_mask = np.array(frame["alpha"]).reshape(frame["h"], frame["w"]) >= 128
        python_mask = segmenter.mask(rgb)
        assert python_mask.shape == browser_mask.shape
        agreements.append((browser_mask == python_mask).mean())
    print(f"browser vs Python, share of pixels that agree: {[round(a, 5) for a in agreements]}")
    assert min(agreements) >= 0.99
    browser.close()


def test_without_webassembly_the_server_runs_the_model_within_two_seconds(playwright, demo_url, clip):
    browser, page, frames_sent = open_webcam(playwright, demo_url, clip, "delete globalThis.WebAssembly;")
    assert page.evaluate("typeof WebAssembly") == "undefined"
    page.locator("#live .live-start").click()
    page.wait_for_function("() => document.querySelector('#live video').readyState >= 2", timeout=30_000)
    started = page.evaluate("performance.now()")
    painted(page, 1, timeout=2_000 + 30_000)
    first = page.evaluate("performance.now()") - started
    assert "runs on the server: this browser has no WebAssembly" in page.inner_text("#live .live-message")
    assert page.evaluate("window.portraitsegLive.state().where") == "server" and frames_sent
    print(f"first frame painted by the server {first:.0f} ms after the camera was ready")
    assert first < 2_000
    browser.close()


def test_the_viewer_can_choose_the_server(playwright, demo_url, clip):
    browser, page, frames_sent = open_webcam(playwright, demo_url, clip)
    page.locator("#live select.live-where").select_option("server")
    page.locator("#live .live-start").click()
    painted(page, 10)
    assert page.evaluate("window.portraitsegLive.state().where") == "server" and len(frames_sent) >= 10
    page.wait_for_function("() => /model on the server/.test(document.querySelector('#live .live-stats')"
                           ".textContent)", timeout=30_000)
    browser.close()
