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
    ``loss(logits, target, valid=None) -> scalar tensor`` where ``logits``, ``target`` and ``valid`` have shape
    (N, 1, H, W), ``target`` holds 0/1 floats and ``valid`` 0 on pixels whose label is unknown (a data set's
    ``ignore/`` masks), which must count neither as person nor as background. A loss without a ``valid``
    parameter can train only on data without ignore masks (the trainer says so before it starts).
    """


@hookspec
def register_augmenters(register):
    """Register augmenter factories.

    ``register(name, factory, **metadata)``: ``factory(p=..., **params)`` returns a callable
    ``augmenter(image, mask, rng) -> (image, mask)`` acting on a uint8 RGB image (H, W, 3) and a uint8 mask (H, W)
    with values 0 (background), 255 (person) and ``portraitseg.geometry.IGNORE_LABEL`` (unknown: move it with the
    mask, e.g. nearest-neighbour warps, and never turn it into person), drawing all randomness from the
    ``numpy.random.Generator`` it is given.
    """
