import json
import os
import signal
import subprocess
import sys
import time

import pytest
from PIL import Image

from tests.helpers import require_train_extra

require_train_extra()

import torch  # noqa: E402
from safetensors.torch import load_file  # noqa: E402

from portraitseg.errors import PortraitsegError  # noqa: E402
from portraitseg.trainers.config import build_config  # noqa: E402
from portraitseg.trainers.loop import Trainer, lr_factor  # noqa: E402
from tests.helpers import TINY, tiny_run  # noqa: E402


def test_loss_falls_on_a_tiny_synthetic_set(synthetic_data, tmp_path):
    trainer = Trainer(tiny_run(synthetic_data, tmp_path / "run", epochs=6, lr=3e-3), progress=False)
    history = trainer.fit()
    assert len(history) == 6
    assert history[-1]["train_loss"] < 0.8 * history[0]["train_loss"]
    for name in ("log.jsonl", "log.csv", "curves.png", "state.pt", "best/model.safetensors", "best/metrics.json",
                 "last/config.json", "train_config.yaml"):
        assert (tmp_path / "run" / name).is_file(), name
    assert [json.loads(l)["epoch"] for l in (tmp_path / "run" / "log.jsonl").read_text().splitlines()] == list(range(1, 7))
    for row in history:  # the data loader's share of each epoch's step time is logged (workers=0: loading is wait)
        assert 0 <= row["data_wait_seconds"] <= row["train_seconds"] + 0.01 and 0 <= row["data_wait_share"] <= 1
    assert sum(row["data_wait_seconds"] for row in history) > 0


def test_a_light_decoder_run_trains_and_resumes_only_with_the_same_decoder(synthetic_data, tmp_path):
    light = dict(decoder="light", decoder_channels=[16, 16, 8], decoder_convs=1)
    history = Trainer(tiny_run(synthetic_data, tmp_path / "run", epochs=2, lr=3e-3, **light), progress=False).fit()
    assert history[-1]["train_loss"] < history[0]["train_loss"]
    assert json.loads((tmp_path / "run" / "best" / "config.json").read_text())["decoder"] == "light"
    changed = Trainer(tiny_run(synthetic_data, tmp_path / "run", epochs=3,
                               **dict(light, decoder_params={"stride": 8}, decoder_channels=[16, 16])), progress=False)
    with pytest.raises(PortraitsegError, match=r"settings changed since it was written: \['decoder_params', "
                                               r"'decoder_channels'\]"):
        changed.resume()


def test_selection_sets_are_scored_each_epoch_and_pick_the_best(synthetic_data, tmp_path):
    from tests.helpers import make_dataset

    people = make_dataset(tmp_path / "people", 6, seed=5)
    empty = make_dataset(tmp_path / "empty", 4, seed=6)
    for mask in (empty / "masks").iterdir():
        Image.new("L", Image.open(mask).size).save(mask)
    trainer = Trainer(tiny_run(synthetic_data, tmp_path / "run", epochs=3, selection_people=str(people),
                               selection_empty=str(empty), canvases=[[64, 32], [32, 64], [64, 64]]), progress=False)
    history = trainer.fit()
    for row in history:
        assert row["people_images"] == 6 and 0 <= row["empty_person_share"] <= 100
        assert row["selection"] == pytest.approx((row["val_miou"] + row["people_miou"]) / 2
                                                 - row["empty_person_share"])
    best = max(history, key=lambda r: r["selection"])
    assert json.loads((tmp_path / "run" / "best" / "metrics.json").read_text())["epoch"] == best["epoch"]


def test_init_from_starts_from_every_weight_of_a_checkpoint(synthetic_data, tmp_path, tiny_checkpoint):
    from portraitseg.errors import PortraitsegError

    trainer = Trainer(tiny_run(synthetic_data, tmp_path / "run", epochs=1, init_from=str(tiny_checkpoint)),
                      progress=False)
    source = load_file(str(tiny_checkpoint / "model.safetensors"))
    for key, value in trainer.model.state_dict().items():
        torch.testing.assert_close(value, source[key], msg=key)
    with pytest.raises(PortraitsegError, match="same architecture"):
        Trainer(tiny_run(synthetic_data, tmp_path / "other", decoder_channels=[16, 16, 8, 8],
                         init_from=str(tiny_checkpoint)), progress=False)


