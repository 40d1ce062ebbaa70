"""Accuracy under jamming on real test images, with the quick run's trained model."""

import math

import numpy as np
import pytest
import torch
import xarray as xr
import yaml

from ajci.data.cifar10 import load_dataset
from ajci.dnn.jamming import (
    bit_error_rate,
    flip_bits,
    measure_point_accuracy,
    quantize,
    select_test_subset,
)
from ajci.dnn.model import images_to_tensor
from ajci.dnn.train import autocast, evaluate, load_checkpoint
from conftest import REPO

QUICK = yaml.safe_load((REPO / "config/quick.yaml").read_text())
RESULTS = QUICK["results_dir"]
N_IMAGES = 200


@pytest.fixture(scope="module")
def trained(quick_run):
    """The quick run's model with a seeded subset of real test images."""
    model, _ = load_checkpoint(quick_run / RESULTS / "model/resnet18.pt")
    data = load_dataset(quick_run / RESULTS / "data/cifar10.npz")
    index = select_test_subset(N_IMAGES, len(data["y_test"]), seed=1)
    return model, data["x_test"][index], data["y_test"][index]


def measure(trained, point, sinr_db, **kwargs):
    model, images, labels = trained
    result = measure_point_accuracy(
        model, images, labels, point, sinr_db, batch_size=100, seed=0, **kwargs
    )
    return result["accuracy"].values[0]


@pytest.mark.pipeline
@pytest.mark.parametrize("point", [0, 1, 4, 10])
def test_awgn_high_sinr_is_clean(trained, point):
    model, images, labels = trained
    clean = evaluate(model, images, labels, torch.device("cpu"), batch_size=100)
    # At 200 dB the noise is 1e-10 of the signal, below float32 resolution.
    assert measure(trained, point, [200.0])[0] == clean


@pytest.mark.pipeline
@pytest.mark.parametrize("point", [0, 1, 2])
def test_awgn_low_sinr_near_chance(trained, point):
    model, images, labels = trained
    clean = evaluate(model, images, labels, torch.device("cpu"), batch_size=100)
    accuracy = measure(trained, point, [-40.0])[0]
    # Ten balanced classes: guessing gives 0.1; 200 images put 2 sigma at about 0.04.
    assert accuracy <= 0.16
    assert accuracy < clean


def quantised_accuracy(trained, point, bits):
    """Accuracy with the features quantised and dequantised in numpy, no bit errors."""
    model, images, labels = trained
    correct = 0
    for start in range(0, N_IMAGES, 100):
        x = images_to_tensor(images[start : start + 100])
        with torch.no_grad(), autocast(x.device):
            head = model.run(x, 0, point)
        features = head.float().numpy()
        flat = features.reshape(len(features), -1)
        shape = (-1,) + (1,) * (features.ndim - 1)
        low = flat.min(axis=1).reshape(shape)
        step = np.maximum(flat.max(axis=1).reshape(shape) - low, np.float32(1e-12))
        step = (step / np.float32(2**bits - 1)).astype(np.float32)
        codes = np.round((features - low) / step)
        restored = torch.from_numpy((low + codes * step).astype(np.float32))
        if restored.dim() == 4:
            restored = restored.contiguous(memory_format=torch.channels_last)
        with torch.no_grad(), autocast(x.device):
            logits = model.run(restored, point)
        correct += int((logits.argmax(1).numpy() == labels[start : start + 100]).sum())
    return correct / N_IMAGES


@pytest.mark.pipeline
@pytest.mark.parametrize(("point", "bits"), [(1, 8), (6, 4), (10, 8)])
def test_digital_without_errors_is_quantised(trained, point, bits):
    # At 300 dB, erfc(sqrt(1e30)) is exactly 0 in double precision: no bit flips.
    accuracy = measure(trained, point, [300.0], corruption="digital", quantization_bits=bits)
    assert accuracy[0] == quantised_accuracy(trained, point, bits)


def test_bit_error_rate_known_values():
    # Q(sqrt(2)) = 0.078650 and Q(sqrt(20)) = 3.8721e-6, from tables of the normal tail.
    assert bit_error_rate(0.0) == pytest.approx(0.078650, rel=1e-4)
    assert bit_error_rate(10.0) == pytest.approx(3.8721e-6, rel=1e-3)
    assert bit_error_rate(-60.0) == pytest.approx(0.5, abs=1e-3)


def test_quantize_error_within_half_step():
    x = torch.randn(4, 8, 5, 5, generator=torch.Generator().manual_seed(0))
    codes, low, step = quantize(x, 6)
    assert int(codes.min()) >= 0
    assert int(codes.max()) <= 63
    error = (low + codes.float() * step - x).abs()
    assert torch.all(error <= step / 2 + 1e-6)


def test_bit_flips_follow_error_rate():
    codes = torch.randint(0, 256, (64, 256), generator=torch.Generator().manual_seed(0))
    error_rate = bit_error_rate(0.0)
    received = flip_bits(codes, 8, error_rate, torch.Generator().manual_seed(1))
    flipped = codes ^ received
    n_flipped = sum(int(((flipped >> bit) & 1).sum()) for bit in range(8))
    # 131,072 bits: the binomial standard deviation of the rate is under 0.001.
    assert n_flipped / (codes.numel() * 8) == pytest.approx(0.5 * math.erfc(1.0), abs=0.003)
    assert int(received.max()) <= 255


@pytest.mark.pipeline
@pytest.mark.parametrize(("point", "corruption"), [(0, "awgn"), (3, "awgn"), (5, "digital")])
def test_reuse_matches_whole_network(trained, point, corruption):
    model, images, labels = trained
    sinr_db = [-5.0, 0.0, 5.0]
    result = measure_point_accuracy(
        model,
        images,
        labels,
        point,
        sinr_db,
        batch_size=100,
        seed=0,
        corruption=corruption,
        quantization_bits=4,
        reference_batches=2,
    )
    # Both batches are measured again with the whole network per SINR value.
    assert int(result["reference_images"].values[0]) == N_IMAGES
    np.testing.assert_array_equal(result["reference_correct"].values, result["correct"].values)
    assert result["reuse_speedup"].values[0] > 0


@pytest.mark.pipeline
def test_reference_covers_first_batches(trained):
    model, images, labels = trained
    sinr_db = [-10.0, 10.0]
    result = measure_point_accuracy(
        model, images, labels, 2, sinr_db, batch_size=100, seed=0, reference_batches=1
    )
    # The first batch alone, measured with reuse, counts the same as the reference.
    first = measure_point_accuracy(model, images[:100], labels[:100], 2, sinr_db, 100, seed=0)
    assert int(result["reference_images"].values[0]) == 100
    np.testing.assert_array_equal(result["reference_correct"].values, first["correct"].values)


@pytest.mark.pipeline
def test_last_point_has_no_reference(trained):
    model, images, labels = trained
    result = measure_point_accuracy(
        model, images, labels, model.num_groups, [0.0], 100, seed=0, reference_batches=1
    )
    assert "reuse_speedup" not in result


@pytest.mark.pipeline
def test_quick_run_logs_reuse_speedup(quick_run):
    merged = xr.load_dataset(quick_run / RESULTS / "jamming/accuracy.nc")
    sends = merged.sel(point=merged["point"].values[:-1])
    np.testing.assert_array_equal(sends["reference_correct"].values, sends["correct"].values)
    assert merged.attrs["reuse_speedup"] > 0
    log = (quick_run / RESULTS / "logs/merge_point_accuracy.log").read_text()
    assert f"{merged.attrs['reuse_speedup']:.2f}x speed-up over points 0-10" in log
