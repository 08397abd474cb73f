"""Shared by the browser scripts: start ``portraitseg demo`` on a free port and open Debian's Chromium on it."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from typing import Iterator

CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def demo_page(model: str | None = None, init_script: str | None = None, width: int = 1280,
              height: int = 900) -> Iterator:
    """A Playwright page on a freshly started demo, ready to use."""
    from playwright.sync_api import sync_playwright

    port = free_port()
    command = [sys.executable, "-m", "portraitseg", "demo", "--port", str(port)] + (["-m", model] if model else [])
    server = subprocess.Popen(command, env={**os.environ, "GRADIO_ANALYTICS_ENABLED": "False"},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    try:
        for _ in range(180):
            try:
                urllib.request.urlopen(url, timeout=2)
                break
            except Exception:
                time.sleep(0.5)
        with sync_playwright() as p:
            context = p.chromium.launch_persistent_context(tempfile.mkdtemp(), executable_path="/usr/bin/chromium",
                                                           headless=True, args=CHROMIUM_ARGS,
                                                           viewport={"width": width, "height": height})
            page = context.new_page()
            if init_script:
                page.add_init_script(init_script)
            page.goto(url)
            page.wait_for_selector("#segment-button", timeout=60_000)
            yield page
            context.close()
    finally:
        server.terminate()
        server.wait(15)


def start_webcam(page) -> None:
    """Open the Webcam tab, grant the (fake) camera, and press Record once its video has frames."""
    page.get_by_role("tab", name="Webcam").click()
    page.locator("#camera [title='grant webcam access'] button").click()
    page.wait_for_function("() => document.querySelector('#camera video')?.readyState >= 2", timeout=30_000)
    page.locator("#camera button[aria-label='capture photo']").click()
