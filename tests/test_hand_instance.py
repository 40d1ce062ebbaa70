"""A one-device, one-group instance whose optimum is worked out by hand.

Device: 1 GFLOP model, f_loc = 1 GHz, alone at the edge server (F = 20 GHz),
no jammer, channel set so that the SINR at P_max is 255 (log2(1 + 255) = 8).

Fully local (l = 1): T = 1e9 / 1e9 = 1 s, A = a_max = 0.85.
    RDA = 0.5 (2 - 1) / 2 + 0.5 (0.85 - 0.75) / (0.85 - 0.75) = 0.75
Offloaded (l = 0): T_tx = 24,576 bit / (1e6 Hz * 8) = 3.072 ms at P_max, since
the 1 J budget allows far more; T_es = 1e9 / 2e10 = 50 ms; A = 0.8 (flat fit).
    RDA = 0.5 (2 - 0.053072) / 2 + 0.5 (0.8 - 0.75) / 0.1 = 0.736732
So the optimum is local with RDA 0.75, and ESC scores 0.736732.
"""

import dataclasses

import numpy as np
import pytest

from ajci.solvers import SCHEMES, solve
from ajci.system.model import Instance
from ajci.system.params import SolverSettings, SystemParams

NOISE_W = 10 ** ((-114.0 - 30) / 10)


def hand_instance() -> Instance:
    params = SystemParams(
        n_devices=1,
        area_side_m=100.0,
        min_distance_m=1.0,
        f_loc_hz=1e9,
        f_es_hz=2e10,
        bandwidth_hz=1e6,
        p_max_w=0.5,
        p_jam_w=0.0,
        noise_dbm=-114.0,
        kappa=1e-28,
        e_max_j=1.0,
        omega=0.5,
        a_min=0.75,
        t_max_s=2.0,
        flops_per_cycle=1.0,
    )
    fit = {"a": [0.8, 0.85], "b": [0.8, 0.85], "c": [1.0, 1.0], "d": [0.0, 0.0]}
    instance = Instance.build(params, np.array([1e9]), np.array([24_576.0, 0.0]), fit, 0.85, 0)
    channels = dataclasses.replace(instance.channels, h=np.array([255 * NOISE_W / 0.5]))
    return dataclasses.replace(instance, channels=channels)


def test_optimum_by_hand():
    solution = solve("optimal", hand_instance(), SolverSettings(), np.random.default_rng(0))
    assert solution.partition.tolist() == [1]
    assert solution.rda == pytest.approx(0.75, abs=1e-12)


def test_offloading_by_hand():
    solution = solve("esc", hand_instance(), SolverSettings(), np.random.default_rng(0))
    assert solution.power[0] == pytest.approx(0.5)
    assert solution.delay[0] == pytest.approx(0.053072, rel=1e-9)
    assert solution.rda == pytest.approx(0.736732, rel=1e-9)


@pytest.mark.parametrize("scheme", sorted(SCHEMES))
def test_no_scheme_above_hand_optimum(scheme):
    solution = solve(scheme, hand_instance(), SolverSettings(), np.random.default_rng(0))
    assert solution.rda <= 0.75 + 1e-12
