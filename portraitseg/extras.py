"""Optional parts of the install: which extra brings which module, and the one-line message when one is missing.
Serving (``portraitseg[cpu]`` or ``[gpu]``) needs neither torch nor the web stack; the web demo needs ``[demo]``;
training, export and the torch backend need ``[train]``."""

from __future__ import annotations

import importlib
from types import ModuleType

from portraitseg.errors import BackendUnavailableError

EXTRA_FOR_MODULE = {
    "torch": "train",
    "safetensors": "train",
    "onnx": "train",
    "yaml": "train",
    "matplotlib": "train",
    "onnxruntime": "cpu",
    "gradio": "demo",
    "fastapi": "demo",
    "starlette": "demo",
}


def missing_message(module: str, purpose: str) -> str | None:
    """What to install for ``module`` (None when no extra of ours provides it)."""
    extra = EXTRA_FOR_MODULE.get(module.split(".")[0])
    if extra is None:
        return None
    hint = "" if extra != "train" else (" (on a machine without a GPU, install a CPU-only torch first: see the "
                                        "README)")
    return f"{purpose} needs {module.split('.')[0]}, which is not installed: pip install 'portraitseg[{extra}]'{hint}"


def require(module: str, purpose: str) -> ModuleType:
    """Import ``module`` or raise :class:`BackendUnavailableError` naming the extra that provides it."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name is None or exc.name.split(".")[0] != module.split(".")[0]:
            raise
        raise BackendUnavailableError(missing_message(module, purpose) or str(exc)) from None
