"""The web demo through a real browser (Playwright driving Debian's Chromium with its fake camera) and through
gradio_client, against the real ``portraitseg demo`` command serving the bundled default model."""

import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from benchmarks.browser import CHROMIUM, CHROMIUM_ARGS, SERVER_LOGS, camera_args, person_video, start_webcam
from tests.helpers import EXAMPLES

PHOTO = EXAMPLES / "grace_hopper.jpg"
pytestmark = pytest.mark.slow  # a demo server, a browser, a Gradio client


@pytest.fixture(scope="module")
def person_clip(tmp_path_factory):
    return person_video(tmp_path_factory.mktemp("camera") / "person.y4m")


@pytest.fixture(scope="module")
def browser_context(playwright, person_clip, tmp_path_factory):
    """Chromium whose fake camera (granted) films a person."""
    context = playwright.chromium.launch_persistent_context(
        str(tmp_path_factory.mktemp("chromium")), executable_path=CHROMIUM, headless=True,
        args=CHROMIUM_ARGS + camera_args(person_clip), accept_downloads=True)
    yield context
    context.close()


def open_webcam_tab(playwright, demo_url, args: list[str], init_script: str | None = None):
    """A fresh Chromium started with ``args`` on the demo's Webcam tab: (browser, page)."""
    browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS + args)
    page = browser.new_page()
    if init_script:
        page.add_init_script(init_script)
    page.goto(demo_url)
    page.get_by_role("tab", name="Webcam").click()
    return browser, page


@pytest.fixture
def page(browser_context, demo_url):
    page = browser_context.new_page()
    page.goto(demo_url)
    page.wait_for_selector("#segment-button", timeout=60_000)
    yield page
    page.close()


@pytest.mark.browser
def test_upload_shows_mask_and_cutout_and_downloads_rgba_png(page, tmp_path):
    assert "onnxruntime" in page.inner_text("#photo-model-info")  # the page says what serves each tab
    assert "portrait-unet-mnv2" in page.inner_text("#photo-model-info")
    page.get_by_role("tab", name="Webcam").click()
    assert "portrait-live" in page.inner_text("#live-model-info")
    page.get_by_role("tab", name="Photos").click()
    page.set_input_files("#photo-input input[type=file]", str(PHOTO))
    page.click("#segment-button")
    page.wait_for_selector("#composites img", timeout=60_000)
    page.wait_for_selector("#masks img", timeout=60_000)
    link = page.locator("#cutouts a[download='grace_hopper_cutout.png']")
    link.wait_for(timeout=60_000)
    assert page.locator("#cutouts a[download='grace_hopper_composite.jpg']").count() == 1  # a JPEG for a JPEG
    with page.expect_download() as download_info:
        link.click()
    saved = tmp_path / "cutout.png"
    download_info.value.save_as(saved)
    cutout = Image.open(saved)
    assert cutout.format == "PNG" and cutout.mode == "RGBA"
    assert cutout.size == Image.open(PHOTO).size
    alpha = np.asarray(cutout)[..., 3]
    assert alpha.min() < 30 and alpha.max() > 225  # a real mask: some background and some person
    width, height = Image.open(PHOTO).size
    assert re.search(rf"grace_hopper\.jpg\s+{width}x{height}\s+\d+ ms\s+\d+ ms", page.inner_text("#timing"))


@pytest.mark.browser
def test_corrupt_upload_shows_an_error_message_not_a_trace(page, tmp_path):
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 this is not a JPEG")
    page.set_input_files("#photo-input input[type=file]", str(bad))
    page.click("#segment-button")
    toast = page.locator(".toast-body").first
    toast.wait_for(timeout=60_000)
    text = toast.inner_text()
    assert "broken.jpg" in text and ("corrupt" in text or "not a readable image" in text)
    assert "Traceback" not in text


