"""Plugin hook specifications: the contract every encoder, decoder, loss and augmenter is written against.

Every hook receives a ``register`` callback: ``register(name, factory, **metadata)``. Built-in encoders, losses and
augmenters use exactly these hooks, so a third-party plugin is a peer of the built-ins, not a special case. Names
are unique across all plugins (a second registration of a name is an error naming both plugins); ``description``
metadata is what ``portraitseg plugins`` lists. Each kind takes only its own metadata keys
(:data:`portraitseg.plugins.METADATA_SPECS`): a key it does not know is refused at registration, naming it.

A plugin is any module or object with functions decorated by :data:`hookimpl`, exposed through the entry-point group
``portraitseg`` in the plugin's ``pyproject.toml``::

    [project.entry-points.portraitseg]
    my_encoders = "my_package.plugin"

Each kind's built-ins are loaded when that kind is first looked up (serving loads encoders only); entry-point
plugins load with the first lookup of any kind, and ``$PORTRAITSEG_LOAD_PLUGINS`` (comma-separated names, empty
for none) restricts which.
"""

import pluggy

PROJECT_NAME = "portraitseg"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec
def register_encoders(register):
    """Register encoder factories: ``register(name, factory, pretrained_cfg=..., description=...)``.

    ``factory(**encoder_params)`` returns a ``torch.nn.Module`` following
    :class:`portraitseg.zoo.encoders.base.Encoder`: ``forward(x)`` takes the normalised image (N, 3, H, W), H and W
    multiples of its output stride, and returns feature maps from the highest resolution to the lowest;
    ``out_channels`` and ``strides`` declare each map's channels and stride (powers of two, each twice the one
    before; the last is the model's output stride, which sizes every input). The model builder checks all of it
    with one probe before a model is made. ``encoder_params`` are stored in the checkpoint's config.json, so they
    must be JSON values and may not name files.

    ``pretrained_cfg``: a :class:`portraitseg.zoo.encoders.pretrained.PretrainedCfg`, the encoder's pretrained
    weights as data: the normalisation they expect (``mean``/``std`` in ``input_range`` units; the trainer writes
    it into the model config, so it travels inside every checkpoint and ONNX file), where they come from
    (``source``, ``default_file`` for ``pretrained: default``) and how a weights file's names map to the
    encoder's (``remap``). Loading is the project's (:func:`portraitseg.zoo.encoders.weights.load_pretrained`):
    an encoder never reads files itself. Without it: normalisation (x - 127.5) / 127.5 and no weights.
    """


@hookspec
def register_decoders(register):
    """Register decoder factories: ``register(name, factory, defaults=..., description=...)``.

    ``defaults``: the decoder's own ``decoder_channels``, ``decoder_convs`` and ``decoder_params``; a training
    config that names the decoder takes them for whatever it leaves out.

    ``factory(encoder_channels, encoder_strides, channels, blocks, aux_heads, **decoder_params)`` returns a
    ``torch.nn.Module`` following :class:`portraitseg.zoo.decoders.base.Decoder`. It is written against the data
    of the encoder contract alone: ``encoder_channels`` and ``encoder_strides`` are the encoder's declared maps,
    highest resolution first; ``channels`` (the config's ``decoder_channels``) holds one width per decoder stage,
    each stage fed one skip connection; ``blocks`` (``decoder_convs``) is the conv blocks per stage;
    ``aux_heads`` asks for deep-supervision outputs in training. It declares ``stride``, the stride of the logits
    ``forward(features)`` returns (N, 1, H / stride, W / stride); the model upsamples them to the input size.
    The model builder checks the declaration with one probe. Settings it cannot build raise ``ValueError``.
    """


@hookspec
def register_losses(register):
    """Register loss factories: ``register(name, factory, description=...)``.

    ``factory(**loss_params)`` returns a callable ``loss(logits, target, valid=None) -> scalar tensor`` where
    ``logits``, ``target`` and ``valid`` have shape (N, 1, H, W), ``target`` holds 0/1 floats and ``valid`` 0 on
    pixels whose label is unknown (a data set's ``ignore/`` masks), which must count neither as person nor as
    background. A loss without a ``valid`` parameter can train only on data without ignore masks (the trainer says
    so before it starts).
    """


@hookspec
def register_augmenters(register):
    """Register augmenter factories: ``register(name, factory, description=...)``.

    ``factory(p=..., **params)`` returns a callable ``augmenter(image, mask, rng) -> (image, mask)`` acting on a
    uint8 RGB image (H, W, 3) and a uint8 mask (H, W) with values 0 (background), 255 (person) and
    ``portraitseg.geometry.IGNORE_LABEL`` (unknown: move it with the mask, e.g. nearest-neighbour warps, and never
    turn it into person), drawing all randomness from the ``numpy.random.Generator`` it is given (so a resumed run
    draws the same). Bad ``params`` raise ``ValueError`` or ``TypeError`` in the factory: the trainer reports them
    in one line before training starts.

    An augmenter that mixes samples (``copy_paste``) also has ``bind(pool)``: before training the training set
    passes itself as a :class:`portraitseg.augment.composite.SamplePool` (``pool_size``, ``pool_pair(i)`` ->
    decoded (image, mask), read-only; ``person_free``: indices of pairs with nobody in them), once, before the
    data-loading processes start (they inherit it).
    """
