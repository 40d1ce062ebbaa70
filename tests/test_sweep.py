"""Sweep helpers: swapped parameters and payloads."""

import numpy as np
import pytest
import xarray as xr
import yaml

from ajci.experiments.sweep import payload_bits, system_with
from conftest import REPO

DEFAULT = yaml.safe_load((REPO / "config.yaml").read_text())
PROFILE = xr.Dataset(
    {
        "bits": ("point", [24_576.0, 2_097_152.0, 16_384.0, 0.0]),
        "elements": ("point", [3072, 65_536, 512, 10]),
    }
)


def test_feature_bits_rescale_features_only():
    bits = payload_bits(PROFILE, "feature_bits", 8)
    assert bits.tolist() == [24_576.0, 65_536 * 8, 512 * 8, 0.0]


def test_other_sweeps_keep_payloads():
    assert payload_bits(PROFILE, "p_jam_w", 1.5).tolist() == PROFILE["bits"].values.tolist()


def test_system_with_replaces_one_key():
    params = system_with(DEFAULT["system"], "n_devices", 20.0)
    assert params.n_devices == 20
    assert isinstance(params.n_devices, int)
    assert params.f_loc_hz == pytest.approx(DEFAULT["system"]["f_loc_hz"])
    unchanged = system_with(DEFAULT["system"], "feature_bits", 8)
    assert unchanged.n_devices == DEFAULT["system"]["n_devices"]
    assert np.isclose(unchanged.p_jam_w, DEFAULT["system"]["p_jam_w"])
