"""The model config stored beside every checkpoint as ``config.json``."""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from portraitseg.errors import CheckpointError
from portraitseg.thresholds import DEFAULT_THRESHOLD, valid_threshold

MAX_CONFIG_BYTES = 2**20  # config.json is under 1 KB; a larger one is not a model config
FORMAT_VERSION = 3  # 2: input_size split into train_size, serve_long_side, live_long_side; 3: decoder plugins
CONFIG_NAME = "config.json"
MAX_SIDE = 2048  # the largest model input side accepted from a config
MAX_PARAMETERS = 60_000_000  # over 16x the default model; a larger one is refused before anything is built or read
MAX_MODEL_FILE_BYTES = MAX_PARAMETERS * 4 + 16 * 2**20  # such a model in float32, with room for its graph and header
PATH_PARAMS = {"pretrained"}  # encoder parameters that name files: training-time only, never in a checkpoint
# The fields that define the network (what a checkpoint's weights must fit): compared on resume, init_from, soups.
ARCHITECTURE_FIELDS = ("encoder", "encoder_params", "decoder", "decoder_params", "decoder_channels", "decoder_convs",
                       "aux_heads")


# The U-Net's widths (one per stage, coarse to fine) and blocks per stage: a config's defaults, as configs before
# format 3 name no decoder (the U-Net), and the U-Net's registered defaults (zoo/decoders/plugin.py).
UNET_DECODER_CHANNELS = (96, 64, 32, 16)
UNET_DECODER_CONVS = 2


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _int_list(values: Any, low: int, high: int) -> bool:
    return isinstance(values, (list, tuple)) and all(
        isinstance(v, int) and not isinstance(v, bool) and low <= v <= high for v in values)


def _looks_like_path(value: Any) -> bool:
    return isinstance(value, str) and (value.startswith(".") or any(c in value for c in "/\\~"))


