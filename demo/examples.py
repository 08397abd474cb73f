"""Freely licensed example photos shipped with the package (see examples/SOURCE.md for their licences)."""

from __future__ import annotations

from pathlib import Path

EXAMPLES_DIR = Path(__file__).parent / "examples"


def example_paths() -> list[Path]:
    return sorted(p for p in EXAMPLES_DIR.iterdir() if p.suffix.lower() in {".jpg", ".jpeg", ".png"})
