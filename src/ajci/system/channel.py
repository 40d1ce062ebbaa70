"""Random placement of the edge server (ES), the jammer and the devices, and their channel gains."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ajci.system.params import SystemParams


@dataclass(frozen=True)
class Channels:
    """Node positions and linear power gains of one placement.

    Attributes
    ----------
    es_position : np.ndarray
        (2,) ES coordinates, in m.
    jammer_position : np.ndarray
        (2,) jammer coordinates, in m.
    device_positions : np.ndarray
        (N, 2) device coordinates, in m.
    device_distance_m : np.ndarray
        (N,) device-to-ES distances after the floor, in m.
    jammer_distance_m : float
        Jammer-to-ES distance after the floor, in m.
    h : np.ndarray
        (N,) device-to-ES power gains (linear).
    g : float
        Jammer-to-ES power gain (linear).
    """

    es_position: np.ndarray
    jammer_position: np.ndarray
    device_positions: np.ndarray
    device_distance_m: np.ndarray
    jammer_distance_m: float
    h: np.ndarray
    g: float


def path_loss_gain(
    distance_m: np.ndarray | float, intercept_db: float = 128.1, slope_db: float = 37.6
) -> np.ndarray:
    """Return the linear power gain 10^(-PL/10), with PL = intercept + slope*log10(d in km)."""
    d_km = np.asarray(distance_m, dtype=float) / 1e3
    pl_db = intercept_db + slope_db * np.log10(d_km)
    return 10.0 ** (-pl_db / 10.0)


def draw_channels(params: SystemParams, seed: int | None) -> Channels:
    """Place the ES, the jammer and the devices uniformly in the square and compute the gains.

    All draws come from ``numpy.random.default_rng(seed)``. First come the
    (N + 2, 2) positions: row 0 is the ES, row 1 the jammer, the rest the
    devices. With Rayleigh fading, N + 1 Exp(1) power factors follow, the
    devices' first and the jammer's last.
    """
    rng = np.random.default_rng(seed)
    n = params.n_devices
    positions = rng.uniform(0.0, params.area_side_m, size=(n + 2, 2))  # m
    es, jammer, devices = positions[0], positions[1], positions[2:]

    d_dev = np.maximum(np.linalg.norm(devices - es, axis=1), params.min_distance_m)  # m, (N,)
    d_jam = max(float(np.linalg.norm(jammer - es)), params.min_distance_m)  # m
    h = path_loss_gain(d_dev, params.pathloss_intercept_db, params.pathloss_slope_db)
    g = float(path_loss_gain(d_jam, params.pathloss_intercept_db, params.pathloss_slope_db))
    if params.rayleigh_fading:
        fading = rng.exponential(1.0, size=n + 1)
        h = h * fading[:n]
        g = g * float(fading[n])
    return Channels(es, jammer, devices, d_dev, d_jam, h, g)
