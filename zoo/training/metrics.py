"""Running loss and top-k accuracy, accumulated on the device: no host sync until ``compute()``."""

from __future__ import annotations

import torch
from torch import Tensor


class Meter:
    """Sums of loss, correct top-1/top-5 and sample count, kept as device tensors."""

    def __init__(self, device: torch.device, *, top5: bool, sums: Tensor | None = None) -> None:
        """``sums``: the running sums to continue from (a run resumed in the middle of an epoch)."""
        self.device, self.top5 = device, top5
        self._sums = torch.zeros(4, device=device, dtype=torch.float64)  # loss, top1, top5, count
        if sums is not None:
            self._sums += sums.to(device)

    def update(self, loss: Tensor, logits: Tensor, targets: Tensor) -> None:
        """Add one batch (``loss`` is the batch mean)."""
        n = targets.shape[0]
        with torch.no_grad():
            k = min(5, logits.shape[1]) if self.top5 else 1
            top = logits.topk(k, dim=1).indices
            hits = top.eq(targets.view(-1, 1))
            batch = torch.stack(
                [
                    loss.detach().double() * n,
                    hits[:, 0].sum().double(),
                    hits.any(1).sum().double(),
                    logits.new_tensor(n).double(),
                ]
            )
            self._sums += batch

    def state(self) -> Tensor:
        """The raw sums (for all-reducing across processes)."""
        return self._sums

    def compute(self, prefix: str) -> dict[str, float]:
        """``{prefix_loss, prefix_acc[, prefix_top5]}`` — the one host sync."""
        loss, top1, top5, count = self._sums.tolist()
        count = max(count, 1.0)
        out = {f"{prefix}_loss": loss / count, f"{prefix}_acc": top1 / count}
        if self.top5:
            out[f"{prefix}_top5"] = top5 / count
        return out