@pytest.mark.browser
def test_a_bad_file_gets_its_own_message_while_the_others_complete(page, tmp_path):
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 this is not a JPEG")
    assert "not stored" in page.inner_text("#privacy")  # the page says where photos go and how long they stay
    page.click("#segment-button")  # nothing uploaded yet: a message, not a traceback
    page.locator(".toast-body", has_text="Add one or more photos").first.wait_for(timeout=60_000)
    page.set_input_files("#photo-input input[type=file]", [str(PHOTO), str(bad)])
    page.click("#segment-button")
    page.locator(".toast-body", has_text="broken.jpg").first.wait_for(timeout=60_000)
    page.wait_for_selector("#composites img", timeout=60_000)
    assert "grace_hopper.jpg" in page.inner_text("#timing") and "broken.jpg" not in page.inner_text("#timing")


@pytest.mark.browser
def test_changing_the_look_recomposes_at_once_without_running_the_model_again(page):
    page.set_input_files("#photo-input input[type=file]", str(PHOTO))
    page.click("#segment-button")
    page.wait_for_selector("#composites img", timeout=60_000)
    timing = page.inner_text("#timing")
    before = page.locator("#composites img").first.get_attribute("src")
    assert not page.locator("#color").is_visible()  # only the controls that apply are shown
    page.locator("#effect label", has_text="Colour").click()
    page.wait_for_function("(b) => { const i = document.querySelector('#composites img');"
                           " return i && i.getAttribute('src') !== b; }", arg=before, timeout=60_000)
    assert page.locator("#color").is_visible() and not page.locator("#blur").is_visible()
    assert page.inner_text("#timing") == timing  # the same run's figures: the model did not run again
    page.locator("#composites img").first.click()
    page.wait_for_selector("#before-after img", timeout=60_000)


@pytest.mark.browser
def test_on_a_phone_the_photo_comes_first_and_tables_do_not_break_per_letter(browser_context, demo_url):
    page = browser_context.new_page()
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(demo_url)
    page.wait_for_selector("#segment-button", timeout=60_000)
    upload = page.locator("#photo-input").bounding_box()
    settings = page.locator("#look-settings").bounding_box()
    assert upload["y"] < 844 and settings["y"] > upload["y"]  # the photo input on the first screen, settings below
    page.set_input_files("#photo-input input[type=file]", str(PHOTO))
    page.click("#segment-button")
    page.wait_for_selector("#timing td", timeout=60_000)
    cell = page.locator("#timing td").first.bounding_box()
    assert cell["height"] < 60  # one line, not one letter per line
    page.close()


@pytest.mark.browser
def test_webcam_paints_the_person_segmented_live(page):
    from portraitseg.demo.ui import WEBCAM_PRIVACY

    page.locator("#effect label", has_text="Mask").click()
    start_webcam(page, painted=20)
    # the privacy paragraph and the webcam tab say the same of where frames go
    assert WEBCAM_PRIVACY in page.inner_text("#privacy") and WEBCAM_PRIVACY in page.inner_text("#webcam-privacy")
    # the canvas holds the frame as the camera gives it (CSS mirrors it on screen): white is person
    pixel = "([x, y]) => document.querySelector('#live canvas').getContext('2d').getImageData(x, y, 1, 1).data[0]"
    assert page.evaluate(pixel, [200, 400]) > 200  # her coat, wherever the clip has panned
    assert page.evaluate(pixel, [620, 20]) < 60 and page.evaluate(pixel, [600, 100]) < 60  # sky and buildings
    assert page.evaluate("document.querySelector('#live canvas').width") == 640  # composed at the camera's size
    page.wait_for_function("() => /frames\\/s painted/.test(document.querySelector('#live .live-stats').textContent)",
                           timeout=30_000)
    page.locator("#effect label", has_text="Colour").click()  # the look changes in the browser, live
    page.wait_for_function("() => window.portraitsegLive.look.kind === 'color'", timeout=30_000)
    painted = int(page.locator("#live canvas").get_attribute("data-painted"))
    page.wait_for_function("(n) => Number(document.querySelector('#live canvas').dataset.painted) > n + 2",
                           arg=painted, timeout=30_000)
    rgb = page.evaluate("Array.from(document.querySelector('#live canvas').getContext('2d')"
                        ".getImageData(620, 20, 1, 1).data.slice(0, 3))")
    assert rgb == [0x00, 0xFF, 0x00]  # the default colour (effects.DEFAULT_COLOR) behind her
    page.locator("#live .live-start").click()
    assert page.inner_text("#live .live-start") == "Start camera"


