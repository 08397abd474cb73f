"""Training configuration: a YAML or TOML file, then ``key=value`` overrides from the command line."""

from __future__ import annotations

import dataclasses
import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from portraitseg.augment.pipeline import DEFAULT_AUGMENTATIONS
from portraitseg.errors import PortraitsegError
from portraitseg.zoo.config import ModelConfig


@dataclass
class TrainConfig:
    """Every knob of a training run. ``data`` entries are ``DIR`` or ``DIR@SPLIT_FILE`` (relative paths resolve
    against ``$PORTRAITSEG_DATA``); a seeded ``val_fraction`` of each is held out for validation.
    ``selection_people`` / ``selection_empty`` (same form) are real-world validation sets, with people and
    person-free, that enter the selection score (``trainers/selection.py``); never train on them.
    ``canvases``: the (height, width) batch shapes (default: portrait, landscape and square at the long side of
    ``input_size``), drawn per batch with ``canvas_weights``. ``cache_side``: training images are decoded once
    and kept in memory at this long side (default 1.5 x the input long side). ``pretrained``: encoder weights
    (ImageNet, or a checkpoint's encoder); ``init_from``: a checkpoint folder whose whole model starts the run
    (fine-tuning). ``hard_negatives``: draw person-free training pairs more often where the model paints more of
    them (:class:`portraitseg.trainers.sampling.HardNegatives`)."""

    data: list[str] = field(default_factory=lambda: ["eg1800@splits/train_recommended.txt"])
    val_fraction: float = 0.1
    selection_people: str | None = None
    selection_empty: str | None = None
    on_bad: str = "skip"
    output: str = "runs/default"
    # model
    encoder: str = "mobilenet_v2"
    encoder_params: dict[str, Any] = field(default_factory=dict)
    decoder_channels: list[int] = field(default_factory=lambda: [96, 64, 32, 16])
    decoder_convs: int = 2
    aux_heads: bool = False
    aux_weight: float = 0.4
    input_size: list[int] = field(default_factory=lambda: [256, 192])
    canvases: list[list[int]] | None = None
    canvas_weights: list[float] | None = None
    cache_side: int | None = None
    pretrained: str | None = None
    init_from: str | None = None
    # objective and data
    loss: str = "dice_bce"
    loss_params: dict[str, Any] = field(default_factory=dict)
    hard_negatives: bool = False
    augmentations: list[Any] = field(default_factory=lambda: [dict(a) for a in DEFAULT_AUGMENTATIONS])
    # optimisation
    epochs: int = 10
    batch_size: int = 16
    lr: float = 1e-3
    weight_decay: float = 1e-4
    schedule: str = "cosine"
    warmup_steps: int = 100
    freeze_encoder_epochs: int = 0
    accumulate: int = 1
    ema: float = 0.0
    precision: str = "auto"
    channels_last: bool = False
    # bookkeeping
    workers: int = 2
    seed: int = 0
    save_every_steps: int = 100
    max_steps_per_epoch: int | None = None
    max_val_images: int | None = None
    push_to_hub: str | None = None

    def model_config(self) -> ModelConfig:
        """The model part of the run, validated as a loaded checkpoint's would be."""
        return ModelConfig(
            encoder=self.encoder,
            encoder_params=dict(self.encoder_params),
            decoder_channels=tuple(self.decoder_channels),
            decoder_convs=self.decoder_convs,
            aux_heads=self.aux_heads,
            input_size=tuple(self.input_size),
        ).validate("training config")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def canvas_shapes(self) -> list[tuple[int, int]]:
        """The batch canvases, (height, width)."""
        from portraitseg.trainers.sampling import default_canvases

        return [(int(h), int(w)) for h, w in self.canvases] if self.canvases else default_canvases(self.input_size)

    def validate(self) -> "TrainConfig":
        """Refuse bad values with one message naming each (and the model part as a checkpoint's config would be)."""
        try:
            bad = self._bad_settings()
        except (TypeError, ValueError):
            bad = ["(a value of the wrong type)"]
        if bad:
            raise PortraitsegError(f"invalid training settings: {', '.join(bad)}"
                                   " (input_size: two multiples of 32; canvases: [height, width] pairs of multiples "
                                   "of 32 whose long side is input_size's, canvas_weights: one non-negative weight "
                                   "per canvas; schedule: cosine|poly; precision: auto|fp32|bf16|fp16)")
        self.model_config()
        return self

    def _bad_settings(self) -> list[str]:
        checks = {
            "schedule": self.schedule in {"cosine", "poly"},
            "precision": self.precision in {"auto", "fp32", "bf16", "fp16"},
            "on_bad": self.on_bad in {"skip", "fail"},
            "epochs": self.epochs >= 1,
            "batch_size": self.batch_size >= 1,
            "accumulate": self.accumulate >= 1,
            "val_fraction": 0 <= self.val_fraction < 1,
            "ema": 0 <= self.ema < 1,
            "input_size": len(self.input_size) == 2 and all(int(v) % 32 == 0 for v in self.input_size),
            "canvases": self.canvases is None or (len(self.canvases) > 0 and all(
                len(c) == 2 and all(int(v) % 32 == 0 and int(v) > 0 for v in c)
                and max(c) == max(self.input_size) for c in self.canvases)),
            "canvas_weights": self.canvas_weights is None or (
                self.canvases is not None and len(self.canvas_weights) == len(self.canvases)
                and all(w >= 0 for w in self.canvas_weights) and sum(self.canvas_weights) > 0),
        }
        return [f"{k}={getattr(self, k)!r}" for k, ok in checks.items() if not ok]


def load_config_file(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    if not path.is_file():
        raise PortraitsegError(f"config file not found: {path}")
    text = path.read_text()
    data = tomllib.loads(text) if path.suffix == ".toml" else yaml.safe_load(text)
    return data or {}


def parse_override(text: str) -> tuple[str, Any]:
    """``key=value`` with the value read as YAML (so numbers, lists and booleans work: ``input_size=[256,256]``)."""
    key, sep, value = text.partition("=")
    if not sep:
        raise PortraitsegError(f"override {text!r} is not key=value")
    return key.strip(), yaml.safe_load(value)


def build_config(path: str | Path | None = None, overrides: dict[str, Any] | None = None) -> TrainConfig:
    """Defaults, then the file, then the overrides; unknown keys are errors, not silently ignored."""
    values: dict[str, Any] = load_config_file(path) if path else {}
    values.update({k: v for k, v in (overrides or {}).items() if v is not None})
    known = {f.name for f in dataclasses.fields(TrainConfig)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise PortraitsegError(f"unknown training settings {unknown}; valid: {sorted(known)}")
    return TrainConfig(**values).validate()


def dump_config(config: TrainConfig) -> str:
    return yaml.safe_dump(json.loads(json.dumps(config.to_dict())), sort_keys=False)
