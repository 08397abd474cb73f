import numpy as np
import pytest
from PIL import Image

from portraitseg.errors import ImageReadError
from portraitseg.image_io import list_images, read_image, to_rgb8


def test_grayscale_rgba_and_palette_files_become_rgb(tmp_path):
    gray = np.arange(40 * 30, dtype=np.uint8).reshape(40, 30)
    Image.fromarray(gray).save(tmp_path / "g.png")
    rgba = np.dstack([np.full((40, 30, 3), 200, np.uint8), np.zeros((40, 30), np.uint8)])
    Image.fromarray(rgba).save(tmp_path / "a.png")
    Image.fromarray(gray).convert("P").save(tmp_path / "p.png")
    g, a, p = (read_image(tmp_path / n) for n in ("g.png", "a.png", "p.png"))
    assert g.shape == (40, 30, 3) and (g[..., 0] == gray).all()
    assert a.shape == (40, 30, 3) and (a == 200).all()  # alpha dropped, colour kept
    assert p.shape == (40, 30, 3) and p.dtype == np.uint8


def test_16bit_png_is_scaled_not_clipped(tmp_path):
    data = np.full((10, 12), 65535, np.uint16)
    data[:, :6] = 257 * 100
    Image.fromarray(data).save(tmp_path / "deep.png")
    out = read_image(tmp_path / "deep.png")
    assert out[0, 0, 0] == 100 and out[0, -1, 0] == 255


def test_exif_orientation_is_applied(tmp_path):
    image = np.zeros((20, 40, 3), np.uint8)
    image[:, :20] = 255  # left half white
    pil = Image.fromarray(image)
    exif = pil.getexif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise when displayed
    pil.save(tmp_path / "rot.jpg", exif=exif, quality=100)
    out = read_image(tmp_path / "rot.jpg")
    assert out.shape == (40, 20, 3)
    assert out[:15].mean() > 200 and out[-15:].mean() < 50  # white half now on top


def test_corrupt_empty_missing_and_non_image_files_raise_clear_errors(tmp_path):
    (tmp_path / "empty.jpg").write_bytes(b"")
    (tmp_path / "text.png").write_text("not an image")
    Image.fromarray(np.zeros((50, 50, 3), np.uint8)).save(tmp_path / "ok.jpg")
    (tmp_path / "truncated.jpg").write_bytes((tmp_path / "ok.jpg").read_bytes()[:200])
    for name, reason in [("empty.jpg", "empty"), ("text.png", "not a readable image"),
                         ("truncated.jpg", "corrupt"), ("missing.jpg", "no such file")]:
        with pytest.raises(ImageReadError, match=reason):
            read_image(tmp_path / name)


def test_arrays_of_every_common_dtype():
    assert to_rgb8(np.ones((4, 5), np.float32)).max() == 255
    assert to_rgb8(np.full((4, 5, 1), 0.5, np.float64))[0, 0, 0] == 128
    assert to_rgb8(np.full((4, 5, 3), 65535, np.uint16))[0, 0, 0] == 255
    assert to_rgb8(np.zeros((4, 5, 4), np.uint8)).shape == (4, 5, 3)
    with pytest.raises(ImageReadError):
        to_rgb8(np.zeros((0, 5, 3), np.uint8))
    with pytest.raises(ImageReadError):
        to_rgb8(np.zeros((4, 5, 2), np.uint8))
    with pytest.raises(ImageReadError, match="NaN"):
        to_rgb8(np.full((4, 5, 3), np.nan, np.float32))


def test_pil_input_and_folder_listing(tmp_path):
    Image.new("RGB", (8, 6), "red").save(tmp_path / "b.png")
    Image.new("RGB", (8, 6), "red").save(tmp_path / "a.JPG")
    (tmp_path / "notes.txt").write_text("x")
    assert read_image(Image.new("L", (8, 6)))[..., 0].shape == (6, 8)
    assert [p.name for p in list_images([tmp_path])] == ["a.JPG", "b.png"]


def test_huge_images_are_refused_before_decoding(tmp_path):
    Image.new("L", (12_000, 9_000)).save(tmp_path / "huge.png")  # 108 M pixels, compresses to a few kB
    with pytest.raises(ImageReadError, match="too large"):
        read_image(tmp_path / "huge.png")
