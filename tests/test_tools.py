"""Every script and benchmark runs to its end on a tiny case (tiny models, synthetic photos, a few calls): they
broke once past argument parsing when the config format changed, and nothing noticed."""

import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from tests.helpers import EXAMPLES, REPO, make_dataset, require_train_extra, tiny_run

require_train_extra()

# Not run here: scripts/setup.sh is what CI itself runs first; benchmarks/peers.py is a module of adapters that
# compare.py and architectures.py import; benchmarks/browser.py is the browser driver the browser tests, the browser
# benchmarks and scripts/screenshots.py run on.
EXEMPT = {"scripts/setup.sh", "benchmarks/peers.py", "benchmarks/browser.py"}


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    """A synthetic labelled set with a split file and person-free photos (``splits/`` as the real sets have)."""
    root = make_dataset(tmp_path_factory.mktemp("tools") / "synthetic", 24, size=(96, 72))
    (root / "splits").mkdir()
    stems = sorted(p.stem for p in (root / "images").iterdir())
    (root / "splits" / "test.txt").write_text("\n".join(stems[:6]) + "\n")
    (root / "splits" / "with_people.txt").write_text("\n".join(stems[6:10]) + "\n")
    (root / "splits" / "no_people.txt").write_text("\n".join(stems[10:12]) + "\n")
    scenes = root.parent / "scenes" / "images"
    scenes.mkdir(parents=True)
    for i in range(2):
        Image.new("RGB", (120, 90), (30 * i, 90, 60)).save(scenes / f"scene{i}.jpg")
    return root


@pytest.fixture(scope="module")
def run(data, tmp_path_factory) -> Path:
    """A finished tiny training run (best/, logs, curves, train_config.yaml)."""
    from portraitseg.trainers.loop import train

    out = tmp_path_factory.mktemp("tools") / "run"
    train(tiny_run(data, out, epochs=1), progress=False)
    return out


def tool(args: list, cwd: Path, timeout: float = 600) -> str:
    result = subprocess.run([sys.executable, *map(str, args)], cwd=cwd, capture_output=True, text=True,
                            timeout=timeout)
    assert result.returncode == 0, f"{args[0]} failed:\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}"
    return result.stdout


def test_every_script_and_benchmark_has_a_test_here():
    source = Path(__file__).read_text()
    tools = {p.relative_to(REPO).as_posix() for folder in ("scripts", "benchmarks") for p in (REPO / folder).iterdir()
             if p.suffix in {".py", ".sh"}}
    untested = sorted(t for t in tools - EXEMPT if f'"{t}"' not in source)
    assert not untested, f"no tiny-case test for {untested}"


def test_train_throughput(tmp_path):
    out = tool([REPO / "benchmarks/train_throughput.py", "--sizes", "64", "--batch", "2", "--steps", "1"], tmp_path)
    assert out.count("   64 ") == 4


def test_architectures(data, tmp_path):
    out = tool([REPO / "benchmarks/architectures.py", "--encoders", "mobilenet_v2_050", "mediapipe_selfie", "--size",
                "64", "64", "--rounds", "1", "--calls", "1", "--threads", "1", "--train-steps", "1", "--train-pairs", "16",
                "--workers", "0", "--train-data", data, "--out", tmp_path / "pairs.md"], tmp_path)
    table = (tmp_path / "pairs.md").read_text()
    assert "| mobilenet_v2_050 | light |" in table and "| mobilenet_v2_050 | unet |" in table
    assert "| mediapipe_selfie | selfie |" in table  # the live model's pair
    assert "mobilenet_v2_050 + selfie: skipped" in out


def test_compare(data, tiny_checkpoint, tmp_path):
    from benchmarks.compare import KEPT_MARKER

    (tmp_path / "b.md").write_text(f"# an older run\n\n{KEPT_MARKER}\n\n## Memory\n\nkept figures\n")
    tool([REPO / "benchmarks/compare.py", "--data", data, "--split", "splits/test.txt", "--real-world", data,
          "--models", tiny_checkpoint, "--rounds", "1", "--calls", "1", "--out", tmp_path / "b.md", "--plot",
          tmp_path / "b.png"], tmp_path)
    text = (tmp_path / "b.md").read_text()
    assert "tiny-unet" in text and (tmp_path / "b.png").is_file()
    assert "an older run" not in text and text.endswith(f"{KEPT_MARKER}\n\n## Memory\n\nkept figures\n")


