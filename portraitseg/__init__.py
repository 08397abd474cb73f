"""portraitseg: human portrait segmentation.

>>> import portraitseg
>>> segmenter = portraitseg.load()            # the bundled default model
>>> prob = segmenter("photo.jpg")             # float32 probability mask at the photo's size
"""

from portraitseg.errors import (
    BackendUnavailableError,
    CheckpointError,
    ImageReadError,
    PluginError,
    PortraitsegError,
)

__version__ = "0.1.0"

__all__ = [
    "BackendUnavailableError",
    "CheckpointError",
    "ImageReadError",
    "PluginError",
    "PortraitsegError",
    "load",
    "__version__",
]


def load(model=None, backend="auto", device="auto"):
    """Load a segmenter; see :func:`portraitseg.api.load`."""
    from portraitseg.api import load as _load

    return _load(model, backend=backend, device=device)
