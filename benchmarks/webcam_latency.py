"""Frames per second and capture-to-display latency of the demo's webcam path in a real browser, server and
browser on this machine together (Chromium's fake camera at 640x480).

    python benchmarks/webcam_latency.py [--seconds 30] [--model NAME] [--effect blur]

How it measures: hooks in the page timestamp each camera frame when the browser encodes it for upload
(canvas toBlob/toDataURL) and each POST to the stream endpoint; the server stamps the time it received the frame it
processed (a hidden field in the stats); a MutationObserver timestamps each output frame when its image has loaded.
Capture-to-display = display time - encode time of the frame the server processed (same machine, same clock).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from browser import demo_page, start_webcam  # noqa: E402

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--warmup", type=float, default=5)
    parser.add_argument("--model", default=None)
    parser.add_argument("--effect", default="blur", choices=["blur", "color", "cutout", "mask"],
                        help="the page's Background choice (by effect name)")
    args = parser.parse_args()

    with demo_page(args.model, init_script=HOOKS) as page:
        page.locator(f"#effect input[value='{args.effect}']").check()
        start_webcam(page)
        time.sleep(args.warmup)
        start = page.evaluate("Date.now()")
        time.sleep(args.seconds)
        end = page.evaluate("Date.now()")
        encodes = np.array(page.evaluate("window.__encodes"), float)
        shown = [(d, r) for d, r in page.evaluate("window.__shown") if start <= d <= end and not np.isnan(r)]
    latencies = []
    for displayed, received in shown:
        before = encodes[encodes <= received]
        if len(before):
            latencies.append(displayed - before[-1])
    fps = len(shown) / ((end - start) / 1000)
    print(f"{len(shown)} frames displayed in {(end - start) / 1000:.1f} s: {fps:.1f} frames/s; capture-to-display "
          f"latency median {np.median(latencies):.0f} ms, p95 {np.percentile(latencies, 95):.0f} ms "
          f"(effect {args.effect}, model {args.model or 'default'}, 640x480 fake camera, "
          f"{os.cpu_count()} cores shared by server and browser)")


if __name__ == "__main__":
    main()
