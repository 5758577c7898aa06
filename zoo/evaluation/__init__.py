"""One evaluation path for ``Trainer.evaluate`` and ``zoo eval``: loss, top-1/top-5, per-class precision / recall /
F1 / support, macro and weighted averages, the confusion matrix and the most confident mistakes (torchmetrics)."""

from .metrics import Evaluation, evaluate_loader, sample_order

__all__ = ["Evaluation", "evaluate_loader", "sample_order"]
