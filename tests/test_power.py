"""Power subproblem: the Lambert-W closed form against cvxpy and a scalar root finder."""

import math
import warnings

import numpy as np
import pytest
from scipy.optimize import brentq

from ajci.solvers.power import max_feasible_power, max_feasible_power_cvxpy
from ajci.system.model import Instance, device_tables
from ajci.system.params import SystemParams

B = 1e6  # Hz


def random_cases(seed, n):
    """Return energy budgets (J), bits, gains a = h / I (1/W) and P_max (W)."""
    rng = np.random.default_rng(seed)
    e_rem = 10 ** rng.uniform(-4, 0, n)
    bits = 10 ** rng.uniform(4, 6, n)
    a = 10 ** rng.uniform(-1, 4, n)
    p_max = rng.choice([0.5, 100.0], n)
    return e_rem, bits, a, p_max


def energy_excess(p, e_rem, bits, a):
    """Return transmit energy minus budget, scaled by B: p D - E_rem B log2(1 + a p)."""
    return p * bits - e_rem * B * math.log2(1 + a * p)


def test_closed_form_matches_cvxpy():
    n_cases = 1000
    e_rem, bits, a, p_max = random_cases(0, n_cases)
    p_min = np.where(np.arange(n_cases) % 4 == 0, 0.3, 0.0)  # W
    closed, closed_ok = max_feasible_power(e_rem, bits, B, a, p_max, p_min)
    with warnings.catch_warnings():
        # CLARABEL sometimes reports "optimal inaccurate" at these tight tolerances.
        warnings.simplefilter("ignore", UserWarning)
        reference = [
            max_feasible_power_cvxpy(e_rem[i], bits[i], B, a[i], p_max[i], p_min[i])
            for i in range(n_cases)
        ]
    ref_power = np.array([float(p) for p, _ in reference])
    ref_ok = np.array([bool(ok) for _, ok in reference])
    np.testing.assert_array_equal(closed_ok, ref_ok)
    both = closed_ok & ref_ok
    assert both.sum() > 250
    interior = both & (closed < p_max * (1 - 1e-6))
    assert interior.sum() > 100
    np.testing.assert_allclose(closed[both], ref_power[both], rtol=1e-6)


def test_closed_form_matches_brentq():
    e_rem, bits, a, _ = random_cases(1, 300)
    power, ok = max_feasible_power(e_rem, bits, B, a, np.inf)
    checked = 0
    for i in np.flatnonzero(ok):
        # The excess is convex in p, negative just right of its minimiser
        # p* = E_rem B / (D ln 2) - 1/a, and positive for large p.
        p_star = e_rem[i] * B / (bits[i] * math.log(2)) - 1 / a[i]
        high = 2 * p_star + 1.0
        while energy_excess(high, e_rem[i], bits[i], a[i]) < 0:
            high *= 2
        root = brentq(energy_excess, p_star, high, args=(e_rem[i], bits[i], a[i]), rtol=1e-14)
        assert power[i] == pytest.approx(root, rel=1e-9)
        checked += 1
    assert checked > 100


def test_energy_budget_met_with_equality():
    e_rem, bits, a = 0.01, 2e5, 50.0  # J, bits, 1/W
    power, ok = max_feasible_power(e_rem, bits, B, a, 100.0)
    assert ok
    energy = power * bits / (B * math.log2(1 + a * power))  # J
    assert energy == pytest.approx(e_rem, rel=1e-12)


def test_p_max_caps_power():
    power, ok = max_feasible_power(1.0, 1e4, B, 100.0, 0.5)
    assert ok
    assert power == 0.5


def test_no_positive_power_meets_budget():
    # c = a E_rem B / (D ln 2) = 1e-3 * 1e-3 * 1e6 / (1e5 ln 2) < 1.
    power, ok = max_feasible_power(1e-3, 1e5, B, 1e-3, 0.5)
    assert not ok
    assert power == 0.0
    power, ok = max_feasible_power(-0.1, 1e5, B, 100.0, 0.5)
    assert not ok
    assert power == 0.0


def test_accuracy_floor_above_power():
    power, ok = max_feasible_power(1e-3, 1e5, B, 100.0, 0.5, p_min=0.6)
    assert not ok
    assert power > 0


def test_nothing_to_send_uses_p_max():
    power, ok = max_feasible_power(0.0, 0.0, B, 100.0, 0.5)
    assert ok
    assert power == 0.5


def test_huge_c_does_not_overflow():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        power, ok = max_feasible_power(1e10, 1e-300, B, 1e10, 0.5)
    assert ok
    assert power == 0.5


def test_near_branch_point_stays_accurate():
    # c = a E_rem B / (D ln 2) = 1 + 1e-6. In x = a p the equality reads
    # x = c ln(1 + x), whose root is near 2 (c - 1); log1p keeps the residual exact.
    bits = 1e5
    a = 1.0  # 1/W
    c = 1 + 1e-6
    e_rem = c * bits * math.log(2) / (a * B)  # J
    power, ok = max_feasible_power(e_rem, bits, B, a, 0.5)
    assert ok
    root = brentq(lambda x: x - c * math.log1p(x), 1e-6, 1e-5, xtol=1e-22, rtol=1e-14)
    assert power == pytest.approx(root / a, rel=1e-8)


def test_device_tables_cvxpy_matches_closed_form():
    params = SystemParams(
        n_devices=3,
        area_side_m=100.0,
        min_distance_m=1.0,
        f_loc_hz=1e9,
        f_es_hz=2e10,
        bandwidth_hz=B,
        p_max_w=0.5,
        p_jam_w=0.5,
        noise_dbm=-114.0,
        kappa=1e-28,
        e_max_j=0.05,
        omega=0.5,
        a_min=0.75,
        t_max_s=1.0,
        flops_per_cycle=1.0,
    )
    fit = {
        "a": np.array([0.05, 0.1, 0.6, 0.85]),
        "b": np.array([0.82, 0.84, 0.85, 0.85]),
        "c": np.array([0.3, 0.4, 0.5, 1.0]),
        "d": np.array([-3.0, -1.0, 1.0, 0.0]),
    }
    flops = np.array([1e8, 2e8, 1e8])
    bits = np.array([2e5, 8e5, 1e5, 0.0])
    instance = Instance.build(params, flops, bits, fit, 0.85, seed=3)
    closed = device_tables(instance)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        reference = device_tables(instance, power_method="cvxpy")
    np.testing.assert_array_equal(closed.feasible, reference.feasible)
    np.testing.assert_array_equal(closed.reason, reference.reason)
    interior = (closed.power > 0) & (closed.power < 0.5)
    assert interior.sum() >= 2
    np.testing.assert_allclose(closed.power, reference.power, rtol=1e-6)
