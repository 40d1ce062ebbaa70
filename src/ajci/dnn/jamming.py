"""Top-1 accuracy of the split model when the transmitted features are jammed."""

from __future__ import annotations

import logging
import math
import time

import numpy as np
import torch
import xarray as xr

from ajci.dnn.model import SplitResNet18, images_to_tensor
from ajci.dnn.train import autocast

log = logging.getLogger(__name__)


def select_test_subset(n_images: int, n_total: int, seed: int) -> np.ndarray:
    """Return a sorted seeded random subset of test indices (the files are class-sorted)."""
    return np.sort(np.random.default_rng(seed).permutation(n_total)[:n_images])


def add_awgn(features: torch.Tensor, sinr_db: float, generator: torch.Generator) -> torch.Tensor:
    """Add white Gaussian noise whose power is each sample's mean power over the linear SINR."""
    x = features.float()
    power = x.pow(2).flatten(1).mean(1)  # (B,) mean power per sample
    std = torch.sqrt(power / 10.0 ** (sinr_db / 10.0)).view(-1, *([1] * (x.dim() - 1)))
    noise = torch.randn(x.shape, generator=generator, dtype=x.dtype)
    return (x + std * noise).contiguous(
        memory_format=torch.channels_last if x.dim() == 4 else torch.contiguous_format
    )


def bit_error_rate(sinr_db: float) -> float:
    """Return the BPSK bit-error probability Q(sqrt(2 SINR)) = erfc(sqrt(SINR)) / 2."""
    return 0.5 * math.erfc(math.sqrt(10.0 ** (sinr_db / 10.0)))


def quantize(features: torch.Tensor, bits: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Quantise each sample uniformly between its own minimum and maximum.

    Returns the integer codes (int64, 0..2^bits - 1), and the per-sample
    minimum and step, which are sent as error-free side information.
    """
    x = features.float()
    flat = x.flatten(1)
    low = flat.min(1).values.view(-1, *([1] * (x.dim() - 1)))
    high = flat.max(1).values.view(-1, *([1] * (x.dim() - 1)))
    step = torch.clamp(high - low, min=1e-12) / (2**bits - 1)
    codes = torch.round((x - low) / step).to(torch.int64)
    return codes, low, step


def flip_bits(
    codes: torch.Tensor, bits: int, error_rate: float, generator: torch.Generator
) -> torch.Tensor:
    """Flip each of the ``bits`` low bits of every code independently with ``error_rate``."""
    codes = codes.clone()
    if error_rate > 0:
        for bit in range(bits):
            flips = torch.rand(codes.shape, generator=generator) < error_rate
            codes ^= flips.to(torch.int64) << bit
    return codes


def send_digital(
    features: torch.Tensor, sinr_db: float, bits: int, generator: torch.Generator
) -> torch.Tensor:
    """Quantise to ``bits`` bits, flip each bit with the BPSK error rate, and dequantise."""
    codes, low, step = quantize(features, bits)
    codes = flip_bits(codes, bits, bit_error_rate(sinr_db), generator)
    x = low + codes.to(torch.float32) * step
    return x.contiguous(
        memory_format=torch.channels_last if x.dim() == 4 else torch.contiguous_format
    )


def wilson_interval(correct: np.ndarray, total: int, z: float = 1.959964) -> np.ndarray:
    """Return the 95 % Wilson score interval of a binomial proportion, shape (..., 2)."""
    p = correct / total
    centre = (p + z**2 / (2 * total)) / (1 + z**2 / total)
    half = z * np.sqrt(p * (1 - p) / total + z**2 / (4 * total**2)) / (1 + z**2 / total)
    return np.stack([centre - half, centre + half], axis=-1)


@torch.no_grad()
def measure_point_accuracy(
    model: SplitResNet18,
    images: np.ndarray,
    labels: np.ndarray,
    point: int,
    sinr_db: list[float],
    batch_size: int,
    seed: int,
    corruption: str = "awgn",
    quantization_bits: int = 8,
) -> xr.Dataset:
    """Measure accuracy at one partition point for every SINR value.

    ``corruption`` is "awgn" (analog noise at the SINR, per-sample power) or
    "digital" (``quantization_bits``-bit quantisation sent over BPSK with bit
    errors). The device-side part (groups ``1..point``) runs once per batch and
    its output is reused for every SINR; only the edge-server part reruns. At
    the last point nothing is transmitted, so every SINR gives the clean accuracy.
    """
    n_groups = model.num_groups
    correct = np.zeros(len(sinr_db), dtype=np.int64)
    clean_correct = 0
    started = time.perf_counter()
    for start in range(0, len(labels), batch_size):
        x = images_to_tensor(images[start : start + batch_size])
        y = torch.as_tensor(labels[start : start + batch_size])
        with autocast(x.device):
            head = model.run(x, 0, point)
            clean_correct += int((model.run(head, point).argmax(1) == y).sum())
        for k, value in enumerate(sinr_db):
            if point == n_groups:
                correct[k] += int((head.argmax(1) == y).sum())
                continue
            stream = np.random.SeedSequence([seed, point, k, start]).generate_state(1)[0]
            generator = torch.Generator().manual_seed(int(stream))
            if corruption == "digital":
                noisy = send_digital(head, value, quantization_bits, generator)
            else:
                noisy = add_awgn(head, value, generator)
            with autocast(x.device):
                logits = model.run(noisy, point)
            correct[k] += int((logits.argmax(1) == y).sum())
    seconds = time.perf_counter() - started

    total = len(labels)
    accuracy = correct / total
    interval = wilson_interval(correct, total)
    log.info(
        "point %d: clean %.4f, %d images x %d SINR values in %.1f s (%.0f image-SINR/s)",
        point,
        clean_correct / total,
        total,
        len(sinr_db),
        seconds,
        total * len(sinr_db) / seconds,
    )
    for value, acc in zip(sinr_db, accuracy, strict=True):
        log.info("point %d sinr %6.1f dB accuracy %.4f", point, value, acc)
    return xr.Dataset(
        {
            "accuracy": (("point", "sinr_db"), accuracy[None], {"units": "1"}),
            "accuracy_low": (("point", "sinr_db"), interval[None, :, 0], {"units": "1"}),
            "accuracy_high": (("point", "sinr_db"), interval[None, :, 1], {"units": "1"}),
            "correct": (("point", "sinr_db"), correct[None]),
            "clean_accuracy": ("point", [clean_correct / total], {"units": "1"}),
            "seconds": ("point", [seconds], {"units": "s"}),
        },
        coords={"point": [point], "sinr_db": np.asarray(sinr_db, dtype=np.float64)},
        attrs={
            "n_images": total,
            "corruption": corruption,
            "quantization_bits": quantization_bits if corruption == "digital" else 0,
            "seed": seed,
        },
    )
