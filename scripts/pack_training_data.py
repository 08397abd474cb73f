"""Copy training data sets at a smaller size, for a machine the full sets cannot travel to (a lent GPU machine
reached only through a size-limited copy of the checkout).

    python scripts/pack_training_data.py eg1800@splits/train_recommended.txt ccp_train hsd_street \
        -o .pack/data --long-side 480 --quality 85

Each ``DIR[@SPLIT]`` (relative to ``$PORTRAITSEG_DATA``) is written to ``OUTPUT/DIR`` with the same layout:
images as WebP scaled so their long side is at most ``--long-side`` (never enlarged), masks and ``ignore/`` masks
as PNG at the image's new size (nearest neighbour, so labels stay 0 / 255), ``splits/`` copied. The trainer's
image cache holds images at 1.5x the training canvas's long side, so packing at that side loses nothing it uses.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import cv2
from tqdm import tqdm

from portraitseg.datapaths import resolve_data_dir
from portraitseg.evaluation.data import find_pairs
from portraitseg.image_io import read_image, read_mask


def scaled(array, long_side: int, interpolation: int):
    h, w = array.shape[:2]
    scale = min(1.0, long_side / max(h, w))
    if scale == 1.0:
        return array
    return cv2.resize(array, (round(w * scale), round(h * scale)), interpolation=interpolation)


def pack(entry: str, output: Path, long_side: int, quality: int) -> int:
    """Pack one data entry; returns the bytes written."""
    name, _, split = entry.partition("@")
    source = resolve_data_dir(name)
    target = output / Path(name).name
    for folder in ("images", "masks", "ignore"):
        if (source / folder).is_dir():
            (target / folder).mkdir(parents=True, exist_ok=True)
    if (source / "splits").is_dir():
        shutil.copytree(source / "splits", target / "splits", dirs_exist_ok=True)
    written = 0
    for pair in tqdm(find_pairs(source, split or None), desc=name, unit="pair"):
        image = scaled(read_image(pair.image), long_side, cv2.INTER_AREA)
        size = image.shape[1], image.shape[0]
        files = {target / "images" / f"{pair.image.stem}.webp":
                 cv2.imencode(".webp", image[..., ::-1], [cv2.IMWRITE_WEBP_QUALITY, quality])[1]}
        for label, folder in ((pair.mask, "masks"), (pair.ignore, "ignore")):
            if label is not None:
                mask = cv2.resize(read_mask(label), size, interpolation=cv2.INTER_NEAREST)
                files[target / folder / f"{label.stem}.png"] = cv2.imencode(".png", mask)[1]
        for path, data in files.items():
            path.write_bytes(data.tobytes())
            written += data.nbytes
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("entries", nargs="+", metavar="DIR[@SPLIT]", help="data sets to pack (person-free sets too)")
    parser.add_argument("-o", "--output", type=Path, required=True, help="folder to write the packed sets into")
    parser.add_argument("--long-side", type=int, default=480, help="largest image side after packing (default 480)")
    parser.add_argument("--quality", type=int, default=85, help="WebP quality, 1-100 (default 85)")
    args = parser.parse_args()
    total = sum(pack(entry, args.output, args.long_side, args.quality) for entry in args.entries)
    print(f"packed {len(args.entries)} sets into {args.output}: {total / 2**20:.1f} MiB")


if __name__ == "__main__":
    main()
