"""The plugin manager: built-ins and third-party plugins register encoders, decoders, losses and augmenters by
name.

Built-ins are loaded as default plugins through the same hooks as third-party ones (the ``llm`` / datasette
pattern), each kind's module when that kind is first asked for: serving a checkpoint builds an encoder and a decoder
and so imports their built-ins, never the training code that holds the built-in losses. Third-party plugins come
from the ``portraitseg`` entry-point group (``$PORTRAITSEG_LOAD_PLUGINS`` restricts which: a comma-separated list
of names, empty for none).
"""

from __future__ import annotations

import functools
import importlib
import os
from dataclasses import dataclass, field
from importlib import metadata as importlib_metadata
from typing import Any, Callable, Iterator

import pluggy

from portraitseg import hookspecs
from portraitseg.errors import PluginError

ENTRY_POINT_GROUP = "portraitseg"
LOAD_PLUGINS_ENV = "PORTRAITSEG_LOAD_PLUGINS"
KINDS = ("encoders", "decoders", "losses", "augmenters")

# kind -> the module of its built-in implementations, registered when the kind is first asked for
DEFAULT_PLUGINS = {
    "encoders": "portraitseg.zoo.encoders.plugin",
    "decoders": "portraitseg.zoo.decoders.plugin",
    "losses": "portraitseg.trainers.loss_plugin",
    "augmenters": "portraitseg.augment.plugin",
}


# What each kind's registration may say beside its name and factory: per key, the check its value must pass and
# what the check expects. A misspelt key (``pretrained_cfg=`` as ``pretrainedcfg=``) is refused at registration,
# naming it, instead of being ignored. ``pretrained_cfg`` is checked where it is used (zoo/encoders/lookup.py),
# which knows its type.
DECODER_DEFAULT_KEYS = ("decoder_channels", "decoder_convs", "decoder_params")
_DESCRIPTION = (lambda v: isinstance(v, str), "text")
METADATA_SPECS: dict[str, dict[str, tuple[Callable[[Any], bool], str]]] = {
    "encoders": {"description": _DESCRIPTION, "pretrained_cfg": (lambda v: v is not None, "a PretrainedCfg")},
    "decoders": {"description": _DESCRIPTION,
                 "defaults": (lambda v: isinstance(v, dict) and set(v) <= set(DECODER_DEFAULT_KEYS),
                              f"a dict of {', '.join(DECODER_DEFAULT_KEYS)}")},
    "losses": {"description": _DESCRIPTION},
    "augmenters": {"description": _DESCRIPTION},
}


@dataclass(frozen=True)
class Entry:
    """One registered factory and where it came from."""

    name: str
    factory: Callable[..., Any]
    plugin: str
    metadata: dict = field(default_factory=dict)


