"""The CIFAR-10 "quick" net of the beginner course (chapter 12), kept exactly: 145,578 parameters, no activations.

The module path ``model1`` is the course's own, so state_dicts saved by the course's code load unchanged.
"""

from __future__ import annotations

from torch import Tensor, nn

from ..registry import MODELS
from ..registry.cards import CIFAR10_MEAN, CIFAR10_STD

_CARD = dict(
    family="cifar10_quick",
    input_size=(3, 32, 32),
    mean=CIFAR10_MEAN,
    std=CIFAR10_STD,
    num_classes=10,
    head="model1.8",
    first_conv="model1.0",
    license="mit",
)


class Cifar10Quick(nn.Module):
    """Conv(3→32,5,p2) Pool Conv(32→32,5,p2) Pool Conv(32→64,5,p2) Pool Flatten Linear(1024→64) Linear(64→N).

    With ``activations=True`` a ReLU follows every conv and the first linear layer, and ``batch_norm=True``
    adds BatchNorm after each conv (registered as ``cifar10_quick_bn``).
    """

    def __init__(self, num_classes: int = 10, *, activations: bool = False, batch_norm: bool = False) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        for c_in, c_out in ((3, 32), (32, 32), (32, 64)):
            layers.append(nn.Conv2d(c_in, c_out, 5, padding=2))
            if batch_norm:
                layers.append(nn.BatchNorm2d(c_out))
            if activations:
                layers.append(nn.ReLU(inplace=True))
            layers.append(nn.MaxPool2d(2))
        layers += [nn.Flatten(), nn.Linear(64 * 4 * 4, 64)]
        if activations:
            layers.append(nn.ReLU(inplace=True))
        layers.append(nn.Linear(64, num_classes))
        self.model1 = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        return self.model1(x)


@MODELS.register("cifar10_quick", aliases=("tudui",), paper=None, description="the course's CIFAR-10 net", **_CARD)
def cifar10_quick(num_classes: int = 10) -> Cifar10Quick:
    """The course's net, faithful: no activations between layers."""
    return Cifar10Quick(num_classes)


@MODELS.register(
    "cifar10_quick_bn",
    description="the course's net with BatchNorm and ReLU after each conv",
    **{**_CARD, "head": "model1.15"},
)
def cifar10_quick_bn(num_classes: int = 10) -> Cifar10Quick:
    """The quick net with BatchNorm + ReLU: trains faster and further than the faithful one."""
    return Cifar10Quick(num_classes, activations=True, batch_norm=True)
