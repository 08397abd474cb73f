"""Training configuration: a YAML or TOML file, then ``key=value`` overrides from the command line."""

from __future__ import annotations

import copy
import dataclasses
import functools
import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from portraitseg.errors import PortraitsegError
from portraitseg.zoo.config import ModelConfig

RECIPE_FILE = Path(__file__).with_name("default.yaml")
RECIPE: dict[str, Any] = yaml.safe_load(RECIPE_FILE.read_text())


def recipe(key: str) -> Any:
    """A field whose default is the recipe's value (a fresh copy per config)."""
    value = RECIPE[key]
    return field(default_factory=lambda: copy.deepcopy(value))


@dataclass
class TrainConfig:
    """Every knob of a training run. ``data`` entries are ``DIR`` or ``DIR@SPLIT_FILE`` (relative paths resolve
    against ``$PORTRAITSEG_DATA``); a seeded ``val_fraction`` of each is held out for validation.
    ``selection_people`` / ``selection_empty`` (same form) are real-world validation sets, with people and
    person-free, that enter the selection score (``trainers/selection.py``); never train on them.
    ``selection_crops: body_crops`` adds the body-crop views (:mod:`portraitseg.evaluation.body_crops`).
    ``canvases``: the (height, width) batch shapes (default: portrait, landscape and square at the long side of
    ``train_size``), drawn per batch with ``canvas_weights``. ``cache_side``: training images are decoded once
    and kept in memory at this long side (default 1.5 x the input long side). ``pretrained``: encoder weights
    (ImageNet, or a checkpoint's encoder); ``init_from``: a checkpoint folder whose whole model starts the run
    (fine-tuning). ``teacher``: a checkpoint folder whose probabilities are extra targets (weight
    ``teacher_weight``) where its mask agrees with the label
    (:func:`portraitseg.trainers.losses.agreeing_distillation`). ``hard_negatives``: draw person-free training
    pairs more often where the model paints more of them (:class:`portraitseg.trainers.sampling.HardNegatives`).
    Every default is the recipe's value (:data:`RECIPE_FILE`, the bundled model's recipe): one recipe, in one
    file."""

    data: list[str] = recipe("data")
    val_fraction: float = recipe("val_fraction")
    selection_people: str | None = recipe("selection_people")
    selection_empty: str | None = recipe("selection_empty")
    selection_crops: str | None = recipe("selection_crops")
    on_bad: str = recipe("on_bad")
    output: str = recipe("output")
    # model
    encoder: str = recipe("encoder")
    encoder_params: dict[str, Any] = recipe("encoder_params")
    decoder: str = recipe("decoder")
    decoder_params: dict[str, Any] = recipe("decoder_params")
    decoder_channels: list[int] = recipe("decoder_channels")
    decoder_convs: int = recipe("decoder_convs")
    aux_heads: bool = recipe("aux_heads")
    aux_weight: float = recipe("aux_weight")
    train_size: list[int] = recipe("train_size")
    serve_long_side: int | None = recipe("serve_long_side")
    live_long_side: int | None = recipe("live_long_side")
    canvases: list[list[int]] | None = recipe("canvases")
    canvas_weights: list[float] | None = recipe("canvas_weights")
    cache_side: int | None = recipe("cache_side")
    pretrained: str | None = recipe("pretrained")
    init_from: str | None = recipe("init_from")
    teacher: str | None = recipe("teacher")
    teacher_weight: float = recipe("teacher_weight")
    # objective and data
    loss: str = recipe("loss")
    loss_params: dict[str, Any] = recipe("loss_params")
    hard_negatives: bool = recipe("hard_negatives")
    augmentations: list[Any] = recipe("augmentations")
    # optimisation
    epochs: int = recipe("epochs")
    batch_size: int = recipe("batch_size")
    lr: float = recipe("lr")
    weight_decay: float = recipe("weight_decay")
    schedule: str = recipe("schedule")
    warmup_steps: int = recipe("warmup_steps")
    freeze_encoder_epochs: int = recipe("freeze_encoder_epochs")
    accumulate: int = recipe("accumulate")
    ema: float = recipe("ema")
    precision: str = recipe("precision")
    channels_last: bool = recipe("channels_last")
    # bookkeeping
    workers: int = recipe("workers")
    seed: int = recipe("seed")
    save_every_steps: int = recipe("save_every_steps")
    max_steps_per_epoch: int | None = recipe("max_steps_per_epoch")
    max_val_images: int | None = recipe("max_val_images")
    push_to_hub: str | None = recipe("push_to_hub")

    def model_config(self) -> ModelConfig:
        """The model part of the run, validated as a loaded checkpoint's would be; the input normalisation is the
        one the encoder's pretrained weights expect (its registered :class:`PretrainedCfg`)."""
        from portraitseg.zoo.encoders.lookup import pretrained_cfg_of

        return ModelConfig(
            encoder=self.encoder,
            encoder_params=dict(self.encoder_params),
            decoder=self.decoder,
            decoder_params=dict(self.decoder_params),
            decoder_channels=tuple(self.decoder_channels),
            decoder_convs=self.decoder_convs,
            aux_heads=self.aux_heads,
            train_size=tuple(self.train_size),
            serve_long_side=self.serve_long_side or max(self.train_size),
            live_long_side=self.live_long_side,
            output_stride=self.output_stride(),
            normalization=pretrained_cfg_of(self.encoder).normalization,
        ).validate("training config")

    def output_stride(self) -> int:
        """The encoder's output stride: every canvas side must be a multiple of it (the encoder is built once per
        name and parameters, on the meta device, however often a run asks)."""
        return _output_stride(self.encoder, json.dumps(self.encoder_params, sort_keys=True))

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def canvas_shapes(self) -> list[tuple[int, int]]:
        """The batch canvases, (height, width)."""
        from portraitseg.trainers.sampling import default_canvases

        return [(int(h), int(w)) for h, w in self.canvases] if self.canvases else default_canvases(self.train_size)

    def validate(self) -> "TrainConfig":
        """Refuse bad values with one message naming each (and the model part as a checkpoint's config would be)."""
        ModelConfig(encoder=self.encoder, encoder_params=self.encoder_params).validate("training config")
        try:
            stride = self.output_stride()
        except (TypeError, ValueError) as exc:
            raise PortraitsegError(f"encoder {self.encoder!r} with encoder_params {self.encoder_params!r} cannot be "
                                   f"built: {exc}") from None
        bad = self._bad_settings(stride)
        if bad:
            raise PortraitsegError(f"invalid training settings: {', '.join(bad)}"
                                   f" (train_size: two multiples of the encoder's output stride, {stride}; canvases: "
                                   f"[height, width] pairs of multiples of {stride} whose long side is train_size's, "
                                   "canvas_weights: one non-negative weight per canvas; schedule: cosine|poly; "
                                   "precision: auto|fp32|bf16|fp16)")
        from portraitseg.zoo.model import expected_state

        expected_state(self.model_config(), "training config")  # built once, on the meta device: one line if not
        return self

    def _bad_settings(self, stride: int) -> list[str]:
        """Each setting whose value is out of range or of the wrong type (``ema: null``), as ``key=value``."""
        checks = {
            "schedule": lambda: self.schedule in {"cosine", "poly"},
            "precision": lambda: self.precision in {"auto", "fp32", "bf16", "fp16"},
            "on_bad": lambda: self.on_bad in {"skip", "fail"},
            "epochs": lambda: self.epochs >= 1,
            "batch_size": lambda: self.batch_size >= 1,
            "accumulate": lambda: self.accumulate >= 1,
            "val_fraction": lambda: 0 <= self.val_fraction < 1,
            "ema": lambda: 0 <= self.ema < 1,
            "teacher_weight": lambda: self.teacher_weight >= 0,
            "train_size": lambda: len(self.train_size) == 2 and all(int(v) % stride == 0 for v in self.train_size),
            "canvases": lambda: self.canvases is None or (len(self.canvases) > 0 and all(
                len(c) == 2 and all(int(v) % stride == 0 and int(v) > 0 for v in c)
                and max(c) == max(self.train_size) for c in self.canvases)),
            "canvas_weights": lambda: self.canvas_weights is None or (
                self.canvases is not None and len(self.canvas_weights) == len(self.canvases)
                and all(w >= 0 for w in self.canvas_weights) and sum(self.canvas_weights) > 0),
        }
        return [f"{key}={getattr(self, key)!r}" for key, check in checks.items() if not _holds(check)]


