"""Before/after picture of colour decontamination: a shipped example photo cut out with a soft edge and put on a
plain backdrop, with its raw colours (the old background shows as a fringe in the hair) and with the person's own
colours (portraitseg.effects.foreground_colours). Writes docs/cutout-decontamination.png.

    python scripts/cutout_figure.py [--photo demo/examples/woman-5883428_1280.jpg]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

import portraitseg
from portraitseg.effects import Effect, composite, foreground_colours
from portraitseg.image_io import read_image


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--photo", default="demo/examples/woman-5883428_1280.jpg")
    parser.add_argument("--backdrop", default="20,30,60", help="r,g,b of the new background")
    parser.add_argument("--softness", type=float, default=0.4)
    parser.add_argument("-o", "--output", default="docs/cutout-decontamination.png")
    args = parser.parse_args()
    image = read_image(args.photo)
    alpha = Effect("cutout", softness=args.softness).alpha(portraitseg.load()(image))
    backdrop = np.broadcast_to(np.array([int(v) for v in args.backdrop.split(",")], np.uint8), image.shape)
    rows, cols = np.flatnonzero(alpha.max(axis=1) > 0.5), np.flatnonzero(alpha.max(axis=0) > 0.5)
    top, height = rows[0], max(64, (rows[-1] - rows[0]) // 2)          # the head and hair
    left, right = cols[0], cols[-1] + 1
    crop = np.s_[max(0, top - 10) : top + height, max(0, left - 10) : right + 10]
    panels = [composite(image, alpha, backdrop)[crop], composite(foreground_colours(image, alpha), alpha, backdrop)[crop]]
    scale = 480 / panels[0].shape[1]
    size = (480, round(panels[0].shape[0] * scale))
    figure = Image.new("RGB", (2 * size[0] + 10, size[1] + 30), (255, 255, 255))
    draw = ImageDraw.Draw(figure)
    for k, (panel, label) in enumerate(zip(panels, ("photo colours (before)", "person's colours (after)"))):
        figure.paste(Image.fromarray(np.ascontiguousarray(panel)).resize(size, Image.LANCZOS), (k * (size[0] + 10), 30))
        draw.text((k * (size[0] + 10) + 8, 8), label, fill=(0, 0, 0))
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    figure.save(args.output)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
