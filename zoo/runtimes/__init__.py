"""Inference backends. Each is a callable: float32 NCHW RGB batch in [0, 255] -> float32 (N, 1, H, W) probability.
Each states ``name``, ``provider`` (what really runs it) and ``threads``."""
