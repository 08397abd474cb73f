"""Exceptions that carry a message meant for the user, not a stack trace."""


class PortraitsegError(Exception):
    """Base class for every error portraitseg raises on purpose."""


class ImageReadError(PortraitsegError, ValueError):
    """An input file is missing, empty, corrupt or not an image."""


class CheckpointError(PortraitsegError):
    """A checkpoint is missing, corrupt, mismatched or from an unknown format version."""


class PluginError(PortraitsegError):
    """A plugin failed to load, registered a duplicate name, or a name is unknown."""


class BackendUnavailableError(PortraitsegError, ImportError):
    """The requested inference backend is not installed."""


class EffectError(PortraitsegError, ValueError):
    """An effect setting is invalid: an unknown kind, a colour that is not one, a missing background image."""


class AugmenterError(PortraitsegError, ValueError):
    """An augmenter's parameters are invalid, or a folder it was told to read is missing."""


class SettingError(PortraitsegError, ValueError):
    """An option given to :func:`portraitseg.load` (backend, precision, device, threads) that it does not take."""
