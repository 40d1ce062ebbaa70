"""Layer costs, payloads, the AWGN corruption and training reproducibility."""

import json
from pathlib import Path

import numpy as np
import pytest
import torch
import xarray as xr
import yaml

from ajci.data.cifar10 import load_dataset
from ajci.dnn.jamming import add_awgn, select_test_subset, wilson_interval
from ajci.dnn.model import CIFAR10_MEAN, SplitResNet18
from ajci.dnn.profile import (
    calibrate_flops_per_cycle,
    count_group_flops,
    payload_bits,
    read_cpu_clock_hz,
)
from ajci.dnn.train import TrainSettings, augment, autocast, pick_precision, train_model
from conftest import REPO

DEFAULT = yaml.safe_load((REPO / "config.yaml").read_text())
QUICK = yaml.safe_load((REPO / "config/quick.yaml").read_text())


def conv_flops(c_in, c_out, kernel, h_out, w_out):
    return 2 * c_in * c_out * kernel * kernel * h_out * w_out


def test_flops_match_hand_count():
    flops, shapes = count_group_flops(SplitResNet18())
    stem = conv_flops(3, 64, 3, 32, 32)
    block_64 = 2 * conv_flops(64, 64, 3, 32, 32)
    down_128 = conv_flops(64, 128, 3, 16, 16) + conv_flops(128, 128, 3, 16, 16)
    down_128 += conv_flops(64, 128, 1, 16, 16)  # 1x1 shortcut projection
    assert flops[0] == stem
    assert flops[1] == block_64
    assert flops[2] == block_64
    assert flops[3] == down_128
    assert flops[10] == 2 * 512 * 10  # classifier
    assert flops[9] == 0  # pooling is not counted
    assert shapes[4] == (128, 16, 16)
    assert shapes[11] == (10,)


def test_payload_bits():
    shapes = [(3, 32, 32), (64, 32, 32), (512,), (10,)]
    elements, bits = payload_bits(shapes, feature_bits=32, input_bits=8)
    assert elements.tolist() == [3072, 65536, 512, 10]
    assert bits.tolist() == [3072 * 8, 65536 * 32, 512 * 32, 0]


def test_awgn_power_matches_sinr():
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(64, 128, 8, 8, generator=generator) * torch.linspace(0.5, 3, 64).view(
        -1, 1, 1, 1
    )
    for sinr_db in (-10.0, 0.0, 13.0):
        noise = add_awgn(x, sinr_db, torch.Generator().manual_seed(1)) - x
        ratio = x.pow(2).flatten(1).mean(1) / noise.pow(2).flatten(1).mean(1)
        measured_db = 10 * torch.log10(ratio)
        np.testing.assert_allclose(measured_db.numpy(), sinr_db, atol=0.2)


