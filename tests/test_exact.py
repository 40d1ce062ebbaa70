"""The exact scheme equals enumeration with an independent scalar model."""

import numpy as np
import pytest

from ajci.solvers import solve
from ajci.system.params import SolverSettings
from test_solvers import brute_force_optimum, build


@pytest.mark.parametrize(("n_devices", "seed"), [(3, 3), (3, 4), (3, 7), (4, 1), (4, 5)])
@pytest.mark.parametrize("e_max_j", [1.0, 0.1])
def test_optimal_equals_enumeration(n_devices, seed, e_max_j):
    instance = build(seed, n_devices=n_devices, e_max_j=e_max_j)
    expected = brute_force_optimum(instance)
    solution = solve("optimal", instance, SolverSettings(), np.random.default_rng(0))
    assert solution.feasible.all()
    assert solution.rda == pytest.approx(expected, rel=1e-9, abs=1e-9)


def test_optimal_without_feasible_point_is_marked():
    # A 1 mJ budget is below the local cost of every point beyond the input,
    # and an accuracy threshold above every ceiling rules out offloading.
    instance = build(0, e_max_j=1e-3, a_min=0.849)
    solution = solve("optimal", instance, SolverSettings(), np.random.default_rng(0))
    assert not solution.feasible.all()
    assert set(solution.reason[~solution.feasible]) <= {"energy", "accuracy"}
    assert np.all(np.isfinite(solution.delay))
