"""Built-in models; importing this package registers them in ``zoo.registry.MODELS``."""

from . import cifar10_quick, vgg

__all__ = ["cifar10_quick", "vgg"]
