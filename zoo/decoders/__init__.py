"""Decoders: turn an encoder's feature maps into person logits (built-ins registered in :mod:`.plugin`)."""
