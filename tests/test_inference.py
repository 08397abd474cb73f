import sys

import numpy as np
import pytest

from portraitseg.errors import SettingError
from PIL import Image

import portraitseg
from portraitseg.errors import BackendUnavailableError, CheckpointError, ImageReadError
from portraitseg.image_io import read_image
from tests.helpers import EXAMPLES

SAMPLES = sorted(p for p in EXAMPLES.iterdir() if p.suffix in {".jpg", ".png"})


def test_torch_and_onnxruntime_agree_on_the_sample_photos(tiny_checkpoint):
    torch_seg = portraitseg.load(tiny_checkpoint, backend="torch")
    onnx_seg = portraitseg.load(tiny_checkpoint, backend="onnxruntime")
    assert onnx_seg.backend_name == "onnxruntime" and onnx_seg.provider == "CPUExecutionProvider"
    assert len(SAMPLES) >= 3
    for path in SAMPLES:
        a, b = torch_seg(path), onnx_seg(path)
        h, w = read_image(path).shape[:2]
        assert a.shape == b.shape == (h, w) and a.dtype == np.float32
        assert np.abs(a - b).max() < 1e-4, path.name


def test_auto_backend_prefers_onnxruntime_when_the_checkpoint_has_onnx(tiny_checkpoint):
    assert portraitseg.load(tiny_checkpoint).backend_name == "onnxruntime"
    assert portraitseg.load(tiny_checkpoint / "model.onnx").serve_long_side == 64


def test_inputs_of_every_kind_give_a_mask_at_their_own_size(tiny_checkpoint):
    seg = portraitseg.load(tiny_checkpoint)
    rgb = read_image(SAMPLES[0])
    reference = seg(rgb)
    for image in [Image.fromarray(rgb), (rgb.astype(np.uint16) * 257), np.dstack([rgb, rgb[..., :1]])]:
        np.testing.assert_allclose(seg(image), reference, atol=1e-5)  # the same picture in another form
    assert seg(rgb[..., 0]).shape == rgb.shape[:2]  # grayscale
    assert seg.mask(rgb).dtype == bool


def test_batch_path_matches_single_calls(tiny_checkpoint):
    seg = portraitseg.load(tiny_checkpoint)
    images = [read_image(p) for p in SAMPLES] + [read_image(SAMPLES[0])]
    batched = list(seg.segment_many(images, batch_size=4))
    assert len(batched) == len(images)
    for image, prob in zip(images, batched):
        np.testing.assert_allclose(prob, seg(image), atol=1e-5)


def test_bad_inputs_and_models_fail_clearly(tiny_checkpoint, tmp_path):
    seg = portraitseg.load(tiny_checkpoint)
    (tmp_path / "bad.jpg").write_bytes(b"\xff\xd8 not really")
    with pytest.raises(ImageReadError, match="bad.jpg"):
        seg(tmp_path / "bad.jpg")
    with pytest.raises(CheckpointError, match="unknown model 'no-such-model'"):
        portraitseg.load("no-such-model")
    with pytest.raises(CheckpointError, match="not found"):
        portraitseg.load(tmp_path / "missing" / "model.onnx")
    with pytest.raises(BackendUnavailableError, match="checkpoint folder"):
        portraitseg.load(tiny_checkpoint / "model.onnx", backend="torch")
    with pytest.raises(SettingError, match="unknown backend"):  # the project's own error, still a ValueError
        portraitseg.load(tiny_checkpoint, backend="tensorflow")


def test_missing_onnxruntime_gives_install_hint(tiny_checkpoint, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # as if not installed: importing it fails
    with pytest.raises(BackendUnavailableError, match=r"pip install 'portraitseg\[cpu\]'"):
        portraitseg.load(tiny_checkpoint, backend="onnxruntime")


def test_checkpoint_without_onnx_is_exported_once_into_the_cache(tiny_checkpoint, tmp_path, monkeypatch):
    import shutil

    monkeypatch.setenv("PORTRAITSEG_CACHE", str(tmp_path / "cache"))
    bare = tmp_path / "bare"
    shutil.copytree(tiny_checkpoint, bare, ignore=shutil.ignore_patterns("*.onnx"))
    seg = portraitseg.load(bare, backend="onnxruntime")
    assert seg.backend_name == "onnxruntime"
    assert len(list((tmp_path / "cache" / "onnx").glob("*.onnx"))) == 1
    np.testing.assert_allclose(seg(SAMPLES[0]), portraitseg.load(tiny_checkpoint, backend="torch")(SAMPLES[0]),
                               atol=1e-4)


def test_onnx_file_carries_its_contract_as_metadata(tiny_checkpoint):
    import onnx

    props = {p.key: p.value for p in onnx.load(str(tiny_checkpoint / "model.onnx")).metadata_props}
    assert props["portraitseg.format_version"] == "3"
    assert "RGB in [0, 255]" in props["input"] and "sigmoid" in props["output"]
    assert (props["serve_long_side"], props["live_long_side"]) == ("64", "64")  # the config's names for the sizes


def test_precision_auto_serves_a_checkpoints_int8_model_on_the_cpu(tiny_checkpoint, tmp_path):
    import shutil

    from portraitseg.errors import CheckpointError
    from portraitseg.zoo.quantize import quantize_int8

    folder = tmp_path / "with-int8"
    shutil.copytree(tiny_checkpoint, folder)
    with pytest.raises(CheckpointError, match="export --int8"):
        portraitseg.load(folder, precision="int8")
    quantize_int8(folder / "model.onnx", folder / "model.int8.onnx", SAMPLES[:2], long_side=64, multiple=32)
    assert portraitseg.load(folder).precision == "int8-qdq"
    assert portraitseg.load(folder, precision="fp32").precision == "fp32"
    assert portraitseg.load(folder, backend="torch").precision == "fp32"
    int8, fp32 = portraitseg.load(folder)(SAMPLES[0]), portraitseg.load(folder, precision="fp32")(SAMPLES[0])
    assert int8.shape == fp32.shape and np.abs(int8 - fp32).mean() < 0.05


def test_a_segmenter_can_be_fed_at_another_size_without_reloading(tiny_checkpoint):
    seg = portraitseg.load(tiny_checkpoint)
    small = seg.at_long_side(32)
    rgb = read_image(SAMPLES[0])
    assert small.backend is seg.backend and small.serve_long_side == 32 and seg.serve_long_side == 64
    assert small(rgb).shape == rgb.shape[:2]
    assert not np.allclose(small(rgb), seg(rgb))  # really another input size
