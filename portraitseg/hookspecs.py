"""Plugin hook specifications.

Every hook receives a ``register`` callback: ``register(name, factory, **metadata)``. Built-in encoders, losses and
augmenters use exactly these hooks, so a third-party plugin is a peer of the built-ins, not a special case.

A plugin is any module or object with functions decorated by :data:`hookimpl`, exposed through the entry-point group
``portraitseg`` in the plugin's ``pyproject.toml``::

    [project.entry-points.portraitseg]
    my_encoders = "my_package.plugin"
"""

import pluggy

PROJECT_NAME = "portraitseg"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec
def register_encoders(register):
    """Register encoder factories.

    ``register(name, factory, **metadata)``: ``factory(**kwargs)`` returns an ``nn.Module`` that follows the encoder
    contract of :class:`portraitseg.zoo.encoders.base.Encoder`: ``forward(x)`` returns feature maps from the highest
    resolution to the lowest, with ``out_channels`` and ``strides`` declared. Useful metadata: ``description``,
    ``normalization`` (the input normalisation its pretrained weights expect).
    """


@hookspec
def register_losses(register):
    """Register loss factories.

    ``register(name, factory, **metadata)``: ``factory(**kwargs)`` returns a callable
    ``loss(logits, target) -> scalar tensor`` where ``logits`` and ``target`` have shape (N, 1, H, W) and ``target``
    holds 0/1 floats.
    """


@hookspec
def register_augmenters(register):
    """Register augmenter factories.

    ``register(name, factory, **metadata)``: ``factory(p=..., **params)`` returns a callable
    ``augmenter(image, mask, rng) -> (image, mask)`` acting on a uint8 RGB image (H, W, 3) and a uint8 mask (H, W)
    with values 0/255, drawing all randomness from the ``numpy.random.Generator`` it is given.
    """
