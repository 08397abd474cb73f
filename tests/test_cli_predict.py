import shutil

import numpy as np
import pytest
from PIL import Image

from portraitseg.cli import main
from portraitseg.image_io import read_image
from tests.helpers import EXAMPLES

PHOTO = EXAMPLES / "grace_hopper.jpg"


@pytest.fixture
def photos(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(PHOTO, folder / "hopper.jpg")
    shutil.copy(EXAMPLES / "astronaut.png", folder / "astronaut.png")
    return folder


@pytest.mark.parametrize("kind, mode, bands", [("mask", "L", 1), ("prob", "L", 1), ("cutout", "RGBA", 4),
                                               ("blur", "RGB", 3), ("color", "RGB", 3), ("replace", "RGB", 3)])
def test_every_output_kind_is_written_at_the_original_size(kind, mode, bands, photos, tmp_path, tiny_checkpoint):
    """A PNG, except an opaque picture of a JPEG photo: a JPEG, as photo tools give back."""
    out = tmp_path / kind
    args = ["predict", "-i", str(photos), "-o", str(out), "-m", str(tiny_checkpoint), "--output", kind]
    if kind == "replace":
        args += ["--background", str(EXAMPLES / "astronaut.png")]
    assert main(args) == 0
    for source in photos.iterdir():
        suffix = ".jpg" if kind in ("blur", "color", "replace") and source.suffix == ".jpg" else ".png"
        written = Image.open(out / f"{source.stem}{suffix}")
        assert written.format == ("JPEG" if suffix == ".jpg" else "PNG")
        assert written.mode == mode and len(written.getbands()) == bands
        assert written.size == Image.open(source).size
    if kind == "mask":
        assert set(np.unique(np.asarray(Image.open(out / "hopper.png")))) <= {0, 255}


def test_format_and_quality_choose_the_file_and_a_jpeg_cutout_is_refused(photos, tmp_path, tiny_checkpoint, capsys):
    base = ["predict", "-i", str(photos / "hopper.jpg"), "-m", str(tiny_checkpoint)]
    assert main(["predict", "-i", str(photos / "hopper.jpg"), "-o", str(tmp_path / "w"), "--output", "cutout",
                 "--format", "webp"]) == 0  # the bundled model: a real cut-out, with transparent pixels
    webp = Image.open(tmp_path / "w" / "hopper.webp")
    assert webp.format == "WEBP" and webp.mode == "RGBA" and np.asarray(webp)[..., 3].min() == 0
    assert main(base + ["-o", str(tmp_path / "p"), "--output", "blur", "--format", "png"]) == 0
    assert Image.open(tmp_path / "p" / "hopper.png").format == "PNG"
    sizes = {}
    for quality in ("40", "95"):
        assert main(base + ["-o", str(tmp_path / quality), "--output", "blur", "--quality", quality]) == 0
        sizes[quality] = (tmp_path / quality / "hopper.jpg").stat().st_size
    assert sizes["40"] < sizes["95"]
    assert main(base + ["-o", str(tmp_path / "j"), "--output", "cutout", "--format", "jpeg"]) == 2
    assert "a JPEG has no transparency" in capsys.readouterr().err and not (tmp_path / "j").exists()


def test_a_jpeg_output_keeps_the_photos_colour_profile_and_replaces_only_its_own(tmp_path, tiny_checkpoint):
    from PIL import ImageCms

    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    Image.open(PHOTO).save(tmp_path / "tagged.jpg", icc_profile=profile)
    out = tmp_path / "out"
    out.mkdir()
    Image.new("RGB", (8, 8)).save(out / "tagged.jpg")  # the user's own file of that name
    assert main(["predict", "-i", str(tmp_path / "tagged.jpg"), "-o", str(out), "-m", str(tiny_checkpoint),
                 "--output", "blur"]) == 0
    written = Image.open(out / "tagged_blur.jpg")
    assert written.info.get("icc_profile") == profile
    assert Image.open(out / "tagged.jpg").size == (8, 8)  # kept: not ours
    assert main(["predict", "-i", str(tmp_path / "tagged.jpg"), "-o", str(out), "-m", str(tiny_checkpoint),
                 "--output", "blur"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["tagged.jpg", "tagged_blur.jpg"]  # its own replaced


def test_repeated_inputs_add_up(photos, tmp_path, tiny_checkpoint):
    out = tmp_path / "out"
    assert main(["predict", "-i", str(photos / "hopper.jpg"), "-i", str(photos / "astronaut.png"), "-o", str(out),
                 "-m", str(tiny_checkpoint)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["astronaut.png", "hopper.png"]


def test_outputs_agree_with_the_api(photos, tmp_path, tiny_checkpoint):
    import portraitseg

    prob = portraitseg.load(tiny_checkpoint)(PHOTO)
    assert main(["predict", "-i", str(photos / "hopper.jpg"), "-o", str(tmp_path / "o"), "-m", str(tiny_checkpoint),
                 "--output", "prob"]) == 0
    written = np.asarray(Image.open(tmp_path / "o" / "hopper.png")).astype(np.float32) / 255
    assert np.abs(written - prob).max() <= 1 / 255 + 1e-6
    assert main(["predict", "-i", str(photos / "hopper.jpg"), "-o", str(tmp_path / "c"), "-m", str(tiny_checkpoint),
                 "--output", "cutout"]) == 0
    rgba = np.asarray(Image.open(tmp_path / "c" / "hopper.png"))
    np.testing.assert_array_equal(rgba[..., :3], read_image(PHOTO))


def test_a_corrupt_file_is_reported_and_the_rest_still_processed(photos, tmp_path, tiny_checkpoint, capsys):
    (photos / "broken.jpg").write_bytes(b"\xff\xd8\xff garbage")
    code = main(["predict", "-i", str(photos), "-o", str(tmp_path / "out"), "-m", str(tiny_checkpoint)])
    assert code == 1
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["astronaut.png", "hopper.png"]
    assert "broken.jpg" in capsys.readouterr().err


def test_bad_colour_and_unknown_model_exit_with_a_message(photos, tmp_path, tiny_checkpoint, capsys):
    assert main(["predict", "-i", str(photos), "-o", str(tmp_path), "-m", str(tiny_checkpoint), "--output", "color",
                 "--background", "not-a-colour"]) == 2
    assert "not a colour" in capsys.readouterr().err
    assert main(["predict", "-i", str(photos), "-o", str(tmp_path), "-m", "no-such-model"]) == 2
    assert "unknown model" in capsys.readouterr().err


def test_inputs_are_never_overwritten_and_colliding_names_get_their_own_outputs(tmp_path, tiny_checkpoint, capsys):
    folder = tmp_path / "photos"
    (folder / "d1").mkdir(parents=True)
    (folder / "d2").mkdir()
    shutil.copy(PHOTO, folder / "d1" / "a.jpg")
    shutil.copy(PHOTO, folder / "d2" / "a.jpg")
    shutil.copy(EXAMPLES / "astronaut.png", folder / "d1" / "a.png")
    before = {p: p.read_bytes() for p in folder.rglob("*.*")}
    inputs = [str(folder / "d1" / "a.jpg"), str(folder / "d2" / "a.jpg"), str(folder / "d1" / "a.png")]
    assert main(["predict", "-i", *inputs, "-o", str(folder / "d1"), "-m", str(tiny_checkpoint)]) == 0
    assert all(p.read_bytes() == data for p, data in before.items()), "an input was overwritten"
    written = sorted(p.name for p in (folder / "d1").iterdir() if p not in before)
    assert written == ["a_mask-2.png", "a_mask-3.png", "a_mask.png"]
    assert "wrote 3 of 3" in capsys.readouterr().out


def test_a_checkpoint_with_a_bad_config_exits_2_with_one_message(photos, tmp_path, tiny_checkpoint, capsys):
    import json

    bad = tmp_path / "bad"
    shutil.copytree(tiny_checkpoint, bad)
    (bad / "model.onnx").unlink()
    config = json.loads((bad / "config.json").read_text())
    (bad / "config.json").write_text(json.dumps({**config, "train_size": [-64, 64], "threshold": "high"}))
    assert main(["predict", "-i", str(photos), "-o", str(tmp_path / "out"), "-m", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "invalid model config" in err and "train_size" in err and "threshold" in err and "Traceback" not in err


def test_bench_reports_each_backend_as_it_starts_and_explains_its_options(tiny_checkpoint, capsys):
    assert main(["bench", "-m", str(tiny_checkpoint), "--runs", "2", "--warmup", "1"]) == 0
    err = capsys.readouterr().err
    assert "[1/2] timing Segmenter(" in err and "[2/2] timing Segmenter(" in err and "backend=torch" in err
    assert "threads: " in err and "load average" in err  # the thread count chosen, and why
    assert "torch model call" in err  # progress within each backend


def test_bench_threads_leave_busy_cores_alone(monkeypatch):
    import os

    from portraitseg.benchmarking import idle_cores

    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2, 3})
    monkeypatch.setattr(os, "getloadavg", lambda: (2.6, 0.0, 0.0))
    assert idle_cores()[0] == 1
    monkeypatch.setattr(os, "getloadavg", lambda: (0.2, 0.0, 0.0))
    assert idle_cores()[0] == 4
    monkeypatch.setattr(os, "getloadavg", lambda: (9.0, 0.0, 0.0))
    assert idle_cores()[0] == 1


def test_bench_help_explains_its_options(capsys):
    with pytest.raises(SystemExit):
        main(["bench", "--help"])
    out = capsys.readouterr().out
    assert "(default: 50)" in out and "(default: 5)" in out
