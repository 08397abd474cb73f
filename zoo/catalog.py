"""The model zoo: named models shipped inside the package (``zoo/bundled/<name>/``), default first."""

from __future__ import annotations

from pathlib import Path

from portraitseg.errors import CheckpointError
from portraitseg.zoo.config import CONFIG_NAME

BUNDLED_DIR = Path(__file__).parent / "bundled"
DEFAULT_MODEL = "portrait-unet-mnv2"


def bundled_models() -> dict[str, Path]:
    """Name -> checkpoint folder for every bundled model, the default first."""
    found = {p.name: p for p in sorted(BUNDLED_DIR.glob("*")) if (p / CONFIG_NAME).is_file()}
    ordered = {DEFAULT_MODEL: found.pop(DEFAULT_MODEL)} if DEFAULT_MODEL in found else {}
    ordered.update(found)
    return ordered


def resolve_zoo_name(name: str) -> Path:
    models = bundled_models()
    if name not in models:
        valid = ", ".join(models) or "(none bundled)"
        raise CheckpointError(f"unknown model {name!r}: not a zoo name ({valid}), a checkpoint folder, "
                              "an .onnx file or hf://ORG/NAME")
    return models[name]
