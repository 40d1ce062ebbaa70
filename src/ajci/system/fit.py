"""Fit of the four-parameter logistic accuracy model to the jamming measurements.

A(gamma, l) = a_l + (b_l - a_l) / (1 + exp(-(c_l * gamma_dB + d_l))), with
``a_l`` the floor and ``b_l`` the ceiling. The floor is free (not pinned at
chance, 0.1) because a network can collapse onto one class at low SINR.
"""

from __future__ import annotations

import logging
import warnings

import numpy as np
import xarray as xr
from scipy.optimize import OptimizeWarning, curve_fit

log = logging.getLogger(__name__)

SLOPE_BOUNDS = (1e-3, 20.0)  # c, 1/dB: the curve must rise with SINR
OFFSET_BOUNDS = (-500.0, 500.0)  # d, dimensionless


def logistic(sinr_db, a, b, c, d):
    """Evaluate the logistic accuracy model.

    ``a`` is the floor, ``b`` the ceiling, ``c`` the slope (1/dB) and ``d`` the offset.
    """
    return a + (b - a) / (1.0 + np.exp(-(c * sinr_db + d)))


def logistic_by_ratio(sinr_db, b, ratio, c, d):
    """Evaluate the logistic with the floor given as a fraction ``ratio`` of the ceiling."""
    return logistic(sinr_db, ratio * b, b, c, d)


def initial_guess(sinr_db: np.ndarray, accuracy: np.ndarray) -> tuple[float, ...]:
    """Start from the measured floor and ceiling with the midpoint where the data cross it."""
    low, high = float(accuracy.min()), float(accuracy.max())
    middle = 0.5 * (low + high)
    above = np.nonzero(accuracy >= middle)[0]
    x_mid = float(sinr_db[above[0]]) if len(above) else float(np.median(sinr_db))
    slope = 0.3
    return low, high, slope, -slope * x_mid


def fit_accuracy_curve(
    sinr_db: np.ndarray,
    accuracy: np.ndarray,
    sigma: np.ndarray | None = None,
    ceiling: float = 1.0,
) -> dict[str, float]:
    """Fit (a, b, c, d) of the logistic to one partition point's measurements.

    Parameters
    ----------
    sinr_db
        SINR grid (dB).
    accuracy
        Measured top-1 accuracy at each SINR.
    sigma
        Standard error of each accuracy; the fit is weighted by it when given.
    ceiling
        Upper bound on ``b``: the noise-free accuracy, which added noise cannot
        raise on average.

    Returns
    -------
    dict
        ``a``, ``b``, ``c`` (1/dB), ``d``, and the fit's ``r2`` and ``rmse``.
    """
    x = np.asarray(sinr_db, dtype=np.float64)
    y = np.asarray(accuracy, dtype=np.float64)
    # The fit runs over (b, a/b, c, d) so that box bounds keep the floor at or
    # below the ceiling. Bounding a and b separately let a flat, noisy curve
    # end with a > b, a falling curve that the solve stage rejects.
    lower = (0.0, 0.0, SLOPE_BOUNDS[0], OFFSET_BOUNDS[0])
    upper = (ceiling, 1.0, SLOPE_BOUNDS[1], OFFSET_BOUNDS[1])
    floor, top, slope, offset = initial_guess(x, y)
    start = (top, floor / top if top > 0 else 0.0, slope, offset)
    # curve_fit needs a start strictly inside the bounds.
    guess = np.clip(start, lower, np.nextafter(upper, -np.inf))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OptimizeWarning)
        (b, ratio, c, d), _ = curve_fit(
            logistic_by_ratio,
            x,
            y,
            p0=guess,
            sigma=sigma,
            absolute_sigma=sigma is not None,
            bounds=(lower, upper),
            maxfev=20_000,
        )
    a = ratio * b
    residual = y - logistic(x, a, b, c, d)
    total = float(np.sum((y - y.mean()) ** 2))
    # Constant data fitted exactly count as a perfect fit rather than 0/0.
    r2 = 1.0 - float(np.sum(residual**2)) / total if total > 0 else 1.0
    return {
        "a": float(a),
        "b": float(b),
        "c": float(c),
        "d": float(d),
        "r2": r2,
        "rmse": float(np.sqrt(np.mean(residual**2))),
    }


def fit_all_points(measured: xr.Dataset) -> xr.Dataset:
    """Fit every partition point of a merged jamming measurement.

    The last point sends nothing, so its curve is the constant clean accuracy
    (a = b = clean accuracy, c = 1/dB, d = 0) rather than a fit.
    """
    points = measured["point"].values
    last = int(points.max())
    n_images = int(measured.attrs["n_images"])
    x = measured["sinr_db"].values
    rows = []
    for point in points:
        y = measured["accuracy"].sel(point=point).values
        if point == last:
            clean = float(measured["clean_accuracy"].sel(point=point))
            rows.append({"a": clean, "b": clean, "c": 1.0, "d": 0.0, "r2": 1.0, "rmse": 0.0})
            continue
        # Binomial standard error, floored so that 0 % and 100 % points keep a weight.
        sigma = np.sqrt(np.maximum(y * (1 - y), 1.0 / n_images) / n_images)
        clean = float(measured["clean_accuracy"].sel(point=point))
        rows.append(fit_accuracy_curve(x, y, sigma, ceiling=clean))
        log.info(
            "point %d: a %.4f b %.4f c %.4f/dB d %.3f R2 %.4f RMSE %.4f",
            point,
            *(rows[-1][k] for k in ("a", "b", "c", "d", "r2", "rmse")),
        )

    def column(key):
        return np.asarray([row[key] for row in rows])

    clean_accuracy = float(measured["clean_accuracy"].sel(point=last))
    return xr.Dataset(
        {
            "a": ("point", column("a"), {"long_name": "accuracy floor", "units": "1"}),
            "b": ("point", column("b"), {"long_name": "accuracy ceiling", "units": "1"}),
            "c": ("point", column("c"), {"long_name": "logistic slope", "units": "1/dB"}),
            "d": ("point", column("d"), {"long_name": "logistic offset", "units": "1"}),
            "r2": ("point", column("r2"), {"long_name": "coefficient of determination"}),
            "rmse": (
                "point",
                column("rmse"),
                {"long_name": "root-mean-square error", "units": "1"},
            ),
        },
        coords={"point": points},
        attrs={"clean_accuracy": clean_accuracy, "n_images": n_images},
    )
