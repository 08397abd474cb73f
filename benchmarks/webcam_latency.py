"""Frames per second and capture-to-display latency of the demo's webcam path in a real browser, server and
browser on this machine together (Chromium's fake camera at 640x480).

    python benchmarks/webcam_latency.py [--seconds 30] [--model NAME] [--background blur]

How it measures: hooks in the page timestamp each camera frame when the browser encodes it for upload
(canvas toBlob/toDataURL) and each POST to the stream endpoint; the server stamps the time it received the frame it
processed (a hidden field in the stats); a MutationObserver timestamps each output frame when its image has loaded.
Capture-to-display = display time - encode time of the frame the server processed (same machine, same clock).
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import numpy as np

HOOKS = """
window.__encodes = []; window.__sends = []; window.__shown = [];
for (const name of ['toBlob', 'toDataURL']) {
  const original = HTMLCanvasElement.prototype[name];
  HTMLCanvasElement.prototype[name] = function (...args) { window.__encodes.push(Date.now()); return original.apply(this, args); };
}
const originalFetch = window.fetch;
window.fetch = function (input, init) {
  const url = typeof input === 'string' ? input : input.url;
  if (url.includes('/gradio_api/stream/')) window.__sends.push(Date.now());
  return originalFetch.apply(this, arguments);
};
new MutationObserver(() => {
  const img = document.querySelector('#live img');
  if (!img || img.__watched) return;
  img.__watched = true;
  img.addEventListener('load', () => {
    const span = document.querySelector('#live-stats [data-received-ms]');
    window.__shown.push([Date.now(), span ? Number(span.dataset.receivedMs) : NaN]);
  });
}).observe(document, {subtree: true, childList: true});
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--warmup", type=float, default=5)
    parser.add_argument("--model", default=None)
    parser.add_argument("--background", default="blur")
    args = parser.parse_args()

    port = free_port()
    command = [sys.executable, "-m", "portraitseg", "demo", "--port", str(port)] + (["-m", args.model] if args.model else [])
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
            context = p.chromium.launch_persistent_context(
                tempfile.mkdtemp(), executable_path="/usr/bin/chromium", headless=True,
                args=["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                      "--disable-background-networking", "--disable-component-update", "--disable-sync",
                      "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"])
            page = context.new_page()
            page.add_init_script(HOOKS)
            page.goto(url)
            page.wait_for_selector("#segment-button", timeout=60_000)
            page.get_by_label(args.background, exact=True).check()
            page.get_by_role("tab", name="Webcam").click()
            page.locator("#camera [title='grant webcam access'] button").click()
            page.wait_for_function("() => document.querySelector('#camera video')?.readyState >= 2", timeout=30_000)
            page.locator("#camera button[aria-label='capture photo']").click()
            time.sleep(args.warmup)
            start = page.evaluate("Date.now()")
            time.sleep(args.seconds)
            end = page.evaluate("Date.now()")
            encodes = np.array(page.evaluate("window.__encodes"), float)
            shown = [(d, r) for d, r in page.evaluate("window.__shown") if start <= d <= end and not np.isnan(r)]
            context.close()
    finally:
        server.terminate()
        server.wait(15)
    latencies = []
    for displayed, received in shown:
        before = encodes[encodes <= received]
        if len(before):
            latencies.append(displayed - before[-1])
    fps = len(shown) / ((end - start) / 1000)
    print(f"{len(shown)} frames displayed in {(end - start) / 1000:.1f} s: {fps:.1f} frames/s; capture-to-display "
          f"latency median {np.median(latencies):.0f} ms, p95 {np.percentile(latencies, 95):.0f} ms "
          f"(background {args.background}, model {args.model or 'default'}, 640x480 fake camera, "
          f"{os.cpu_count()} cores shared by server and browser)")


if __name__ == "__main__":
    main()
