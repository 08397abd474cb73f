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

__version__ = "0.5.0"

__all__ = [
    "BackendUnavailableError",
    "CheckpointError",
    "ImageReadError",
    "PluginError",
    "PortraitsegError",
    "load",
    "__version__",
]


def load(model=None, **options):
    """Load a segmenter: ``load(model=None, backend="auto", device="auto", threads=None, precision="auto")``.
    See :func:`portraitseg.api.load`; imported lazily so ``import portraitseg`` stays light."""
    from portraitseg.api import load as _load

    return _load(model, **options)
