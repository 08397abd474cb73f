"""The common training loop: any registered encoder, loss and augmenters; resumable; DDP under torchrun."""

from __future__ import annotations

import contextlib
import inspect
import json
import logging
import math
import os
import sys
import time
from pathlib import Path
from typing import Any

import torch
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader
from tqdm.auto import tqdm

from portraitseg.augment.pipeline import Pipeline
from portraitseg.errors import PortraitsegError
from portraitseg.plugins import get_registry
from portraitseg.segmenter import Segmenter
from portraitseg.thresholds import label_person
from portraitseg.datapaths import resolve_data_dir
from portraitseg.trainers.config import RECIPE, TrainConfig, dump_config, renamed_settings
from portraitseg.evaluation.body_crops import BODY_CROPS, body_crop_pairs, body_crop_view, held_out_names
from portraitseg.evaluation.data import check_pairs, find_pairs, split_validation
from portraitseg.image_io import read_mask
from portraitseg.trainers.data import TrainingSet, split_label
from portraitseg.trainers.distributed import (DistInfo, EpochSampler, average_scores, barrier, init_distributed,
                                              shutdown)
from portraitseg.trainers.ema import EMA
from portraitseg.trainers.interrupt import StopRequest, ignore_ctrl_c_in_worker
from portraitseg.trainers.losses import agreeing_distillation
from portraitseg.evaluation.evaluate import evaluate
from portraitseg.trainers.records import plot_curves, write_logs
from portraitseg.trainers.sampling import CanvasBatchSampler, HardNegatives
from portraitseg.trainers.selection import selection_score
from portraitseg.atomic import atomic_write, atomic_write_bytes
from portraitseg.zoo.checkpoint import load_checkpoint, save_checkpoint
from portraitseg.zoo.config import ARCHITECTURE_FIELDS
from portraitseg.zoo.onnx_contract import TRAIN_CONFIG_NAME
from portraitseg.zoo.runtimes.torch_backend import TorchBackend
from portraitseg.zoo.model import build_model

log = logging.getLogger(__name__)
STATE_NAME = "state.pt"
# Settings that define the model or the data order: a resumed run must not change them.
_FROZEN_ON_RESUME = ARCHITECTURE_FIELDS + (
    "data", "val_fraction", "train_size", "serve_long_side", "canvases", "canvas_weights", "cache_side", "batch_size",
    "accumulate", "seed", "augmentations", "loss", "loss_params", "hard_negatives", "teacher", "teacher_weight")


def resolve_precision(precision: str, device: torch.device) -> torch.dtype | None:
    """The autocast dtype, or None for fp32. ``auto``: bf16 on CUDA where supported, else fp16; on the CPU, bf16
    where the CPU has native bf16 matrix units (AMX / AVX512-BF16, measured faster by benchmarks/train_throughput.py),
    else fp32."""
    if precision == "fp32":
        return None
    if precision == "bf16":
        return torch.bfloat16
    if precision == "fp16":
        return torch.float16
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.bfloat16 if torch.backends.mkldnn.is_available() and _cpu_has_bf16() else None


def _cpu_has_bf16() -> bool:
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "amx_bf16" in flags or "avx512_bf16" in flags


def lr_factor(step: int, total: int, warmup: int, schedule: str) -> float:
    """Linear warm-up, then cosine (to 1% of the peak) or poly (power 0.9) decay."""
    if warmup and step < warmup:
        return (step + 1) / warmup
    progress = min(1.0, (step - warmup) / max(1, total - warmup))
    if schedule == "poly":
        return (1 - progress) ** 0.9
    return 0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * progress))


def pairs_of(entry: str, on_bad: str) -> list:
    """The checked pairs of one ``DIR`` or ``DIR@SPLIT`` data entry."""
    root, _, split = entry.partition("@")
    return check_pairs(find_pairs(root, split or None), on_bad=on_bad)


def training_pairs_of(entry: str, on_bad: str) -> list:
    """:func:`pairs_of` less the photos the body-crop validation set is cut from."""
    pairs = pairs_of(entry, on_bad)
    held_out = held_out_names(resolve_data_dir(entry.partition("@")[0]))
    kept = [p for p in pairs if p.name not in held_out]
    if len(kept) < len(pairs):
        log.info("%s: %d photos left out for the body-crop validation set", entry, len(pairs) - len(kept))
    return kept


