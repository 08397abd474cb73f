import cv2
import numpy as np
import pytest

from portraitseg.cli import main
from portraitseg.image_io import read_image
from tests.helpers import EXAMPLES


def write_video(path, frames=12, size=(160, 120)):
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 10, size)
    base = cv2.resize(read_image(EXAMPLES / "grace_hopper.jpg")[..., ::-1], size)
    for i in range(frames):
        writer.write(np.roll(base, i * 3, axis=1))
    writer.release()


@pytest.mark.parametrize("effect", ["blur", "mask"])
def test_webcam_on_a_video_file_writes_every_frame(tmp_path, tiny_checkpoint, effect):
    source, out = tmp_path / "in.mp4", tmp_path / "out.mp4"
    write_video(source)
    assert main(["webcam", "-m", str(tiny_checkpoint), "--source", str(source), "--effect", effect, "--output",
                 str(out), "--no-window"]) == 0
    capture = cv2.VideoCapture(str(out))
    count = 0
    while capture.read()[0]:
        count += 1
    assert count == 12
    assert capture.get(cv2.CAP_PROP_FRAME_WIDTH) == 160


def test_missing_video_file_is_a_clear_error(tmp_path, tiny_checkpoint, capsys):
    assert main(["webcam", "-m", str(tiny_checkpoint), "--source", str(tmp_path / "nope.mp4"), "--no-window"]) == 2
    assert "no such file" in capsys.readouterr().err


def test_window_mode_without_gui_support_explains_the_way_out(tmp_path, tiny_checkpoint, capsys):
    source = tmp_path / "in.mp4"
    write_video(source, frames=2)
    code = main(["webcam", "-m", str(tiny_checkpoint), "--source", str(source)])
    if code == 0:
        pytest.skip("this OpenCV build has window support and a display")
    assert code == 2 and "--no-window" in capsys.readouterr().err


def test_a_camera_without_window_support_falls_back_to_the_browser_page(tiny_checkpoint, monkeypatch, capsys):
    import portraitseg.demo.ui as ui
    import portraitseg.demo.webcam as webcam

    launched = {}
    monkeypatch.setattr(webcam, "window_supported", lambda: False)
    monkeypatch.setattr(ui, "launch", lambda app, routes, port, **options: launched.update(app=app, port=port))
    assert main(["webcam", "-m", str(tiny_checkpoint), "--source", "0", "--port", "7999"]) == 0
    assert launched["port"] == 7999 and "Webcam tab" in capsys.readouterr().out
    chosen = {c["props"].get("elem_id"): c["props"].get("value") for c in launched["app"].config["components"]}
    assert chosen["live-model"] == str(tiny_checkpoint)  # the webcam tab runs the model the command was given
    assert chosen["photo-model"] == "portrait-unet-mnv2"


def test_a_video_file_runs_the_live_model_by_default(tmp_path, capsys):
    source, out = tmp_path / "in.mp4", tmp_path / "out.mp4"
    write_video(source, frames=3)
    assert main(["webcam", "--source", str(source), "--effect", "mask", "--output", str(out), "--no-window"]) == 0
    assert "portrait-live" in capsys.readouterr().out
