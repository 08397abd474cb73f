"""The model zoo: named models shipped inside the package (``zoo/bundled/<name>/``), default first. Two roles:
photos (one good answer per picture) default to :data:`DEFAULT_MODEL`; live video (thirty answers a second, in a
viewer's browser too) to :data:`DEFAULT_LIVE_MODEL`."""

from __future__ import annotations

from pathlib import Path

from portraitseg.errors import CheckpointError
from portraitseg.zoo.config import CONFIG_NAME

BUNDLED_DIR = Path(__file__).parent / "bundled"
DEFAULT_MODEL = "portrait-unet-mnv2"
DEFAULT_LIVE_MODEL = "portrait-live"
ROLES = ("photo", "live")


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


def default_model(role: str = "photo") -> str:
    """The bundled model a role uses when none is named: the live model for ``live`` where it is bundled, else the
    photo model."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
    return DEFAULT_LIVE_MODEL if role == "live" and DEFAULT_LIVE_MODEL in bundled_models() else DEFAULT_MODEL
