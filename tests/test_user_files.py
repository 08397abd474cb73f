"""No command destroys a file it did not write, and odd paths or values get one line, not a traceback
(reliability round 4, items 5, 7 and 8)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.helpers import EXAMPLES, tiny_run
from tests.test_hostile_input import assert_one_line_error, cli

PHOTO = EXAMPLES / "grace_hopper.jpg"


# ---- 5: commands that must not destroy a user's file --------------------------------------------------------


def _clip(path: Path, frames: int = 6) -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 10, (96, 64))
    for i in range(frames):
        writer.write(np.full((64, 96, 3), 20 * i, np.uint8))
    writer.release()
    return path


@pytest.mark.parametrize("spelling", ["same", "link"])
def test_webcam_refuses_to_write_its_output_over_its_source(tmp_path, spelling):
    source = _clip(tmp_path / "clip.mp4")
    before = source.read_bytes()
    output = source
    if spelling == "link":
        output = tmp_path / "alias.mp4"
        output.symlink_to(source)
    code, stderr = cli("webcam", "--source", str(source), "--no-window", "--output", str(output))
    assert_one_line_error(code, stderr, "is the source video itself")
    assert source.read_bytes() == before


def test_eval_json_never_replaces_a_file_it_did_not_write(tmp_path, tiny_checkpoint):
    from tests.helpers import make_dataset

    data = make_dataset(tmp_path / "ds", 3)
    image = sorted((data / "images").iterdir())[0]
    before = image.read_bytes()
    code, stderr = cli("eval", "-m", str(tiny_checkpoint), "--data", str(data), "--json", str(image))
    assert_one_line_error(code, stderr, "not a JSON file")
    assert image.read_bytes() == before
    other = tmp_path / "settings.json"
    other.write_text('{"mine": true}')
    assert_one_line_error(*cli("eval", "-m", str(tiny_checkpoint), "--data", str(data), "--json", str(other)),
                          "not a result this command wrote")
    assert other.read_text() == '{"mine": true}'
    result = tmp_path / "result.json"
    for _ in range(2):  # its own earlier result is replaced
        code, stderr = cli("eval", "-m", str(tiny_checkpoint), "--data", str(data), "--json", str(result))
        assert code == 0, stderr
    assert json.loads(result.read_text())["images"] == 3


def test_predict_never_overwrites_a_file_it_did_not_write(tmp_path):
    folder = tmp_path / "dir"
    folder.mkdir()
    shutil.copy(PHOTO, folder / "b.jpg")
    mine = folder / "b.png"
    mine.write_bytes(b"the user's own picture")
    code, stderr = cli("predict", "-i", str(folder / "b.jpg"), "-o", str(folder))
    assert code == 0, stderr
    assert mine.read_bytes() == b"the user's own picture"
    written = folder / "b_mask.png"
    assert written.is_file() and "b_mask.png" in stderr
    again = cli("predict", "-i", str(folder / "b.jpg"), "-o", str(folder))  # its own output is replaced
    assert again[0] == 0 and sorted(p.name for p in folder.iterdir()) == ["b.jpg", "b.png", "b_mask.png"]


def test_predict_replaces_its_own_earlier_outputs(tmp_path):
    for _ in range(2):
        code, stderr = cli("predict", "-i", str(PHOTO), "-o", str(tmp_path / "out"))
        assert code == 0, stderr
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["grace_hopper.png"]


def test_resume_without_the_state_file_is_refused_and_best_is_kept(synthetic_data, tmp_path):
    from portraitseg.errors import PortraitsegError
    from portraitseg.trainers.loop import train

    run = tmp_path / "r2"
    train(tiny_run(synthetic_data, run, epochs=1), progress=False)
    (run / "state.pt").unlink()
    best = sorted(p.name for p in (run / "best").iterdir())
    with pytest.raises(PortraitsegError, match="no state.pt to continue from; --overwrite"):
        train(tiny_run(synthetic_data, run, epochs=2), resume=True, progress=False)
    assert sorted(p.name for p in (run / "best").iterdir()) == best


def test_resume_into_a_folder_with_no_run_says_it_starts_a_new_one(synthetic_data, tmp_path, caplog):
    from portraitseg.trainers.loop import train

    run = tmp_path / "fresh"
    with caplog.at_level("INFO", logger="portraitseg.trainers.loop"):
        train(tiny_run(synthetic_data, run, epochs=1), resume=True, progress=False)
    assert f"no run in {run} to resume: starting a new one" in caplog.text
    assert (run / "state.pt").is_file() and (run / "best" / "model.safetensors").is_file()


def test_overwrite_removes_a_linked_best_folder_not_what_it_links_to(synthetic_data, tmp_path):
    from portraitseg.trainers.loop import check_output_folder

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "keep.txt").write_text("keep")
    run = tmp_path / "run"
    run.mkdir()
    (run / "best").symlink_to(elsewhere)
    code, stderr = cli("train", "--data", str(synthetic_data), "-o", str(run), "--epochs", "1")
    assert_one_line_error(code, stderr, "already holds a training run")
    check_output_folder(run, resume=False, overwrite=True)
    assert not os.path.lexists(run / "best") and (elsewhere / "keep.txt").read_text() == "keep"


def test_batch_never_follows_a_link_planted_at_its_temporary_manifest(tmp_path):
    pytest.importorskip("ray")
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    out = tmp_path / "out"
    out.mkdir()
    (out / "manifest.parquet.partial").symlink_to(victim)
    code, stderr = cli("batch", "-i", str(PHOTO), "-o", str(out), "--actors", "1")
    assert code == 0, stderr
    assert victim.read_text() == "precious"
    assert (out / "manifest.parquet").is_file() and not list(out.glob(".manifest.parquet.*"))


@pytest.mark.parametrize("name", ["photo.onnx", "photo.jpg"])
def test_export_never_writes_over_a_file_that_is_not_an_onnx_model(tmp_path, name):
    target = tmp_path / name
    shutil.copy(PHOTO, target)
    code, stderr = cli("export", "-o", str(target))
    assert_one_line_error(code, stderr, "it is not an ONNX file" if name.endswith(".onnx") else "ending in .onnx")
    assert target.read_bytes() == PHOTO.read_bytes()


def test_export_replaces_its_own_earlier_export_whole(tmp_path):
    pytest.importorskip("torch")
    import onnxruntime

    target = tmp_path / "mine.onnx"
    for variant in ((), ("--fp16",)):
        assert cli("export", "-o", str(target), *variant)[0] == 0
    assert onnxruntime.InferenceSession(str(target)).get_inputs()[0].name == "image"
    assert [p.name for p in tmp_path.iterdir()] == ["mine.onnx"]  # no temporary file left beside it


# ---- 7: one line instead of a traceback --------------------------------------------------------------------


def test_predict_on_a_symlink_loop_is_one_line(tmp_path):
    loop = tmp_path / "loop.jpg"
    loop.symlink_to(loop)
    code, stderr = cli("predict", "-i", str(loop), "-o", str(tmp_path / "out"))
    assert code == 1 and "Traceback" not in stderr and "loop.jpg: a link that leads to no file" in stderr, stderr


def test_batch_checks_its_manifest_path_before_any_work(tmp_path):
    pytest.importorskip("ray")
    out = tmp_path / "out"
    (out / "manifest.parquet").mkdir(parents=True)
    assert_one_line_error(*cli("batch", "-i", str(PHOTO), "-o", str(out)), "manifest.parquet is a folder")
    assert list(out.iterdir()) == [out / "manifest.parquet"]


@pytest.mark.skipif(not os.path.isdir("/sys/kernel"), reason="needs Linux's /sys, a folder no one may add files to")
@pytest.mark.parametrize("command", [("eval", "--limit", "1", "--json", "/sys/result.json"),
                                     ("predict", "-i", str(PHOTO), "-o", "/sys/out")])
def test_a_destination_that_takes_no_files_is_refused_before_the_work(command, tmp_path):
    from tests.helpers import make_dataset

    data = make_dataset(tmp_path / "ds", 1)
    code, stderr = cli(*command, *(("--data", str(data)) if command[0] == "eval" else ()))
    assert_one_line_error(code, stderr, "/sys does not take new files")
    assert "img/s" not in stderr  # refused before a photo was read


def test_demo_on_a_port_in_use_is_one_line_before_any_model_loads():
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, stderr = cli("demo", "--port", str(port), "-m", "no-such-model")  # the model would be refused later
    assert_one_line_error(code, stderr, f"cannot serve on 127.0.0.1:{port}", "--port")


@pytest.mark.parametrize("port", ["0", "70000", "http"])
def test_demo_refuses_a_port_that_is_no_port(port):
    code, stderr = cli("demo", "--port", port)
    assert_one_line_error(code, stderr, "argument --port: expected a whole number from 1 to 65535")


# ---- 8: values that mean nothing ---------------------------------------------------------------------------


@pytest.mark.parametrize("option, value", [("--threshold", "nan"), ("--threshold", "1.5"), ("--limit", "0"),
                                           ("--limit", "-3")])
def test_eval_refuses_values_that_mean_nothing(tmp_path, option, value):
    code, stderr = cli("eval", "--data", str(tmp_path), option, value)
    assert code == 2 and "Traceback" not in stderr and option in stderr, stderr


def test_a_null_setting_names_its_key(synthetic_data, tmp_path):
    code, stderr = cli("train", "--data", str(synthetic_data), "-o", str(tmp_path / "r"), "--set", "ema=null")
    assert_one_line_error(code, stderr, "ema=None")


def test_a_split_file_is_counted_not_quoted(tmp_path):
    from tests.helpers import make_dataset

    data = make_dataset(tmp_path / "ds", 3)
    secrets = tmp_path / "secrets.txt"
    secrets.write_text("root:x:0:0:root:/root:/bin/bash\nhunter2\n")
    code, stderr = cli("eval", "--data", str(data), "--split", str(secrets))
    assert_one_line_error(code, stderr, "2 of its 2 lines name no image")
    assert "hunter2" not in stderr and "root:x" not in stderr


@pytest.mark.parametrize("what", ["folder", "split"])
def test_eval_refuses_a_set_with_no_images_instead_of_scoring_nothing(tmp_path, what):
    from tests.helpers import make_dataset

    data = make_dataset(tmp_path / "ds", 2)
    if what == "folder":
        for image in (data / "images").iterdir():
            image.unlink()
        args, message = (), "holds no images"
    else:
        (data / "empty.txt").write_text("\n\n")
        args, message = ("--split", "empty.txt"), "empty.txt lists no image names"
    code, stderr = cli("eval", "--data", str(data), *args)
    assert_one_line_error(code, stderr, message)
    assert "nan" not in stderr


@pytest.mark.parametrize("command", ["webcam", "augment-preview"])
def test_a_named_output_over_a_users_photo_is_refused(tmp_path, command):
    from tests.helpers import make_dataset

    target = tmp_path / ("keep.mp4" if command == "webcam" else "keep.png")
    shutil.copy(PHOTO, target)
    args = (("--source", str(_clip(tmp_path / "clip.mp4")), "--no-window", "--output") if command == "webcam"
            else ("--data", str(make_dataset(tmp_path / "ds", 2)), "-o"))
    code, stderr = cli(command, *args, str(target))
    assert_one_line_error(code, stderr, f"{target}: it is not a")
    assert target.read_bytes() == PHOTO.read_bytes()


def test_webcam_replaces_its_earlier_video_and_keeps_it_when_a_run_fails(tmp_path):
    from portraitseg.demo.webcam import run_webcam

    source, output = _clip(tmp_path / "clip.mp4", frames=6), tmp_path / "out.mp4"
    for frames in (6, 3):
        assert cli("webcam", "--source", str(source), "--no-window", "--output", str(output),
                   "--max-frames", str(frames))[0] == 0
        assert int(cv2.VideoCapture(str(output)).get(cv2.CAP_PROP_FRAME_COUNT)) == frames
    earlier = output.read_bytes()

    calls = []

    def fails_on_the_third_frame(frame):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("the model failed")
        return np.zeros(frame.shape[:2], np.float32)

    with pytest.raises(RuntimeError, match="the model failed"):
        run_webcam(fails_on_the_third_frame, str(source), output=str(output), show=False)
    assert output.read_bytes() == earlier
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip.mp4", "out.mp4"]  # no partial file left


def test_augment_preview_replaces_its_own_earlier_preview(tmp_path):
    from PIL import Image

    from tests.helpers import make_dataset

    data, output = make_dataset(tmp_path / "ds", 2), tmp_path / "grid.png"
    for cols in ("2", "1"):
        assert cli("augment-preview", "--data", str(data), "-o", str(output), "--rows", "1", "--cols", cols)[0] == 0
    assert Image.open(output).size[0] < Image.open(output).size[1] * 2  # the second grid (one column) is there
    code, stderr = cli("augment-preview", "--data", str(data), "-o", str(tmp_path / "grid.jpg"))
    assert_one_line_error(code, stderr, "give a file name ending in .png")
