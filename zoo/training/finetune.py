"""Fine-tuning controls: freezing by the card's head path, gradual unfreezing, discriminative learning rates."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from torch import nn

from ..errors import SpecError, did_you_mean
from ..models.head import is_under
from .callbacks import Callback

if TYPE_CHECKING:
    from ..specs import OptimizerSpec, TrainerSpec
    from .trainer import Trainer

_NORMS = (nn.modules.batchnorm._NormBase, nn.LayerNorm, nn.GroupNorm, nn.LocalResponseNorm)


def frozen_paths(model: nn.Module, freeze: str | list[str], head: str | None) -> list[str]:
    """Every module path to freeze: all modules outside the head for ``backbone``, or those under the given paths.

    Raises ``SpecError`` for a path the model does not have, or ``backbone`` on a model whose card has no head.
    """
    if freeze == "none":
        return []
    names = [n for n, _ in model.named_modules() if n]
    if freeze == "backbone":
        if not head:
            raise SpecError("trainer.freeze: backbone needs the model's head path, and its card has none")
        return [n for n in names if not is_under(head, n) and not is_under(n, head)]
    for path in freeze:
        if path not in names:
            raise SpecError(f"trainer.freeze: the model has no module '{path}'{did_you_mean(path, names)}")
    return [n for n in names if any(is_under(n, p) for p in freeze)]


def set_frozen(model: nn.Module, paths: list[str], frozen: bool) -> None:
    for path in paths:
        for param in model.get_submodule(path).parameters(recurse=False):
            param.requires_grad_(not frozen)


def param_groups(model: nn.Module, head: str | None, optimizer: OptimizerSpec, trainer: TrainerSpec) -> list[dict]:
    """Optimizer groups: backbone/head × decay/no-decay, with the head at ``lr × head_lr_mult`` and the backbone
    at ``backbone_lr``. Frozen parameters are included (they get no gradient until unfrozen)."""
    no_decay_names = set()
    if trainer.no_decay_norm_bias:
        for module_name, module in model.named_modules():
            for pname, _ in module.named_parameters(recurse=False):
                if isinstance(module, _NORMS) or pname == "bias":
                    no_decay_names.add(f"{module_name}.{pname}" if module_name else pname)
    groups: dict[tuple[str, bool], list[nn.Parameter]] = {}
    for name, param in model.named_parameters():
        part = "head" if head and is_under(name, head) else "backbone"
        groups.setdefault((part, name in no_decay_names), []).append(param)
    lrs = {"head": optimizer.lr * trainer.head_lr_mult, "backbone": trainer.backbone_lr or optimizer.lr}
    out = []
    for (part, no_decay), params in groups.items():
        group: dict[str, Any] = {"params": params, "lr": lrs[part], "name": f"{part}{'_no_decay' if no_decay else ''}"}
        if no_decay:
            group["weight_decay"] = 0.0
        out.append(group)
    return out


class Finetune(Callback):
    """Keeps frozen parts frozen (BatchNorm in eval mode unless ``train_bn``) and unfreezes at the set epoch."""

    def __init__(self, paths: list[str], train_bn: bool, unfreeze_at_epoch: int | None) -> None:
        self.paths, self.train_bn, self.unfreeze_at_epoch = paths, train_bn, unfreeze_at_epoch

    def frozen_at(self, epoch: int) -> bool:
        """Whether the frozen parts are still frozen in 0-based ``epoch``."""
        return self.unfreeze_at_epoch is None or epoch + 1 < self.unfreeze_at_epoch

    def on_epoch_start(self, trainer: Trainer) -> None:
        model = trainer.unwrapped_model
        frozen = self.frozen_at(trainer.epoch)
        set_frozen(model, self.paths, frozen)
        if frozen and not self.train_bn:
            for path in self.paths:
                module = model.get_submodule(path)
                if isinstance(module, nn.modules.batchnorm._BatchNorm):
                    module.eval()
        if not frozen and trainer.epoch + 1 == self.unfreeze_at_epoch:
            trainer.log(f"epoch {trainer.epoch + 1}: unfreezing {len(self.paths)} frozen modules")
