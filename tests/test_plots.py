"""Confidence bands and axis labels of the sweep figures."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
import xarray as xr
from scipy import stats

from ajci.plots.figures import (
    PARAMETER_AXES,
    axis_label,
    draw_sweep_metric,
    mean_and_band,
    mean_and_bootstrap_band,
    plot_sweep_figure,
    save_figure,
)
from ajci.system.params import SystemParams


def test_band_matches_t_interval():
    rng = np.random.default_rng(0)
    values = rng.normal(2.0, 0.5, size=(3, 7))  # 3 sweep values, 7 placements
    mean, half = mean_and_band(values, axis=1)
    for row, m, h in zip(values, mean, half, strict=True):
        low, high = stats.t.interval(0.95, len(row) - 1, loc=row.mean(), scale=stats.sem(row))
        assert m == pytest.approx(row.mean())
        assert m - h == pytest.approx(low)
        assert m + h == pytest.approx(high)


def test_single_placement_has_no_band():
    mean, half = mean_and_band(np.array([[1.0], [2.0]]), axis=1)
    assert mean.tolist() == [1.0, 2.0]
    assert half.tolist() == [0.0, 0.0]


def test_bootstrap_band_matches_exact_bootstrap_distribution():
    # Resampling [0, 0, 3] draws the 3 k times, k ~ Binomial(3, 1/3), so the
    # resampled mean is k: P(0) = 8/27 and P(3) = 1/27. The 2.5th percentile is
    # therefore 0 and the 97.5th is 3 (P(k <= 2) = 26/27 < 0.975).
    mean, low, high = mean_and_bootstrap_band(np.array([[0.0, 0.0, 3.0]]), axis=1)
    assert mean.tolist() == [1.0]
    assert low.tolist() == [0.0]
    assert high.tolist() == [3.0]


def test_bootstrap_band_stays_within_skewed_data():
    # Most gaps are zero, so the t interval reaches below zero. The bootstrap
    # interval does not.
    gaps = np.array([[0.0] * 8 + [5.0, 0.1]])
    mean, half = mean_and_band(gaps, axis=1)
    assert mean[0] - half[0] < 0.0
    _, low, high = mean_and_bootstrap_band(gaps, axis=1)
    assert low[0] >= 0.0
    assert low[0] < mean[0]
    assert high[0] > mean[0]
    assert high[0] <= 5.0


def test_bootstrap_band_near_t_interval():
    rng = np.random.default_rng(1)
    values = rng.normal(2.0, 0.5, size=(2, 400)).T  # 400 normal placements on axis 0
    mean, half = mean_and_band(values, axis=0)
    boot_mean, low, high = mean_and_bootstrap_band(values, axis=0)
    np.testing.assert_allclose(boot_mean, mean)
    np.testing.assert_allclose(low, mean - half, atol=0.1 * half.max())
    np.testing.assert_allclose(high, mean + half, atol=0.1 * half.max())


def test_bootstrap_band_skips_nan_and_single_values():
    mean, low, high = mean_and_bootstrap_band(np.array([[1.0, np.nan], [2.0, 4.0]]), axis=1)
    assert mean.tolist() == [1.0, 3.0]
    assert low[0] == 1.0
    assert high[0] == 1.0
    assert low[1] >= 2.0
    assert low[1] < high[1]
    assert high[1] <= 4.0


def test_every_sweepable_key_has_axis_label():
    numeric = {
        name
        for name, field in SystemParams.__dataclass_fields__.items()
        if field.type in ("int", "float")
    }
    assert numeric - {"min_distance_m", "pathloss_intercept_db", "pathloss_slope_db"} <= set(
        PARAMETER_AXES
    )
    label, scale = axis_label("f_loc_hz")
    assert label.endswith("(GHz)")
    assert scale == 1e-9


def synthetic_sweep(rda: dict[str, list[float]], feasible: dict[str, bool]) -> xr.Dataset:
    """A 2-value, 3-placement sweep with the same RDA at every placement."""
    schemes = list(rda)
    values = np.array([[rda[s]] * 3 for s in schemes]).transpose(0, 2, 1)  # scheme, value, seed
    ok = np.array([[[feasible[s]] * 3] * 2 for s in schemes])
    return xr.Dataset(
        {
            "rda": (("scheme", "value", "seed"), values),
            "feasible": (("scheme", "value", "seed"), ok),
        },
        coords={"scheme": schemes, "value": [1.0, 2.0], "seed": [0, 1, 2]},
        attrs={"parameter": "p_jam_w"},
    )


def test_legend_marks_lines_off_axis():
    results = synthetic_sweep(
        {"proposed": [5.0, 5.2], "lc": [4.9, 5.1], "esc": [-100.0, 5.0], "ga": [-80, -90]},
        {"proposed": True, "lc": True, "esc": False, "ga": False},
    )
    figure, axes = plt.subplots()
    draw_sweep_metric(axes, results, "rda")
    labels = [line.get_label() for line in axes.get_lines()]
    plt.close(figure)
    assert labels[0] == "Proposed (AO + QGA)"
    assert labels[2] == "ESC (infeasible in every run), partly off axis"
    assert labels[3].startswith("GA (infeasible in every run), off axis: mean -85")


def test_grid_over_a_min_draws_panel_threshold():
    panels = [synthetic_sweep({"proposed": [0.9, 0.8]}, {"proposed": True}) for _ in range(2)]
    results = xr.concat(panels, dim="grid_value").rename({"rda": "accuracy"})
    results = results.assign_coords(grid_value=[0.5, 0.7])
    results.attrs.update(grid_parameter="a_min", a_min=0.12)
    figure = plot_sweep_figure(results, "accuracy")
    thresholds = []
    for axes in figure.axes:
        for line in axes.get_lines():
            if line.get_label() == "$A_{min}$":
                thresholds.append(set(line.get_ydata()))
    plt.close(figure)
    assert thresholds == [{0.5}, {0.7}]


def test_pdf_embeds_no_type3_fonts(tmp_path):
    figure, axes = plt.subplots()
    axes.set_xlabel("SINR (dB)")
    save_figure(figure, tmp_path / "figure.png", tmp_path / "figure.pdf")
    pdf = (tmp_path / "figure.pdf").read_bytes()
    assert b"/Type3" not in pdf
    assert b"/TrueType" in pdf or b"/CIDFontType2" in pdf
