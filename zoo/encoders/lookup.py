"""An encoder's pretrained-weights contract looked up by name in the plugin registry (torch-free, so listing
plugins needs no torch). Apart from :mod:`.pretrained`, which the built-in plugin module itself imports."""

from __future__ import annotations

from portraitseg.zoo.encoders.pretrained import PretrainedCfg


def pretrained_cfg_of(name: str) -> PretrainedCfg:
    """The registered encoder ``name``'s :class:`PretrainedCfg` (the defaults when its plugin gave none)."""
    from portraitseg.errors import PluginError
    from portraitseg.plugins import get_registry

    entry = get_registry("encoders").get(name)
    cfg = entry.metadata.get("pretrained_cfg", PretrainedCfg())
    if not isinstance(cfg, PretrainedCfg):
        raise PluginError(f"encoder {name!r} from plugin {entry.plugin!r}: pretrained_cfg must be a "
                          f"portraitseg.zoo.encoders.pretrained.PretrainedCfg, got {type(cfg).__name__}")
    return cfg
