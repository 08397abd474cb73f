"""Pretrained encoder weights, loaded the same way for every encoder from its :class:`PretrainedCfg`."""

from __future__ import annotations

from pathlib import Path

import torch

from portraitseg.errors import CheckpointError
from portraitseg.zoo.encoders.pretrained import PretrainedCfg, StateDict
from portraitseg.zoo.onnx_contract import ONNX_NAME

DEFAULT = "default"  # ``pretrained: default``: the file the encoder's PretrainedCfg.default_file names


def read_state(path: str | Path) -> StateDict:
    """A state_dict from a ``.pth`` (loaded with ``weights_only=True``), a ``.safetensors`` file, a portraitseg
    checkpoint folder (its safetensors or, for the bundled model, its ONNX file) or an ONNX file."""
    path = Path(path)
    if path.is_dir():
        candidates = sorted(path.glob("*.safetensors")) + sorted(path.glob("*.pth"))
        candidates += [path / ONNX_NAME] if (path / ONNX_NAME).is_file() else []
        if not candidates:
            raise CheckpointError(f"no .pth, .safetensors or {ONNX_NAME} file in {path}")
        path = candidates[0]
    if not path.is_file():
        raise CheckpointError(f"pretrained weights not found: {path}")
    if path.suffix == ".onnx":
        from portraitseg.zoo.onnx_weights import weights_from_onnx

        return weights_from_onnx(path)
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file

        return load_file(str(path))
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # pickle errors come in many types; the message names the file either way
        raise CheckpointError(f"{path} is not a PyTorch state_dict: {exc}") from None


def resolve_weights(name: str, cfg: PretrainedCfg, pretrained: str | Path) -> Path:
    """The weights file for ``pretrained``: a path, or ``default`` for the encoder's own default file."""
    if str(pretrained) != DEFAULT:
        return Path(pretrained)
    found = cfg.default_file() if cfg.default_file else None
    if found is None:
        raise CheckpointError(f"encoder {name!r} has no default pretrained weights ({cfg.source}); "
                              "name a weights file instead")
    return Path(found)


def load_pretrained(encoder: torch.nn.Module, name: str, cfg: PretrainedCfg, pretrained: str | Path) -> Path:
    """Load ``pretrained`` into ``encoder``: an ImageNet file through ``cfg.remap``, or the ``encoder.*`` tensors of
    a portraitseg checkpoint (to start a new model from an encoder already adapted to portraits). Every encoder
    tensor must be present with the right shape; the rest of the file (a classifier) is ignored. Returns the file."""
    path = resolve_weights(name, cfg, pretrained)
    state = read_state(path)
    if any(key.startswith("encoder.") for key in state):
        state = {key[len("encoder."):]: value for key, value in state.items() if key.startswith("encoder.")}
    else:
        state = cfg.remap(state)
    own = encoder.state_dict()
    missing = [key for key in own if key not in state]
    mismatched = [key for key in own if key in state and state[key].shape != own[key].shape]
    if missing or mismatched:
        raise CheckpointError(f"{path} does not fit encoder {name!r} as built: {len(missing)} missing tensors "
                              f"{missing[:3]}, {len(mismatched)} with other shapes {mismatched[:3]} ({cfg.source})")
    encoder.load_state_dict({key: state[key].to(own[key].dtype) for key in own}, strict=True)
    return path
