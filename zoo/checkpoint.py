"""Checkpoints: ``model.safetensors`` + ``config.json`` in one folder, loaded strictly, never unpickled. A folder
without ``model.safetensors`` may carry its weights in a ``model.onnx`` exported with named fp16 weights (the
bundled model does: one copy of the weights instead of two)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from portraitseg.errors import CheckpointError
from portraitseg.atomic import atomic_write
from portraitseg.zoo.config import CONFIG_NAME, ModelConfig
from portraitseg.zoo.onnx_contract import ONNX_NAME, WEIGHTS_NAME, confined_model_file
from portraitseg.zoo.onnx_weights import weights_from_onnx
from portraitseg.zoo.model import SegmentationModel, build_model, expected_state, upgrade_state_keys


def save_checkpoint(model: SegmentationModel, config: ModelConfig, directory: str | Path, half: bool = False) -> Path:
    """Write the weights (fp16 when ``half``) and config atomically; returns the folder."""
    directory = Path(directory)
    state = {k: v.detach().to("cpu").contiguous() for k, v in model.state_dict().items()}
    if half:
        state = {k: v.half() if v.is_floating_point() else v for k, v in state.items()}
    atomic_write(directory / WEIGHTS_NAME, lambda tmp: save_file(state, tmp, metadata={"format": "pt"}))
    config.save(directory)
    return directory


def load_checkpoint(directory: str | Path) -> tuple[SegmentationModel, ModelConfig]:
    """Rebuild the model from ``config.json`` and load ``model.safetensors`` strictly, in eval mode, float32."""
    directory = Path(directory)
    if not directory.is_dir():
        raise CheckpointError(f"checkpoint folder not found: {directory}")
    config = ModelConfig.load(directory)
    expected = expected_state(config, str(directory / CONFIG_NAME))
    weights = directory / WEIGHTS_NAME
    if weights.is_file():
        check_safetensors_header(confined_model_file(weights), expected)
        try:
            state = load_file(str(weights))
        except (SafetensorError, OSError, ValueError) as exc:
            raise CheckpointError(f"{weights} is corrupt or not a safetensors file: {exc}") from exc
    elif (directory / ONNX_NAME).is_file():
        weights = directory / ONNX_NAME
        state = weights_from_onnx(confined_model_file(weights))
    else:
        pickles = sorted(p.name for p in directory.glob("*") if p.suffix in {".pt", ".pth", ".bin", ".ckpt"})
        hint = f" (found {pickles}: pickle files are never loaded; convert them to safetensors)" if pickles else ""
        raise CheckpointError(f"{weights} not found{hint}")
    state = upgrade_state_keys(state)
    not_finite = sorted(k for k, v in state.items() if v.is_floating_point() and not torch.isfinite(v).all())
    if not_finite:
        raise CheckpointError(f"{weights} holds NaN or infinite values in {len(not_finite)} tensors, e.g. "
                              f"{not_finite[:3]}: the training run diverged or the file is damaged")
    model = build_model(config)
    if model.encoder.strides[-1] != config.output_stride:
        raise CheckpointError(f"{directory}: config.json says output_stride {config.output_stride}, but encoder "
                              f"{config.encoder!r} has {model.encoder.strides[-1]}")
    own = model.state_dict()
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    mismatched = sorted(k for k in set(own) & set(state) if own[k].shape != state[k].shape)
    if missing or unexpected or mismatched:
        raise CheckpointError(
            f"{weights} does not match its config (encoder {config.encoder!r}, decoder {config.decoder!r} "
            f"{list(config.decoder_channels)}): "
            f"{len(missing)} missing {missing[:3]}, {len(unexpected)} unexpected {unexpected[:3]}, "
            f"{len(mismatched)} with other shapes {mismatched[:3]}"
        )
    model.load_state_dict({k: v.to(own[k].dtype) for k, v in state.items()}, strict=True)
    return model.eval(), config


_FLOAT_DTYPES = {"F32": 4, "F16": 2}
_INT_DTYPES = {"I64": 8}
MAX_HEADER_BYTES = 10_000_000


def check_safetensors_header(path: Path, expected: dict[str, tuple[tuple[int, ...], torch.dtype]]) -> None:
    """Read the safetensors header alone and refuse, before any tensor is read: duplicate names, names or shapes
    the config's model does not have, dtypes other than float32/float16 for weights (int64 for batch-norm
    counters: no bf16, strings, bools, ints or float64 converted silently), and byte ranges that do not match
    their shape or lie past the end of the file."""
    size = path.stat().st_size

    def no_duplicates(pairs):
        names = [k for k, _ in pairs]
        repeated = sorted({k for k in names if names.count(k) > 1})
        if repeated:
            raise CheckpointError(f"{path}: tensors named twice in its header: {repeated[:3]}")
        return dict(pairs)

    try:
        with path.open("rb") as handle:
            length = int.from_bytes(handle.read(8), "little")
            if not 2 <= length <= min(MAX_HEADER_BYTES, size - 8):
                raise CheckpointError(f"{path} is truncated or not a safetensors file (header of {length} bytes)")
            header = json.loads(handle.read(length), object_pairs_hook=no_duplicates)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise CheckpointError(f"{path} is corrupt or not a safetensors file ({exc!r})") from None
    header.pop("__metadata__", None)
    header = upgrade_state_keys(header)
    data_bytes = size - 8 - length
    problems = []
    for name, entry in header.items():
        if name not in expected:
            continue  # reported with the other name mismatches once the file is read
        shape, dtype = expected[name]
        allowed = _FLOAT_DTYPES if dtype.is_floating_point else _INT_DTYPES
        try:
            kind, stored_shape, (begin, end) = entry["dtype"], tuple(entry["shape"]), entry["data_offsets"]
        except (KeyError, TypeError, ValueError):
            problems.append(f"{name}: malformed header entry")
            continue
        if kind not in allowed:
            problems.append(f"{name}: dtype {kind}, expected {' or '.join(allowed)}")
        elif stored_shape != shape:
            problems.append(f"{name}: shape {list(stored_shape)}, expected {list(shape)}")
        elif not (isinstance(begin, int) and isinstance(end, int) and 0 <= begin <= end <= data_bytes
                  and end - begin == allowed[kind] * math.prod(shape)):
            problems.append(f"{name}: bytes {begin}..{end} do not hold its {list(shape)} {kind} values within the "
                            "file (truncated?)")
    if problems:
        raise CheckpointError(f"{path} does not match its config: {len(problems)} tensors differ, e.g. "
                              f"{'; '.join(problems[:3])}")
