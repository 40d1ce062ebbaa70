"""Partition searches and schemes against brute-force enumeration and a scalar reference model."""

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import brentq

from ajci.solvers import SCHEMES, solve
from ajci.solvers.qga import decode_bits, encode_partition, qubits_per_device, rotate
from ajci.system.model import Instance, PopulationScorer, device_tables, evaluate_population
from ajci.system.params import SolverSettings, SystemParams

PARAMS = dict(
    n_devices=3,
    area_side_m=100.0,
    min_distance_m=1.0,
    f_loc_hz=1e9,
    f_es_hz=2e10,
    bandwidth_hz=1e6,
    p_max_w=0.5,
    p_jam_w=0.5,
    noise_dbm=-114.0,
    kappa=1e-28,
    e_max_j=1.0,
    omega=0.5,
    a_min=0.75,
    t_max_s=1.0,
    flops_per_cycle=1.0,
)

# A made-up 4-group model: the raw input is small but fragile, deep points are robust.
FLOPS = np.array([1e8, 2e8, 2e8, 1e8])
BITS = np.array([2e5, 8e5, 4e5, 1e5, 0.0])
FIT = dict(
    a=np.array([0.05, 0.10, 0.30, 0.60, 0.0]),
    b=np.array([0.82, 0.84, 0.85, 0.85, 0.0]),
    c=np.array([0.3, 0.4, 0.5, 0.5, 1.0]),
    d=np.array([-3.0, -1.0, 0.0, 1.0, 0.0]),
)
A_MAX = 0.85
N_GROUPS = 4
SMALL = SolverSettings(
    qga_population=10, qga_generations=15, ga_population=10, ga_generations=15, ao_max_iterations=2
)


def build(seed=0, **overrides) -> Instance:
    return Instance.build(SystemParams(**{**PARAMS, **overrides}), FLOPS, BITS, FIT, A_MAX, seed)


def reference_power(e_rem, bits, a, p_max):
    """Return the largest p <= P_max meeting the energy budget, by root finding.

    Returns P_max where no positive power meets it, the convention of the tables.
    """

    def excess(p):
        return p * bits - e_rem * 1e6 * math.log2(1 + a * p)

    if excess(p_max) <= 0:
        return p_max, True
    p_star = e_rem * 1e6 / (bits * math.log(2)) - 1 / a  # minimiser of the convex excess
    if e_rem <= 0 or p_star <= 0:
        return p_max, False
    return brentq(excess, p_star, p_max, rtol=1e-14), True


def reference_scores(instance, partition, mu1=10.0, mu2=10.0):
    """Return (rda, fitness, all feasible) of one partition, computed device by device."""
    prm = instance.params
    interference = prm.p_jam_w * instance.channels.g + 10 ** ((prm.noise_dbm - 30) / 10)
    w_es = [sum(FLOPS[point:]) for point in partition]  # cycles
    root_sum = sum(math.sqrt(w) for w in w_es)
    rda = penalty = 0.0
    feasible = True
    for n, point in enumerate(partition):
        w_loc = sum(FLOPS[:point])  # cycles
        e_loc = prm.kappa * prm.f_loc_hz**2 * w_loc  # J
        delay = w_loc / prm.f_loc_hz + math.sqrt(w_es[n]) * root_sum / prm.f_es_hz
        energy, accuracy, energy_ok = e_loc, A_MAX, True
        if point < N_GROUPS:
            a = instance.channels.h[n] / interference  # 1/W
            p, energy_ok = reference_power(prm.e_max_j - e_loc, BITS[point], a, prm.p_max_w)
            t_tx = BITS[point] / (1e6 * math.log2(1 + a * p))
            delay += t_tx
            energy += p * t_tx
            sinr_db = 10 * math.log10(a * p)
            x = FIT["c"][point] * sinr_db + FIT["d"][point]
            accuracy = FIT["a"][point] + (FIT["b"][point] - FIT["a"][point]) / (1 + math.exp(-x))
        rda += prm.omega * (prm.t_max_s - delay) / prm.t_max_s
        rda += (1 - prm.omega) * (accuracy - prm.a_min) / (A_MAX - prm.a_min)
        penalty += mu1 * max(0.0, prm.a_min - accuracy) + mu2 * max(0.0, energy - prm.e_max_j)
        energy_ok = energy_ok and energy <= prm.e_max_j * (1 + 1e-9) and e_loc <= prm.e_max_j
        feasible = feasible and energy_ok and accuracy >= prm.a_min * (1 - 1e-9)
    return rda, rda - penalty, feasible


