"""Evaluation: labelled data sets on disk, the metrics of docs/metrics.md, and scoring a segmenter on them.
Needs no torch: it scores any segmenter, ONNX Runtime included."""
