"""Top-1 accuracy of the split model when the transmitted features are jammed."""

from __future__ import annotations

import logging
import math
import time

import numpy as np
import torch
import xarray as xr

from ajci.dnn.model import SplitResNet18, images_to_tensor
from ajci.dnn.train import autocast, pick_precision

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


def corrupt(
    features: torch.Tensor,
    sinr_db: float,
    corruption: str,
    quantization_bits: int,
    generator: torch.Generator,
) -> torch.Tensor:
    """Pass features through the jammed link of the chosen corruption model."""
    if corruption == "digital":
        return send_digital(features, sinr_db, quantization_bits, generator)
    return add_awgn(features, sinr_db, generator)


def noise_generator(seed: int, point: int, sinr_index: int, batch_start: int) -> torch.Generator:
    """Return the noise stream of one (point, SINR, batch), the same in every code path."""
    stream = np.random.SeedSequence([seed, point, sinr_index, batch_start]).generate_state(1)[0]
    return torch.Generator().manual_seed(int(stream))


def count_edge_correct(
    model: SplitResNet18,
    sent: torch.Tensor,
    labels: torch.Tensor,
    point: int,
    precision: str = "auto",
) -> int:
    """Run the edge side (groups ``point+1..L``) on what was received and count correct labels."""
    with autocast(sent.device, precision):
        logits = model.run(sent, point)
    return int((logits.argmax(1) == labels).sum())


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
    reference_batches: int = 0,
    precision: str = "auto",
) -> xr.Dataset:
    """Measure accuracy at one partition point for every SINR value.

    ``corruption`` is "awgn" (analog noise at the SINR, per-sample power) or
    "digital" (``quantization_bits``-bit quantisation sent over BPSK with bit
    errors). The device-side part (groups ``1..point``) runs once per batch and
    its output is reused for every SINR; only the edge-server part reruns. At
    the last point nothing is transmitted, so every SINR gives the clean accuracy.

    With ``reference_batches`` > 0 and a point that sends data, the first
    ``reference_batches`` batches are measured a second time without reuse (see
    `measure_without_reuse`), and the throughput ratio of the two is stored.
    ``precision`` is "bf16", "fp32" or "auto" (see `ajci.dnn.train.pick_precision`).
    """
    # Resolved once, so the stored attribute is the precision every pass ran in.
    precision = pick_precision(precision, torch.device("cpu"))
    n_groups = model.num_groups
    correct = np.zeros(len(sinr_db), dtype=np.int64)
    clean_correct = 0
    starts = list(range(0, len(labels), batch_size))
    n_reference = 0 if point == n_groups else min(reference_batches, len(starts))
    started = time.perf_counter()
    for batch, start in enumerate(starts):
        x = images_to_tensor(images[start : start + batch_size])
        y = torch.as_tensor(labels[start : start + batch_size])
        with autocast(x.device, precision):
            head = model.run(x, 0, point)
            clean_correct += int((model.run(head, point).argmax(1) == y).sum())
        for k, value in enumerate(sinr_db):
            if point == n_groups:
                correct[k] += int((head.argmax(1) == y).sum())
                continue
            generator = noise_generator(seed, point, k, start)
            noisy = corrupt(head, value, corruption, quantization_bits, generator)
            correct[k] += count_edge_correct(model, noisy, y, point, precision)
        if batch + 1 == n_reference:
            reused_correct = correct.copy()
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
    dataset = xr.Dataset(
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
            "precision": precision,
        },
    )
    if n_reference:
        reference = measure_reference(
            model,
            images[: n_reference * batch_size],
            labels[: n_reference * batch_size],
            point,
            sinr_db,
            batch_size,
            seed,
            corruption,
            quantization_bits,
            reused_correct,
            reuse_rate=total / seconds,
            precision=precision,
        )
        dataset.update(reference)
    return dataset