def _holds(check) -> bool:
    try:
        return bool(check())
    except (TypeError, ValueError):
        return False


@functools.lru_cache(maxsize=64)
def _output_stride(encoder: str, params: str) -> int:
    from portraitseg.zoo.model import encoder_output_stride

    return encoder_output_stride(encoder, json.loads(params))


def load_config_file(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    if not path.is_file():
        raise PortraitsegError(f"config file not found: {path}")
    text = path.read_text()
    data = tomllib.loads(text) if path.suffix == ".toml" else yaml.safe_load(text)
    return data or {}


def parse_override(text: str) -> tuple[str, Any]:
    """``key=value`` with the value read as YAML (so numbers, lists and booleans work: ``train_size=[256,256]``)."""
    key, sep, value = text.partition("=")
    if not sep:
        raise PortraitsegError(f"override {text!r} is not key=value")
    return key.strip(), yaml.safe_load(value)


def build_config(path: str | Path | None = None, overrides: dict[str, Any] | None = None) -> TrainConfig:
    """The recipe, then the file, then the overrides (None included: ``--set init_from=null`` unsets); unknown keys
    are errors, not silently ignored."""
    values: dict[str, Any] = load_config_file(path) if path else {}
    values.update(overrides or {})
    values = renamed_settings(values)
    known = {f.name for f in dataclasses.fields(TrainConfig)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise PortraitsegError(f"unknown training settings {unknown}; valid: {sorted(known)}")
    return TrainConfig(**with_decoder_defaults(values)).validate()


def with_decoder_defaults(values: dict[str, Any]) -> dict[str, Any]:
    """Where the settings name a decoder, the decoder's registered ``defaults`` (its widths, blocks and params)
    fill what they leave out, so ``--set decoder=light`` trains the light decoder as it is meant to be built, not
    with the U-Net's widths."""
    if "decoder" not in values:
        return values
    from portraitseg.plugins import get_registry

    defaults = get_registry("decoders").get(values["decoder"]).metadata.get("defaults", {})
    return {**copy.deepcopy(defaults), **values}


RENAMED = {"input_size": "train_size"}  # old setting name -> its name now (0.5.0: one name per size everywhere)


def renamed_settings(values: dict[str, Any]) -> dict[str, Any]:
    """``values`` with old setting names read as their new ones (configs and runs written before the rename)."""
    values = dict(values)
    for old, new in RENAMED.items():
        if old in values:
            if new in values:
                raise PortraitsegError(f"{old} is the old name of {new}; give one of them")
            values[new] = values.pop(old)
    return values


def dump_config(config: TrainConfig) -> str:
    return yaml.safe_dump(json.loads(json.dumps(config.to_dict())), sort_keys=False)
