"""Candidate models committed for outside scoring (zoo/candidates/): small, and loadable with -m as served."""

from pathlib import Path

import pytest

from tests.helpers import EXAMPLES, REPO

CANDIDATES = sorted(p for p in (REPO / "zoo" / "candidates").iterdir() if p.is_dir()) \
    if (REPO / "zoo" / "candidates").is_dir() else []


@pytest.mark.parametrize("folder", CANDIDATES, ids=lambda p: p.name)
def test_a_candidate_is_small_and_serves_its_int8_file(folder: Path):
    import portraitseg

    assert sum(f.stat().st_size for f in folder.iterdir()) <= 5 * 2**20
    segmenter = portraitseg.load(str(folder), backend="onnxruntime")
    assert segmenter.precision == "int8-qdq"
    reference = portraitseg.load(backend="onnxruntime")  # the bundled photo model
    photo = EXAMPLES / "grace_hopper.jpg"
    mask, expected = segmenter.mask(str(photo)), reference.mask(str(photo))
    assert (mask & expected).sum() / (mask | expected).sum() > 0.8  # a portrait is found as the bundled model finds it
    assert (folder / "README.md").is_file()