@pytest.mark.browser
def test_webcam_works_without_frame_callbacks_and_canvas_filters(playwright, demo_url, person_clip):
    """As in Firefox before 132 (no requestVideoFrameCallback) and Safari before 18 (no canvas filter)."""
    older_browser = ("delete HTMLVideoElement.prototype.requestVideoFrameCallback;"
                     "delete CanvasRenderingContext2D.prototype.filter;")
    browser, page = open_webcam_tab(playwright, demo_url, camera_args(person_clip), older_browser)
    errors = []
    page.on("pageerror", lambda error: errors.append(error))
    page.locator("#live .live-start").click()
    page.wait_for_function("() => Number(document.querySelector('#live canvas').dataset.painted) >= 10",
                           timeout=60_000)
    assert not errors and page.evaluate("typeof HTMLVideoElement.prototype.requestVideoFrameCallback") == "undefined"
    browser.close()


@pytest.mark.browser
@pytest.mark.parametrize("flags, message", [
    (["--use-fake-device-for-media-stream", "--deny-permission-prompts"], "Camera access was refused"),
    (["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream=device-count=0"], "No camera was found"),
], ids=["refused", "missing"])
def test_a_refused_or_missing_camera_is_explained(playwright, demo_url, flags, message):
    browser, page = open_webcam_tab(playwright, demo_url, flags)
    page.locator("#live .live-start").click()
    page.wait_for_function("(m) => document.querySelector('#live .live-message').textContent.includes(m)",
                           arg=message, timeout=30_000)
    assert page.locator("#live .live-message").is_visible()
    browser.close()


@pytest.mark.browser
def test_webcam_offers_a_camera_selector_when_there_are_several(playwright, demo_url):
    browser, page = open_webcam_tab(playwright, demo_url, camera_args(cameras=2))
    page.locator("#live .live-start").click()
    page.wait_for_function("() => Number(document.querySelector('#live canvas').dataset.painted) >= 1",
                           timeout=60_000)
    select = page.locator("#live select.live-camera")
    assert select.is_visible() and select.locator("option").count() == 2
    other = select.locator("option").nth(1).get_attribute("value")
    select.select_option(other)  # switching restarts the stream on the other camera
    page.wait_for_function("(id) => document.querySelector('#live .live-start').textContent === 'Stop camera' && "
                           "document.querySelector('#live video').srcObject?.getVideoTracks()[0]"
                           ".getSettings().deviceId === id", arg=other, timeout=30_000)
    page.get_by_role("tab", name="Photos").click()  # leaving the tab switches the camera off
    page.wait_for_function("() => document.querySelector('#live .live-start').textContent === 'Start camera'",
                           timeout=30_000)
    browser.close()


def test_gradio_client_segment_endpoint(demo_url):
    from gradio_client import Client, handle_file

    client = Client(demo_url, verbose=False)
    composites, masks, before_after, downloads, timing = client.predict(
        [handle_file(str(PHOTO))], "portrait-unet-mnv2", "color", 0.5, 0.0, 15, "#00ff00", None, api_name="/segment")
    cutouts = [f for f in downloads if f.endswith("_cutout.png")]
    mask = np.asarray(Image.open(masks[0]["image"]))
    width, height = Image.open(PHOTO).size
    assert mask.shape[:2] == (height, width) and set(np.unique(mask)) <= {0, 255}
    composite = np.asarray(Image.open(composites[0]["image"]).convert("RGB"))
    background = mask[..., 0] == 0 if mask.ndim == 3 else mask == 0
    assert (composite[background] == [0, 255, 0]).all()  # hard edge: background painted exactly
    assert Image.open(cutouts[0]).mode == "RGBA"
    assert "grace_hopper.jpg" in timing


