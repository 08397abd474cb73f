"""``portraitseg batch`` and ``portraitseg.ray.Segment`` on a real local Ray (2 CPUs, no dashboard) with the
bundled model: the same bytes as ``predict``, a manifest, resume, bad files recorded, an actor killed mid-job."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

ray = pytest.importorskip("ray", reason="Ray is not installed: pip install 'portraitseg[ray]'")
pq = pytest.importorskip("pyarrow.parquet", reason="pyarrow is not installed: pip install 'portraitseg[ray]'")

pytestmark = pytest.mark.slow
EXAMPLES = Path(__file__).resolve().parents[1] / "demo" / "examples"


@pytest.fixture(scope="module")
def local_ray():
    from portraitseg.batch import start_ray

    if not ray.is_initialized():
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    start_ray(None)  # the job's own quiet settings on the running Ray
    yield
    ray.shutdown()


def photos(folder: Path, count: int, side: int = 320) -> Path:
    """``count`` small real photos (the demo's examples, cycled and shrunk) in ``folder``."""
    folder.mkdir(parents=True)
    sources = sorted(p for p in EXAMPLES.iterdir() if p.suffix in {".jpg", ".png"})
    for i in range(count):
        with Image.open(sources[i % len(sources)]) as im:
            im = im.convert("RGB")
            im.thumbnail((side, side))
            im.save(folder / f"{i:03d}_{sources[i % len(sources)].stem}.jpg", quality=90)
    return folder


def manifest(out: Path) -> list[dict]:
    return pq.read_table(out / "manifest.parquet").to_pylist()


def predict(inputs: Path, out: Path, *options: str) -> int:
    return subprocess.run([sys.executable, "-m", "portraitseg", "predict", "-i", str(inputs), "-o", str(out),
                           *options], capture_output=True).returncode


@pytest.mark.parametrize("options", [("--output", "mask"), ("--output", "cutout", "--softness", "0.2"),
                                     ("--output", "blur", "--softness", "0.2")])  # blur of JPEGs: JPEG files
def test_batch_writes_the_same_bytes_as_predict_and_a_manifest(local_ray, tmp_path, options):
    from portraitseg.batch import BatchJob, run

    inputs = photos(tmp_path / "in", 6)
    (inputs / "broken.jpg").write_bytes(b"not a jpeg")
    assert predict(inputs, tmp_path / "predicted", *options) == 1  # the broken file
    effect = {"output": options[1], "softness": float(options[3]) if len(options) > 2 else 0.0}
    counts = run(BatchJob([str(inputs)], str(tmp_path / "batch"), effect, actors=2, batch_size=2, progress=False))
    assert counts == {"written": 6, "kept": 0, "failed": 1}
    suffix = ".jpg" if options[1] == "blur" else ".png"
    predicted = sorted(p.name for p in (tmp_path / "predicted").glob(f"*{suffix}"))
    assert sorted(p.name for p in (tmp_path / "batch").glob(f"*{suffix}")) == predicted and len(predicted) == 6
    for name in predicted:
        assert (tmp_path / "batch" / name).read_bytes() == (tmp_path / "predicted" / name).read_bytes(), name
    rows = manifest(tmp_path / "batch")
    assert len(rows) == 7 and len({r["input"] for r in rows}) == 7
    broken = next(r for r in rows if r["input"].endswith("broken.jpg"))
    assert broken["status"] == "failed" and "not a readable image" in broken["error"] and broken["output"] is None
    for row in rows:
        if row["status"] == "written":
            written = Path(row["output"])
            assert row["bytes"] == written.stat().st_size and 0 < row["person_share"] < 1 and row["seconds"] > 0
            with Image.open(row["input"]) as im:
                assert (row["width"], row["height"]) == im.size


def test_inputs_are_folders_globs_lists_and_uris(tmp_path):
    from portraitseg.errors import PortraitsegError
    from portraitseg.storage import list_inputs

    folder = photos(tmp_path / "photos", 3)
    (folder / "notes.txt").write_text("not an image")
    names = sorted(str(p) for p in folder.glob("*.jpg"))
    assert list_inputs(str(folder)) == names
    assert list_inputs(str(folder / "00[01]_*.jpg")) == names[:2]
    listing = tmp_path / "list.txt"
    listing.write_text(f"# a comment\nphotos/{Path(names[2]).name}\n\n{names[0]}\nfile://{names[1]}\n")
    assert list_inputs(str(listing)) == [names[2], names[0], f"file://{names[1]}"]  # relative to the list's folder
    assert list_inputs(f"file://{folder}") == [f"file://{n}" for n in names]  # through pyarrow's file system
    assert list_inputs(f"file://{folder}/*_grace_hopper.jpg") == [f"file://{n}" for n in names if "grace" in n]
    with pytest.raises(PortraitsegError, match="input not found"):
        list_inputs(str(tmp_path / "nowhere"))


def test_uris_take_the_object_store_path_and_give_the_same_bytes(local_ray, tmp_path):
    """file:// goes through pyarrow's file system as s3:// does: listing, reading, writing, the manifest."""
    from portraitseg.batch import BatchJob, run

    inputs = photos(tmp_path / "in", 3)
    assert predict(inputs, tmp_path / "predicted") == 0
    out = f"file://{tmp_path / 'uri-out'}"
    assert run(BatchJob([f"file://{inputs}"], out, {"output": "mask"}, actors=1, progress=False))["written"] == 3
    for path in (tmp_path / "predicted").glob("*.png"):
        assert (tmp_path / "uri-out" / path.name).read_bytes() == path.read_bytes()
    rows = manifest(tmp_path / "uri-out")
    expected = sorted(f"{out}/{p.name}" for p in (tmp_path / "predicted").glob("*.png"))
    assert sorted(r["output"] for r in rows) == expected
    assert run(BatchJob([f"file://{inputs}"], out, {"output": "mask"}, actors=1, progress=False))["kept"] == 3


def test_rerun_keeps_what_is_written_and_never_overwrites_an_input(local_ray, tmp_path):
    from portraitseg.batch import BatchJob, run

    folder = photos(tmp_path / "photos", 4)
    (folder / "000_astronaut.png").write_bytes((folder / "000_astronaut.jpg").read_bytes())  # a stem twice
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    job = BatchJob([str(folder)], str(folder), {"output": "mask"}, actors=1, progress=False)  # output = input folder
    assert run(job) == {"written": 5, "kept": 0, "failed": 0}
    assert all((folder / name).read_bytes() == data for name, data in before.items())  # no input touched
    assert {"000_astronaut_mask.png", "000_astronaut_mask-2.png"} <= {p.name for p in folder.iterdir()}
    first = {r["output"]: r for r in manifest(folder)}
    stamps = {p: os.stat(p).st_mtime_ns for p in first}
    os.remove(next(iter(first)))  # one output lost: only it is made again
    assert run(job) == {"written": 1, "kept": 4, "failed": 0}
    again = {r["output"]: r for r in manifest(folder)}
    assert again.keys() == first.keys()
    assert all(again[p]["person_share"] == pytest.approx(first[p]["person_share"]) for p in first)
    assert sum(os.stat(p).st_mtime_ns != stamps[p] for p in first) == 1


def test_segment_in_a_user_pipeline_matches_the_library(local_ray, tmp_path):
    import portraitseg
    from portraitseg.effects import Effect
    from portraitseg.ray import Segment

    from portraitseg.outputs import png_bytes

    folder = photos(tmp_path / "photos", 3, side=256)
    dataset = ray.data.read_images(str(folder), mode="RGB", include_paths=True)
    segmented = dataset.map_batches(Segment, fn_constructor_kwargs={"output": "blur"}, batch_size=2,
                                    compute=ray.data.ActorPoolStrategy(size=1), **Segment.resources())
    rows = segmented.take_all()
    segmenter = portraitseg.load()
    effect = Effect.from_options("blur", segmenter.threshold)
    assert len(rows) == 3
    for row in rows:
        prob = segmenter(row["image"])
        assert row["result"] == png_bytes(effect(row["image"], prob))  # the PNG predict writes
        assert (row["height"], row["width"]) == row["image"].shape[:2]
        assert row["person_share"] == pytest.approx(float((prob >= segmenter.threshold).mean()))

    # the docs' pipeline: its Parquet output reads back with plain pandas and pyarrow, and with Ray
    import pandas as pd
    import pyarrow.parquet as pq

    segmented.drop_columns(["image"]).write_parquet(str(tmp_path / "out"))
    by_path = {row["path"]: row["result"] for row in rows}
    for table in (pd.read_parquet(tmp_path / "out"), pq.read_table(tmp_path / "out").to_pandas(),
                  ray.data.read_parquet(str(tmp_path / "out")).to_pandas()):
        assert sorted(table.columns) == ["height", "path", "person_share", "result", "width"]
        assert {path: bytes(data) for path, data in zip(table["path"], table["result"])} == by_path


def _actor_pids() -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if b"SegmentFiles" in (entry / "cmdline").read_bytes():
                    pids.append(int(entry.name))
            except OSError:
                pass
    return pids


def test_an_actor_killed_mid_job_is_replaced_and_every_output_is_written_once(tmp_path):
    """The CLI on a fresh local Ray; one actor process is killed (SIGKILL) once outputs start to appear. The driver
    is paused (SIGSTOP) from then until the kill, so the job cannot end before it, however fast the machine."""
    inputs = photos(tmp_path / "in", 40, side=480)
    out = tmp_path / "out"
    env = {**os.environ, "RAY_ADDRESS": ""}
    job = subprocess.Popen([sys.executable, "-m", "portraitseg", "batch", "-i", str(inputs), "-o", str(out),
                            "--actors", "2", "--batch-size", "2"], env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and job.poll() is None and len(list(out.glob("*.png"))) < 4:
            time.sleep(0.05)
        job.send_signal(signal.SIGSTOP)
        assert job.poll() is None, "the job ended before outputs could be counted"
        victims = _actor_pids()
        assert victims, "no actor was found"
        os.kill(victims[0], signal.SIGKILL)
        done_at_kill = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in out.glob("*.png")}
        job.send_signal(signal.SIGCONT)
        log, _ = job.communicate(timeout=300)
    finally:
        job.kill()
    assert job.returncode == 0, log
    assert victims[0] not in _actor_pids()
    rows = manifest(out)
    assert sorted(r["input"] for r in rows) == sorted(str(p) for p in inputs.iterdir())
    assert {r["status"] for r in rows} <= {"written", "kept"}
    assert sorted(Path(r["output"]).name for r in rows) == sorted(p.name for p in out.glob("*.png"))
    assert len(list(out.glob("*.png"))) == 40
    for path, stamp in done_at_kill.items():  # what was written before the kill was not written again
        assert (path.stat().st_ino, path.stat().st_mtime_ns) == stamp, path


def test_the_command_is_quiet_and_says_where_rays_logs_are(tmp_path):
    """Ray's notices and its C++ workers' log lines stay out of the terminal (tqdm's bar and the summary only)."""
    inputs = photos(tmp_path / "in", 3, side=128)
    result = subprocess.run([sys.executable, "-m", "portraitseg", "batch", "-i", str(inputs), "-o",
                             str(tmp_path / "out")], env={**os.environ, "RAY_ADDRESS": ""}, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    noise = [line for line in result.stderr.splitlines() if "core_worker" in line or "WARNING" in line
             or "INFO" in line or "Token authentication" in line]
    assert not noise, noise
    assert "3 written" in result.stdout and "Ray's logs: " in result.stdout