def collect_pairs(config: TrainConfig):
    """Training and validation pairs over every ``data`` entry, each split with the same seed."""
    train, val = [], []
    for entry in config.data:
        pairs = training_pairs_of(entry, config.on_bad)
        t, v = split_validation(pairs, config.val_fraction, config.seed)
        train += t
        val += v
    if not train:
        raise PortraitsegError(f"no training pairs found in {config.data}")
    return train, val


def split_person_free(pairs: list) -> tuple[list, list]:
    """(pairs with people, person-free pairs): validation scores the first by IoU, the second by painted share."""
    empty = [not read_mask(p.mask).any() for p in pairs]
    return [p for p, e in zip(pairs, empty) if not e], [p for p, e in zip(pairs, empty) if e]


def selection_sets(config: TrainConfig) -> dict[str, list]:
    """The selection sets' pairs by role ('people', 'empty', 'crops'). The recipe's own sets may be missing (a
    user's data has no coco128_person): then they are left out, as logged; a set named on purpose must exist."""
    found = {}
    if config.selection_crops:
        if config.selection_crops != BODY_CROPS:
            raise PortraitsegError(f"selection_crops: {config.selection_crops!r} is not a view set; use "
                                   f"{BODY_CROPS!r} or null")
        try:
            found["crops"] = check_pairs(body_crop_pairs(), on_bad=config.on_bad)
        except PortraitsegError as exc:
            log.info("selection_crops: the body-crop photos are not at hand (%s); selection goes without them", exc)
    for role, key in (("people", "selection_people"), ("empty", "selection_empty")):
        entry = getattr(config, key)
        if not entry:
            continue
        folder = resolve_data_dir(entry.partition("@")[0])
        if entry == RECIPE[key] and not (folder / "images").is_dir():
            log.info("%s: the recipe's %s is not at %s; selection uses the held-out pairs only", key, entry, folder)
            continue
        found[role] = pairs_of(entry, config.on_bad)
    return found


