"""Confidence bands and axis labels of the sweep figures."""

import numpy as np
import pytest
from scipy import stats

from ajci.plots.figures import PARAMETER_AXES, axis_label, mean_and_band
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
