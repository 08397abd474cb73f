"""Files that cost more than they look, and the one-line errors of things going wrong on disk: WebP, GIF and TIFF
pictures claiming 100 MP in a few kilobytes, batch inputs that are pipes, devices or not UTF-8, a user's own files
in an output folder, ONNX files naming gigabytes of external data or not written by us, mask bombs and alpha-only
masks, oversized configs, a normalisation that empties every mask, long file names and a full disk."""

import errno
import json
import os
import shutil
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from portraitseg.errors import CheckpointError, ImageReadError, PortraitsegError
from tests.helpers import EXAMPLES


@pytest.mark.parametrize("fmt, options", [("WEBP", {"lossless": True}), ("GIF", {}), ("TIFF", {"compression": "tiff_deflate"})])
def test_a_few_kilobytes_claiming_30_megapixels_are_refused_unless_jpeg_or_png(tmp_path, fmt, options):
    from portraitseg.image_io import read_image

    path = tmp_path / f"flat.{fmt.lower()}"
    Image.new("L" if fmt == "GIF" else "RGB", (6400, 4800), 90).save(path, fmt, **options)
    assert path.stat().st_size < 2_000_000
    with pytest.raises(ImageReadError, match=f"too large for a {fmt} file"):
        read_image(path)
    small = tmp_path / f"small.{fmt.lower()}"
    Image.new("RGB", (640, 480), (90, 60, 30)).save(small, fmt)
    assert read_image(small).shape == (480, 640, 3)


def test_a_batch_list_that_is_not_utf8_is_one_line_naming_the_line(tmp_path):
    from portraitseg.storage import list_inputs

    listing = tmp_path / "photos.txt"
    listing.write_bytes(b"a.jpg\nb\xe9b\xe9.jpg\n")
    with pytest.raises(PortraitsegError, match="line 2 is not UTF-8"):
        list_inputs(str(listing))


def test_batch_inputs_that_are_not_regular_files_or_too_large_are_refused_unread(tmp_path):
    from portraitseg.storage import read_input

    fifo = tmp_path / "pipe.jpg"
    os.mkfifo(fifo)
    for location in (str(fifo), fifo.as_uri(), "file:///dev/zero"):
        with pytest.raises(ImageReadError, match="not a regular file"):
            read_input(location)
    big = tmp_path / "big.jpg"
    big.write_bytes(b"\0" * 5000)
    with pytest.raises(ImageReadError, match="larger than"):
        read_input(big.as_uri(), limit=4096)
    assert read_input(big.as_uri()) == b"\0" * 5000


def test_a_users_file_in_the_output_folder_is_neither_kept_nor_replaced(tmp_path):
    from portraitseg.batch import _foreign_test, plan
    from portraitseg.outputs import png_bytes

    out = tmp_path / "out"
    out.mkdir()
    (out / "other.png").write_bytes(b"my own picture")
    (out / "ours.png").write_bytes(png_bytes(np.zeros((4, 4), np.uint8)))  # an earlier run's (marked) output
    sources = [str(tmp_path / "other.jpg"), str(tmp_path / "ours.jpg")]
    existing = {p.name for p in out.iterdir()}
    targets = dict(plan(sources, str(out), "mask", foreign=_foreign_test(str(out), existing, {})))
    assert targets[sources[0]] == f"{out}/other_mask.png" and targets[sources[1]] == f"{out}/ours.png"


def onnx_naming(folder: Path, length: int) -> Path:
    """A tiny ONNX file whose one weight is ``length`` bytes of external data in a sparse file beside it."""
    from onnx import TensorProto, helper

    count = length // 4
    weight = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[count], data_location=TensorProto.EXTERNAL)
    for key, value in (("location", "weights.bin"), ("offset", "0"), ("length", str(length))):
        entry = weight.external_data.add()
        entry.key, entry.value = key, value
    io_ = [helper.make_tensor_value_info(n, TensorProto.FLOAT, [count]) for n in ("x", "y")]
    graph = helper.make_graph([helper.make_node("Add", ["x", "w"], ["y"])], "g", io_[:1], io_[1:], [weight])
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "model.onnx").write_bytes(helper.make_model(graph).SerializeToString())
    with open(folder / "weights.bin", "wb") as sparse:
        sparse.truncate(length)
    return folder / "model.onnx"


def test_external_data_counts_in_the_model_size_check(tmp_path):
    pytest.importorskip("onnx")
    from portraitseg.api import check_model_size
    from portraitseg.zoo.onnx_proto import external_data_bytes

    path = onnx_naming(tmp_path / "big", 3_200_000_000)
    assert path.stat().st_size < 2000 and external_data_bytes(path) == 3_200_000_000
    with pytest.raises(CheckpointError, match="of external data it names"):
        check_model_size(path)
    assert external_data_bytes(onnx_naming(tmp_path / "small", 4000)) == 4000
    check_model_size(tmp_path / "small" / "model.onnx")


