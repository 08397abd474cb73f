"""Screenshots of the demo's two tabs and of the page on a phone-sized screen (docs/screenshots/), taken in
Debian's Chromium with a fake camera filming a person (benchmarks/browser.py).

    python scripts/screenshots.py [--out docs/screenshots]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository root: benchmarks/browser.py

from benchmarks.browser import demo_page, start_webcam  # noqa: E402

from portraitseg.demo.examples import example_paths  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    photos = [str(p) for p in example_paths() if p.name.startswith(("woman", "doctor", "girl"))]
    with demo_page() as page:
        page.set_input_files("#photo-input input[type=file]", photos)
        page.click("#segment-button")
        page.wait_for_selector("#composites img", timeout=60_000)
        page.wait_for_selector("#cutouts a", timeout=60_000)
        time.sleep(1)
        page.screenshot(path=str(args.out / "photos.png"), full_page=True)
        start_webcam(page, painted=30)
        page.wait_for_function("() => /painted/.test(document.querySelector('#live .live-stats').textContent)",
                               timeout=60_000)
        page.screenshot(path=str(args.out / "webcam.png"), full_page=True)
    with demo_page(width=390, height=844) as page:
        page.set_input_files("#photo-input input[type=file]", photos[:1])
        page.click("#segment-button")
        page.wait_for_selector("#composites img", timeout=60_000)
        time.sleep(1)
        page.screenshot(path=str(args.out / "mobile.png"), full_page=True)
    print(f"wrote {args.out / 'photos.png'}, {args.out / 'webcam.png'} and {args.out / 'mobile.png'}")


if __name__ == "__main__":
    main()