def test_at_phone_width_the_downloads_and_the_timing_table_fit(browser_context, demo_url):
    """At 390 px the downloads and the timing table stack instead of sharing a row: the downloads keep their
    width (file names were cut to '.p') and the table fits without scrolling."""
    phone = browser_context.new_page()
    phone.set_viewport_size({"width": 390, "height": 844})
    phone.goto(demo_url)
    phone.wait_for_selector("#segment-button", timeout=60_000)
    phone.set_input_files("#photo-input input[type=file]", str(EXAMPLES / "doctor-5871743_640.jpg"))
    phone.click("#segment-button")
    phone.wait_for_selector("#cutouts a", timeout=60_000)
    phone.wait_for_selector("#timing table", timeout=60_000)
    downloads, timing = (phone.locator(selector).bounding_box() for selector in ("#cutouts", "#timing"))
    assert downloads["width"] > 300 and timing["width"] > 300, (downloads, timing)
    assert timing["y"] >= downloads["y"] + downloads["height"] - 1  # below the downloads, not beside them
    table, last = (phone.locator(selector).bounding_box() for selector in ("#timing table", "#timing th >> nth=-1"))
    assert last["x"] + last["width"] <= table["x"] + table["width"] + 1 <= 390, (last, table)  # 'whole' in view
    assert ".jpg" in phone.inner_text("#cutouts") and ".png" in phone.inner_text("#cutouts")
    phone.close()


def test_two_photos_with_one_name_keep_their_own_downloads(demo_url, tmp_path):
    from gradio_client import Client, handle_file

    photos = []
    for folder, example in (("a", "grace_hopper.jpg"), ("b", "astronaut.png")):
        (tmp_path / folder).mkdir()
        photos.append(tmp_path / folder / "photo.jpg")
        Image.open(EXAMPLES / example).convert("RGB").save(photos[-1])
    downloads = Client(demo_url, verbose=False).predict(
        [handle_file(str(p)) for p in photos], "portrait-unet-mnv2", "blur", 0.5, 0.0, 15, "#00ff00", None,
        api_name="/segment")[3]
    composites = [f for f in downloads if Path(f).name == "photo_composite.jpg"]
    assert len(composites) == 2
    sizes = {Image.open(f).size for f in composites}
    assert sizes == {Image.open(p).size for p in photos} and len(sizes) == 2  # each photo's own result


def test_an_unreadable_background_is_named_by_the_users_file_name(demo_url, tmp_path):
    from gradio_client import Client, handle_file

    broken = tmp_path / "my beach.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    with pytest.raises(Exception) as caught:
        Client(demo_url, verbose=False).predict(
            [handle_file(str(PHOTO))], "portrait-unet-mnv2", "replace", 0.5, 0.0, 15, "#00ff00",
            handle_file(str(broken)), api_name="/segment")
    message = str(caught.value)
    assert "my beach.jpg" in message and "not a readable image" in message and "/tmp" not in message


def test_an_api_client_gets_the_error_the_page_shows_for_a_corrupt_photo(demo_url, tmp_path):
    from gradio_client import Client, handle_file

    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"\xff")
    with pytest.raises(Exception) as caught:
        Client(demo_url, verbose=False).predict(
            [handle_file(str(bad))], "portrait-unet-mnv2", "blur", 0.5, 0.0, 15, "#00ff00", None,
            api_name="/segment")
    message = str(caught.value)
    assert "bad.jpg" in message and ("corrupt" in message or "not a readable image" in message or "empty" in message)
    assert "/tmp" not in message and "Traceback" not in message


def test_the_console_stays_quiet_while_requests_are_served(demo_url):
    """No log line per request (httpx's INFO lines): libraries log at WARNING unless -v."""
    from gradio_client import Client, handle_file

    Client(demo_url, verbose=False).predict([handle_file(str(PHOTO))], "portrait-unet-mnv2", "mask", 0.5, 0.0, 15,
                                            "#00ff00", None, api_name="/segment")
    chatter = [line for line in SERVER_LOGS[demo_url].read_text().splitlines()
               if "HTTP Request" in line or " INFO " in line]
    assert not chatter, chatter
