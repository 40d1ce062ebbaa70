"""KKT allocation of the edge-server frequency, checked against numerical optimisers."""

import itertools

import numpy as np
import pytest
from scipy.optimize import minimize

from ajci.solvers.allocation import allocate_computation, es_delay

F = 2e10  # cycles/s


def total_delay(w, f):
    return float(np.sum(es_delay(w, f)))


@pytest.mark.parametrize("seed", range(10))
def test_kkt_matches_scipy_minimize(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 8))
    w = rng.uniform(1e7, 5e8, n)  # cycles
    kkt = allocate_computation(w, F)

    # Solve in units of F and of the largest workload so the SLSQP data are near 1.
    scale_w = w.max()
    res = minimize(
        lambda x: np.sum(w / scale_w / x),
        x0=np.full(n, 1.0 / n),
        jac=lambda x: -w / scale_w / x**2,
        bounds=[(1e-9, 1.0)] * n,
        constraints=[
            {"type": "ineq", "fun": lambda x: 1.0 - x.sum(), "jac": lambda x: -np.ones(n)}
        ],
        method="SLSQP",
        options={"ftol": 1e-12, "maxiter": 500},
    )
    # Status 8 means the line search stalled, which SLSQP reports at this optimum.
    assert res.status in (0, 8)
    assert total_delay(w, kkt) == pytest.approx(total_delay(w, res.x * F), rel=1e-8)
    np.testing.assert_allclose(kkt, res.x * F, rtol=1e-4)


def test_kkt_beats_brute_force_grid():
    w = np.array([1e8, 4e8, 9e8])
    kkt_delay = total_delay(w, allocate_computation(w, F))
    step = 0.005
    grid = np.arange(step, 1.0, step)
    best = np.inf
    for x1, x2 in itertools.product(grid, grid):
        x3 = 1.0 - x1 - x2
        if x3 > 0:
            best = min(best, total_delay(w, np.array([x1, x2, x3]) * F))
    assert kkt_delay <= best
    assert best <= kkt_delay * (1 + 1e-3)
    # sqrt weights 1 : 2 : 3 give the shares 1/6, 2/6, 3/6.
    np.testing.assert_allclose(allocate_computation(w, F), F * np.array([1, 2, 3]) / 6)


def test_zero_work_gets_zero_frequency():
    f = allocate_computation(np.array([0.0, 1e8, 4e8]), F)
    assert f[0] == 0
    assert f.sum() == pytest.approx(F)
    np.testing.assert_array_equal(allocate_computation(np.zeros(3), F), np.zeros(3))
    np.testing.assert_array_equal(es_delay(np.zeros(3), np.zeros(3)), np.zeros(3))


def test_vectorised_over_leading_axes():
    rng = np.random.default_rng(5)
    w = rng.uniform(0, 1e9, size=(4, 6, 3))
    w[0, 0] = 0.0
    f = allocate_computation(w, F)
    for index in np.ndindex(4, 6):
        np.testing.assert_allclose(f[index], allocate_computation(w[index], F))
    sums = f.sum(axis=-1)
    assert sums[0, 0] == 0
    np.testing.assert_allclose(sums.ravel()[1:], F)


def test_negative_work_raises():
    with pytest.raises(ValueError, match="non-negative"):
        allocate_computation(np.array([-1.0, 2.0]), F)
