"""Per-group workload, per-point payload and measured wall time of the split model."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np
import torch
import xarray as xr
from torch.utils.flop_counter import FlopCounterMode

from ajci.dnn.model import GROUP_NAMES, POINT_NAMES, SplitResNet18

log = logging.getLogger(__name__)


def count_group_flops(model: SplitResNet18) -> tuple[np.ndarray, list[tuple[int, ...]]]:
    """Count the FLOPs of each group for one 3x32x32 image with torch's flop counter.

    The counter covers convolutions and matrix products (a multiply-add is 2
    FLOPs); batch norm, ReLU, residual additions and pooling are not counted.

    Returns
    -------
    flops
        (L,) FLOPs per group, for one image.
    shapes
        (L+1,) shape of one image's tensor at each partition point.
    """
    x = torch.zeros(1, 3, 32, 32)
    flops, shapes = [], [tuple(x.shape[1:])]
    model.eval()
    with torch.no_grad():
        for group in model.groups:
            with FlopCounterMode(display=False) as counter:
                x = group(x)
            flops.append(counter.get_total_flops())
            shapes.append(tuple(x.shape[1:]))
    return np.asarray(flops, dtype=np.float64), shapes


def payload_bits(shapes, feature_bits: int, input_bits: int) -> tuple[np.ndarray, np.ndarray]:
    """Return elements and bits crossing the link at each partition point.

    The raw input (point 0) is sent as ``input_bits`` per pixel channel, any
    other point as ``feature_bits`` per element, and the last point sends nothing.
    """
    elements = np.asarray([int(np.prod(shape)) for shape in shapes], dtype=np.int64)
    bits = elements * float(feature_bits)
    bits[0] = elements[0] * float(input_bits)
    bits[-1] = 0.0
    return elements, bits


def time_groups(model: SplitResNet18, batch_size: int, repeats: int, seed: int = 0) -> np.ndarray:
    """Return the median wall time of each group per image (s) over ``repeats`` runs, fp32."""
    generator = torch.Generator().manual_seed(seed)
    x = torch.rand(batch_size, 3, 32, 32, generator=generator)
    x = x.contiguous(memory_format=torch.channels_last)
    times = np.zeros((repeats, len(model.groups)))
    model.eval()
    with torch.no_grad():
        model(x)  # warm-up
        for r in range(repeats):
            h = x
            for i, group in enumerate(model.groups):
                started = time.perf_counter()
                h = group(h)
                times[r, i] = (time.perf_counter() - started) / batch_size
    return np.median(times, axis=0)


def read_cpu_clock_hz(cpuinfo: Path = Path("/proc/cpuinfo")) -> float:
    """Return the clock of the first CPU listed in ``cpuinfo`` (Linux), in Hz.

    Raises
    ------
    ValueError
        If the file is missing or has no "cpu MHz" line; then set
        ``profile.cpu_clock_hz`` in the config.
    """
    try:
        text = cpuinfo.read_text()
    except OSError as error:
        raise ValueError(
            f"failed to read the CPU clock from {cpuinfo} ({error}); set profile.cpu_clock_hz"
        ) from error
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "cpu MHz":
            return float(value) * 1e6
    raise ValueError(f"{cpuinfo} has no 'cpu MHz' line; set profile.cpu_clock_hz")


def calibrate_flops_per_cycle(
    flops: np.ndarray, seconds: np.ndarray, clock_hz: float, threads: int
) -> tuple[np.ndarray, float]:
    """Return the FLOPs per cycle per core that reproduce the measured times.

    The device model takes t = FLOPs / (flops_per_cycle * f). Here f is the
    clock times the threads, so the value is per core. Returns the value of each
    group and that of the whole network (total FLOPs over total time).
    """
    cycles = np.asarray(seconds) * clock_hz * threads
    with np.errstate(divide="ignore", invalid="ignore"):
        per_group = np.where(cycles > 0, np.asarray(flops) / cycles, np.nan)
    return per_group, float(np.sum(flops) / np.sum(cycles))


def profile_model(
    model: SplitResNet18,
    feature_bits: int,
    input_bits: int,
    timing_batch_size: int,
    timing_repeats: int,
    cpu_clock_hz: float | None = None,
) -> xr.Dataset:
    """Measure FLOPs, payload sizes and wall times into a Dataset with units.

    ``cpu_clock_hz`` is the clock used to calibrate FLOPs per cycle from the
    measured times; None reads it from /proc/cpuinfo.
    """
    flops, shapes = count_group_flops(model)
    elements, bits = payload_bits(shapes, feature_bits, input_bits)
    seconds = time_groups(model, timing_batch_size, timing_repeats)
    clock_source = "config"
    if cpu_clock_hz is None:
        cpu_clock_hz, clock_source = read_cpu_clock_hz(), "/proc/cpuinfo"
    threads = torch.get_num_threads()
    per_group, calibrated = calibrate_flops_per_cycle(flops, seconds, cpu_clock_hz, threads)
    for name, f, t, c in zip(GROUP_NAMES, flops, seconds, per_group, strict=True):
        log.info("group %-9s %12.0f FLOPs  %8.3f ms/image  %6.2f FLOPs/cycle", name, f, 1e3 * t, c)
    log.info(
        "whole network: %.4g FLOPs in %.3f ms/image on %d threads at %.3g GHz (%s): "
        "%.2f FLOPs per cycle per core",
        flops.sum(),
        1e3 * seconds.sum(),
        threads,
        cpu_clock_hz / 1e9,
        clock_source,
        calibrated,
    )
    n_groups = len(GROUP_NAMES)
    dataset = xr.Dataset(
        {
            "flops": ("group", flops, {"units": "FLOP", "long_name": "workload per image"}),
            "time_s": (
                "group",
                seconds,
                {"units": "s", "long_name": "median measured wall time per image, fp32, this CPU"},
            ),
            "flops_per_cycle": (
                "group",
                per_group,
                {"units": "FLOP/cycle", "long_name": "calibrated FLOPs per cycle per core"},
            ),
            "elements": ("point", elements, {"units": "1", "long_name": "elements sent per image"}),
            "bits": ("point", bits, {"units": "bit", "long_name": "payload sent per image"}),
            "shape": ("point", ["x".join(map(str, s)) for s in shapes]),
            "group_name": ("group", list(GROUP_NAMES)),
            "point_name": ("point", list(POINT_NAMES)),
        },
        coords={"group": np.arange(1, n_groups + 1), "point": np.arange(n_groups + 1)},
    )
    dataset.attrs.update(
        feature_bits=feature_bits,
        input_bits=input_bits,
        timing_batch_size=timing_batch_size,
        timing_repeats=timing_repeats,
        torch_version=torch.__version__,
        torch_threads=threads,
        cpu_clock_hz=cpu_clock_hz,
        cpu_clock_source=clock_source,
        calibrated_flops_per_cycle=calibrated,
    )
    return dataset
