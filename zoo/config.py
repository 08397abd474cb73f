"""The model config stored beside every checkpoint as ``config.json``."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from portraitseg.errors import CheckpointError

FORMAT_VERSION = 1
CONFIG_NAME = "config.json"


@dataclass
class ModelConfig:
    """Everything needed to rebuild a model and feed it: architecture, encoder, input size, normalisation, threshold.

    ``input_size`` is the (height, width) canvas the model was trained on; inference scales an image so that its
    longer side equals ``max(input_size)``, keeping the aspect ratio, and pads to a multiple of the encoder stride.
    ``normalization`` is applied inside the model: its input is RGB in [0, 255].
    """

    encoder: str = "mobilenet_v2"
    encoder_params: dict[str, Any] = field(default_factory=dict)
    decoder_channels: tuple[int, ...] = (96, 64, 32, 16)
    decoder_convs: int = 2
    aux_heads: bool = False
    input_size: tuple[int, int] = (256, 256)
    normalization: dict[str, list[float]] = field(
        default_factory=lambda: {"mean": [127.5, 127.5, 127.5], "std": [127.5, 127.5, 127.5]}
    )
    threshold: float = 0.5
    architecture: str = "unet"
    format_version: int = FORMAT_VERSION

    @property
    def long_side(self) -> int:
        return max(self.input_size)

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["decoder_channels"] = list(self.decoder_channels)
        data["input_size"] = list(self.input_size)
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
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise CheckpointError(f"{source}: unknown keys {unknown}")
        if data.get("architecture", "unet") != "unet":
            raise CheckpointError(f"{source}: unknown architecture {data['architecture']!r}; supported: unet")
        values = dict(data)
        for key in ("decoder_channels", "input_size"):
            if key in values:
                values[key] = tuple(int(v) for v in values[key])
        return cls(**values)

    def save(self, directory: str | Path) -> Path:
        from portraitseg.zoo.atomic import atomic_write_bytes

        path = Path(directory) / CONFIG_NAME
        atomic_write_bytes(path, (json.dumps(self.to_dict(), indent=2) + "\n").encode())
        return path

    @classmethod
    def load(cls, directory: str | Path) -> "ModelConfig":
        path = Path(directory) / CONFIG_NAME
        if not path.is_file():
            raise CheckpointError(f"{path} not found: a checkpoint folder holds config.json and model.safetensors")
        try:
            data = json.loads(path.read_text())
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise CheckpointError(f"{path} is not valid JSON: {exc}") from exc
        return cls.from_dict(data, source=str(path))
