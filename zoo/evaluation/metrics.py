"""Evaluating a model on a loader with torchmetrics; the result keeps what a report needs (matrix, mistakes)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor, nn


@dataclass
class Evaluation:
    """Everything one evaluation measured; ``scalars(prefix)`` for logs, ``to_dict()`` for ``zoo eval --json``."""

    loss: float
    acc: float
    top5: float | None
    samples: int
    classes: list[str]
    confusion: list[list[int]]  # rows: true class, columns: predicted class
    precision: list[float]
    recall: list[float]
    f1: list[float]
    support: list[int]
    mistakes: list[dict[str, Any]] = field(default_factory=list)  # {index, true, predicted, score}, most sure first

    def scalars(self, prefix: str) -> dict[str, float]:
        out = {f"{prefix}_loss": self.loss, f"{prefix}_acc": self.acc}
        if self.top5 is not None:
            out[f"{prefix}_top5"] = self.top5
        return out

    def averages(self) -> dict[str, dict[str, float]]:
        """Macro (every class alike) and weighted (by support) precision, recall and F1."""
        total = max(sum(self.support), 1)
        out = {}
        for name, values in (("precision", self.precision), ("recall", self.recall), ("f1", self.f1)):
            out.setdefault("macro", {})[name] = sum(values) / max(len(values), 1)
            out.setdefault("weighted", {})[name] = sum(v * s for v, s in zip(values, self.support, strict=True)) / total
        return out

    def per_class(self) -> dict[str, dict[str, float]]:
        return {
            c: {"precision": p, "recall": r, "f1": f, "support": s}
            for c, p, r, f, s in zip(self.classes, self.precision, self.recall, self.f1, self.support, strict=True)
        }

    def to_dict(self, prefix: str = "eval") -> dict[str, Any]:
        return {
            **self.scalars(prefix),
            "samples": self.samples,
            "classes": self.classes,
            "per_class": self.per_class(),
            "averages": self.averages(),
            "confusion_matrix": self.confusion,
        }


@torch.no_grad()
def evaluate_loader(
    model: nn.Module,
    batches: Iterable[tuple[Tensor, Tensor]],
    *,
    loss_fn: Callable[[Tensor, Tensor], Tensor],
    num_classes: int,
    classes: list[str] | None = None,
    device: torch.device | str = "cpu",
    forward: Callable[[Tensor], Tensor] | None = None,
    keep_mistakes: int = 16,
) -> Evaluation:
    """Run ``model`` over ``batches`` of ``(x, y)`` (``y`` already in the model's class order).

    ``loss_fn(logits, y)`` is the run's own loss (label smoothing included); ``forward`` may wrap the call (autocast,
    channels_last). The confusion matrix, mean loss and top-5 are torchmetrics' (summed across processes under DDP
    when ``compute`` runs); accuracy, precision, recall and F1 are read off the matrix (``zero_division`` = 0).
    """
    from torchmetrics import MeanMetric, MetricCollection
    from torchmetrics.classification import MulticlassAccuracy, MulticlassConfusionMatrix

    device = torch.device(device)
    top5 = num_classes >= 10
    # the confusion matrix holds every per-class count; precision, recall and F1 are read off it at the end
    collection = MetricCollection(
        {
            "confusion": MulticlassConfusionMatrix(num_classes),
            **({"top5": MulticlassAccuracy(num_classes, top_k=5, average="micro")} if top5 else {}),
        }
    ).to(device)
    mean_loss = MeanMetric().to(device)
    seen = 0
    mistakes: list[tuple[float, int, int, int]] = []
    model.eval()
    for x, y in batches:
        x, y = x.to(device), y.to(device)
        logits = (forward or model)(x).float()
        mean_loss.update(loss_fn(logits, y), weight=y.shape[0])
        collection.update(logits, y)
        mistakes = _most_confident_wrong(logits, y, seen, mistakes, keep_mistakes)
        seen += y.shape[0]
    results = collection.compute()
    confusion = results["confusion"].long().cpu()
    hits = confusion.diag().double()
    precision = hits / confusion.sum(0).clamp(min=1)  # of what was predicted as the class, how much was it
    recall = hits / confusion.sum(1).clamp(min=1)  # of the class, how much was found
    f1 = (2 * precision * recall / (precision + recall)).nan_to_num(0.0)
    return Evaluation(
        loss=float(mean_loss.compute()),
        acc=float(hits.sum() / max(int(confusion.sum()), 1)),
        top5=float(results["top5"]) if top5 else None,
        samples=int(confusion.sum()),
        classes=list(classes) if classes else [str(i) for i in range(num_classes)],
        confusion=confusion.tolist(),
        precision=precision.tolist(),
        recall=recall.tolist(),
        f1=f1.tolist(),
        support=confusion.sum(1).tolist(),
        mistakes=[{"index": i, "true": t, "predicted": p, "score": s} for s, i, t, p in mistakes],
    )


def _most_confident_wrong(
    logits: Tensor, y: Tensor, offset: int, kept: list[tuple[float, int, int, int]], limit: int
) -> list[tuple[float, int, int, int]]:
    """``kept`` plus this batch's wrong predictions, the ``limit`` most confident: ``(score, index, true,
    predicted)``. The batch's candidates are chosen on the device and cross to the host in one transfer."""
    scores, predicted = logits.softmax(1).max(1)
    wrong_scores = scores.masked_fill(predicted == y, -1.0)
    top = wrong_scores.topk(min(limit, len(y)))
    rows = torch.stack([top.values.double(), top.indices.double(), y[top.indices].double(),
                        predicted[top.indices].double()], 1).tolist()  # fmt: skip
    fresh = [(s, offset + int(i), int(t), int(p)) for s, i, t, p in rows if s >= 0]
    return sorted(kept + fresh, reverse=True)[:limit]


def sample_order(loader: Any) -> list[int] | None:
    """Dataset indices in the order ``loader`` yields them (its sampler's, whose keys may be ``(epoch, index)``),
    when it has a sampler; mistakes found at a position in the loader are mapped back to the dataset with it."""
    sampler = getattr(loader, "sampler", None)
    try:
        return [int(i[-1] if isinstance(i, tuple) else i) for i in sampler] if sampler is not None else None
    except TypeError:
        return None