def brute_force_optimum(instance):
    """Return the best RDA over all feasible partitions, by enumeration."""
    best = -np.inf
    for partition in itertools.product(range(N_GROUPS + 1), repeat=instance.n_devices):
        rda, _, feasible = reference_scores(instance, partition)
        if feasible:
            best = max(best, rda)
    return best


# With E_max = 0.05 J these placements mix feasible cells, cells infeasible for
# accuracy or energy, and powers strictly between 0 and P_max.
@pytest.mark.parametrize("seed", [3, 4, 7])
def test_population_matches_scalar_loop(seed):
    instance = build(seed, e_max_j=0.05)
    tables = device_tables(instance)
    population = np.array(list(itertools.product(range(N_GROUPS + 1), repeat=3)))
    scores = evaluate_population(instance, tables, population, 10.0, 10.0)
    for i, partition in enumerate(population):
        rda, fitness, feasible = reference_scores(instance, partition)
        assert scores["rda"][i] == pytest.approx(rda, rel=1e-9)
        assert scores["fitness"][i] == pytest.approx(fitness, rel=1e-9)
        assert scores["all_feasible"][i] == feasible


# With E_max = 0.1 J these placements have optima that mix partition points.
@pytest.mark.parametrize("seed", [2, 3, 4, 7])
def test_proposed_reaches_brute_force_optimum(seed):
    instance = build(seed, e_max_j=0.1)
    optimum = brute_force_optimum(instance)
    assert np.isfinite(optimum)
    solution = solve("proposed", instance, SolverSettings(), np.random.default_rng(seed))
    assert solution.feasible.all()
    assert solution.rda == pytest.approx(optimum, rel=1e-9)


@pytest.mark.parametrize("seed", [2, 3, 4, 7])
def test_alternating_ga_reaches_optimum(seed):
    instance = build(seed, e_max_j=0.1)
    optimum = brute_force_optimum(instance)
    settings = SolverSettings(ga_alternate=True)
    solution = solve("ga", instance, settings, np.random.default_rng(seed))
    assert solution.feasible.all()
    assert solution.rda == pytest.approx(optimum, rel=1e-9)
    # The first GA run improves on the start here, so the loop runs it again.
    assert 2 <= solution.iterations <= settings.ao_max_iterations
    assert len(solution.trace) == solution.iterations
    assert np.all(np.diff(solution.trace) >= 0)


@pytest.mark.parametrize("seed", [3, 7])
def test_no_scheme_beats_optimum(seed):
    instance = build(seed, e_max_j=0.1)
    optimum = brute_force_optimum(instance)
    for scheme in SCHEMES:
        solution = solve(scheme, instance, SolverSettings(), np.random.default_rng(seed))
        if solution.feasible.all():
            assert solution.rda <= optimum + 1e-9, scheme


def test_lc_and_esc_partitions():
    instance = build(0)
    lc = solve("lc", instance, SMALL, np.random.default_rng(0))
    esc = solve("esc", instance, SMALL, np.random.default_rng(0))
    np.testing.assert_array_equal(lc.partition, [4, 4, 4])
    np.testing.assert_array_equal(esc.partition, [0, 0, 0])
    assert np.all(lc.power == 0)
    assert np.all(lc.f_es == 0)
    assert esc.f_es.sum() == pytest.approx(2e10)
    assert lc.trace == [lc.rda]
    assert lc.iterations == 1


def test_ftp_uses_fixed_power():
    solution = solve("ftp", build(1), SMALL, np.random.default_rng(1))
    sending = solution.partition < N_GROUPS
    np.testing.assert_allclose(solution.power[sending], 0.25)
    assert np.all(solution.power[~sending] == 0)


def test_proposed_trace_is_monotone():
    solution = solve("proposed", build(2), SMALL, np.random.default_rng(2))
    assert len(solution.trace) == solution.iterations
    assert 1 <= solution.iterations <= SMALL.ao_max_iterations
    assert np.all(np.diff(solution.trace) >= 0)
    assert solution.trace[-1] == pytest.approx(solution.rda)


def test_infeasible_instance_reports_reason():
    # E_max = 0.02 J is below E_loc at l >= 2, and A_min = 0.84 is at or above
    # the ceiling b at l <= 1, so no partition point is feasible.
    instance = build(0, a_min=0.84, e_max_j=0.02)
    for scheme in SCHEMES:
        solution = solve(scheme, instance, SMALL, np.random.default_rng(0))
        assert not solution.feasible.all(), scheme
        assert np.isfinite(solution.rda), scheme
        bad = ~solution.feasible
        assert set(solution.reason[bad]) <= {"accuracy", "energy"}, scheme
        assert np.all(solution.reason[~bad] == ""), scheme


