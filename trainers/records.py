"""Per-epoch training records: JSONL and CSV logs and the curves PNG, rewritten from the history each epoch."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import matplotlib

from portraitseg.atomic import atomic_write, atomic_write_bytes

matplotlib.use("Agg")  # imported with the trainer, not mid-run: a Ctrl-C inside an import is not a clean interrupt
import matplotlib.pyplot as plt  # noqa: E402


def write_logs(history: list[dict], directory: Path) -> None:
    atomic_write_bytes(directory / "log.jsonl", "".join(json.dumps(row) + "\n" for row in history).encode())
    if history:
        buffer = io.StringIO()
        fields = list(dict.fromkeys(k for row in history for k in row))
        writer = csv.DictWriter(buffer, fieldnames=fields)
        writer.writeheader()
        writer.writerows(history)
        atomic_write_bytes(directory / "log.csv", buffer.getvalue().encode())


def plot_curves(history: list[dict], path: Path) -> None:
    """Training loss and validation mIoU against epoch."""
    epochs = [row["epoch"] for row in history]
    fig, (ax_loss, ax_iou) = plt.subplots(1, 2, figsize=(10, 4))
    ax_loss.plot(epochs, [row["train_loss"] for row in history], marker="o")
    ax_loss.set(xlabel="epoch", ylabel="training loss", title="loss")
    val = [(row["epoch"], row["val_miou"]) for row in history if row.get("val_miou") is not None]
    if val:
        ax_iou.plot(*zip(*val), marker="o", color="tab:green")
    ax_iou.set(xlabel="epoch", ylabel="validation mIoU (%)", title="validation mean per-image IoU")
    for ax in (ax_loss, ax_iou):
        ax.grid(alpha=0.3)
    fig.tight_layout()
    atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=100, format="png"))
    plt.close(fig)
