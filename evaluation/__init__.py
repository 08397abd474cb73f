"""Evaluation: labelled data sets on disk, the metrics of GUIDE section 5, and scoring a segmenter on them.
Needs no torch: it scores any segmenter, ONNX Runtime included."""