def test_unknown_scheme_raises():
    with pytest.raises(ValueError, match="unknown scheme"):
        solve("random", build(0), SMALL, np.random.default_rng(0))


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    scheme=st.sampled_from(sorted(SCHEMES)),
    e_max_j=st.floats(0.005, 1.0),
    a_min=st.floats(0.5, 0.84),
    p_jam_w=st.floats(0.0, 2.0),
)
def test_feasible_solutions_meet_constraints(seed, scheme, e_max_j, a_min, p_jam_w):
    instance = build(seed, e_max_j=e_max_j, a_min=a_min, p_jam_w=p_jam_w)
    solution = solve(scheme, instance, SMALL, np.random.default_rng(seed))
    for name in ("power", "f_es", "delay", "accuracy", "energy"):
        assert not np.any(np.isnan(getattr(solution, name))), name
    assert np.all((solution.partition >= 0) & (solution.partition <= N_GROUPS))  # (11f)
    assert solution.f_es.sum() <= 2e10 * (1 + 1e-12)  # (11d)
    ok = solution.feasible
    assert np.all(solution.accuracy[ok] >= a_min - 1e-9)  # (11b)
    assert np.all(solution.energy[ok] <= e_max_j * (1 + 1e-9))  # (11c)
    assert np.all((solution.power[ok] >= 0) & (solution.power[ok] <= 0.5))  # (11e)
    assert np.all((solution.reason == "") == ok)


def test_qubits_per_device():
    assert qubits_per_device(1) == 1
    assert qubits_per_device(3) == 2
    assert qubits_per_device(4) == 3
    assert qubits_per_device(11) == 4


def test_decode_maps_large_codes_mod_l_plus_one():
    # L = 4 uses 3 bits, so codes 5, 6, 7 map to 0, 1, 2.
    codes = np.arange(8)
    bits = ((codes[:, None] >> np.array([2, 1, 0])) & 1).astype(bool)
    decoded = decode_bits(bits, n_devices=1, n_groups=4)
    np.testing.assert_array_equal(decoded[:, 0], [0, 1, 2, 3, 4, 0, 1, 2])


def test_encode_decode_round_trip():
    partition = np.array([0, 3, 4, 1, 2])
    bits = encode_partition(partition, n_groups=4)
    assert bits.shape == (15,)
    np.testing.assert_array_equal(decode_bits(bits[None, :], 5, 4)[0], partition)


@pytest.mark.parametrize("phi", [0.3, 1.2, 2.0, 2.9, -0.4, -2.5])
@pytest.mark.parametrize("target", [False, True])
def test_rotation_moves_toward_target(phi, target):
    alpha, beta = np.array([[math.cos(phi)]]), np.array([[math.sin(phi)]])
    observed = np.array([[not target]])
    new_alpha, new_beta = rotate(alpha, beta, observed, np.array([[target]]), 0.01 * math.pi)
    assert new_alpha[0, 0] ** 2 + new_beta[0, 0] ** 2 == pytest.approx(1.0)
    if target:
        assert new_beta[0, 0] ** 2 > beta[0, 0] ** 2
    else:
        assert new_beta[0, 0] ** 2 < beta[0, 0] ** 2


def test_rotation_skips_matching_bits():
    alpha = np.full((1, 2), 1 / math.sqrt(2))
    beta = alpha.copy()
    new_alpha, new_beta = rotate(
        alpha, beta, np.array([[True, False]]), np.array([[True, False]]), 0.1
    )
    np.testing.assert_array_equal(new_alpha, alpha)
    np.testing.assert_array_equal(new_beta, beta)


@pytest.mark.parametrize("seed", [0, 3, 7])
def test_scorer_matches_full_evaluation(seed):
    instance = build(seed, n_devices=6, e_max_j=0.05)
    tables = device_tables(instance)
    partitions = np.random.default_rng(seed).integers(0, N_GROUPS + 1, size=(64, 6))
    full = evaluate_population(instance, tables, partitions, 10.0, 10.0)
    fast = PopulationScorer(instance, tables, 10.0, 10.0)(partitions)
    np.testing.assert_allclose(fast["rda"], full["rda"], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(fast["fitness"], full["fitness"], rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(fast["all_feasible"], full["all_feasible"])