@torch.no_grad()
def measure_without_reuse(
    model: SplitResNet18,
    images: np.ndarray,
    labels: np.ndarray,
    point: int,
    sinr_db: list[float],
    batch_size: int,
    seed: int,
    corruption: str = "awgn",
    quantization_bits: int = 8,
    precision: str = "auto",
) -> np.ndarray:
    """Count correct predictions per SINR, running groups 1..L again for every SINR value.

    This is the plain reference for `measure_point_accuracy`: the same batches
    and noise streams, but the device side is recomputed for each SINR value.
    """
    correct = np.zeros(len(sinr_db), dtype=np.int64)
    for start in range(0, len(labels), batch_size):
        x = images_to_tensor(images[start : start + batch_size])
        y = torch.as_tensor(labels[start : start + batch_size])
        for k, value in enumerate(sinr_db):
            with autocast(x.device, precision):
                head = model.run(x, 0, point)
            generator = noise_generator(seed, point, k, start)
            noisy = corrupt(head, value, corruption, quantization_bits, generator)
            correct[k] += count_edge_correct(model, noisy, y, point, precision)
    return correct


def measure_reference(
    model: SplitResNet18,
    images: np.ndarray,
    labels: np.ndarray,
    point: int,
    sinr_db: list[float],
    batch_size: int,
    seed: int,
    corruption: str,
    quantization_bits: int,
    reused_correct: np.ndarray,
    reuse_rate: float,
    precision: str = "auto",
) -> dict:
    """Time `measure_without_reuse` on the given first batches and compare with reuse.

    ``reused_correct`` are the counts of the reused run on the same batches and
    ``reuse_rate`` its images per second over the whole subset. Returns the
    point's reference variables, ready for `xarray.Dataset.update`.
    """
    n_images = len(labels)
    started = time.perf_counter()
    plain_correct = measure_without_reuse(
        model,
        images,
        labels,
        point,
        sinr_db,
        batch_size,
        seed,
        corruption,
        quantization_bits,
        precision,
    )
    reference_seconds = time.perf_counter() - started
    speedup = reuse_rate / (n_images / reference_seconds)
    log.info(
        "point %d: without reuse, %d images x %d SINR values in %.1f s "
        "(%.0f image-SINR/s); speed-up of reuse %.2fx",
        point,
        n_images,
        len(sinr_db),
        reference_seconds,
        n_images * len(sinr_db) / reference_seconds,
        speedup,
    )
    if not np.array_equal(plain_correct, reused_correct):
        log.warning(
            "point %d: the run without reuse counts %s correct, the reused run %s; "
            "the forward passes are not deterministic on this machine",
            point,
            plain_correct.tolist(),
            reused_correct.tolist(),
        )
    # Stored as floats so that merged files mark points without a reference NaN.
    return {
        "reference_correct": (("point", "sinr_db"), plain_correct[None].astype(float)),
        "reused_correct": (("point", "sinr_db"), reused_correct[None].astype(float)),
        "reference_images": ("point", [float(n_images)]),
        "reference_seconds": ("point", [reference_seconds], {"units": "s"}),
        "reuse_speedup": ("point", [speedup], {"units": "1"}),
    }


def summarize_reuse_speedup(datasets: list[xr.Dataset]) -> dict | None:
    """Return the stage-wide throughput with and without reuse, over points with a reference.

    Each throughput is image-SINR pairs over summed seconds, so slow points
    weigh more. Returns None when no dataset contains a reference measurement.
    """
    measured = [d for d in datasets if "reference_seconds" in d]
    if not measured:
        return None
    n_sinr = measured[0].sizes["sinr_db"]
    reuse_pairs = sum(int(d.attrs["n_images"]) * n_sinr for d in measured)
    reuse_seconds = sum(float(d["seconds"].sum()) for d in measured)
    reference_pairs = sum(int(d["reference_images"].sum()) * n_sinr for d in measured)
    reference_seconds = sum(float(d["reference_seconds"].sum()) for d in measured)
    reuse_rate = reuse_pairs / reuse_seconds
    reference_rate = reference_pairs / reference_seconds
    points = sorted(int(p) for d in measured for p in d["point"].values)
    if points == list(range(points[0], points[-1] + 1)) and len(points) > 1:
        point_list = f"{points[0]}-{points[-1]}"
    else:
        point_list = ", ".join(map(str, points))
    return {
        "reuse_image_sinr_per_s": reuse_rate,
        "reference_image_sinr_per_s": reference_rate,
        "reuse_speedup": reuse_rate / reference_rate,
        "reuse_speedup_points": point_list,
    }
