"""Sweep helpers: swapped parameters and payloads."""

import copy

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


def test_feature_bits_sweep_changes_payloads():
    from ajci.experiments.sweep import solve_sweep_value
    from test_robustness import synthetic_fit, synthetic_profile

    config = copy.deepcopy(DEFAULT)
    config["experiments"]["n_seeds"] = 1
    config["experiments"]["schemes"] = ["esc", "optimal"]
    config["experiments"]["sweeps"] = {
        "bits": {"parameter": "feature_bits", "values": [8, 32], "figure": "fig_bits"}
    }
    config["system"]["a_min"] = 0.5
    profile, fit = synthetic_profile(), synthetic_fit()
    results = {bits: solve_sweep_value(config, profile, fit, "bits", bits) for bits in (8, 32)}

    # ESC sends the raw input, whose 8 bits per pixel channel feature_bits does not change.
    esc = {bits: results[bits]["delay"].sel(scheme="esc").item() for bits in results}
    assert esc[8] == pytest.approx(esc[32])
    # Intermediate features cost a quarter as much at 8 bits, so the optimum that
    # sends features at 32 bits does strictly better at 8 bits.
    partitions = results[32]["partition"].sel(scheme="optimal").values
    assert np.any((partitions > 0) & (partitions < 11))
    optimal = {bits: results[bits]["rda"].sel(scheme="optimal").item() for bits in results}
    assert optimal[8] > optimal[32] + 1e-6


def calibrated_config():
    config = copy.deepcopy(DEFAULT)
    config["experiments"]["n_seeds"] = 1
    config["experiments"]["schemes"] = ["ftp", "lc"]
    config["system"]["a_min"] = 0.5
    return config


def test_calibrated_flops_per_cycle_from_profile():
    from ajci.experiments.sweep import solve_sweep_value
    from test_robustness import synthetic_fit, synthetic_profile

    profile, fit = synthetic_profile(), synthetic_fit()
    profile.attrs["calibrated_flops_per_cycle"] = 4.0
    results = {}
    for value in ("calibrated", 4.0, 1.0):
        config = calibrated_config()
        config["system"]["flops_per_cycle"] = value
        results[value] = solve_sweep_value(config, profile, fit, "f_loc", 1.0e9)
    # LC computes everything on the device, so its delay scales with 1 / flops_per_cycle.
    lc = {value: results[value]["delay"].sel(scheme="lc").item() for value in results}
    assert lc["calibrated"] == lc[4.0]
    assert lc[1.0] == pytest.approx(4.0 * lc[4.0])


def test_calibrated_without_profile_value():
    from ajci.experiments.sweep import solve_sweep_value
    from test_robustness import synthetic_fit, synthetic_profile

    config = calibrated_config()
    config["system"]["flops_per_cycle"] = "calibrated"
    with pytest.raises(ValueError, match="forcerun profile_model"):
        solve_sweep_value(config, synthetic_profile(), synthetic_fit(), "f_loc", 1.0e9)
