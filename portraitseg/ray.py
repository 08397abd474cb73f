"""Ray Data building blocks: segment images on every node of a Ray cluster, the model loaded once per actor.

Use :class:`Segment` in your own pipeline::

    import ray
    from portraitseg.ray import Segment

    ds = ray.data.read_images("s3://bucket/photos/", mode="RGB")   # an ``image`` column
    ds = ds.map_batches(Segment, fn_constructor_kwargs={"output": "cutout"}, batch_size=8,
                        compute=ray.data.ActorPoolStrategy(size=4), **Segment.resources())
    ds.drop_columns(["image"]).write_parquet("s3://bucket/cutouts/")   # readable by pandas and pyarrow too

(Ray stores decoded ``image`` arrays in a column type of its own that only Ray reads back; the columns Segment adds
are plain PNG bytes and numbers.)

``portraitseg batch`` runs :class:`SegmentFiles` the same way, reading and writing files on the workers.
"""

from __future__ import annotations

import time
from pathlib import PurePosixPath
from typing import Any

import numpy as np

from portraitseg.effects import DEFAULT_BLUR, DEFAULT_COLOR, Effect
from portraitseg.errors import ImageReadError
from portraitseg.image_io import read_image, read_image_bytes
from portraitseg.outputs import DEFAULT_QUALITY
from portraitseg.thresholds import person_mask, threshold_for

# one row per input of ``portraitseg batch``: status is written, kept (there already) or failed (see error)
MANIFEST_COLUMNS = ("input", "output", "status", "width", "height", "bytes", "person_share", "seconds", "error")


class Segment:
    """A callable class for ``Dataset.map_batches``: each actor loads the model once (ONNX Runtime with the CUDA
    provider where onnxruntime-gpu sees a GPU, else CPU threads) and maps a batch to the effect's result.

    A batch holds one of the columns ``image`` (RGB arrays, as ``ray.data.read_images`` gives), ``path`` (local
    image files) or ``bytes`` (encoded image files); the other columns pass through. Added: ``result`` (the
    ``output`` effect's picture as the PNG file ``portraitseg predict`` writes: a 0/255 mask, an 8-bit
    probability, an RGBA cut-out or an RGB composite), ``width`` and ``height`` (the photo's) and
    ``person_share`` (the share of pixels at or above the threshold): plain columns every Arrow reader takes.
    The options are those of :class:`portraitseg.effects.Effect` and :func:`portraitseg.load`; the threshold
    defaults to the model's own.
    """

    def __init__(self, model: str | None = None, output: str = "mask", threshold: float | None = None,
                 softness: float = 0.0, blur: float = DEFAULT_BLUR, color: str = DEFAULT_COLOR, background: str | None = None,
                 edges: str = "guided", device: str = "auto", threads: int | None = 1, precision: str = "auto",
                 quality: int = DEFAULT_QUALITY) -> None:
        from portraitseg.api import load

        self.segmenter = load(model, device=device, threads=threads, precision=precision, edges=edges, spin=False)
        self.threshold = threshold_for(threshold, self.segmenter.threshold)
        self.effect = Effect.from_options(output, self.threshold, softness, blur, color, background)
        self.quality = quality  # of the JPEG and WebP files SegmentFiles writes

    @staticmethod
    def resources(device: str = "auto", threads: int | None = 1) -> dict[str, float]:
        """What each actor asks Ray for: a GPU where onnxruntime-gpu can use one, else ``threads`` CPUs."""
        from portraitseg.api import wants_cuda

        return {"num_gpus": 1, "num_cpus": 1} if wants_cuda(device) else {"num_cpus": threads or 1}

    def process(self, image: Any) -> tuple[np.ndarray, float]:
        """One image (array, path or bytes) -> (the effect's result, the person share); the photo and its
        probability are let go on return, before the result is encoded."""
        rgb = read_image(image)
        prob = self.segmenter(rgb)
        return self.effect(rgb, prob), float(person_mask(prob, self.threshold).mean())

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, Any]:
        column = next((c for c in ("image", "path", "bytes") if c in batch), None)
        if column is None:
            raise ImageReadError(f"Segment needs an 'image', 'path' or 'bytes' column; the batch has {sorted(batch)}")
        from portraitseg.outputs import png_bytes

        done = [self.process(item if column != "path" else str(item)) for item in batch[column]]
        return {**batch, "result": [png_bytes(result) for result, _ in done],
                "width": np.array([result.shape[1] for result, _ in done]),
                "height": np.array([result.shape[0] for result, _ in done]),
                "person_share": np.array([share for _, share in done])}


class SegmentFiles(Segment):
    """``portraitseg batch``'s worker: rows of ``source`` and ``target`` (local paths or URIs that pyarrow's file
    systems read) -> each result written to its target as the file ``portraitseg predict`` writes (the format
    the target's suffix names, the photo's colour profile kept), and one
    manifest row back (never an image, so the driver's memory stays small). A target that exists is kept, not
    written again (a retried batch after an actor died, or a resumed job); an unreadable source is reported in
    its row and the job goes on."""

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, Any]:
        from portraitseg.image_io import icc_profile
        from portraitseg.outputs import encode
        from portraitseg.storage import exists, is_uri, read_input, write_bytes

        rows: dict[str, list] = {key: [] for key in MANIFEST_COLUMNS}
        for source, target in zip(batch["source"], batch["target"]):
            source, target = str(source), str(target)
            started = time.perf_counter()
            row = {"input": source, "output": target, "status": "written", "width": None, "height": None,
                   "bytes": None, "person_share": None, "seconds": None, "error": None}
            try:
                if exists(target):
                    row.update(status="kept")
                else:
                    photo = read_input(source) if is_uri(source) else source
                    result, share = self.process(read_image_bytes(photo, source) if is_uri(source) else photo)
                    data = encode(result, PurePosixPath(target).suffix, self.quality, icc_profile(photo))
                    write_bytes(target, data)
                    row.update(width=result.shape[1], height=result.shape[0], bytes=len(data), person_share=share)
            except (ImageReadError, OSError) as exc:
                row.update(status="failed", output=None, error=str(exc))
            row["seconds"] = round(time.perf_counter() - started, 4)
            for key in MANIFEST_COLUMNS:
                rows[key].append(row[key])
        return rows

