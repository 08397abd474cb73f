"""The browser driver shared by the browser tests, benchmarks/webcam_latency.py, benchmarks/browser_inference.py and
scripts/screenshots.py: start ``portraitseg demo`` on a free port and open Debian's Chromium on it, with a fake
camera that films a person. A tool, kept apart from the tests that use it."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Iterator

import cv2
import numpy as np

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"  # Debian's, installed by scripts/setup.sh --test
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


SERVER_LOGS: dict = {}  # demo URL -> the server's console output (the demo_url fixture's servers)
PERSON_PHOTO = Path(__file__).resolve().parents[1] / "demo" / "examples" / "woman-5883428_1280.jpg"


def person_video(path: Path, photo: Path = PERSON_PHOTO, frames: int = 60, fps: int = 30, size=(640, 480)) -> Path:
    """A Y4M clip for Chromium's fake camera (``--use-file-for-fake-video-capture``): ``photo`` cropped to
    ``size`` and panned slowly from side to side, so the person moves as in a video call. Written once."""
    if path.exists():
        return path
    w, h = size
    image = cv2.imread(str(photo))
    scale = max(w * 1.2 / image.shape[1], h / image.shape[0])
    image = cv2.resize(image, (round(image.shape[1] * scale), round(image.shape[0] * scale)),
                       interpolation=cv2.INTER_AREA)
    travel = image.shape[1] - w
    with open(path, "wb") as out:
        out.write(f"YUV4MPEG2 W{w} H{h} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for i in range(frames):
            left = round(travel * (1 - np.cos(2 * np.pi * i / frames)) / 2)
            out.write(b"FRAME\n" + cv2.cvtColor(image[:h, left:left + w], cv2.COLOR_BGR2YUV_I420).tobytes())
    return path


def camera_args(video: Path | None = None, cameras: int = 1) -> list[str]:
    """Chromium flags for a granted fake camera: ``video`` as its picture (else Chromium's test pattern), or
    ``cameras`` fake devices."""
    flags = ["--use-fake-ui-for-media-stream",
             f"--use-fake-device-for-media-stream=device-count={cameras}"]
    return flags + ([f"--use-file-for-fake-video-capture={video}"] if video else [])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def demo_page(live_model: str | None = None, init_script: str | None = None, width: int = 1280,
              height: int = 900, pages: int = 1, servers: list | None = None) -> Iterator:
    """A Playwright page on a freshly started demo (``live_model``: the webcam tab's, default the bundled live
    model), ready to use, with a fake camera filming a person; with
    ``pages`` above 1 a list of pages, each in its own window (as two viewers are: a background tab would be
    throttled). ``servers``, when given, receives the demo server's process."""
    from playwright.sync_api import sync_playwright

    port = free_port()
    command = [sys.executable, "-m", "portraitseg", "demo", "--port", str(port)] + (
        ["--live-model", live_model] if live_model else [])
    server = subprocess.Popen(command, env={**os.environ, "GRADIO_ANALYTICS_ENABLED": "False"},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    if servers is not None:
        servers.append(server)
    try:
        for _ in range(180):
            try:
                urllib.request.urlopen(url, timeout=2)
                break
            except Exception:
                time.sleep(0.5)
        with sync_playwright() as p:
            video = person_video(Path(tempfile.gettempdir()) / "portraitseg-person-640x480.y4m")
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                        args=CHROMIUM_ARGS + camera_args(video))
            opened = []
            for _ in range(pages):
                context = browser.new_context(viewport={"width": width, "height": height})
                if init_script:
                    context.add_init_script(init_script)
                page = context.new_page()
                page.goto(url)
                page.wait_for_selector("#segment-button", timeout=60_000)
                opened.append(page)
            yield opened[0] if pages == 1 else opened
            browser.close()
    finally:
        server.terminate()
        server.wait(15)


def start_webcam(page, painted: int = 1, where: str | None = None) -> None:
    """Open the Webcam tab, choose where the model runs (``browser`` or ``server``; by default the page's own
    choice), press Start camera and wait until ``painted`` frames have been drawn."""
    page.get_by_role("tab", name="Webcam").click()
    if where:
        page.locator("#live select.live-where").select_option(where)
    page.locator("#live .live-start").click()
    page.wait_for_function(f"() => Number(document.querySelector('#live canvas').dataset.painted) >= {painted}",
                           timeout=60_000)
