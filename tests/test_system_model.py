"""System model: parameters, channels, accuracy curve, and per-device delay and energy."""

import math

import numpy as np
import pytest

from ajci.system.accuracy import logistic_accuracy, min_sinr_db
from ajci.system.channel import Channels, draw_channels, path_loss_gain
from ajci.system.model import Instance, device_tables, evaluate_population
from ajci.system.params import SolverSettings, SystemParams

PARAMS = dict(
    n_devices=2,
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

# A two-group model: partition points 0 (raw input), 1, 2 (all local).
FLOPS = np.array([1e8, 2e8])
BITS = np.array([1e5, 2e5, 0.0])
FIT = dict(
    a=np.array([0.10, 0.10, 0.0]),
    b=np.array([0.80, 0.85, 0.0]),
    c=np.array([0.50, 0.50, 1.0]),
    d=np.array([-5.0, -5.0, 0.0]),
)
A_MAX = 0.85


def hand_instance(h=(1e-9, 4e-10), g=1e-11, **overrides) -> Instance:
    params = SystemParams(**{**PARAMS, **overrides})
    n = params.n_devices
    channels = Channels(
        es_position=np.zeros(2),
        jammer_position=np.ones(2),
        device_positions=np.ones((n, 2)),
        device_distance_m=np.ones(n),
        jammer_distance_m=1.0,
        h=np.array(h[:n]),
        g=g,
    )
    return Instance(params, FLOPS, BITS, a_max=A_MAX, channels=channels, **FIT)


def test_noise_dbm_to_watts():
    params = SystemParams(**PARAMS)
    assert params.noise_w == pytest.approx(3.981071705534972e-15, rel=1e-12)


def test_path_loss_gain_hand_values():
    # 100 m: 128.1 - 37.6 = 90.5 dB; 1 km: 128.1 dB.
    assert path_loss_gain(100.0) == pytest.approx(10 ** (-9.05), rel=1e-12)
    assert path_loss_gain(1000.0) == pytest.approx(10 ** (-12.81), rel=1e-12)
    assert path_loss_gain(100.0, intercept_db=100.0, slope_db=20.0) == pytest.approx(1e-8)


def test_draw_channels_placement():
    params = SystemParams(**{**PARAMS, "n_devices": 50, "min_distance_m": 30.0})
    first = draw_channels(params, seed=7)
    second = draw_channels(params, seed=7)
    np.testing.assert_array_equal(first.h, second.h)
    assert first.h.shape == (50,)
    assert np.all((first.device_positions >= 0) & (first.device_positions <= 100.0))
    assert np.all(first.device_distance_m >= 30.0)
    raw = np.linalg.norm(first.device_positions - first.es_position, axis=1)
    np.testing.assert_allclose(first.device_distance_m, np.maximum(raw, 30.0))
    np.testing.assert_allclose(first.h, path_loss_gain(first.device_distance_m), rtol=1e-12)
    assert first.g == pytest.approx(float(path_loss_gain(first.jammer_distance_m)), rel=1e-12)


def test_draw_channels_rayleigh_fading():
    plain = draw_channels(SystemParams(**PARAMS), seed=3)
    faded = draw_channels(SystemParams(**{**PARAMS, "rayleigh_fading": True}), seed=3)
    np.testing.assert_array_equal(plain.device_positions, faded.device_positions)
    assert not np.allclose(plain.h, faded.h)
    assert faded.g > 0


def test_sinr_delay_energy_hand_case():
    instance = hand_instance()
    tables = device_tables(instance)
    sigma2 = 10 ** ((-114 - 30) / 10)  # W
    interference = 0.5 * 1e-11 + sigma2  # W

    # Device 0 at l = 1: 1e8 FLOPs local, 2e8 at the ES, 2e5 bits sent at P_max.
    sinr = 0.5 * 1e-9 / interference
    rate = 1e6 * math.log2(1 + sinr)  # bit/s
    t_tx = 2e5 / rate
    e_loc = 1e-28 * (1e9) ** 2 * 1e8  # J
    assert tables.power[0, 1] == pytest.approx(0.5)
    assert tables.sinr_db[0, 1] == pytest.approx(10 * math.log10(sinr), rel=1e-12)
    assert tables.t_loc[0, 1] == pytest.approx(0.1)
    assert tables.e_loc[0, 1] == pytest.approx(e_loc)
    assert tables.t_tx[0, 1] == pytest.approx(t_tx, rel=1e-12)
    assert tables.e_tx[0, 1] == pytest.approx(0.5 * t_tx, rel=1e-12)
    accuracy = 0.10 + 0.75 / (1 + math.exp(-(0.5 * 10 * math.log10(sinr) - 5)))
    assert tables.accuracy[0, 1] == pytest.approx(accuracy, rel=1e-12)

    # Both devices at l = 1 share F by the square root of their ES work (equal here).
    scores = evaluate_population(instance, tables, np.array([[1, 1]]))
    t_es = 2e8 / 1e10
    assert scores["f_es"][0] == pytest.approx([1e10, 1e10])
    assert scores["delay"][0, 0] == pytest.approx(0.1 + t_tx + t_es, rel=1e-12)


def test_fully_local_point_sends_nothing():
    tables = device_tables(hand_instance())
    assert np.all(tables.power[:, 2] == 0)
    assert np.all(tables.t_tx[:, 2] == 0)
    assert np.all(tables.e_tx[:, 2] == 0)
    np.testing.assert_allclose(tables.accuracy[:, 2], A_MAX)
    np.testing.assert_allclose(tables.t_loc[:, 2], 0.3)
    assert np.all(tables.feasible[:, 2])


def test_rda_and_fitness_hand_case():
    instance = hand_instance()
    tables = device_tables(instance)
    scores = evaluate_population(instance, tables, np.array([[2, 2]]), 10.0, 10.0)
    # Both local: delay 0.3 s, accuracy 0.85, so each device earns
    # 0.5 * 0.7 + 0.5 * (0.85 - 0.75) / (0.85 - 0.75) = 0.85.
    assert scores["rda"][0] == pytest.approx(1.7)
    assert scores["fitness"][0] == pytest.approx(1.7)
    assert np.all(scores["f_es"][0] == 0)


def test_energy_infeasible_reason():
    # E_loc at l = 2 is 1e-28 * 1e18 * 3e8 = 0.03 J > E_max.
    tables = device_tables(hand_instance(e_max_j=0.02))
    assert not tables.feasible[0, 2]
    assert tables.reason[0, 2] == "energy"
    assert tables.reason[0, 0] == ""


def test_accuracy_infeasible_reason():
    # A_min = 0.82 is above the ceiling b_0 = 0.80 of the raw-input curve.
    tables = device_tables(hand_instance(a_min=0.82))
    assert not tables.feasible[0, 0]
    assert tables.reason[0, 0] == "accuracy"
    assert tables.feasible[0, 2]


def test_penalty_counts_accuracy_deficit():
    instance = hand_instance(h=(1e-9, 1e-14), a_min=0.5)
    tables = device_tables(instance)
    deficit = 0.5 - tables.accuracy[1, 0]
    assert deficit > 0
    scores = evaluate_population(instance, tables, np.array([[2, 0]]), 10.0, 0.0)
    assert scores["fitness"][0] == pytest.approx(scores["rda"][0] - 10.0 * deficit)
    assert not scores["all_feasible"][0]


def test_logistic_limits():
    assert logistic_accuracy(-np.inf, 0.1, 0.9, 0.5, 1.0) == pytest.approx(0.1)
    assert logistic_accuracy(np.inf, 0.1, 0.9, 0.5, 1.0) == pytest.approx(0.9)
    # At c * x + d = 0 the curve is half way between floor and ceiling.
    assert logistic_accuracy(-2.0, 0.1, 0.9, 0.5, 1.0) == pytest.approx(0.5)


def test_min_sinr_db_hand_values():
    assert min_sinr_db(0.5, 0.0, 1.0, 1.0, 0.0) == pytest.approx(0.0)
    # 0.75 = 1 / (1 + exp(-x)) at x = ln 3.
    assert min_sinr_db(0.75, 0.0, 1.0, 1.0, 0.0) == pytest.approx(math.log(3.0))
    assert min_sinr_db(0.75, 0.0, 1.0, 2.0, -1.0) == pytest.approx((math.log(3.0) + 1) / 2)


def test_min_sinr_db_extremes():
    out = min_sinr_db(0.75, np.array([0.8, 0.1, 0.1]), np.array([0.9, 0.7, 0.75]), 1.0, 0.0)
    assert out[0] == -np.inf
    assert out[1] == np.inf
    assert out[2] == np.inf


def test_logistic_inverse_round_trip():
    rng = np.random.default_rng(11)
    a = rng.uniform(0.0, 0.5, 100)
    b = rng.uniform(0.8, 0.95, 100)
    c = rng.uniform(0.05, 2.0, 100)
    d = rng.uniform(-5.0, 5.0, 100)
    a_min = 0.75
    sinr_db = min_sinr_db(a_min, a, b, c, d)
    assert np.all(np.isfinite(sinr_db))
    np.testing.assert_allclose(logistic_accuracy(sinr_db, a, b, c, d), a_min, rtol=1e-12)


def test_system_params_rejects_unknown_key():
    with pytest.raises(ValueError, match="unknown key"):
        SystemParams.from_config({**PARAMS, "bandwith_hz": 1e6})


def test_system_params_rejects_missing_key():
    config = dict(PARAMS)
    del config["kappa"]
    with pytest.raises(ValueError, match="missing key"):
        SystemParams.from_config(config)


def test_system_params_rejects_bad_value():
    with pytest.raises(ValueError, match="omega"):
        SystemParams.from_config({**PARAMS, "omega": 1.5})


def test_solver_settings_from_nested_config():
    settings = SolverSettings.from_config(
        {
            "qga": {"population": 20, "rotation_angle_pi": 0.02},
            "ga": {"tournament_size": 3},
            "penalty_energy": 5.0,
            "power_method": "cvxpy",
        }
    )
    assert settings.qga_population == 20
    assert settings.qga_rotation_angle == pytest.approx(0.02 * math.pi)
    assert settings.qga_generations == 200
    assert settings.ga_tournament_size == 3
    assert settings.penalty_energy == 5.0
    assert settings.power_method == "cvxpy"


def test_solver_settings_rejects_unknown_key():
    with pytest.raises(ValueError, match="unknown key"):
        SolverSettings.from_config({"qga": {"populaton": 20}})
    with pytest.raises(ValueError, match="power_method"):
        SolverSettings.from_config({"power_method": "bisection"})


def test_instance_rejects_decreasing_fit():
    fit = {**FIT, "c": np.array([0.5, -0.1, 1.0])}
    params = SystemParams(**PARAMS)
    with pytest.raises(ValueError, match=r"l = \[1\]"):
        Instance.build(params, FLOPS, BITS, fit, A_MAX, seed=0)


def test_instance_rejects_nonzero_last_bits():
    params = SystemParams(**PARAMS)
    with pytest.raises(ValueError, match="bits"):
        Instance.build(params, FLOPS, np.array([1e5, 2e5, 1.0]), FIT, A_MAX, seed=0)
