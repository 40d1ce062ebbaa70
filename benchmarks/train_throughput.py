"""Training-step throughput of the split ResNet-18: bf16 autocast against fp32.

Times full SGD steps (augmentation, forward, backward, optimiser) on real
CIFAR-10 training images, with each variant in the same process, threads and
batch size. The first ``--warmup`` steps of each variant are not timed.

    python benchmarks/train_throughput.py --results results --steps 8
"""

from __future__ import annotations

import argparse
import contextlib
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from ajci.data.cifar10 import load_dataset
from ajci.dnn.model import SplitResNet18, images_to_tensor
from ajci.dnn.train import augment, pick_precision

REPO = Path(__file__).resolve().parents[1]

VARIANTS = {
    "fp32, contiguous": (False, torch.contiguous_format),
    "fp32, channels-last": (False, torch.channels_last),
    "bf16 autocast, channels-last": (True, torch.channels_last),
}


def time_steps(images, labels, *, bf16, memory_format, batch_size, steps, warmup, seed):
    """Return the images/s of ``steps`` timed SGD steps after ``warmup`` untimed ones."""
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    model = SplitResNet18().to(memory_format=memory_format).train()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True)
    rng = np.random.default_rng(seed)
    elapsed = 0.0
    for step in range(warmup + steps):
        index = rng.choice(len(labels), batch_size, replace=False)
        started = time.perf_counter()
        x = augment(images_to_tensor(images[index]), generator)
        x = x.contiguous(memory_format=memory_format)
        y = torch.as_tensor(labels[index])
        if bf16:
            precision = torch.autocast(device_type="cpu", dtype=torch.bfloat16)
        else:
            precision = contextlib.nullcontext()
        with precision:
            loss = F.cross_entropy(model(x), y, label_smoothing=0.1)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if step >= warmup:
            elapsed += time.perf_counter() - started
    return steps * batch_size / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=REPO / "results")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--steps", type=int, default=8, help="timed steps per variant")
    parser.add_argument("--warmup", type=int, default=2, help="untimed steps per variant")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    data = load_dataset(args.results / "data/cifar10.npz")
    images, labels = data["x_train"], data["y_train"]
    print(
        f"torch {torch.__version__}, {args.threads} threads, batch {args.batch_size}, "
        f"{args.steps} timed steps after {args.warmup} warm-up steps"
    )
    rates = {}
    for name, (bf16, memory_format) in VARIANTS.items():
        rates[name] = time_steps(
            images,
            labels,
            bf16=bf16,
            memory_format=memory_format,
            batch_size=args.batch_size,
            steps=args.steps,
            warmup=args.warmup,
            seed=0,
        )
        print(f"{name:30s} {rates[name]:8.1f} images/s")
    reference = rates["fp32, contiguous"]
    for name, rate in rates.items():
        print(f"{name:30s} {rate / reference:6.2f}x against fp32, contiguous")
    # The precision that `precision: auto` in config.yaml picks on this CPU.
    print(f"precision auto on this CPU: {pick_precision('auto', torch.device('cpu'))}")


if __name__ == "__main__":
    main()
