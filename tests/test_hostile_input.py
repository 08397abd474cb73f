"""What a hostile client or a careless user can hand the project: bodies and headers that claim gigabytes,
configs and weight files that lie, paths that lead elsewhere. Each is refused with one line, within bounded
memory (peak RSS of a subprocess), and nothing the user had is lost."""

import asyncio
import json
import shutil
import struct
import subprocess
import sys
import warnings
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from portraitseg.errors import CheckpointError, PortraitsegError
from tests.helpers import EXAMPLES

PEAK = """
import sys
{body}
hwm = next(line for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(int(hwm.split()[1]) // 1024)
"""


def peak_mb(body: str, *args: str) -> int:
    """Run ``body`` in a fresh interpreter and return its peak resident memory in MB: VmHWM, the high-water mark of
    the process's own memory (getrusage's ru_maxrss survives exec, so it can report the forking pytest's size)."""
    result = subprocess.run([sys.executable, "-c", PEAK.format(body=body), *args], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    return int(result.stdout.split()[-1])


def jpeg_claiming(width: int, height: int) -> bytes:
    """A small valid JPEG whose frame header claims ``width`` x ``height`` (a 931-byte request for gigabytes)."""
    data = bytearray(cv2.imencode(".jpg", np.zeros((8, 8, 3), np.uint8))[1].tobytes())
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


# ---- 1, 2: the live route ------------------------------------------------------------------------------------

class FakeRequest:
    """Just what read_body uses of a Starlette request; counts the chunks the server pulled."""

    def __init__(self, chunks, headers=None):
        self.headers, self._chunks, self.pulled, self.client = headers or {}, chunks, 0, None

    async def stream(self):
        for chunk in self._chunks:
            self.pulled += 1
            yield chunk


def test_a_body_over_the_limit_is_refused_before_or_while_reading():
    from portraitseg.demo.live import MAX_FRAME_BYTES, FrameTooLarge, read_body

    declared = FakeRequest([b"x" * 1000], {"content-length": str(600_000_000)})
    with pytest.raises(FrameTooLarge, match="over the"):
        asyncio.run(read_body(declared))
    assert declared.pulled == 0                                      # refused by its Content-Length alone
    chunked = FakeRequest(b"x" * 1_000_000 for _ in range(600))      # 600 MB, no Content-Length
    with pytest.raises(FrameTooLarge):
        asyncio.run(read_body(chunked))
    assert chunked.pulled == MAX_FRAME_BYTES // 1_000_000 + 1        # stopped at the first chunk past the limit
    assert asyncio.run(read_body(FakeRequest([b"ab", b"cd"]))) == b"abcd"


def test_the_route_answers_413_to_a_chunked_body_over_the_limit():
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from portraitseg.demo.live import LiveMattes
    from portraitseg.demo.models import ModelChoices
    from portraitseg.demo.routes import LIVE_FRAMES, frames_route

    app = FastAPI(routes=[frames_route(LiveMattes(ModelChoices()))])
    answer = TestClient(app).post(LIVE_FRAMES, content=(b"x" * 500_000 for _ in range(10)))
    assert answer.status_code == 413 and "byte limit" in answer.text


@pytest.mark.parametrize("side", [16000, 60000])
def test_a_frame_whose_header_claims_a_huge_image_is_refused_before_decoding(side):
    from portraitseg.demo.live import LiveRequestError, decode_frame

    data = jpeg_claiming(side, side)
    assert len(data) < 2000
    with pytest.raises(LiveRequestError, match="1024 pixels"):
        decode_frame(data)


def test_three_huge_header_frames_cost_no_memory():
    peak = peak_mb("""
from portraitseg.demo.live import LiveRequestError, decode_frame
for _ in range(3):
    try:
        decode_frame(open(sys.argv[1], 'rb').read())
    except LiveRequestError:
        pass
""", _write_tmp(jpeg_claiming(16000, 16000)))
    print(f"three 16000x16000-header frames: peak {peak} MB")
    assert peak < 400                                                # decoding one took 768 MB


def _write_tmp(data: bytes) -> str:
    import tempfile

    handle = tempfile.NamedTemporaryFile(suffix=".jpg", delete=False)
    handle.write(data)
    handle.close()
    return handle.name


# ---- 3: every image mode decodes within the demo's bound ---------------------------------------------------

@pytest.mark.slow
def test_a_16_bit_greyscale_10000_pixel_png_decodes_within_the_bound(tmp_path, tiny_checkpoint):
    path = tmp_path / "grey16.png"
    Image.fromarray(np.zeros((10000, 10000), np.uint16)).save(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # 100 MP: at our limit, over PIL's
        assert Image.open(path).mode.startswith("I;16") and path.stat().st_size < 1_000_000
    peak = peak_mb("""
from portraitseg.api import load
from portraitseg.demo.processing import process_photo
from portraitseg.effects import Effect
result = process_photo(sys.argv[1], load(sys.argv[2]))
Effect("blur", softness=0.2).preview(result.image, result.prob)
assert result.image.shape[0] * result.image.shape[1] <= 16_000_000, result.image.shape
""", str(path), str(tiny_checkpoint))
    print(f"16-bit 10000x10000 PNG through the photo tab: peak {peak} MB")
    assert peak < 1500                                               # the demo's stated bound; it took 4 GB


@pytest.mark.parametrize("mode", ["I;16", "P", "1", "CMYK", "LA"])
def test_every_mode_is_reduced_while_decoding(tmp_path, mode):
    from portraitseg.image_io import read_image

    size = (900, 600)
    image = Image.new("RGB", size, (200, 30, 30)).convert(mode) if mode != "I;16" else \
        Image.fromarray(np.full(size[::-1], 40000, np.uint16))
    path = tmp_path / f"x.{'tif' if mode == 'CMYK' else 'png'}"
    image.save(path)
    small = read_image(path, max_pixels=60_000)
    assert small.dtype == np.uint8 and small.shape[2] == 3 and small.shape[0] * small.shape[1] <= 60_000
    assert abs(small.shape[1] / small.shape[0] - 1.5) < 0.05


# ---- 4: a config cannot make the torch backend allocate gigabytes -------------------------------------------

def _checkpoint_with(tmp_path, source, **changes) -> Path:
    folder = tmp_path / "ckpt"
    shutil.copytree(source, folder)
    config = json.loads((folder / "config.json").read_text())
    config.update(changes)
    (folder / "config.json").write_text(json.dumps(config))
    return folder


@pytest.mark.slow
@pytest.mark.parametrize("changes", [{"encoder": "mobilenet_v2", "encoder_params": {"width_mult": 40}},
                                     {"decoder_channels": [4096, 4096, 4096, 4096]}])
def test_a_config_describing_a_huge_model_is_refused_before_building(tmp_path, tiny_checkpoint, changes):
    folder = _checkpoint_with(tmp_path, tiny_checkpoint, **changes)
    peak = peak_mb("""
from portraitseg.errors import CheckpointError
from portraitseg.zoo.checkpoint import load_checkpoint
try:
    load_checkpoint(sys.argv[1])
    raise SystemExit("loaded")
except CheckpointError as exc:
    assert "parameters, over the" in str(exc), exc
""", str(folder))
    assert peak < 1000                                               # building it took over 4 GB


@pytest.mark.parametrize("params, reason", [({"widht_mult": 0.5}, "unexpected keyword"),
                                            ({"width_mult": "big"}, "cannot be built")])
def test_unknown_or_mistyped_encoder_params_are_one_line(tmp_path, tiny_checkpoint, params, reason):
    from portraitseg.zoo.checkpoint import load_checkpoint

    with pytest.raises(CheckpointError, match=reason):
        load_checkpoint(_checkpoint_with(tmp_path, tiny_checkpoint, encoder_params=params))


# ---- 5: no run is replaced by accident ------------------------------------------------------------------------

def test_a_new_run_into_an_earlier_runs_folder_needs_resume_or_overwrite(synthetic_data, tmp_path):
    from portraitseg.trainers.loop import train
    from tests.helpers import tiny_run

    config = tiny_run(synthetic_data, tmp_path / "run", epochs=1)
    train(config, progress=False)
    best = (tmp_path / "run" / "best" / "model.safetensors").read_bytes()
    with pytest.raises(PortraitsegError, match="--resume continues it, --overwrite replaces it"):
        train(config, progress=False)
    assert (tmp_path / "run" / "best" / "model.safetensors").read_bytes() == best
    train(tiny_run(synthetic_data, tmp_path / "run", epochs=1, lr=1e-2), progress=False, overwrite=True)
    assert (tmp_path / "run" / "best" / "model.safetensors").read_bytes() != best


# ---- 7, 8: training on the user's own folder -------------------------------------------------------------------

def test_the_default_recipe_trains_on_a_users_folder_without_a_backgrounds_folder(synthetic_data, tmp_path,
                                                                                 monkeypatch, caplog):
    from portraitseg.augment.pipeline import Pipeline
    from portraitseg.trainers.config import build_config

    monkeypatch.delenv("PORTRAITSEG_DATA", raising=False)
    monkeypatch.chdir(tmp_path)
    with caplog.at_level("INFO"):
        Pipeline(build_config(None, {"data": [str(synthetic_data)]}).augmentations)
    assert "person-free pictures come from the training photos" in caplog.text
    with pytest.raises(PortraitsegError, match="backgrounds folder not found"):
        Pipeline(["copy_paste:backgrounds=my_scenes"])


def test_the_default_recipe_selects_on_the_held_out_pairs_where_its_real_world_sets_are_missing(
        synthetic_data, tmp_path, monkeypatch, caplog):
    from portraitseg.trainers.config import build_config
    from portraitseg.trainers.loop import selection_sets

    monkeypatch.setenv("PORTRAITSEG_DATA", str(tmp_path / "no-data-here"))
    with caplog.at_level("INFO"):
        assert selection_sets(build_config(None, {"data": [str(synthetic_data)]})) == {}
    assert "the recipe's coco128_person@splits/with_people.txt is not at" in caplog.text
    named = build_config(None, {"data": [str(synthetic_data)], "selection_people": "my_people"})
    with pytest.raises(PortraitsegError, match="my_people"):  # a set named on purpose must exist
        selection_sets(named)
    found = selection_sets(build_config(None, {"data": [str(synthetic_data)], "selection_people": str(synthetic_data),
                                               "selection_empty": None}))
    assert list(found) == ["people"] and len(found["people"]) == 24


def test_masks_labelled_0_and_1_are_read_as_person_and_background(tmp_path):
    from portraitseg.image_io import read_mask

    mask = np.zeros((20, 20), np.uint8)
    mask[5:15, 5:15] = 1
    Image.fromarray(mask).save(tmp_path / "01.png")
    assert read_mask(tmp_path / "01.png").sum() == 100
    Image.fromarray(mask * 255).save(tmp_path / "0255.png")
    assert read_mask(tmp_path / "0255.png").sum() == 100
    Image.fromarray(np.zeros((20, 20), np.uint8)).save(tmp_path / "empty.png")
    assert read_mask(tmp_path / "empty.png").sum() == 0


# ---- 9: one line and exit 2 -------------------------------------------------------------------------------------

def cli(*args, env=None, cwd=None):
    import os

    result = subprocess.run([sys.executable, "-m", "portraitseg", *args], capture_output=True, text=True,
                            timeout=300, env={**os.environ, **(env or {})}, cwd=cwd)
    return result.returncode, result.stderr.strip()


def assert_one_line_error(code, stderr, *words):
    assert code == 2, stderr[-2000:]
    assert "Traceback" not in stderr, stderr[-2000:]
    assert all(word in stderr for word in words), stderr[-2000:]


def test_a_deeply_nested_config_is_one_line_on_both_backends(tmp_path, tiny_checkpoint):
    folder = tmp_path / "deep"
    shutil.copytree(tiny_checkpoint, folder)
    (folder / "config.json").write_text("[" * 100_000 + "]" * 100_000)
    for backend in ("onnxruntime", "torch"):
        assert_one_line_error(*cli("predict", "-m", str(folder), "--backend", backend, "-i",
                                   str(EXAMPLES / "grace_hopper.jpg"), "-o", str(tmp_path / "out")),
                              "nested too deeply")


@pytest.mark.parametrize("damage", ["truncated", "garbage"])
def test_a_damaged_onnx_file_is_one_line(tmp_path, tiny_checkpoint, damage):
    path = tmp_path / "model.onnx"
    data = (tiny_checkpoint / "model.onnx").read_bytes()
    path.write_bytes(data[: len(data) // 3] if damage == "truncated" else b"\x08\x07junk" * 100)
    assert_one_line_error(*cli("predict", "-m", str(path), "-i", str(EXAMPLES / "grace_hopper.jpg"), "-o",
                               str(tmp_path / "out")), "ONNX Runtime cannot load it")


def _safetensors(header: dict, data: bytes = b"") -> bytes:
    raw = json.dumps(header).encode()
    return struct.pack("<Q", len(raw)) + raw + data


def test_weights_of_other_dtypes_sizes_or_names_twice_are_refused_before_reading(tmp_path, tiny_checkpoint):
    from safetensors.torch import load_file, save_file

    from portraitseg.zoo.checkpoint import load_checkpoint

    folder = tmp_path / "ckpt"
    shutil.copytree(tiny_checkpoint, folder)
    state = load_file(str(folder / "model.safetensors"))
    name = next(k for k, v in state.items() if v.dim() == 4)
    weights = folder / "model.safetensors"

    import torch

    for dtype, word in ((torch.bfloat16, "dtype BF16"), (torch.float64, "dtype F64"), (torch.int32, "dtype I32"),
                        (torch.bool, "dtype BOOL")):
        save_file({**state, name: state[name].to(dtype)}, str(weights))
        with pytest.raises(CheckpointError, match=word):
            load_checkpoint(folder)
    shape = list(state[name].shape)
    for header, word in (
            ({name: {"dtype": "F32", "shape": [100000, 100000], "data_offsets": [0, 4]}}, "shape"),
            ({name: {"dtype": "STRING", "shape": shape, "data_offsets": [0, 4]}}, "dtype STRING"),
            ({name: {"dtype": "F32", "shape": shape, "data_offsets": [0, 4 * int(np.prod(shape))]}}, "truncated")):
        weights.write_bytes(_safetensors(header, b"\0" * 4))
        with pytest.raises(CheckpointError, match=word):
            load_checkpoint(folder)
    raw = json.dumps({name: {"dtype": "F32", "shape": shape, "data_offsets": [0, 0]}})
    twice = "{" + raw[1:-1] + ", " + raw[1:-1] + "}"
    weights.write_bytes(struct.pack("<Q", len(twice)) + twice.encode())
    with pytest.raises(CheckpointError, match="named twice"):
        load_checkpoint(folder)
    weights.write_bytes(b"\xff" * 7)
    with pytest.raises(CheckpointError, match="truncated or not a safetensors file"):
        load_checkpoint(folder)


@pytest.mark.parametrize("ref, word", [("hf://../etc", "not a Hub id"), ("hf://acme/por trait", "not a Hub id"),
                                       ("hf://acme/model@../../../../etc/passwd", "revision"),
                                       ("hf://acme/model@a/b", "revision")])
def test_hub_ids_and_revisions_are_checked_before_the_hub_library_sees_them(ref, word, monkeypatch):
    import huggingface_hub

    from portraitseg.zoo.hub import download, parse_hub_id

    monkeypatch.setattr(huggingface_hub, "snapshot_download", lambda *a, **k: pytest.fail("reached the Hub"))
    with pytest.raises(CheckpointError, match=word):
        download(ref)
    assert parse_hub_id("hf://acme/model@refs/pr/3") == ("acme/model", "refs/pr/3")
    assert parse_hub_id("hf://acme/model@" + "a" * 40) == ("acme/model", "a" * 40)
    assert parse_hub_id("hf://acme/model.v2@main") == ("acme/model.v2", "main")


def test_output_paths_that_cannot_be_written_are_refused_before_any_work(tmp_path):
    photo = str(EXAMPLES / "grace_hopper.jpg")
    a_file = tmp_path / "file.txt"
    a_file.write_text("keep me")
    assert_one_line_error(*cli("predict", "-i", photo, "-o", str(a_file)), "is a file")
    assert_one_line_error(*cli("predict", "-i", photo, "-o", str(a_file / "sub")), "is a file, not a folder")
    assert_one_line_error(*cli("eval", "--data", str(tmp_path), "--json", str(tmp_path)), "is a folder")
    assert_one_line_error(*cli("export", "-o", str(tmp_path)), "is a folder")
    assert a_file.read_text() == "keep me"


@pytest.mark.parametrize("args, word", [(["--blur", "inf"], "blur strength"), (["--threads", "-1"], "--threads"),
                                        (["--device", "tpu"], "--device")])
def test_out_of_range_options_are_one_line(tmp_path, args, word):
    code, stderr = cli("predict", "-i", str(EXAMPLES / "grace_hopper.jpg"), "-o", str(tmp_path), "--output",
                       "blur", *args)
    assert code == 2 and "Traceback" not in stderr and word in stderr, stderr


def test_a_background_that_is_a_folder_says_so(tmp_path):
    assert_one_line_error(*cli("predict", "-i", str(EXAMPLES / "grace_hopper.jpg"), "-o", str(tmp_path / "o"),
                               "--output", "replace", "--background", str(tmp_path)), "is a folder")


def test_a_plugin_that_exits_or_fails_on_import_is_named_with_the_way_out(tmp_path, monkeypatch):
    import importlib.metadata as md

    from portraitseg import plugins
    from tests.helpers import reset_plugins

    monkeypatch.delenv("PORTRAITSEG_LOAD_PLUGINS")  # entry points load here (the suite keeps a user's out)

    class EntryPoint:
        name, value, group = "exiting", "exiting_plugin", "portraitseg"

        def load(self):
            raise SystemExit(3)

    original = md.entry_points
    try:
        reset_plugins()
        plugins.importlib_metadata.entry_points = lambda group=None: [EntryPoint()] if group == "portraitseg" \
            else original(group=group)
        with pytest.raises(PortraitsegError, match="'exiting'.*SystemExit.*PORTRAITSEG_LOAD_PLUGINS"):
            plugins.get_registry("encoders")
    finally:
        plugins.importlib_metadata.entry_points = original
        reset_plugins()


# ---- 12: a model file that links out of its folder ---------------------------------------------------------------

def test_a_model_file_linking_out_of_its_folder_is_refused_on_both_backends(tmp_path, tiny_checkpoint):
    import portraitseg

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    folder = tmp_path / "linked"
    folder.mkdir()
    shutil.copy(tiny_checkpoint / "config.json", folder)
    for name in ("model.onnx", "model.safetensors"):
        shutil.copy(tiny_checkpoint / name, elsewhere / name)
        (folder / name).symlink_to(elsewhere / name)
    for backend in ("onnxruntime", "torch"):
        with pytest.raises(CheckpointError, match="outside its checkpoint folder"):
            portraitseg.load(folder, backend=backend)
    hub = tmp_path / "models--acme--m"
    (hub / "blobs").mkdir(parents=True)
    (hub / "snapshots" / "abc").mkdir(parents=True)
    shutil.copy(tiny_checkpoint / "config.json", hub / "snapshots" / "abc")
    for name in ("model.onnx", "model.safetensors"):
        shutil.copy(tiny_checkpoint / name, hub / "blobs" / name)
        (hub / "snapshots" / "abc" / name).symlink_to(Path("../../blobs") / name)
    for backend in ("onnxruntime", "torch"):                         # the Hub cache's own links are fine
        assert portraitseg.load(hub / "snapshots" / "abc", backend=backend)(np.zeros((64, 64, 3), np.uint8)).shape \
            == (64, 64)


def test_external_data_that_onnx_runtime_refuses_is_one_line(tmp_path, tiny_checkpoint):
    import onnx
    from onnx.external_data_helper import convert_model_to_external_data

    proto = onnx.load(str(tiny_checkpoint / "model.onnx"))
    convert_model_to_external_data(proto, all_tensors_to_one_file=True, location="weights.bin", size_threshold=0)
    folder = tmp_path / "external"
    folder.mkdir()
    onnx.save(proto, str(folder / "model.onnx"))
    proto = onnx.load(str(folder / "model.onnx"), load_external_data=False)
    for tensor in proto.graph.initializer:
        for entry in tensor.external_data:
            if entry.key == "location":
                entry.value = "../../../etc/passwd"
    onnx.save(proto, str(folder / "model.onnx"))
    assert_one_line_error(*cli("predict", "-m", str(folder / "model.onnx"), "-i", str(EXAMPLES / "grace_hopper.jpg"),
                               "-o", str(tmp_path / "out")), "ONNX Runtime cannot load it")
