"""Painted frames per second and capture-to-display latency of the demo's live webcam in a real browser, server and
browser on this machine together: Chromium's fake camera plays a 640x480, 30 frames/s clip of a person.

    python benchmarks/webcam_latency.py [--where browser|server] [--seconds 30] [--streams 1] [--model NAME]
                                        [--effect blur]

How it measures, from outside the page's own statistics: a requestAnimationFrame loop injected into each page reads
which camera frame the live canvas holds (``data-frame``) and when that frame was captured (``data-captured``,
the camera's capture time where the browser gives it, else the time the frame reached the page). A frame counts as
painted when a new one is on the canvas at an animation frame; its display time is the *next* animation frame's
start, by which the frame holding it has been presented, so the latency is rounded up by up to one refresh.
With ``--streams 2`` two tabs run the camera at once against the same server. ``--where`` picks where the model
runs (the page's selector): in the viewer's browser (ONNX Runtime Web) or on the server. The server's CPU time
(user + system, from /proc) over the measured seconds is given per minute of one viewer's stream, as measured and
above what the same server uses over as long with the pages open and the cameras off (Gradio's own event loop
costs a little CPU on an idle server).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository root: benchmarks/browser.py

from benchmarks.browser import demo_page, start_webcam  # noqa: E402

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


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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
    parser.add_argument("--where", choices=["browser", "server"], default="browser",
                        help="where the model runs: the viewer's browser or the server (default: %(default)s)")
    parser.add_argument("--model", default=None, help="the webcam's model (default: the bundled live model)")
    parser.add_argument("--effect", default="blur", choices=["blur", "color", "cutout", "mask"],
                        help="the page's Background choice (by effect name)")
    args = parser.parse_args()

    servers: list = []
    with demo_page(args.model, init_script=PAINT_WATCH, pages=args.streams, servers=servers) as opened:
        pages = opened if args.streams > 1 else [opened]
        for page in pages:
            page.locator(f"#effect input[value='{args.effect}']").check()
        idle_before = cpu_seconds(servers[0].pid)
        time.sleep(args.seconds)
        idle_cpu = cpu_seconds(servers[0].pid) - idle_before
        for page in pages:
            start_webcam(page, where=args.where)
        time.sleep(args.warmup)
        cpu_before = cpu_seconds(servers[0].pid)
        results = measure(pages, args.seconds)
        server_cpu = cpu_seconds(servers[0].pid) - cpu_before
        running = [page.evaluate("window.portraitsegLive.state()") for page in pages]
    where = ", ".join(sorted({f"{r['where']}" + (f" ({r['engine']})" if r["engine"] else "") for r in running}))
    for i, (fps, latencies, sizes) in enumerate(results, 1):
        traffic = (f"per frame {np.median(sizes[:, 0]) / 1000:.1f} KB up, {np.median(sizes[:, 1]) / 1000:.1f} KB down"
                   if len(sizes) else "no frame sent to the server")
        print(f"stream {i}/{len(results)}: {fps:.1f} frames/s painted; capture-to-display median "
              f"{np.median(latencies):.0f} ms, p95 {np.percentile(latencies, 95):.0f} ms; {traffic} "
              f"({len(latencies)} frames in {args.seconds:.0f} s; model in the {where}; effect {args.effect}, "
              f"model {args.model or 'portrait-live (default)'}, 640x480 30 frames/s fake camera, {os.cpu_count()} "
              "cores shared by server and browser)")
    per_viewer_minute = server_cpu / (args.seconds / 60) / len(pages)
    above_idle = max(0.0, server_cpu - idle_cpu) / (args.seconds / 60) / len(pages)
    print(f"server CPU: {server_cpu:.2f} s over {args.seconds:.0f} s for {len(pages)} viewer(s) (idle, cameras off: "
          f"{idle_cpu:.2f} s): {per_viewer_minute:.2f} CPU s per viewer-minute, {above_idle:.2f} above the idle "
          "server")


if __name__ == "__main__":
    main()