class Registry:
    """Name-to-factory table for one kind of component (encoders, decoders, losses or augmenters)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, Entry] = {}

    def add(self, name: str, factory: Callable[..., Any], plugin: str, **metadata: Any) -> None:
        if not isinstance(name, str) or not name:
            raise PluginError(f"plugin {plugin!r} registered a {self.kind[:-1]} with an invalid name {name!r}")
        if not callable(factory):
            raise PluginError(f"plugin {plugin!r} registered {self.kind[:-1]} {name!r} with a non-callable factory")
        if name in self._entries:
            first = self._entries[name].plugin
            raise PluginError(
                f"duplicate {self.kind[:-1]} name {name!r}: registered by plugin {first!r} and again by {plugin!r}"
            )
        spec = METADATA_SPECS.get(self.kind, {})
        unknown = sorted(set(metadata) - set(spec))
        if unknown:
            raise PluginError(f"plugin {plugin!r} registered {self.kind[:-1]} {name!r} with unknown metadata "
                              f"{unknown}; a {self.kind[:-1]} may give {sorted(spec) or 'none'}")
        bad = [f"{key} must be {spec[key][1]}" for key, value in sorted(metadata.items()) if not spec[key][0](value)]
        if bad:
            raise PluginError(f"plugin {plugin!r} registered {self.kind[:-1]} {name!r} with bad metadata: "
                              + "; ".join(bad))
        self._entries[name] = Entry(name, factory, plugin, dict(metadata))

    def get(self, name: str) -> Entry:
        try:
            return self._entries[name]
        except KeyError:
            valid = ", ".join(sorted(self._entries)) or "(none)"
            raise PluginError(f"unknown {self.kind[:-1]} {name!r}; valid names: {valid}") from None

    def create(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """Build the component registered as ``name`` with ``args`` and ``kwargs``."""
        return self.get(name).factory(*args, **kwargs)

    def names(self) -> list[str]:
        return sorted(self._entries)

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[Entry]:
        return iter(sorted(self._entries.values(), key=lambda e: e.name))


def _wanted_entry_points() -> set[str] | None:
    """The entry-point plugins to load: all (None) unless ``$PORTRAITSEG_LOAD_PLUGINS`` names them, comma-separated;
    set it empty to load none (the built-ins always load), to tell a broken plugin from a broken install."""
    value = os.environ.get(LOAD_PLUGINS_ENV)
    return None if value is None else {name.strip() for name in value.split(",") if name.strip()}


def _load_entry_points(pm: pluggy.PluginManager) -> None:
    wanted = _wanted_entry_points()
    for ep in importlib_metadata.entry_points(group=ENTRY_POINT_GROUP):
        if (wanted is not None and ep.name not in wanted) or pm.get_plugin(ep.name) is not None \
                or pm.is_blocked(ep.name):
            continue
        try:
            plugin = ep.load()
        except (Exception, SystemExit) as exc:  # report which plugin broke, never swallow it (nor exit with it)
            raise PluginError(f"plugin {ep.name!r} ({ep.value}) failed to import: {exc!r}; to run without it, "
                              f"set {LOAD_PLUGINS_ENV} to the plugins to load (empty: none)") from exc
        pm.register(plugin, name=ep.name)


@functools.lru_cache(maxsize=None)
def get_plugin_manager() -> pluggy.PluginManager:
    """The process-wide plugin manager with the entry-point plugins, checked by ``check_pending()``; the built-ins
    join per kind in :func:`get_registry`."""
    pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    _load_entry_points(pm)
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise PluginError(f"plugin {exc.plugin!r} has a hook implementation with no matching spec: {exc}") from exc
    return pm


@functools.lru_cache(maxsize=None)
def get_registry(kind: str) -> Registry:
    """Collect every plugin's registrations for ``kind`` (one of :data:`KINDS`).

    The hook is called through pluggy's hook caller, one plugin at a time (a subset caller without the other
    plugins' implementations, wrappers kept), so each registration is attributed to its plugin and an exception
    names the plugin that raised it."""
    if kind not in KINDS:
        raise PluginError(f"unknown registry {kind!r}; valid: {', '.join(KINDS)}")
    pm = get_plugin_manager()
    builtin = DEFAULT_PLUGINS[kind]
    if pm.get_plugin(builtin) is None:
        pm.register(importlib.import_module(builtin), name=builtin)
    hook_name = f"register_{kind}"
    registry = Registry(kind)
    impls = [i for i in getattr(pm.hook, hook_name).get_hookimpls() if not (i.wrapper or i.hookwrapper)]
    impls.sort(key=lambda i: i.plugin_name != builtin)  # the built-ins first, so theirs are the names taken
    for impl in impls:  # hook wrappers wrap each call
        caller = pm.subset_hook_caller(hook_name, remove_plugins=[i.plugin for i in impls if i is not impl])

        def register(name: str, factory: Callable[..., Any], _plugin=impl.plugin_name, **metadata: Any) -> None:
            registry.add(name, factory, _plugin, **metadata)

        try:
            caller(register=register)
        except PluginError:
            raise
        except Exception as exc:
            raise PluginError(f"plugin {impl.plugin_name!r} raised while registering {kind}: {exc!r}") from exc
    return registry
