"""What people look at: the confusion matrix as a figure, a grid of the most confident mistakes, a per-class CSV and a
Markdown report (``zoo eval --report DIR``); the same figures go to TensorBoard during training."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import numpy as np

from ..atomic import write_text, write_with
from .metrics import Evaluation


def confusion_figure(evaluation: Evaluation) -> Any:
    """The confusion matrix (rows true, columns predicted): counts written in, colours row-normalised."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    counts = np.asarray(evaluation.confusion)
    rows = counts / np.maximum(counts.sum(1, keepdims=True), 1)
    n = len(evaluation.classes)
    size = min(2 + 0.55 * n, 24)
    fig, ax = plt.subplots(figsize=(size, size * 0.9), dpi=100)
    ax.imshow(rows, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(n), evaluation.classes, rotation=45, ha="right")
    ax.set_yticks(range(n), evaluation.classes)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    if n <= 30:
        for i in range(n):
            for j in range(n):
                colour = "white" if rows[i, j] > 0.5 else "black"
                ax.text(j, i, str(counts[i, j]), ha="center", va="center", color=colour)
    ax.set_title(f"accuracy {evaluation.acc:.3f} on {evaluation.samples} samples")
    fig.tight_layout()
    return fig


def mistakes_figure(evaluation: Evaluation, dataset: Any, *, limit: int = 16) -> Any | None:
    """A grid of the most confident wrong predictions: image, true and predicted class, score (None: no mistakes)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shown = evaluation.mistakes[:limit]
    if not shown:
        return None
    cols = min(4, len(shown))
    rows = -(-len(shown) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3 * cols, 3.3 * rows), dpi=100, squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, m in zip(axes.flat, shown, strict=False):
        ax.imshow(raw_image(dataset, m["index"]))
        true, predicted = evaluation.classes[m["true"]], evaluation.classes[m["predicted"]]
        ax.set_title(f"true {true}\npredicted {predicted} ({m['score']:.2f})", fontsize=9)
    fig.tight_layout()
    return fig


def raw_image(dataset: Any, index: int) -> np.ndarray:
    """The sample as a person sees it: the decoded image before transforms when the dataset keeps it, else the
    transformed tensor rescaled to [0, 1]."""
    while hasattr(dataset, "indices") and hasattr(dataset, "dataset"):  # a split's part
        index, dataset = dataset.indices[index], dataset.dataset
    image = dataset.base[index][0] if hasattr(dataset, "base") else dataset[index][0]
    if hasattr(image, "convert"):  # PIL
        return np.asarray(image.convert("RGB"))
    array = np.asarray(image, dtype=np.float32)
    if array.ndim == 3 and array.shape[0] in (1, 3):
        array = array.transpose(1, 2, 0)
    array = (array - array.min()) / max(float(array.max() - array.min()), 1e-8)
    return array.squeeze()


def figure_png(fig: Any, path: Path) -> None:
    """Save a matplotlib figure as PNG, atomically, and close it."""
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    write_with(path, lambda tmp: Path(tmp).write_bytes(buffer.getvalue()))


def per_class_table(evaluation: Evaluation) -> str:
    """A compact per-class table for the terminal and the Markdown report."""
    width = max([len(c) for c in evaluation.classes] + [8])
    lines = [f"{'class':<{width}}  precision  recall     f1  support"]
    for c, r in evaluation.per_class().items():
        lines.append(f"{c:<{width}}  {r['precision']:9.3f}  {r['recall']:6.3f}  {r['f1']:5.3f}  {r['support']:7d}")
    for name, avg in evaluation.averages().items():
        lines.append(f"{name + ' avg':<{width}}  {avg['precision']:9.3f}  {avg['recall']:6.3f}  {avg['f1']:5.3f}  "
                     f"{evaluation.samples:7d}")  # fmt: skip
    return "\n".join(lines)


def write_report(evaluation: Evaluation, dataset: Any, folder: Path, *, title: str) -> list[Path]:
    """``confusion_matrix.png``, ``mistakes.png`` (when there are any), ``per_class.csv`` and ``report.md``."""
    folder.mkdir(parents=True, exist_ok=True)
    written = [folder / "confusion_matrix.png", folder / "per_class.csv", folder / "report.md"]
    figure_png(confusion_figure(evaluation), written[0])
    mistakes = mistakes_figure(evaluation, dataset)
    if mistakes is not None:
        figure_png(mistakes, folder / "mistakes.png")
        written.append(folder / "mistakes.png")
    buffer = io.StringIO()
    table = csv.writer(buffer)
    table.writerow(["class", "precision", "recall", "f1", "support"])
    for c, row in evaluation.per_class().items():
        table.writerow([c, f"{row['precision']:.6f}", f"{row['recall']:.6f}", f"{row['f1']:.6f}", row["support"]])
    write_text(written[1], buffer.getvalue())
    scalars = ", ".join(f"{k} {v:.4f}" for k, v in evaluation.scalars("eval").items())
    body = [f"# Evaluation of {title}", "", f"{scalars}, {evaluation.samples} samples", "", "```text",
            per_class_table(evaluation), "```", "", "![confusion matrix](confusion_matrix.png)", ""]  # fmt: skip
    if mistakes is not None:
        body += ["![most confident mistakes](mistakes.png)", ""]
    write_text(written[2], "\n".join(body))
    return written
