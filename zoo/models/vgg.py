"""The VGG family with torchvision's module layout (``features``, ``avgpool``, ``classifier``).

State_dicts of ``torchvision.models.vgg*`` load unchanged; ``num_classes`` replaces ``classifier.6``. The named
weights are torchvision's ImageNet checkpoints (the hash prefix in the file name is the first hex digits of the
file's sha256, which the downloader checks).
"""

from __future__ import annotations

from torch import Tensor, nn

from ..registry import MODELS

_LAYERS = {
    "vgg11": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "vgg13": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "vgg16": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
    "vgg19": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M"],
}
_TORCHVISION_FILES = {
    "vgg11": "vgg11-8a719046.pth",
    "vgg13": "vgg13-19584684.pth",
    "vgg16": "vgg16-397923af.pth",
    "vgg19": "vgg19-dcbb9e9d.pth",
    "vgg11_bn": "vgg11_bn-6002323d.pth",
    "vgg13_bn": "vgg13_bn-abd245e5.pth",
    "vgg16_bn": "vgg16_bn-6c64b313.pth",
    "vgg19_bn": "vgg19_bn-c79401a0.pth",
}


class VGG(nn.Module):
    """VGG as in torchvision: conv stack, 7×7 adaptive pool, three-layer classifier."""

    def __init__(self, layers: list, *, batch_norm: bool = False, num_classes: int = 1000, dropout: float = 0.5):
        super().__init__()
        self.features = _make_features(layers, batch_norm)
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(512 * 7 * 7, 4096),
            nn.ReLU(True),
            nn.Dropout(dropout),
            nn.Linear(4096, 4096),
            nn.ReLU(True),
            nn.Dropout(dropout),
            nn.Linear(4096, num_classes),
        )
        self._init_weights()

    def _init_weights(self) -> None:
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0, 0.01)
                nn.init.zeros_(m.bias)

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(self.avgpool(self.features(x)).flatten(1))


def _make_features(layers: list, batch_norm: bool) -> nn.Sequential:
    modules: list[nn.Module] = []
    channels = 3
    for v in layers:
        if v == "M":
            modules.append(nn.MaxPool2d(kernel_size=2, stride=2))
            continue
        modules.append(nn.Conv2d(channels, v, kernel_size=3, padding=1))
        if batch_norm:
            modules.append(nn.BatchNorm2d(v))
        modules.append(nn.ReLU(inplace=True))
        channels = v
    return nn.Sequential(*modules)


def _register(name: str, depth: str, batch_norm: bool) -> None:
    def builder(num_classes: int = 1000, dropout: float = 0.5) -> VGG:
        return VGG(_LAYERS[depth], batch_norm=batch_norm, num_classes=num_classes, dropout=dropout)

    builder.__name__ = builder.__qualname__ = name
    builder.__doc__ = f"{name.upper()} (torchvision layout){' with BatchNorm' if batch_norm else ''}."
    filename = _TORCHVISION_FILES[name]
    MODELS.register(
        name,
        builder,
        family="vgg",
        input_size=(3, 224, 224),
        num_classes=1000,
        head="classifier.6",
        first_conv="features.0",
        license="bsd-3-clause",
        paper="arXiv:1409.1556",
        weights={
            "IMAGENET1K_V1": {
                "url": f"https://download.pytorch.org/models/{filename}",
                "sha256_prefix": filename.rsplit("-", 1)[1].split(".")[0],
            }
        },
    )


for _depth in _LAYERS:
    _register(_depth, _depth, batch_norm=False)
    _register(f"{_depth}_bn", _depth, batch_norm=True)