@dataclass
class ModelConfig:
    """Everything needed to rebuild a model and feed it: encoder, decoder, sizes, normalisation, threshold.

    ``train_size``: the (height, width) canvas the model was trained on (a record; it also sizes the ONNX export's
    example input). ``serve_long_side``: inference scales an image so that its longer side is this many pixels,
    keeping the aspect ratio, and pads to a multiple of ``output_stride`` (the encoder's last stride, read from
    the encoder when the model is built). ``live_long_side``: the same for live video, where frame rate matters
    more (None in a file: the serving long side, which it is set to when the config is made). ``decoder`` names a
    registered decoder (configs before format 3 have none: the U-Net), built with ``decoder_channels`` (one width
    per decoder stage, each fed one skip connection), ``decoder_convs`` blocks per stage and ``decoder_params``.
    ``normalization`` is applied inside the model: its input is RGB in [0, 255]. ``threshold``: the probability
    above which a pixel is the person, the default of every command, the demo and the live view.
    """

    encoder: str = "mobilenet_v2"
    encoder_params: dict[str, Any] = field(default_factory=dict)
    decoder: str = "unet"
    decoder_params: dict[str, Any] = field(default_factory=dict)
    decoder_channels: tuple[int, ...] = UNET_DECODER_CHANNELS
    decoder_convs: int = UNET_DECODER_CONVS
    aux_heads: bool = False
    train_size: tuple[int, int] = (256, 256)
    serve_long_side: int = 256
    live_long_side: int | None = None
    output_stride: int = 32
    normalization: dict[str, list[float]] = field(
        default_factory=lambda: {"mean": [127.5, 127.5, 127.5], "std": [127.5, 127.5, 127.5]}
    )
    threshold: float = DEFAULT_THRESHOLD
    format_version: int = FORMAT_VERSION

    def __post_init__(self) -> None:
        if self.live_long_side is None:  # one name for the live size: always a number once made
            self.live_long_side = self.serve_long_side

    def architecture_dict(self) -> dict[str, Any]:
        """The fields that define the network (:data:`ARCHITECTURE_FIELDS`), as JSON values."""
        data = self.to_dict()
        return {key: data[key] for key in ARCHITECTURE_FIELDS}

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["decoder_channels"] = list(self.decoder_channels)
        data["train_size"] = list(self.train_size)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "config") -> "ModelConfig":
        if not isinstance(data, dict):
            raise CheckpointError(f"{source}: expected a JSON object, got {type(data).__name__}")
        version = data.get("format_version")
        if not isinstance(version, int):
            raise CheckpointError(f"{source}: no integer 'format_version'; this is not a portraitseg config")
        if version > FORMAT_VERSION:
            raise CheckpointError(
                f"{source}: format_version {version} is newer than this portraitseg understands ({FORMAT_VERSION}); "
                "upgrade portraitseg"
            )
        if version == 1:  # one input_size meant the training canvas and, through its longer side, the serving size
            data = {k: v for k, v in data.items() if k != "input_size"} | {
                "train_size": data.get("input_size"), "format_version": FORMAT_VERSION,
                "serve_long_side": max(data["input_size"]) if _int_list(data.get("input_size"), 1, MAX_SIDE)
                and data.get("input_size") else data.get("input_size")}
        if data.get("architecture", "unet") != "unet":  # configs before 0.5.0 named it; the decoder says it now
            raise CheckpointError(f"{source}: unknown architecture {data['architecture']!r}; supported: unet")
        data = {k: v for k, v in data.items() if k != "architecture"}
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise CheckpointError(f"{source}: unknown keys {unknown}")
        values = dict(data)
        for key in ("decoder_channels", "train_size"):
            if isinstance(values.get(key), list):
                values[key] = tuple(values[key])
        return cls(**values).validate(source)

    def validate(self, source: str = "config") -> "ModelConfig":
        """Refuse values that would crash, hang, allocate without bound or open files: one message per field."""
        problems = []
        if not isinstance(self.encoder, str) or not self.encoder:
            problems.append(f"encoder must be a registered encoder name, got {self.encoder!r}")
        if not isinstance(self.encoder_params, dict):
            problems.append(f"encoder_params must be an object, got {self.encoder_params!r}")
        elif any(key in PATH_PARAMS or _looks_like_path(value) for key, value in self.encoder_params.items()):
            problems.append(f"encoder_params {self.encoder_params!r} name a file; a checkpoint may not read files "
                            "outside its folder (its weights are in model.safetensors)")
        if not isinstance(self.decoder, str) or not self.decoder:
            problems.append(f"decoder must be a registered decoder name, got {self.decoder!r}")
        if not (isinstance(self.decoder_params, dict) and all(
                isinstance(v, (int, float, str, bool)) for v in self.decoder_params.values())):
            problems.append(f"decoder_params must be an object of plain values, got {self.decoder_params!r}")
        if not _int_list(self.decoder_channels, 1, 4096) or not self.decoder_channels:
            problems.append(f"decoder_channels must be a list of channel counts in 1..4096, got "
                            f"{self.decoder_channels!r}")
        if not _int_list([self.decoder_convs], 1, 8):
            problems.append(f"decoder_convs must be an integer in 1..8, got {self.decoder_convs!r}")
        if not isinstance(self.aux_heads, bool):
            problems.append(f"aux_heads must be true or false, got {self.aux_heads!r}")
        stride_ok = self.output_stride in (2, 4, 8, 16, 32, 64) and not isinstance(self.output_stride, bool)
        if not stride_ok:
            problems.append(f"output_stride must be a power of two from 2 to 64, got {self.output_stride!r}")
        multiple = self.output_stride if stride_ok else 32
        if not (_int_list(self.train_size, multiple, MAX_SIDE) and len(self.train_size) == 2
                and all(v % multiple == 0 for v in self.train_size)):
            problems.append(f"train_size must be [height, width], multiples of the output stride ({multiple}) up to "
                            f"{MAX_SIDE}, got {self.train_size!r}")
        for name in ("serve_long_side", "live_long_side"):
            value = getattr(self, name)
            if not (value is None and name == "live_long_side") and not _int_list([value], multiple, MAX_SIDE):
                problems.append(f"{name} must be a whole number of pixels from the output stride ({multiple}) to "
                                f"{MAX_SIDE}, got {value!r}")
        norm = self.normalization
        if not (isinstance(norm, dict) and set(norm) == {"mean", "std"} and all(
                isinstance(v, (list, tuple)) and len(v) == 3 and all(_finite(x) for x in v) for v in norm.values())
                and all(abs(x) <= 1e4 for x in norm["mean"]) and all(1e-3 <= x <= 1e4 for x in norm["std"])):
            # pixels are 0-255: a std outside [0.001, 10000] overflows or flattens float32 inputs (an empty mask)
            problems.append("normalization must be {'mean': [3 numbers within +-10000], 'std': [3 numbers from 0.001 "
                            f"to 10000]}}, got {norm!r}")
        if not valid_threshold(self.threshold):
            problems.append(f"threshold must be a number between 0 and 1, got {self.threshold!r}")
        if problems:
            raise CheckpointError(f"{source}: invalid model config: " + "; ".join(problems))
        return self

    def save(self, directory: str | Path) -> Path:
        from portraitseg.atomic import atomic_write_bytes

        path = Path(directory) / CONFIG_NAME
        atomic_write_bytes(path, (json.dumps(self.to_dict(), indent=2) + "\n").encode())
        return path

    @classmethod
    def load(cls, directory: str | Path) -> "ModelConfig":
        path = Path(directory) / CONFIG_NAME
        if not path.is_file():
            raise CheckpointError(f"{path} not found: a checkpoint folder holds config.json and model.safetensors")
        if path.stat().st_size > MAX_CONFIG_BYTES:
            raise CheckpointError(f"{path} is {path.stat().st_size / 2**20:.0f} MB; a model config is a few hundred "
                                  f"bytes (at most {MAX_CONFIG_BYTES // 2**10} KB is read)")
        try:
            data = json.loads(path.read_text())
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise CheckpointError(f"{path} is not valid JSON: {exc}") from exc
        except RecursionError:
            raise CheckpointError(f"{path} is nested too deeply to be a model config") from None
        return cls.from_dict(data, source=str(path))
