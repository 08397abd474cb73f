"""Person-free background photos for augmenters, found and read one way: every image suffix, EXIF-rotated
(:func:`portraitseg.image_io.read_image`), decoded on first use and kept, cover-cropped to the canvas."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from portraitseg.datapaths import resolve_data_dir
from portraitseg.geometry import cover_crop
from portraitseg.image_io import IMAGE_SUFFIXES, read_image

log = logging.getLogger(__name__)
DEFAULT_BACKGROUNDS = "backgrounds"  # under $PORTRAITSEG_DATA; optional, unlike a folder named in a config


class BackgroundPhotos:
    """The photos of ``folders`` (paths, or names under ``$PORTRAITSEG_DATA``; a folder's ``images/`` when it has
    one). A missing :data:`DEFAULT_BACKGROUNDS` is logged and skipped; any other missing folder is an error,
    ``owner`` (the augmenter's name) saying whose."""

    def __init__(self, folders: str | list[str] | None, owner: str) -> None:
        self.files: list[Path] = []
        self._cache: dict[int, np.ndarray] = {}
        for name in [folders] if isinstance(folders, str) else (folders or []):
            folder = resolve_data_dir(name)
            folder = folder / "images" if (folder / "images").is_dir() else folder
            if not folder.is_dir():
                if name == DEFAULT_BACKGROUNDS:
                    log.info("%s: no %s folder at %s; person-free pictures come from the training photos", owner,
                             name, folder)
                    continue
                raise ValueError(f"{owner} backgrounds folder not found: {folder}")
            found = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
            log.info("%s: %d person-free photos from %s", owner, len(found), folder)
            self.files += found

    def __len__(self) -> int:
        return len(self.files)

    def photo(self, k: int) -> np.ndarray:
        """Photo ``k`` as uint8 RGB, decoded on first use."""
        if k not in self._cache:
            self._cache[k] = read_image(self.files[k])
        return self._cache[k]

    def draw(self, canvas: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
        """A random photo cover-cropped to the (height, width) canvas."""
        return cover_crop(self.photo(int(rng.integers(len(self.files)))), None, canvas, rng)[0]