class Trainer:
    """Holds the run's state; :meth:`fit` trains to ``config.epochs`` and can be resumed from ``state.pt``."""

    def __init__(self, config: TrainConfig, progress: bool = True) -> None:
        self.config = config
        self.dist: DistInfo = init_distributed()
        self.out = Path(config.output)
        self.progress = progress and self.dist.is_main
        torch.manual_seed(config.seed)
        self.device = torch.device(f"cuda:{self.dist.local_rank}" if torch.cuda.is_available() else "cpu")
        self.autocast_dtype = resolve_precision(config.precision, self.device)
        self._build_model()
        self._build_data()
        self._build_objective()
        self._build_optimisation()
        self.epoch = 0
        self.batches_done = 0
        self.global_step = 0
        self.best_score = -math.inf
        self.history: list[dict[str, Any]] = []
        self.stop = StopRequest()

    def _build_model(self) -> None:
        """The model of the config, its pretrained encoder or ``init_from`` weights, on the device."""
        config = self.config
        self.model_config = config.model_config()
        self.model = build_model(self.model_config, pretrained=config.pretrained)
        threshold = self.model_config.threshold  # the model's threshold, as a logit (hard-negative mining reads it)
        self.threshold_logit = math.log(threshold / (1 - threshold))
        if config.init_from:
            self._init_from(config.init_from)
        self.model = self.model.to(self.device)
        if config.channels_last:
            self.model = self.model.to(memory_format=torch.channels_last)
        self.teacher = self._load_teacher(config.teacher) if config.teacher else None

    def _load_teacher(self, directory: str) -> torch.nn.Module:
        """The frozen distillation teacher, on the device, in eval mode."""
        teacher = load_checkpoint(directory)[0].to(self.device).eval()
        if self.config.channels_last:
            teacher = teacher.to(memory_format=torch.channels_last)
        return teacher.requires_grad_(False)

    def _build_data(self) -> None:
        """Training pairs decoded once, the held-out and selection sets, the canvases and hard-negative mining."""
        config = self.config
        self.train_pairs, self.val_pairs = collect_pairs(config)
        if config.max_val_images is not None:
            self.val_pairs = self.val_pairs[: config.max_val_images]
        self.selection_sets = selection_sets(config)
        self.canvases = config.canvas_shapes()
        self.dataset = TrainingSet(self.train_pairs, tuple(config.train_size), self.model_config.output_stride,
                                   Pipeline(config.augmentations), config.seed, cache_side=config.cache_side,
                                   on_bad=config.on_bad, progress=self.progress)
        self.train_pairs = self.dataset.pairs
        self.val_people, self.val_empty = split_person_free(self.val_pairs)
        self.hard_negatives = HardNegatives(self.dataset.person_free) if config.hard_negatives else None

    def _build_objective(self) -> None:
        """The registered loss, refused when the data has ignore masks it cannot leave out."""
        config = self.config
        self.loss_fn = get_registry("losses").create(config.loss, **config.loss_params)
        self.loss_takes_valid = "valid" in inspect.signature(self.loss_fn).parameters
        if not self.loss_takes_valid and any(p.ignore for p in self.train_pairs):
            raise PortraitsegError(f"loss {config.loss!r} takes no valid= argument, so it cannot leave the pixels "
                                   "of the data's ignore/ masks out; use a built-in loss or add the argument")

    def _build_optimisation(self) -> None:
        """AdamW, the schedule over the run's steps, the gradient scaler, EMA and DDP."""
        config = self.config
        self.optimizer = torch.optim.AdamW(self.model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
        per_rank = -(-len(self.train_pairs) // self.dist.world_size)
        self.batches_per_epoch = per_rank // config.batch_size
        if config.max_steps_per_epoch:
            self.batches_per_epoch = min(self.batches_per_epoch, config.max_steps_per_epoch * config.accumulate)
        self.batches_per_epoch -= self.batches_per_epoch % config.accumulate
        if self.batches_per_epoch == 0:
            raise PortraitsegError(
                f"{len(self.train_pairs)} training pairs make no full batch of {config.batch_size} x "
                f"{config.accumulate} on {self.dist.world_size} processes; lower batch_size")
        total = config.epochs * self.batches_per_epoch // config.accumulate
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(
            self.optimizer, lambda s: lr_factor(s, total, config.warmup_steps, config.schedule))
        self.scaler = torch.amp.GradScaler(enabled=self.autocast_dtype == torch.float16 and self.device.type == "cuda")
        self.ema = EMA(self.model, config.ema) if config.ema else None
        self.ddp = DistributedDataParallel(self.model) if self.dist.enabled else None

    # ---- state -------------------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        return {
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(),
            "scaler": self.scaler.state_dict(),
            "ema": self.ema.state_dict() if self.ema else None,
            "epoch": self.epoch,
            "batches_done": self.batches_done,
            "global_step": self.global_step,
            "history": json.dumps(self.history),
            "config": json.dumps(self.config.to_dict()),
            "torch_rng": torch.get_rng_state(),
            "hard_negatives": json.dumps(self.hard_negatives.state_dict()) if self.hard_negatives else None,
        }

    def save_state(self) -> None:
        if self.dist.is_main:
            state = self.state_dict()
            atomic_write(self.out / STATE_NAME, lambda tmp: torch.save(state, tmp))

    def resume(self) -> bool:
        """Load ``state.pt`` from the output folder if there is one; returns whether it did."""
        path = self.out / STATE_NAME
        if not path.is_file():
            return False
        state = torch.load(path, map_location=self.device, weights_only=True)
        saved = {"decoder": "unet", "decoder_params": {}} | renamed_settings(json.loads(state["config"]))  # < 0.5.0
        changed = [k for k in _FROZEN_ON_RESUME if saved.get(k) != self.config.to_dict().get(k)]
        if changed:
            raise PortraitsegError(f"cannot resume {path}: settings changed since it was written: {changed}")
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        self.scaler.load_state_dict(state["scaler"])
        if self.ema and state["ema"] is not None:
            self.ema.load_state_dict(state["ema"])
        self.epoch, self.batches_done = state["epoch"], state["batches_done"]
        self.global_step = state["global_step"]
        self.best_score = best_on_disk(self.out / "best")
        self.history = json.loads(state["history"])
        if self.hard_negatives and state.get("hard_negatives"):
            self.hard_negatives.load_state_dict(json.loads(state["hard_negatives"]))
        torch.set_rng_state(state["torch_rng"].cpu())
        return True

    def _init_from(self, directory: str) -> None:
        """Start from every weight of a checkpoint of the same architecture (fine-tuning)."""
        source, source_config = load_checkpoint(directory)
        mine, theirs = self.model_config.architecture_dict(), source_config.architecture_dict()
        differs = [k for k in ARCHITECTURE_FIELDS if theirs[k] != mine[k]]
        if differs:
            raise PortraitsegError(f"init_from {directory}: its {differs} differ from this run's; fine-tuning needs "
                                   "the same architecture (use pretrained to take only its encoder)")
        self.model.load_state_dict(source.state_dict())

    # ---- training ----------------------------------------------------------------------------------------
    def _compute_loss(self, images: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The loss of a batch and its main logits (hard-negative mining reads them)."""
        net = self.ddp or self.model
        target, valid = split_label(labels)
        with torch.autocast(self.device.type, dtype=self.autocast_dtype or torch.float32,
                            enabled=self.autocast_dtype is not None):
            out = net(images)
        logits, aux = out if isinstance(out, tuple) else (out, None)
        loss = self._loss(logits, target, valid)
        if aux:
            loss = loss + self.config.aux_weight * sum(self._loss(a, target, valid) for a in aux) / len(aux)
        if self.teacher is not None:
            with torch.no_grad(), torch.autocast(self.device.type, dtype=self.autocast_dtype or torch.float32,
                                                 enabled=self.autocast_dtype is not None):
                teacher_logits = self.teacher(images)
            loss = loss + self.config.teacher_weight * agreeing_distillation(logits, teacher_logits, target, valid)
        return loss, logits

    def _loss(self, logits: torch.Tensor, target: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
        return self.loss_fn(logits, target, valid=valid) if self.loss_takes_valid else self.loss_fn(logits, target)

    def _record_hardness(self, logits: torch.Tensor, labels: torch.Tensor, indices: torch.Tensor) -> None:
        """For each person-free sample of the batch (nobody pasted in), the share of it painted as person."""
        with torch.no_grad():
            empty = label_person(labels).flatten(1).sum(1) == 0
            painted = (logits.detach().float() > self.threshold_logit).flatten(1).float().mean(1)
        for index, is_empty, share in zip(indices.tolist(), empty.tolist(), painted.tolist()):
            if is_empty:
                self.hard_negatives.update(index, share)

    def _set_encoder_frozen(self, frozen: bool) -> None:
        for p in self.model.encoder.parameters():
            p.requires_grad_(not frozen)

    def _loader(self) -> DataLoader:
        batch = self.config.batch_size
        order = self.hard_negatives.order(len(self.dataset), self.config.seed, self.epoch) if self.hard_negatives \
            else None
        sampler = EpochSampler(len(self.dataset), self.config.seed, self.epoch, self.dist.rank, self.dist.world_size,
                               skip=self.batches_done * batch, limit=(self.batches_per_epoch - self.batches_done) * batch,
                               order=order)
        batches = CanvasBatchSampler(sampler, batch, self.canvases, self.config.canvas_weights, self.config.seed,
                                     self.epoch, first_batch=self.batches_done)
        self.dataset.set_epoch(self.epoch)
        workers = self.config.workers
        return DataLoader(self.dataset, batch_sampler=batches, num_workers=workers, persistent_workers=False,
                          prefetch_factor=4 if workers else None, pin_memory=self.device.type == "cuda",
                          worker_init_fn=ignore_ctrl_c_in_worker if workers else None)

    def _train_epoch(self) -> dict[str, float]:
        cfg = self.config
        self.model.train()
        self._set_encoder_frozen(self.epoch < cfg.freeze_encoder_epochs)
        losses: list[float] = []
        started = time.perf_counter()
        seen, waited = 0, 0.0  # waited: seconds the step loop spent blocked on the data loader
        bar = tqdm(total=self.batches_per_epoch, initial=self.batches_done, desc=f"epoch {self.epoch + 1}/{cfg.epochs}",
                   unit="batch", disable=not self.progress, mininterval=1 if sys.stderr.isatty() else 30)
        asked = time.perf_counter()
        for images, labels, indices in self._loader():
            waited += time.perf_counter() - asked
            images, labels = images.to(self.device, non_blocking=True), labels.to(self.device, non_blocking=True)
            if cfg.channels_last:
                images = images.contiguous(memory_format=torch.channels_last)
            last_micro = (self.batches_done + 1) % cfg.accumulate == 0
            sync = contextlib.nullcontext() if (self.ddp is None or last_micro) else self.ddp.no_sync()
            with sync:
                loss, logits = self._compute_loss(images, labels)
                self.scaler.scale(loss / cfg.accumulate).backward()
            if self.hard_negatives:
                self._record_hardness(logits, labels, indices)
            losses.append(float(loss.detach()))
            seen += images.shape[0]
            self.batches_done += 1
            if last_micro:
                self.scaler.step(self.optimizer)
                self.scaler.update()
                self.optimizer.zero_grad(set_to_none=True)
                self.scheduler.step()
                if self.ema:
                    self.ema.update(self.model)
                self.global_step += 1
                if cfg.save_every_steps and self.global_step % cfg.save_every_steps == 0:
                    self.save_state()
            bar.update(1)
            bar.set_postfix(loss=f"{losses[-1]:.4f}", lr=f"{self.scheduler.get_last_lr()[0]:.2e}", refresh=False)
            if last_micro:
                self.stop.check()
            asked = time.perf_counter()
        bar.close()
        seconds = time.perf_counter() - started
        return {"train_loss": sum(losses) / max(1, len(losses)), "processes": self.dist.world_size,
                "train_images": seen * self.dist.world_size, "train_seconds": round(seconds, 1),
                "train_images_per_s": round(seen * self.dist.world_size / max(seconds, 1e-9), 2),
                "data_wait_seconds": round(waited, 3), "data_wait_share": round(waited / max(seconds, 1e-9), 3)}

    def validate(self) -> dict[str, float]:
        """Held-out and selection-set metrics, and the selection score that picks ``best/``."""
        model = self.ema.model if self.ema else self.model
        segmenter = Segmenter.from_config(TorchBackend(model, device=str(self.device)), self.model_config)
        sets = {"val": self.val_people, "val_empty": self.val_empty, "people": self.selection_sets.get("people"),
                "empty": self.selection_sets.get("empty"), "crops": self.selection_sets.get("crops")}
        metrics: dict[str, float] = {}
        try:
            for name, pairs in sets.items():
                if pairs:
                    view = body_crop_view if name == "crops" else None
                    result = evaluate(segmenter, pairs, progress=self.progress, view=view)
                    keys = ("person_share", "over_1pct") if name.endswith("empty") else (
                        "images", "miou", "dataset_iou", "boundary_f")
                    metrics.update({f"{name}_{k}": result[k] for k in keys})
        finally:
            self.model.train()
        if metrics:
            metrics["selection"] = selection_score(metrics)
        return metrics

    def _save_checkpoints(self, metrics: dict[str, Any]) -> None:
        weights = self.ema.model if self.ema else self.model
        save_checkpoint(weights, self.model_config, self.out / "last")
        score = metrics.get("selection", -math.inf)
        if score > self.best_score or not metrics:
            self.best_score = score
            best = save_checkpoint(weights, self.model_config, self.out / "best")
            atomic_write_bytes(best / "metrics.json", json.dumps(
                {"epoch": self.epoch, "split": "validation", **metrics}, indent=2).encode())
            atomic_write_bytes(best / TRAIN_CONFIG_NAME, dump_config(self.config).encode())

    def fit(self) -> list[dict[str, Any]]:
        """Train until ``config.epochs``; on Ctrl-C save the state at the last optimiser step and re-raise."""
        cfg = self.config
        if self.dist.is_main:
            self.out.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(self.out / TRAIN_CONFIG_NAME, dump_config(cfg).encode())
            log.info("training on %d pairs, validating on %d; %d batches per epoch; autocast %s; device %s",
                     len(self.train_pairs), len(self.val_pairs), self.batches_per_epoch, self.autocast_dtype,
                     self.device)
        try:
            with self.stop:
                self._fit_epochs()
        except KeyboardInterrupt:
            self.batches_done -= self.batches_done % cfg.accumulate
            self.save_state()
            log.warning("interrupted: state saved to %s; continue with --resume", self.out / STATE_NAME)
            raise
        finally:
            shutdown(self.dist)
        return self.history

    def _fit_epochs(self) -> None:
        """The epochs left: train, validate, save; Ctrl-C is acted on after a step or an epoch."""
        cfg = self.config
        while self.epoch < cfg.epochs:
            if self.hard_negatives and self.batches_done == 0:
                self.hard_negatives.start_epoch()
            stats = self._train_epoch()
            if self.hard_negatives:
                mined = self.hard_negatives
                mined.scores = average_scores(self.dist, mined.scores, mined.seen)
                if len(mined.scores):  # a data set without person-free pairs has nothing to mine
                    stats["hard_negative_mean_painted"] = round(100 * float(mined.scores.mean()), 3)
            metrics = self.validate() if self.dist.is_main else {}
            # bookkeeping first, in memory, so an interruption from here on resumes at the next epoch
            row = {"epoch": self.epoch + 1, **stats, "lr": self.scheduler.get_last_lr()[0],
                   **metrics}
            self.history.append(row)
            self.epoch += 1
            self.batches_done = 0
            self.save_state()  # first: once a run has files, it has a state to resume from
            if self.dist.is_main:
                self._save_checkpoints(metrics)
                write_logs(self.history, self.out)
                plot_curves(self.history, self.out / "curves.png")
                log.info("epoch %d: %s", self.epoch, row)
            barrier(self.dist)
            self.stop.check()


RUN_FILES = (STATE_NAME, "best", "last", "log.jsonl")


def best_on_disk(best: Path) -> float:
    """The selection score of the checkpoint in ``best/`` (what a resumed run must beat); none there: -inf. Read from
    the folder, not the state, as a run killed between saving its state and its best/ leaves the two apart."""
    try:
        return float(json.loads((best / "metrics.json").read_text())["selection"])
    except (OSError, ValueError, KeyError):
        return -math.inf


def check_output_folder(output: str | Path, resume: bool, overwrite: bool) -> None:
    """Refuse to start a new run over an earlier one (its best/ and log would be replaced, even by a worse run)
    unless it is resumed or overwriting was asked for; with ``overwrite``, the earlier run's files are removed
    (a link among them is removed itself, never what it points to). A resume needs the run's ``state.pt``."""
    out = Path(output)
    if out.exists() and not out.is_dir():
        raise PortraitsegError(f"the run folder {out} is a file; choose another --output")
    found = [name for name in RUN_FILES if os.path.lexists(out / name)]
    if resume and found and STATE_NAME not in found:
        raise PortraitsegError(f"cannot resume {out}: it holds a run ({', '.join(found)}) but no {STATE_NAME} to "
                               "continue from; --overwrite without --resume starts it over, or choose another --output")
    if not found or resume:
        return
    if not overwrite:
        raise PortraitsegError(f"{out} already holds a training run ({', '.join(found)}): --resume continues it, "
                               "--overwrite replaces it, or choose another --output")
    import shutil

    for name in found:
        target = out / name
        shutil.rmtree(target) if target.is_dir() and not target.is_symlink() else target.unlink()


def train(config: TrainConfig, resume: bool = False, progress: bool = True,
          overwrite: bool = False) -> list[dict[str, Any]]:
    """Train (or continue) the run described by ``config``; returns the per-epoch history. A new run into a folder
    that holds one needs ``overwrite``."""
    if int(os.environ.get("RANK", "0")) == 0:
        check_output_folder(config.output, resume, overwrite)
    trainer = Trainer(config, progress=progress)
    resumed = resume and trainer.resume()  # on every rank
    if resume and trainer.dist.is_main:
        if resumed:
            log.info("resumed %s at epoch %d, batch %d", trainer.out, trainer.epoch + 1, trainer.batches_done)
        else:  # --resume on an empty folder starts the run, so a job restarted by a scheduler needs one command
            log.info("no run in %s to resume: starting a new one", trainer.out)
    return trainer.fit()
