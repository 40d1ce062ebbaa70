"""Layer costs, payloads and the AWGN corruption, against hand computation."""

import numpy as np
import torch

from ajci.dnn.jamming import add_awgn, select_test_subset, wilson_interval
from ajci.dnn.model import SplitResNet18
from ajci.dnn.profile import count_group_flops, payload_bits


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