def test_a_teacher_adds_its_agreeing_pixels_to_the_loss(synthetic_data, tmp_path, tiny_checkpoint):
    """With the start as its teacher (in eval mode), a batch's loss grows by exactly the distillation term."""
    settings = dict(epochs=1, init_from=str(tiny_checkpoint), channels_last=False, precision="fp32")
    plain = Trainer(tiny_run(synthetic_data, tmp_path / "plain", **settings), progress=False)
    taught = Trainer(tiny_run(synthetic_data, tmp_path / "taught", teacher=str(tiny_checkpoint), teacher_weight=0.5,
                              **settings), progress=False)
    assert taught.teacher is not None and not any(p.requires_grad for p in taught.teacher.parameters())
    images, labels, _ = next(iter(plain._loader()))
    with torch.no_grad():
        base, logits = plain._compute_loss(images, labels)
        total, _ = taught._compute_loss(images, labels)
        teacher_logits = taught.teacher(images)
    from portraitseg.trainers.data import split_label
    from portraitseg.trainers.losses import agreeing_distillation

    target, valid = split_label(labels)
    expected = base + 0.5 * agreeing_distillation(logits, teacher_logits, target, valid)
    torch.testing.assert_close(total, expected)
    with pytest.raises(PortraitsegError, match="teacher_weight"):
        build_config(None, {"teacher_weight": -1})


def test_schedules_warm_up_then_decay():
    assert lr_factor(0, 100, 10, "cosine") == pytest.approx(0.1)
    assert lr_factor(10, 100, 10, "cosine") == pytest.approx(1.0)
    assert lr_factor(100, 100, 10, "cosine") == pytest.approx(0.01)
    assert lr_factor(55, 100, 10, "poly") == pytest.approx(0.5 ** 0.9)


def test_bad_settings_are_refused(synthetic_data, tmp_path):
    from portraitseg.errors import PortraitsegError

    with pytest.raises(PortraitsegError, match="unknown training settings"):
        build_config(None, {"epoch": 3})
    assert build_config(None, {"input_size": [256, 192]}).train_size == [256, 192]  # the old name still reads
    with pytest.raises(PortraitsegError, match="input_size is the old name of train_size"):
        build_config(None, {"input_size": [256, 192], "train_size": [256, 192]})
    with pytest.raises(PortraitsegError, match="train_size"):
        build_config(None, {"train_size": [100, 64]})
    for bad in (["a", 64], "256", [256, None]):
        with pytest.raises(PortraitsegError, match="invalid training settings"):
            build_config(None, {"train_size": bad})
    with pytest.raises(PortraitsegError, match="canvases"):
        build_config(None, {"canvases": [[224, 160]]})  # its long side is not train_size's
    with pytest.raises(PortraitsegError, match="may not read files"):
        build_config(None, {"encoder_params": {"pretrained": "/tmp/x.pth"}})


def _cli(*args):
    return [sys.executable, "-m", "portraitseg", "train", *args]


