"""Every code block of the README runs as written: the Python blocks against a sample photo, the command lines
that need no camera, Hub account, server or long training run. A traceback or a non-zero exit fails."""

import os
import re
import shlex
import shutil
import subprocess
import sys

import pytest

from tests.helpers import EXAMPLES, REPO

BLOCK = re.compile(r"```(python|bash)\n(.*?)```", re.S)
# command lines left out, and why (each is covered elsewhere or cannot run here)
NOT_RUN = {
    "scripts/setup.sh": "installs the project (what CI itself runs)",
    "pip install": "installs packages",
    "portraitseg train": "a training run (tests/test_trainer.py runs short ones)",
    "torchrun": "a distributed training run (tests/test_trainer.py)",
    "portraitseg demo": "a server (tests/test_demo.py drives it in a browser)",
    "portraitseg webcam": "needs a camera (tests/test_webcam_cli.py uses a video file)",
    "portraitseg push": "needs a Hub account (tests/test_hub.py checks the upload calls)",
    "hf://": "needs the Hub (tests/test_hub.py serves one locally)",
    "runs/": "needs a training run's output",
    "python benchmarks/": "a benchmark (minutes; prints figures, asserts nothing)",
    "ray start": "a cluster",
    "RAY_ADDRESS": "a cluster",
    "s3://": "an object store (tests/test_batch.py runs batch on local folders)",
}
BLOCKS = BLOCK.findall((REPO / "README.md").read_text())


def commands() -> list[str]:
    lines = []
    for language, body in BLOCKS:
        if language == "bash":
            lines += [re.sub(r"\s+#.*$", "", line).strip() for line in body.splitlines()
                      if line.strip() and not line.strip().startswith("#")]
    return lines


@pytest.fixture
def workdir(tmp_path):
    """A folder holding what the README's examples name: photo.jpg, beach.jpg and photos/."""
    shutil.copy(EXAMPLES / "grace_hopper.jpg", tmp_path / "photo.jpg")
    shutil.copy(EXAMPLES / "doctor-5871743_640.jpg", tmp_path / "beach.jpg")
    (tmp_path / "photos").mkdir()
    for name in ("astronaut.png", "girl-919048_1280.jpg"):
        shutil.copy(EXAMPLES / name, tmp_path / "photos" / name)
    return tmp_path


def test_the_readme_has_the_blocks_this_test_runs():
    assert sum(language == "python" for language, _ in BLOCKS) >= 2
    runnable = [c for c in commands() if not any(key in c for key in NOT_RUN)]
    assert len(runnable) >= 6, runnable


def test_the_python_blocks_run(workdir):
    code = "\n".join(body for language, body in BLOCKS if language == "python" and 'load("hf://' not in body)
    result = subprocess.run([sys.executable, "-c", code], cwd=workdir, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Segmenter(" in result.stdout


@pytest.mark.slow
@pytest.mark.parametrize("command", [c for c in commands() if not any(key in c for key in NOT_RUN)])
def test_the_command_lines_run(command, workdir, data_root):
    argv = shlex.split(command)
    assert argv[0] == "portraitseg", command
    env = {**os.environ, "PORTRAITSEG_DATA": str(data_root)}
    result = subprocess.run([sys.executable, "-m", "portraitseg", *argv[1:]], cwd=workdir, capture_output=True,
                            text=True, timeout=600, env=env)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr[-3000:]


def test_the_parameter_count_the_readme_quotes_is_the_bundled_models():
    pytest.importorskip("torch", reason="counting parameters builds the model: pip install 'portraitseg[train]'")
    from portraitseg.zoo.catalog import bundled_models
    from portraitseg.zoo.checkpoint import load_checkpoint
    from portraitseg.zoo.complexity import count_parameters

    model, _ = load_checkpoint(bundled_models()["portrait-unet-mnv2"])
    quoted = re.search(r"default has ([\d.]+) million", (REPO / "README.md").read_text()).group(1)
    assert quoted == f"{count_parameters(model) / 1e6:.2f}"