def test_test_subset_is_seeded_and_mixed():
    first = select_test_subset(200, 10_000, seed=0)
    assert np.array_equal(first, select_test_subset(200, 10_000, seed=0))
    assert len(np.unique(first)) == 200
    # The files are class-sorted (1,000 per class): a random subset spans them all.
    assert len(np.unique(first // 1000)) == 10


def test_wilson_interval_known_value():
    # 80 of 100: the 95 % Wilson interval is (0.7112, 0.8666), from the textbook formula.
    low, high = wilson_interval(np.asarray(80), 100)
    assert abs(low - 0.7112) < 5e-4
    assert abs(high - 0.8666) < 5e-4


def test_cutout_blanks_one_clipped_square():
    side, batch = 8, 4000
    # Pixels in [0.6, 1) never equal a channel mean, so the blanked ones stand out.
    x = 0.6 + 0.4 * torch.rand(batch, 3, 32, 32, generator=torch.Generator().manual_seed(1))
    out = augment(x, torch.Generator().manual_seed(2), cutout=side)
    blank = (out == torch.tensor(CIFAR10_MEAN).view(1, 3, 1, 1)).all(1).numpy()
    rows, cols = blank.any(2).sum(1), blank.any(1).sum(1)
    # Each blanked region is one full rectangle, 4 to 8 pixels a side after clipping.
    assert np.array_equal(blank.sum((1, 2)), rows * cols)
    assert rows.min() >= side // 2
    assert rows.max() == side
    assert cols.min() >= side // 2
    assert cols.max() == side
    # Mean area against the area averaged by hand over all 32 x 32 centres.
    lengths = [min(c + side // 2, 32) - max(c - side // 2, 0) for c in range(32)]
    expected_area = np.mean(lengths) ** 2
    area = blank.sum((1, 2))
    assert abs(area.mean() - expected_area) < 3 * area.std() / np.sqrt(batch)
    # Side 0 blanks nothing.
    plain = augment(x, torch.Generator().manual_seed(2), cutout=0)
    assert not (plain == torch.tensor(CIFAR10_MEAN).view(1, 3, 1, 1)).all(1).any()


def cpu_flags() -> set[str]:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("flags"):
            return set(line.split(":", 1)[1].split())
    return set()


@pytest.mark.skipif(not Path("/proc/cpuinfo").exists(), reason="reads the Linux CPU flags")
def test_auto_precision_follows_cpu_flags():
    # bf16 is native with the AVX-512 bf16 instructions or AMX, emulated elsewhere.
    native = bool(cpu_flags() & {"avx512_bf16", "amx_bf16"})
    cpu = torch.device("cpu")
    assert pick_precision("auto", cpu) == ("bf16" if native else "fp32")
    assert pick_precision("fp32", cpu) == "fp32"
    assert pick_precision("bf16", cpu) == "bf16"


@pytest.mark.parametrize(
    ("precision", "dtype"), [("fp32", torch.float32), ("bf16", torch.bfloat16)]
)
def test_precision_sets_the_arithmetic(precision, dtype):
    layer = torch.nn.Linear(4, 2)
    with torch.no_grad(), autocast(torch.device("cpu"), precision):
        assert layer(torch.ones(3, 4)).dtype == dtype


@pytest.mark.pipeline
@pytest.mark.skipif(not Path("/proc/cpuinfo").exists(), reason="reads the Linux CPU flags")
def test_quick_run_records_precision(quick_run):
    results = quick_run / QUICK["results_dir"]
    expected = "bf16" if cpu_flags() & {"avx512_bf16", "amx_bf16"} else "fp32"
    metrics = json.loads((results / "model/train_metrics.json").read_text())
    assert metrics["precision"] == expected
    with xr.open_dataset(results / "jamming/point_3.nc") as point:
        assert point.attrs["precision"] == expected


@pytest.mark.pipeline
def test_same_seed_retrains_same_accuracy(quick_run):
    results = quick_run / QUICK["results_dir"]
    stored = json.loads((results / "model/train_metrics.json").read_text())
    settings = TrainSettings(**stored["settings"])
    # The metrics file beside the checkpoint records the seed and the accuracy.
    assert settings.seed == DEFAULT["train"]["seed"]
    threads = torch.get_num_threads()
    torch.set_num_threads(stored["threads"])
    try:
        data = load_dataset(results / "data/cifar10.npz")
        _, metrics = train_model(data, settings, torch.device("cpu"))
    finally:
        torch.set_num_threads(threads)
    assert metrics["n_test_images"] == 10_000
    assert abs(metrics["clean_test_accuracy"] - stored["clean_test_accuracy"]) <= 0.002


def test_cpu_clock_from_cpuinfo(tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nmodel name\t: Example CPU\ncpu MHz\t\t: 2200.000\n")
    assert read_cpu_clock_hz(cpuinfo) == 2.2e9


@pytest.mark.parametrize("text", [None, "processor\t: 0\n"])
def test_cpu_clock_missing(tmp_path, text):
    cpuinfo = tmp_path / "cpuinfo"
    if text is not None:
        cpuinfo.write_text(text)
    with pytest.raises(ValueError, match="profile.cpu_clock_hz"):
        read_cpu_clock_hz(cpuinfo)


def test_calibration_reproduces_hand_value():
    # 3 GFLOP in 0.5 s on 2 cores at 1.5 GHz: 1.5e9 cycles, so 2 FLOPs per cycle.
    per_group, whole = calibrate_flops_per_cycle(
        np.array([1.0e9, 2.0e9, 0.0]), np.array([0.25, 0.25, 0.0]), 1.5e9, 2
    )
    assert whole == pytest.approx(2.0)
    assert per_group[:2] == pytest.approx([4.0 / 3.0, 8.0 / 3.0])
    assert np.isnan(per_group[2])


@pytest.mark.pipeline
def test_quick_profile_calibration(quick_run):
    profile = xr.load_dataset(quick_run / QUICK["results_dir"] / "profile/profile.nc")
    cycles = profile["time_s"].values.sum() * profile.attrs["cpu_clock_hz"]
    expected = profile["flops"].values.sum() / (cycles * profile.attrs["torch_threads"])
    assert profile.attrs["calibrated_flops_per_cycle"] == pytest.approx(expected)
    assert profile["flops_per_cycle"].attrs["units"] == "FLOP/cycle"
    assert profile["time_s"].attrs["units"] == "s"