@pytest.mark.slow
def test_a_killed_run_resumes_and_ends_where_an_uninterrupted_one_does(synthetic_data, tmp_path):
    settings = ["--data", str(synthetic_data), "--epochs", "3", "--no-progress", "--set", "save_every_steps=1"]
    settings += [item for key, value in TINY.items() if key != "augmentations"
                 for item in ("--set", f"{key}={json.dumps(value)}")]
    settings += ["--augment", "hflip:p=0.5", "--augment", "brightness:p=0.5"]
    subprocess.run(_cli(*settings, "-o", str(tmp_path / "straight")), check=True, capture_output=True)

    killed = tmp_path / "killed"
    proc = subprocess.Popen(_cli(*settings, "-o", str(killed)), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline and not (killed / "log.jsonl").is_file():
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    epochs_before = len((killed / "log.jsonl").read_text().splitlines())
    assert epochs_before < 3, "the run finished before it could be killed"
    subprocess.run(_cli(*settings, "-o", str(killed), "--resume"), check=True, capture_output=True)

    straight = load_file(str(tmp_path / "straight" / "last" / "model.safetensors"))
    resumed = load_file(str(killed / "last" / "model.safetensors"))
    for key in straight:
        torch.testing.assert_close(resumed[key], straight[key], rtol=1e-5, atol=1e-6, msg=key)
    rows = [json.loads(l) for l in (killed / "log.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in rows] == [1, 2, 3]


@pytest.mark.slow
def test_two_process_ddp_on_cpu(synthetic_data, tmp_path):
    out = tmp_path / "ddp"
    args = ["--data", str(synthetic_data), "-o", str(out), "--epochs", "2", "--no-progress"]
    args += [item for key, value in TINY.items() for item in ("--set", f"{key}={json.dumps(value)}")]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    result = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
                             "-m", "portraitseg", "train", *args], env=env, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    rows = [json.loads(l) for l in (out / "log.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in rows] == [1, 2]  # one log, written by rank 0 only
    # 18 training pairs sharded over 2 ranks: 9 each, so 2 batches of 4 per rank, 16 images per epoch in all
    assert [(r["processes"], r["train_images"]) for r in rows] == [(2, 16), (2, 16)]
    assert result.stderr.count("training on 18 pairs") == 1
    assert (out / "best" / "model.safetensors").is_file()


@pytest.mark.slow
def test_short_real_run_overfits_32_eg1800_pairs(data_root, imagenet_weights, tmp_path):
    from portraitseg.segmenter import Segmenter
    from portraitseg.evaluation.data import find_pairs
    from portraitseg.evaluation.evaluate import evaluate
    from portraitseg.zoo.runtimes.torch_backend import TorchBackend

    first_32 = tmp_path / "first_32.txt"
    first_32.write_text("\n".join(p.name for p in find_pairs(data_root / "eg1800")[:32]))
    config = build_config(None, dict(
        data=[f"{data_root / 'eg1800'}@{first_32}"], output=str(tmp_path / "real"), train_size=[128, 96],
        batch_size=8, epochs=8, lr=2e-3, warmup_steps=4, val_fraction=0.0, workers=1, augmentations=[],
        canvases=[[128, 96]], pretrained=str(imagenet_weights), max_steps_per_epoch=4, max_val_images=0))
    trainer = Trainer(config, progress=False)
    assert len(trainer.train_pairs) == 32

    def train_iou():
        segmenter = Segmenter.from_config(TorchBackend(trainer.model, "cpu"), trainer.model_config)
        return evaluate(segmenter, trainer.train_pairs, progress=False)["miou"]

    before = train_iou()
    started = time.perf_counter()
    trainer.fit()
    after = train_iou()
    print(f"training mIoU on 32 EG1800 pairs: {before:.1f} -> {after:.1f} in {time.perf_counter() - started:.0f} s")
    assert after > before + 25 and after > 85


@pytest.mark.slow
def test_ctrl_c_saves_the_state_and_exits_cleanly(synthetic_data, tmp_path):
    """Ctrl-C as a terminal sends it: to the whole process group, data-loading worker included."""
    out = tmp_path / "interrupted"
    args = ["--data", str(synthetic_data), "-o", str(out), "--epochs", "50", "--no-progress"]
    args += [item for key, value in {**TINY, "workers": 1}.items() for item in ("--set", f"{key}={json.dumps(value)}")]
    proc = subprocess.Popen(_cli(*args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    deadline = time.time() + 120
    while time.time() < deadline and not (out / "log.jsonl").is_file():
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr[-2000:]
    assert "state saved" in stderr and "--resume" in stderr
    state = torch.load(out / "state.pt", weights_only=True)
    assert 1 <= state["epoch"] < 50
