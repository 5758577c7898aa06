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
    from matplotlib.figure import Figure  # not pyplot: no global backend switched, nothing left open

    counts = np.asarray(evaluation.confusion)
    rows = counts / np.maximum(counts.sum(1, keepdims=True), 1)
    n = len(evaluation.classes)
    size = min(2 + 0.55 * n, 24)
    fig = Figure(figsize=(size, size * 0.9), dpi=100, layout="constrained")
    ax = fig.subplots()
    ax.imshow(rows, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(n), evaluation.classes, rotation=45, ha="right")
    ax.set_yticks(range(n), evaluation.classes)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    if n <= 30:  # counts written in only while they stay readable
        for i in range(n):
            for j in range(n):
                colour = "white" if rows[i, j] > 0.5 else "black"
                ax.text(j, i, str(counts[i, j]), ha="center", va="center", color=colour)
    ax.set_title(f"accuracy {evaluation.acc:.3f} on {evaluation.samples} samples")
    return fig


def mistakes_grid(evaluation: Evaluation, dataset: Any, *, limit: int = 16, size: int = 112) -> Any | None:
    """A grid of the most confident wrong predictions, each image captioned with its true and predicted class and
    score, as a PIL image (None: no mistakes). Drawn with PIL: milliseconds, so it can run at every new best."""
    from PIL import Image, ImageDraw

    shown = evaluation.mistakes[:limit]
    if not shown:
        return None
    cols = min(4, len(shown))
    rows = -(-len(shown) // cols)
    cell_h = size + 30
    grid = Image.new("RGB", (cols * size, rows * cell_h), "white")
    draw = ImageDraw.Draw(grid)
    for n, m in enumerate(shown):
        x, y = (n % cols) * size, (n // cols) * cell_h
        array = raw_image(dataset, m["index"])
        if array.dtype != np.uint8:
            array = (np.clip(array, 0, 1) * 255).astype(np.uint8)
        grid.paste(Image.fromarray(array).convert("RGB").resize((size - 4, size - 4)), (x + 2, y + 2))
        true, predicted = evaluation.classes[m["true"]], evaluation.classes[m["predicted"]]
        draw.text((x + 3, y + size), f"true {true}"[:18], fill="black")
        draw.text((x + 3, y + size + 13), f"pred {predicted} {m['score']:.2f}"[:18], fill="firebrick")
    return grid


def raw_image(dataset: Any, index: int) -> np.ndarray:
    """The sample as a person sees it: the decoded image before transforms when the dataset keeps it, else the
    transformed tensor rescaled to [0, 1]."""
    while hasattr(dataset, "indices") and hasattr(dataset, "dataset"):  # a split's part
        index, dataset = dataset.indices[index], dataset.dataset
    image = dataset.decoded(index)[0] if hasattr(dataset, "decoded") else dataset[index][0]
    if hasattr(image, "convert"):  # PIL
        return np.asarray(image.convert("RGB"))
    array = np.asarray(image, dtype=np.float32)
    if array.ndim == 3 and array.shape[0] in (1, 3):
        array = array.transpose(1, 2, 0)
    array = (array - array.min()) / max(float(array.max() - array.min()), 1e-8)
    return array.squeeze()


def figure_png(fig: Any, path: Path) -> None:
    """Save a matplotlib figure as PNG, atomically."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
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
    mistakes = mistakes_grid(evaluation, dataset)
    if mistakes is not None:
        write_with(folder / "mistakes.png", lambda tmp: mistakes.save(tmp, format="PNG"))
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