def test_compare_scores_the_body_crops(data_root, data, tiny_checkpoint, tmp_path):
    if not all((data_root / name / "images").is_dir() for name in ("voc_person_train", "ccp_train")):
        pytest.skip("voc_person_train and ccp_train are not in the real data")
    out = tool([REPO / "benchmarks/compare.py", "--data", data, "--split", "splits/test.txt", "--body-crops",
                "--models", tiny_checkpoint, "--rounds", "1", "--calls", "1", "--out", tmp_path / "b.md", "--plot",
                tmp_path / "b.png"], tmp_path)
    assert "body crops mIoU" in out and "Body crops: 160 close views" in (tmp_path / "b.md").read_text()


def test_edges(data, tiny_checkpoint, tmp_path):
    assert "guided" in tool([REPO / "benchmarks/edges.py", "-m", tiny_checkpoint, "--set", f"{data}@splits/test.txt"],
                            tmp_path)


def test_input_size(run, tmp_path):
    assert "64" in tool([REPO / "benchmarks/input_size.py", run, "--sizes", "64", "96"], tmp_path)


def test_video_stability(data, tiny_checkpoint, tmp_path):
    out = tool([REPO / "benchmarks/video_stability.py", "-m", tiny_checkpoint, "--data", data, "--split",
                "splits/test.txt", "--scenes", data.parent / "scenes", "--photos", "1", "--walkers", "1",
                "--long-side", "64"], tmp_path)
    assert "motion-aware" in out


def test_soup(run, tmp_path):
    tool([REPO / "scripts/soup.py", run / "best", run / "last", "--alpha", "0.5", "-o", tmp_path / "soup"], tmp_path)
    assert (tmp_path / "soup" / "model.safetensors").is_file()


def test_bundle_model(run, data, tmp_path):
    tool([REPO / "scripts/bundle_model.py", run, "tiny", "--data", data, "--split", "splits/test.txt",
          "--real-world", data, "--calibration", data, "--calibration-images", "4", "--command", "portraitseg train",
          "--live-long-side", "64", "--zoo", tmp_path / "zoo", "--docs", tmp_path / "docs", "--float-only",
          "--notice", REPO / "scripts" / "notices" / "mediapipe-selfie.NOTICE"], REPO)
    bundled = tmp_path / "zoo" / "tiny"
    for name in ("config.json", "model.onnx", "eval.json", "training.json", "README.md", "train_config.yaml",
                 "NOTICE"):
        assert (bundled / name).is_file(), name
    assert not (bundled / "model.int8.onnx").exists()  # --float-only
    assert "Starting weights and their licence" in (bundled / "README.md").read_text()
    assert (tmp_path / "docs" / "training" / "tiny" / "curves.png").is_file()


def test_convert_mediapipe_selfie(data_root, tmp_path):
    """The converter end to end on MediaPipe's own file: a checkpoint that loads and serves."""
    tflite = data_root.parent / "peers" / "selfie_segmentation.tflite"
    if not tflite.is_file():
        pytest.skip(f"{tflite} absent")
    pytest.importorskip("ai_edge_litert")
    out = tool([REPO / "scripts/convert_mediapipe_selfie.py", tflite, tmp_path / "mp", "--temperature", "8"], REPO)
    assert "106,401 parameters" in out
    from portraitseg.api import load

    prob = load(tmp_path / "mp", backend="torch")(EXAMPLES / "grace_hopper.jpg")
    assert 0.1 < float((prob > 0.5).mean()) < 0.9


def test_peers_loaded_at_two_thread_counts_stay_apart(data_root):
    """Loading the peers again at another thread count once rebound the first ones too, so a '1 thread' MediaPipe
    figure ran on 2."""
    sys.path.insert(0, str(REPO / "benchmarks"))
    from peers import load_peers

    pytest.importorskip("ai_edge_litert")
    one, two = load_peers(data_root.parent / "peers", 1), load_peers(data_root.parent / "peers", 2)
    mediapipe = [next(p for p in peers if p.file == "selfie_segmentation.tflite") for peers in (one, two)]
    assert mediapipe[0] is not mediapipe[1] and mediapipe[0].run is not mediapipe[1].run


def test_photo_path(tmp_path):
    out = tool([REPO / "benchmarks/photo_path.py", "--rounds", "1", "--outputs", "mask", "blur", "--size", "160",
                "120"], tmp_path)
    assert "| floor (decode + JPEG q90) |" in out and "| predict --output blur |" in out and "x |" in out


