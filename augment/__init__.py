"""Augmenter plugins acting on (image, mask) pairs, and the pipeline that chains them."""
