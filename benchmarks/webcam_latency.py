"""Painted frames per second and capture-to-display latency of the demo's live webcam in a real browser, server and
browser on this machine together: Chromium's fake camera plays a 640x480, 30 frames/s clip of a person.

    python benchmarks/webcam_latency.py [--seconds 30] [--streams 1] [--model NAME] [--effect blur]

How it measures, from outside the page's own statistics: a requestAnimationFrame loop injected into each page reads
which camera frame the live canvas holds (``data-frame``) and when that frame was captured (``data-captured``,
the camera's capture time where the browser gives it, else the time the frame reached the page). A frame counts as
painted when a new one is on the canvas at an animation frame; its display time is the *next* animation frame's
start, by which the frame holding it has been presented, so the latency is rounded up by up to one refresh.
With ``--streams 2`` two tabs run the camera at once against the same server.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository root: tests/browser.py

from tests.browser import demo_page, start_webcam  # noqa: E402

PAINT_WATCH = """
window.__painted = []; window.__bytes = [];
const originalFetch = window.fetch;
window.fetch = async function (input, init) {
  const response = await originalFetch.apply(this, arguments);
  if (String(input).includes('/portraitseg/live') && init && init.body)
    window.__bytes.push([init.body.byteLength, Number(response.headers.get('Content-Length'))]);
  return response;
};
(() => {
  let seen = null, pending = null;
  const watch = (now) => {
    if (pending) { window.__painted.push([now, pending]); pending = null; }
    const canvas = document.querySelector('#live canvas');
    if (canvas && canvas.dataset.frame && canvas.dataset.frame !== seen) {
      seen = canvas.dataset.frame;
      pending = Number(canvas.dataset.captured);
    }
    requestAnimationFrame(watch);
  };
  requestAnimationFrame(watch);
})();
"""


def measure(pages, seconds: float) -> list[tuple[float, np.ndarray, np.ndarray]]:
    """(painted frames per second, latencies in ms, [bytes up, bytes down] per frame) for each page over the same
    ``seconds``."""
    starts = [page.evaluate("performance.now()") for page in pages]
    time.sleep(seconds)
    results = []
    for page, start in zip(pages, starts):
        end = page.evaluate("performance.now()")
        painted = np.array([p for p in page.evaluate("window.__painted") if start <= p[0] <= end]).reshape(-1, 2)
        sizes = np.array(page.evaluate("window.__bytes")).reshape(-1, 2)
        results.append((len(painted) / ((end - start) / 1000), painted[:, 0] - painted[:, 1], sizes))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--warmup", type=float, default=5)
    parser.add_argument("--streams", type=int, default=1, help="tabs running the webcam at once")
    parser.add_argument("--model", default=None)
    parser.add_argument("--effect", default="blur", choices=["blur", "color", "cutout", "mask"],
                        help="the page's Background choice (by effect name)")
    args = parser.parse_args()

    with demo_page(args.model, init_script=PAINT_WATCH, pages=args.streams) as opened:
        pages = opened if args.streams > 1 else [opened]
        for page in pages:
            page.locator(f"#effect input[value='{args.effect}']").check()
            start_webcam(page)
        time.sleep(args.warmup)
        results = measure(pages, args.seconds)
    for i, (fps, latencies, sizes) in enumerate(results, 1):
        print(f"stream {i}/{len(results)}: {fps:.1f} frames/s painted; capture-to-display median "
              f"{np.median(latencies):.0f} ms, p95 {np.percentile(latencies, 95):.0f} ms; per frame "
              f"{np.median(sizes[:, 0]) / 1000:.1f} KB up, {np.median(sizes[:, 1]) / 1000:.1f} KB down "
              f"({len(latencies)} frames in {args.seconds:.0f} s; effect {args.effect}, "
              f"model {args.model or 'default'}, 640x480 30 frames/s fake camera, {os.cpu_count()} cores shared by "
              f"server and browser)")


if __name__ == "__main__":
    main()