def test_live_model(data_root, tmp_path):
    peers = data_root.parent / "peers"
    if not (peers / "selfie_segmentation.tflite").is_file():
        pytest.skip(f"{peers} absent")
    pytest.importorskip("ai_edge_litert")
    out = tool([REPO / "benchmarks/live_model.py", "--peers", peers, "--rounds", "1", "--calls", "2",
                "--threads", "1"], tmp_path)
    assert "| portrait-live fp32 | 192x256 |" in out and "vs MediaPipe, 1 thr" in out


def test_pack_training_data(data, tmp_path):
    tool([REPO / "scripts/pack_training_data.py", f"{data}@splits/test.txt", "-o", tmp_path / "packed",
          "--long-side", "48"], tmp_path)
    packed = sorted((tmp_path / "packed" / "synthetic" / "images").iterdir())
    assert len(packed) == 6 and Image.open(packed[0]).size == (36, 48)


def test_cutout_figure(tmp_path):
    tool([REPO / "scripts/cutout_figure.py", "--photo", EXAMPLES / "grace_hopper.jpg", "-o", tmp_path / "fig.png"],
         tmp_path)
    assert (tmp_path / "fig.png").stat().st_size > 1000


@pytest.mark.slow
def test_batch_throughput(data, tmp_path):
    out = tool([REPO / "benchmarks/batch_throughput.py", "--photos", f"{data}@splits/test.txt", "--count", "4",
                "--json", tmp_path / "b.json"], tmp_path)
    assert "batch, 2 actors" in out and (tmp_path / "b.json").is_file()


@pytest.mark.slow
@pytest.mark.parametrize("where", ["browser", "server"])
def test_webcam_latency(playwright, tmp_path, where):
    out = tool([REPO / "benchmarks/webcam_latency.py", "--where", where, "--seconds", "3", "--warmup", "2"], REPO)
    assert "frames/s painted" in out and f"model in the {where}" in out and "CPU s per viewer-minute" in out


@pytest.mark.slow
def test_screenshots(playwright, tmp_path):
    tool([REPO / "scripts/screenshots.py", "--out", tmp_path], REPO)
    assert {p.name for p in tmp_path.glob("*.png")} >= {"photos.png", "webcam.png"}


@pytest.mark.slow
def test_install_footprint(tmp_path):
    out = tool([REPO / "benchmarks/install_footprint.py", "--extras", "cpu", "--runs", "1"], tmp_path, timeout=900)
    assert "| [cpu] | no |" in out and "MiB" in out


def test_memory(tmp_path):
    out = tool([REPO / "benchmarks/memory.py", "--sizes", "0.05", "--formats", "rgb8", "truncated", "--effects",
                "mask", "--no-demo"], tmp_path)
    rows = [line for line in out.splitlines() if line.startswith("| 0.05 MP")]
    assert len(rows) == 2 and "| mask | 0 |" in rows[0] and "| mask | 1 |" in rows[1], out


@pytest.mark.slow
def test_browser_inference(playwright, tmp_path):
    out = tool([REPO / "benchmarks/browser_inference.py", "--model", "portrait-unet-mnv2", "--sizes", "64x64",
                "--runs", "2"], REPO)
    assert "| model.onnx | 64x64 | 1 | yes |" in out, out
    if (REPO / "zoo/bundled/portrait-unet-mnv2/model.int8.onnx").is_file():
        assert "| model.int8.onnx | 64x64 | 2 | yes |" in out, out


def test_fetch_browser_runtime(tmp_path):
    """The pinned files in place are kept; a tarball that is not the pinned one is refused (scripts/setup.sh fetches
    the real one from the npm registry)."""
    import shutil

    installed = REPO / "demo" / "browser_runtime"
    if installed.is_dir():
        shutil.copytree(installed, tmp_path / "ort")
        out = tool([REPO / "scripts/fetch_browser_runtime.py", "--target", tmp_path / "ort"], tmp_path)
        assert "already in" in out
    (tmp_path / "fake.tgz").write_bytes(b"not the package")
    result = subprocess.run([sys.executable, REPO / "scripts/fetch_browser_runtime.py", "--target", tmp_path / "new",
                             "--tarball", tmp_path / "fake.tgz"], capture_output=True, text=True)
    assert result.returncode != 0 and "refusing it" in result.stderr and not (tmp_path / "new").exists()
