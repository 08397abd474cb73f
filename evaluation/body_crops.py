"""The body-crop validation set: close views of people (a person filling 30-90% of the frame, the head cut off in
half of them, at least 128 pixels a side) cut with a fixed seed from held-out photos of voc_person_train and
ccp_train, as everyday photos show torsos, arms and hands. The held-out names are listed in ``evaluation/body-crops/``
(80 of each set, drawn with a fixed seed among photos where a person is at least half the photo's height, so a
close view has the pixels to show them); training leaves them out of those sets (:func:`held_out_names`), so the
crops are of photos the trainer never saw."""

from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np

from portraitseg.evaluation.data import Pair, find_pairs

BODY_CROPS = "body_crops"
LISTS = Path(__file__).parent / "body-crops"
HELD_OUT = {name: LISTS / f"{name}.txt" for name in ("voc_person_train", "ccp_train")}
FILL, HEADLESS, SEED, MIN_SIDE = (0.3, 0.9), 0.5, 2026, 128


def held_out_names(root: Path) -> set[str]:
    """The image names training leaves out of the data set at ``root`` (none for sets without a held-out list)."""
    listed = HELD_OUT.get(Path(root).name)
    return set(listed.read_text().split()) if listed else set()


def body_crop_pairs() -> list[Pair]:
    """The held-out photos the crops are cut from (folders under ``$PORTRAITSEG_DATA``)."""
    return [pair for name, listed in HELD_OUT.items() for pair in find_pairs(name, listed)]


def body_crop_view(image: np.ndarray, mask: np.ndarray, name: str) -> tuple[np.ndarray, np.ndarray]:
    """The crop of one photo: the same window every time (seeded by the photo's name), in the photo's own
    orientation at 3:4 or 4:3, at the photo's resolution."""
    from portraitseg.augment.views import body_window

    rng = np.random.default_rng([SEED, zlib.crc32(name.encode())])
    h, w = mask.shape
    window = body_window(mask, 4 / 3 if h >= w else 3 / 4, rng, FILL, HEADLESS, min_side=MIN_SIDE)
    if window is None:
        return image, mask
    y0, y1, x0, x1 = window
    return np.ascontiguousarray(image[y0:y1, x0:x1]), np.ascontiguousarray(mask[y0:y1, x0:x1])
