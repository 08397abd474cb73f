"""Encoder plugins: backbones that return multi-scale feature maps."""
