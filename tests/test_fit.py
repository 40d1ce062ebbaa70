"""The logistic fit of eq. (8) recovers known curves."""

import numpy as np
import pytest
import xarray as xr

from ajci.system.fit import fit_accuracy_curve, fit_all_points, logistic

SINR_DB = np.arange(-30.0, 31.0, 5.0)
KNOWN = {"a": 0.08, "b": 0.82, "c": 0.4, "d": -1.2}


def test_recovers_noise_free_curve():
    y = logistic(SINR_DB, **KNOWN)
    fitted = fit_accuracy_curve(SINR_DB, y)
    for key, value in KNOWN.items():
        assert fitted[key] == pytest.approx(value, abs=1e-6), key
    assert fitted["r2"] == pytest.approx(1.0)
    assert fitted["rmse"] < 1e-6


def test_recovers_curve_from_binomial_counts():
    n_images = 20_000
    rng = np.random.default_rng(0)
    p = logistic(SINR_DB, **KNOWN)
    y = rng.binomial(n_images, p) / n_images
    sigma = np.sqrt(p * (1 - p) / n_images)
    fitted = fit_accuracy_curve(SINR_DB, y, sigma)
    assert fitted["a"] == pytest.approx(KNOWN["a"], abs=0.01)
    assert fitted["b"] == pytest.approx(KNOWN["b"], abs=0.01)
    assert fitted["c"] == pytest.approx(KNOWN["c"], rel=0.1)
    # The midpoint -d/c (dB) is what the optimiser inverts, so pin it tightly.
    assert -fitted["d"] / fitted["c"] == pytest.approx(-KNOWN["d"] / KNOWN["c"], abs=0.5)
    assert fitted["r2"] > 0.99


def test_ceiling_bounds_the_fit():
    # A curve still rising at the grid's edge would be extrapolated above the noise-free 0.6.
    y = logistic(SINR_DB, a=0.1, b=0.9, c=0.2, d=-4.0)
    fitted = fit_accuracy_curve(SINR_DB, y, ceiling=0.6)
    assert fitted["b"] <= 0.6


def test_last_point_is_clean_constant():
    accuracy = np.vstack([logistic(SINR_DB, **KNOWN), np.full(SINR_DB.size, 0.83)])
    measured = xr.Dataset(
        {
            "accuracy": (("point", "sinr_db"), accuracy),
            "clean_accuracy": ("point", [0.83, 0.83]),
        },
        coords={"point": [0, 1], "sinr_db": SINR_DB},
        attrs={"n_images": 2000},
    )
    fit = fit_all_points(measured)
    assert fit.attrs["clean_accuracy"] == 0.83
    assert float(fit["a"].sel(point=1)) == 0.83
    assert float(fit["b"].sel(point=1)) == 0.83
    assert float(fit["b"].sel(point=0)) <= 0.83


def test_flat_noisy_curve_keeps_floor_below_ceiling():
    # A deep point that noise never hurts: 89 % correct at every SINR, plus
    # binomial noise. Bounding a and b separately lets such fits end with
    # a > b, a falling curve that the solve stage rejects.
    n_images = 2000
    inverted = []
    for seed in range(50):
        y = np.random.default_rng(seed).binomial(n_images, 0.89, SINR_DB.size) / n_images
        sigma = np.sqrt(np.maximum(y * (1 - y), 1 / n_images) / n_images)
        fitted = fit_accuracy_curve(SINR_DB, y, sigma, ceiling=0.893)
        assert fitted["b"] <= 0.893
        if fitted["a"] > fitted["b"]:
            inverted.append(seed)
    assert inverted == []
