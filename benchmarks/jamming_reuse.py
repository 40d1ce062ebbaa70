"""Speed of the jamming measurement with and without reuse of the device-side output.

The pipeline runs groups 1..l once per batch and reuses that output for every
SINR value. The plain reference runs the whole network again for each SINR.
Both use the same model, images, noise streams and threads, in one process:

    python benchmarks/jamming_reuse.py --results results --images 500
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch
import yaml

from ajci.data.cifar10 import load_dataset
from ajci.dnn.jamming import measure_point_accuracy, measure_without_reuse, select_test_subset
from ajci.dnn.train import load_checkpoint

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=REPO / "results")
    parser.add_argument("--images", type=int, default=500)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    config = yaml.safe_load((REPO / "config.yaml").read_text())
    sinr_db = [float(v) for v in config["jamming"]["sinr_db"]]
    batch_size = config["jamming"]["batch_size"]
    model, _ = load_checkpoint(args.results / "model/resnet18.pt")
    data = load_dataset(args.results / "data/cifar10.npz")
    index = select_test_subset(args.images, len(data["y_test"]), seed=0)
    images, labels = data["x_test"][index], data["y_test"][index]

    print(f"{args.images} images x {len(sinr_db)} SINR values, {args.threads} threads\n")
    print("| point | reuse (image-SINR/s) | no reuse (image-SINR/s) | ratio | same accuracy |")
    print("|---|---|---|---|---|")
    totals = [0.0, 0.0]
    for point in range(model.num_groups):  # the last point sends nothing: no noise to add
        started = time.perf_counter()
        reused = measure_point_accuracy(model, images, labels, point, sinr_db, batch_size, seed=0)[
            "accuracy"
        ].values[0]
        fast = time.perf_counter() - started
        started = time.perf_counter()
        plain = measure_without_reuse(model, images, labels, point, sinr_db, batch_size, 0)
        plain = plain / args.images
        slow = time.perf_counter() - started
        totals[0] += fast
        totals[1] += slow
        rate = args.images * len(sinr_db)
        print(
            f"| {point} | {rate / fast:.0f} | {rate / slow:.0f} | {slow / fast:.2f}x "
            f"| {np.array_equal(reused, plain)} |"
        )
    print(
        f"\nWhole stage (points 0-10): {totals[0]:.1f} s with reuse, {totals[1]:.1f} s "
        f"without, {totals[1] / totals[0]:.2f}x"
    )


if __name__ == "__main__":
    main()
