"""The demo's bounds on what one upload may cost and keep: memory, files, and what error messages reveal."""

import os
import subprocess
import sys
import time

import numpy as np
import pytest
from PIL import Image

from portraitseg.demo.processing import DEMO_MAX_PIXELS, process_photo
from portraitseg.effects import Effect
from portraitseg.demo.ui import forget_old_results, user_message
from portraitseg.errors import ImageReadError

PEAK_SCRIPT = """
import sys

def high_water_mb():  # the process's own peak (getrusage's ru_maxrss survives exec: it can report pytest's size)
    return next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:")) // 1024

from portraitseg.api import load
from portraitseg.demo.processing import process_photo
from portraitseg.effects import Effect
segmenter = load(sys.argv[2])
before = high_water_mb()
result = process_photo(sys.argv[1], segmenter)
shown = Effect("blur", softness=0.2).preview(result.image, result.prob)
cut = Effect("cutout").preview(result.image, result.prob)
print(shown.shape[0] * shown.shape[1], before, high_water_mb())
"""


@pytest.mark.slow
def test_a_huge_upload_is_processed_at_a_bounded_size_and_memory(tmp_path, tiny_checkpoint):
    """A 0.5 MB PNG of 9500x9500 (90 megapixels, under the reader's 100 MP limit) once took the server to 6 GB."""
    huge = tmp_path / "huge.png"
    Image.new("RGB", (9500, 9500), (120, 90, 60)).save(huge)
    result = subprocess.run([sys.executable, "-c", PEAK_SCRIPT, str(huge), str(tiny_checkpoint)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    pixels, before_mb, peak_mb = map(int, result.stdout.split())
    print(f"9500x9500 upload: processed at {pixels / 1e6:.1f} MP, peak RSS {peak_mb} MB (after loading {before_mb})")
    assert 0.9 * DEMO_MAX_PIXELS < pixels <= DEMO_MAX_PIXELS
    assert peak_mb < 1500


def test_small_photos_keep_their_size(tmp_path, tiny_checkpoint):
    import portraitseg

    photo = tmp_path / "p.jpg"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (300, 200, 3), np.uint8)).save(photo)
    result = process_photo(photo, portraitseg.load(tiny_checkpoint))
    assert result.image.shape == (300, 200, 3) and result.prob.shape == (300, 200) and result.name == "p.jpg"
    assert Effect("blur").preview(result.image, result.prob).shape == (300, 200, 3)


def test_messages_name_the_users_file_not_the_servers_path():
    path = "/tmp/gradio/3f9a0c/holiday photo.jpg"
    message = user_message(ImageReadError(f"{path}: corrupt or truncated image (broken data)"), path)
    assert message == "holiday photo.jpg: corrupt or truncated image (broken data)" and "/tmp" not in message


def test_result_files_are_forgotten_after_their_time(tmp_path):
    old, new = tmp_path / "old", tmp_path / "new"
    for folder in (old, new):
        folder.mkdir()
        (folder / "cutout.png").write_bytes(b"png")
    an_hour_ago = time.time() - 3600
    os.utime(old, (an_hour_ago, an_hour_ago))
    forget_old_results(tmp_path, max_age_s=600)
    assert not old.exists() and (new / "cutout.png").is_file()