def test_export_replaces_only_an_onnx_file_of_ours(tmp_path, tiny_checkpoint, capsys):
    pytest.importorskip("onnx")
    from portraitseg.cli import main

    foreign = onnx_naming(tmp_path / "theirs", 16)
    before = foreign.read_bytes()
    assert main(["export", "-m", str(tiny_checkpoint), "-o", str(foreign)]) == 2
    assert "portraitseg did not export" in capsys.readouterr().err and foreign.read_bytes() == before
    ours = tmp_path / "ours.onnx"
    shutil.copyfile(tiny_checkpoint / "model.onnx", ours)
    assert main(["export", "-m", str(tiny_checkpoint), "-o", str(ours)]) == 0


def test_a_mask_bomb_is_skipped_with_a_warning_in_eval(tmp_path, tiny_checkpoint, capsys):
    from portraitseg.cli import main
    from tests.helpers import make_dataset

    root = make_dataset(tmp_path / "set", 3)
    bomb = root / "masks" / "00001.png"
    header = Image.new("1", (16, 16))
    header.save(bomb)
    data = bytearray(bomb.read_bytes())
    data[16:24] = (20000).to_bytes(4, "big") * 2  # the header now claims 20000x20000 (400 MP), its CRC mended
    data[29:33] = zlib.crc32(bytes(data[12:29])).to_bytes(4, "big")
    bomb.write_bytes(bytes(data))
    assert main(["eval", "-m", str(tiny_checkpoint), "--data", str(root)]) == 0
    captured = capsys.readouterr()
    assert "skipped (unreadable)      1: 00001" in captured.out and "Traceback" not in captured.err


def test_a_mask_drawn_in_its_alpha_channel_is_read_from_it(tmp_path):
    from portraitseg.image_io import read_mask

    rgba = np.zeros((20, 20, 4), np.uint8)
    rgba[5:15, 5:15, 3] = 255
    Image.fromarray(rgba).save(tmp_path / "alpha.png")
    assert read_mask(tmp_path / "alpha.png").sum() == 100
    rgba[..., :3] = 255  # a white person on transparent black: the colour says it, as before
    rgba[:5, :, :3] = 0
    Image.fromarray(rgba).save(tmp_path / "colour.png")
    assert read_mask(tmp_path / "colour.png").sum() == 300


def test_a_huge_config_and_a_vanishing_std_are_refused(tmp_path, tiny_checkpoint):
    from portraitseg.zoo.config import ModelConfig

    folder = tmp_path / "ckpt"
    shutil.copytree(tiny_checkpoint, folder)
    config = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**config, "padding": " " * 3_000_000}))
    with pytest.raises(CheckpointError, match="MB; a model config is a few hundred bytes"):
        ModelConfig.load(folder)
    (folder / "config.json").write_text(json.dumps({**config, "normalization": {"mean": [0, 0, 0],
                                                                                 "std": [1e-300, 1, 1]}}))
    with pytest.raises(CheckpointError, match="from 0.001 to 10000"):
        ModelConfig.load(folder)


def test_a_file_name_at_the_systems_limit_is_written(tmp_path):
    from portraitseg.cli import main

    photo = tmp_path / "in" / ("a" * 251 + ".jpg")
    photo.parent.mkdir()
    shutil.copyfile(EXAMPLES / "grace_hopper.jpg", photo)
    assert main(["predict", "-i", str(photo), "-o", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / ("a" * 251 + ".png")).is_file()


def test_a_full_disk_is_one_line_in_predict(tmp_path, monkeypatch, capsys):
    import portraitseg.atomic as atomic
    from portraitseg.cli import main

    def full(path, data):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(atomic, "atomic_write_bytes", full)
    assert main(["predict", "-i", str(EXAMPLES / "grace_hopper.jpg"), "-o", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "the disk is full" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_a_library_failing_to_write_on_a_full_disk_is_reported_as_a_full_disk(tmp_path, monkeypatch):
    """torch.save says 'file write failed' when the disk fills; atomic_write names the cause."""
    import portraitseg.atomic as atomic

    monkeypatch.setattr(atomic.shutil, "disk_usage", lambda folder: shutil._ntuple_diskusage(10**9, 10**9, 0))

    def torch_like(tmp):
        raise RuntimeError("PytorchStreamWriter failed writing file data/0: file write failed")

    with pytest.raises(OSError) as raised:
        atomic.atomic_write(tmp_path / "state.pt", torch_like)
    assert raised.value.errno == errno.ENOSPC and list(tmp_path.iterdir()) == []


def test_a_recorded_video_gets_the_permissions_of_every_other_output(tmp_path):
    from portraitseg.demo.webcam import Recording

    recording = Recording(tmp_path / "out.mp4", 10.0)
    for _ in range(3):
        recording.write(np.zeros((64, 64, 3), np.uint8))
    recording.finish()
    umask = os.umask(0)
    os.umask(umask)
    assert (tmp_path / "out.mp4").stat().st_mode & 0o777 == 0o666 & ~umask
