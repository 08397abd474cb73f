"""PyTorch backend: serves a checkpoint where ONNX Runtime is absent, and validates during training."""

from __future__ import annotations

import numpy as np
import torch

from portraitseg.errors import BackendUnavailableError
from portraitseg.zoo.model import ProbabilityModel


def pick_torch_device(device: str) -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise BackendUnavailableError("device 'cuda' asked for, but torch sees no CUDA GPU; use --device cpu")
    return torch.device(device)


class TorchBackend:
    name = "torch"
    precision = "fp32"

    def __init__(self, model: torch.nn.Module, device: str = "auto") -> None:
        self.device = pick_torch_device(device)
        self.model = ProbabilityModel(model).to(self.device).eval()
        self.provider = f"torch-{self.device.type}"
        self.threads = torch.get_num_threads() if self.device.type == "cpu" else 0

    @torch.inference_mode()
    def __call__(self, batch: np.ndarray) -> np.ndarray:
        x = torch.from_numpy(np.ascontiguousarray(batch, dtype=np.float32)).to(self.device)
        return self.model(x).float().cpu().numpy()
