"""The CIFAR-style ResNet-18 as an ordered list of layer groups.

Partition point ``l`` (0..L) means the device runs groups ``1..l`` and the
edge server runs ``l+1..L``. With L = 11 groups: the stem (normalisation,
3x3 conv, batch norm, ReLU), the eight basic blocks, global pooling with
flattening, and the classifier.
"""

from __future__ import annotations

import torch
from torch import nn
from torchvision.models import resnet18

# Per-channel statistics of the CIFAR-10 training images, in [0, 1] units.
CIFAR10_MEAN = (0.4914, 0.4822, 0.4465)
CIFAR10_STD = (0.2470, 0.2435, 0.2616)

GROUP_NAMES = (
    "stem",
    "layer1.0",
    "layer1.1",
    "layer2.0",
    "layer2.1",
    "layer3.0",
    "layer3.1",
    "layer4.0",
    "layer4.1",
    "pool",
    "fc",
)
POINT_NAMES = ("input",) + GROUP_NAMES


class Normalize(nn.Module):
    """Map [0, 1] pixels to zero-mean, unit-variance channels."""

    def __init__(self, mean: tuple[float, ...], std: tuple[float, ...]):
        super().__init__()
        self.register_buffer("mean", torch.tensor(mean).view(1, -1, 1, 1))
        self.register_buffer("std", torch.tensor(std).view(1, -1, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean) / self.std


class SplitResNet18(nn.Module):
    """ResNet-18 for 32x32 inputs whose forward pass can start and stop at any point.

    The stem is a 3x3 stride-1 convolution without max-pooling, as is usual for
    CIFAR; the input is a float tensor of [0, 1] pixels, shape (B, 3, 32, 32).
    """

    def __init__(self, num_classes: int = 10):
        super().__init__()
        base = resnet18(num_classes=num_classes)
        base.conv1 = nn.Conv2d(3, 64, kernel_size=3, stride=1, padding=1, bias=False)
        stem = nn.Sequential(Normalize(CIFAR10_MEAN, CIFAR10_STD), base.conv1, base.bn1, base.relu)
        blocks = [
            block
            for layer in (base.layer1, base.layer2, base.layer3, base.layer4)
            for block in layer
        ]
        pool = nn.Sequential(base.avgpool, nn.Flatten(1))
        self.groups = nn.ModuleList([stem, *blocks, pool, base.fc])

    @property
    def num_groups(self) -> int:
        return len(self.groups)

    def run(self, x: torch.Tensor, start: int = 0, stop: int | None = None) -> torch.Tensor:
        """Run groups ``start+1..stop``: from partition point ``start`` to ``stop``."""
        stop = self.num_groups if stop is None else stop
        for group in self.groups[start:stop]:
            x = group(x)
        return x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.run(x)


def images_to_tensor(images_uint8) -> torch.Tensor:
    """Convert (B, 32, 32, 3) uint8 images to a (B, 3, 32, 32) float tensor in [0, 1]."""
    x = torch.as_tensor(images_uint8).permute(0, 3, 1, 2)
    return x.float().div_(255.0).contiguous(memory_format=torch.channels_last)
