"""The encoder contract, data side: what an encoder's pretrained weights expect and how they are found, timm's
``pretrained_cfg`` in one small frozen dataclass. Torch-free, so listing plugins needs no torch."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

StateDict = dict[str, Any]  # tensor name -> torch.Tensor


def _keep(state: StateDict) -> StateDict:
    return state


@dataclass(frozen=True)
class PretrainedCfg:
    """What an encoder's pretrained weights expect, registered with it as ``register(..., pretrained_cfg=...)``.

    ``mean`` / ``std``: the per-channel normalisation, in units of ``input_range`` (timm's convention: ``(0, 1)``
    means the pixel values scaled to 0..1 first). The trainer writes it into the model config, so it travels with
    every checkpoint and ONNX file. ``source``: where the weights come from and under which terms (shown by
    ``portraitseg plugins``). ``default_file``: returns the weights file used for ``pretrained: default`` (for
    example one installed by a pip package), or None when there is none. ``remap``: turns a weights file's
    state_dict (classifier included) into this encoder's key names; keys the encoder does not have are ignored.
    """

    mean: tuple[float, float, float] = (0.5, 0.5, 0.5)
    std: tuple[float, float, float] = (0.5, 0.5, 0.5)
    input_range: tuple[float, float] = (0.0, 1.0)
    source: str = "no pretrained weights"
    default_file: Callable[[], Path | None] | None = None
    remap: Callable[[StateDict], StateDict] = _keep

    @property
    def normalization(self) -> dict[str, list[float]]:
        """The normalisation on RGB in [0, 255], the form a model config stores."""
        low, high = self.input_range
        scale = 255.0 / (high - low)
        return {"mean": [round((m - low) * scale, 4) for m in self.mean],
                "std": [round(s * scale, 4) for s in self.std]}
