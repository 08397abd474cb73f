"""Built-in losses, registered through ``register_losses`` like any third-party one. Importing this module is
cheap: torch and the loss code load only when a loss is built."""

from portraitseg.hookspecs import hookimpl


def _factory(name: str, **defaults):
    """A factory for the loss function ``name`` in :mod:`portraitseg.trainers.losses`, with keyword defaults."""

    def make(**params):
        unknown = set(params) - set(defaults)
        if unknown:
            raise TypeError(f"unknown parameters {sorted(unknown)} for loss {name}; valid: {sorted(defaults)}")
        from portraitseg.trainers import losses

        fn, merged = getattr(losses, name), {**defaults, **params}
        return lambda logits, target, valid=None: fn(logits, target, valid=valid, **merged)

    return make


@hookimpl
def register_losses(register):
    register("bce", _factory("bce"), description="binary cross-entropy")
    register("dice", _factory("soft_dice", smooth=1.0), description="1 - soft Dice per image")
    register("dice_bce", _factory("dice_bce", dice_weight=1.0, bce_weight=1.0),
             description="Dice + BCE (the default, as the original project)")
    register("focal", _factory("focal", gamma=2.0, alpha=0.25), description="focal loss on logits")
    register("lovasz", _factory("lovasz_hinge"), description="Lovasz hinge: a surrogate of 1 - IoU")
