"""Checks of the profile and accuracy-fit files the solve stage reads.

Each check raises `ValueError` naming the file and what was expected, so a
stale or hand-edited input stops the solve stage before any instance is built.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr

PROFILE_VARIABLES = {"flops": "group", "bits": "point"}
FIT_VARIABLES = {"a": "point", "b": "point", "c": "point", "d": "point"}


def check_variables(dataset: xr.Dataset, path: Path, expected: dict[str, str]) -> None:
    """Check that each expected variable exists, is 1-D along its dimension and finite."""
    for name, dim in expected.items():
        if name not in dataset:
            raise ValueError(
                f"{path}: variable '{name}' not found; expected variables {sorted(expected)}"
            )
        if dataset[name].dims != (dim,):
            raise ValueError(
                f"{path}: variable '{name}' has dims {dataset[name].dims}, expected ('{dim}',)"
            )
        values = np.asarray(dataset[name].values, dtype=float)
        bad = np.flatnonzero(~np.isfinite(values))
        if bad.size:
            raise ValueError(
                f"{path}: variable '{name}' is not finite at {dim} index {bad.tolist()}"
            )


def check_profile(profile: xr.Dataset, path: Path) -> None:
    """Check a profile: L layer groups, L+1 partition points, non-negative sizes, bits[L] = 0."""
    check_variables(profile, path, PROFILE_VARIABLES)
    n_groups, n_points = profile.sizes["group"], profile.sizes["point"]
    if n_points != n_groups + 1:
        raise ValueError(
            f"{path}: {n_groups} layer groups need {n_groups + 1} partition points, "
            f"but the file has {n_points}"
        )
    for name in PROFILE_VARIABLES:
        negative = np.flatnonzero(profile[name].values < 0)
        if negative.size:
            raise ValueError(f"{path}: '{name}' is negative at index {negative.tolist()}")
    if profile["bits"].values[-1] != 0:
        raise ValueError(
            f"{path}: the last partition point sends nothing, so bits[-1] must be 0, "
            f"got {profile['bits'].values[-1]}"
        )


def check_fit(fit: xr.Dataset, path: Path) -> None:
    """Check an accuracy fit: a, b, c, d per point, c > 0 and b >= a where data are sent."""
    check_variables(fit, path, FIT_VARIABLES)
    clean = fit.attrs.get("clean_accuracy")
    if clean is None or not 0 < float(clean) <= 1:
        raise ValueError(f"{path}: attribute 'clean_accuracy' is {clean!r}, expected in (0, 1]")
    # The last point sends nothing, so its curve is unused.
    slope, spread = fit["c"].values[:-1], (fit["b"] - fit["a"]).values[:-1]
    for name, bad in (("c > 0", ~(slope > 0)), ("b >= a", spread < 0)):
        if bad.any():
            raise ValueError(
                f"{path}: the accuracy fit needs {name} at every point that sends data, "
                f"but it fails at point index {np.flatnonzero(bad).tolist()}"
            )


def check_solve_inputs(
    profile: xr.Dataset, fit: xr.Dataset, profile_path: Path, fit_path: Path
) -> None:
    """Check the profile and the fit each, then that they describe the same partition points.

    Raises
    ------
    ValueError
        Naming the file at fault and what was expected.
    """
    check_profile(profile, profile_path)
    check_fit(fit, fit_path)
    profile_points = profile["point"].values.tolist()
    fit_points = fit["point"].values.tolist()
    if fit_points != profile_points:
        raise ValueError(
            f"{fit_path}: the fit has {len(fit_points)} partition points "
            f"{describe_points(fit_points)}, but {profile_path} has {len(profile_points)} "
            f"{describe_points(profile_points)}; both must come from the same model, "
            "so rerun the fit stage after the profile (snakemake --forcerun fit_accuracy_curves)"
        )


def describe_points(points: list) -> str:
    if len(points) > 4 and points == list(range(points[0], points[0] + len(points))):
        return f"({points[0]}..{points[-1]})"
    return f"{points}"


def load_solve_inputs(
    profile_path: str | Path, fit_path: str | Path
) -> tuple[xr.Dataset, xr.Dataset]:
    """Load and check the profile and the fit read by the solve stage."""
    profile_path, fit_path = Path(profile_path), Path(fit_path)
    profile = xr.load_dataset(profile_path)
    fit = xr.load_dataset(fit_path)
    check_solve_inputs(profile, fit, profile_path, fit_path)
    return profile, fit
