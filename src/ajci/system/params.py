"""System and solver parameters, read from plain mappings (the parsed config)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, fields
from typing import Any

POWER_METHODS = ("closed_form", "cvxpy")


def _check_keys(mapping: Mapping[str, Any], allowed: set[str], required: set[str], where: str):
    unknown = sorted(set(mapping) - allowed)
    if unknown:
        raise ValueError(f"unknown key(s) {unknown} in {where}; allowed keys: {sorted(allowed)}")
    missing = sorted(required - set(mapping))
    if missing:
        raise ValueError(f"missing key(s) {missing} in {where}")


def _check_positive(obj: Any, names: tuple[str, ...]) -> None:
    for name in names:
        value = getattr(obj, name)
        if not value > 0:
            raise ValueError(f"{name} must be positive, got {value!r}")


def _check_unit_interval(obj: Any, names: tuple[str, ...], closed: bool = True) -> None:
    for name in names:
        value = getattr(obj, name)
        inside = 0 <= value <= 1 if closed else 0 < value < 1
        if not inside:
            bounds = "[0, 1]" if closed else "(0, 1)"
            raise ValueError(f"{name} must lie in {bounds}, got {value!r}")


@dataclass(frozen=True)
class SystemParams:
    """Physical parameters of the devices, the edge server (ES), the channel and the jammer.

    Attributes
    ----------
    n_devices : int
        Number of devices N.
    area_side_m : float
        Side of the square in which the ES, the jammer and the devices are placed, in m.
    min_distance_m : float
        Floor applied to every link distance, in m, so path loss stays finite.
    f_loc_hz : float
        CPU frequency of every device, in cycles/s.
    f_es_hz : float
        Total ES CPU frequency F shared by the devices, in cycles/s.
    bandwidth_hz : float
        Bandwidth B of each device's orthogonal band, in Hz.
    p_max_w : float
        Maximum device transmit power, in W.
    p_jam_w : float
        Jamming power P_J, in W.
    noise_dbm : float
        Noise power sigma^2 at the ES in each band, in dBm.
    kappa : float
        Effective switched capacitance of the device CPU, in J s^2 / cycle^3.
    e_max_j : float
        Energy budget E_max of each device per inference, in J.
    omega : float
        Weight of the delay revenue in the RDA, in (0, 1).
    a_min : float
        Minimum accuracy A_min each device must reach.
    t_max_s : float
        Delay T_max at which the delay revenue is zero, in s.
    flops_per_cycle : float
        FLOPs a CPU (device or ES) executes per cycle.
    pathloss_intercept_db : float
        Path loss at 1 km, in dB.
    pathloss_slope_db : float
        Path loss increase per decade of distance, in dB.
    rayleigh_fading : bool
        Whether each gain is multiplied by an Exp(1) draw (Rayleigh amplitude).
    """

    n_devices: int
    area_side_m: float
    min_distance_m: float
    f_loc_hz: float
    f_es_hz: float
    bandwidth_hz: float
    p_max_w: float
    p_jam_w: float
    noise_dbm: float
    kappa: float
    e_max_j: float
    omega: float
    a_min: float
    t_max_s: float
    flops_per_cycle: float
    pathloss_intercept_db: float = 128.1
    pathloss_slope_db: float = 37.6
    rayleigh_fading: bool = False

    def __post_init__(self) -> None:
        if int(self.n_devices) != self.n_devices or self.n_devices < 1:
            raise ValueError(f"n_devices must be a positive integer, got {self.n_devices!r}")
        _check_positive(
            self,
            (
                "area_side_m",
                "min_distance_m",
                "f_loc_hz",
                "f_es_hz",
                "bandwidth_hz",
                "p_max_w",
                "kappa",
                "e_max_j",
                "t_max_s",
                "flops_per_cycle",
            ),
        )
        if self.p_jam_w < 0:
            raise ValueError(f"p_jam_w must be non-negative, got {self.p_jam_w!r}")
        _check_unit_interval(self, ("omega",), closed=False)
        _check_unit_interval(self, ("a_min",))

    @property
    def noise_w(self) -> float:
        """Noise power sigma^2 in W."""
        return 10.0 ** ((self.noise_dbm - 30.0) / 10.0)

    @classmethod
    def from_config(cls, mapping: Mapping[str, Any]) -> SystemParams:
        """Build the parameters from a mapping whose keys are the field names.

        Raises
        ------
        ValueError
            If a key is unknown, a required key is missing, or a value is out of range.
        """
        allowed = {f.name for f in fields(cls)}
        required = {f.name for f in fields(cls) if f.default is MISSING}
        _check_keys(mapping, allowed, required, "system parameters")
        return cls(**dict(mapping))


@dataclass(frozen=True)
class SolverSettings:
    """Settings of the partition searches (QGA, GA), the penalties and the alternation.

    ``qga_rotation_angle`` is in radians; the config gives it in units of pi
    (``qga.rotation_angle_pi``).
    """

    qga_population: int = 40
    qga_generations: int = 200
    qga_rotation_angle: float = 0.01 * math.pi
    qga_p_crossover: float = 0.8
    # NOTE: the mutation swaps alpha and beta of each qubit with this probability
    # every generation, which undoes the 0.01 pi rotation faster than it converges.
    # On a 10-device, 5-point instance, 0.005 reached the brute-force optimum
    # where 0.05 stayed at the all-local start.
    qga_p_mutation: float = 0.005
    ga_population: int = 40
    ga_generations: int = 200
    ga_p_crossover: float = 0.8
    ga_p_mutation: float = 0.025  # 1/40 per bit for 10 devices of 4 bits
    ga_tournament_size: int = 2
    # False: one GA run from a random population. True: the GA replaces the QGA
    # in the proposed scheme's alternating loop, with the same start.
    ga_alternate: bool = False
    penalty_accuracy: float = 10.0
    penalty_energy: float = 10.0
    ao_max_iterations: int = 10
    ao_tolerance: float = 1e-4
    ftp_power_fraction: float = 0.5
    power_method: str = "closed_form"

    def __post_init__(self) -> None:
        for name in ("qga_population", "ga_population"):
            if getattr(self, name) < 2:
                raise ValueError(f"{name} must be at least 2, got {getattr(self, name)!r}")
        for name in ("qga_generations", "ga_generations", "ao_max_iterations"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)!r}")
        if not 1 <= self.ga_tournament_size <= self.ga_population:
            raise ValueError(
                f"ga_tournament_size must lie in [1, ga_population], got {self.ga_tournament_size}"
            )
        _check_unit_interval(
            self,
            ("qga_p_crossover", "qga_p_mutation", "ga_p_crossover", "ga_p_mutation"),
        )
        for name in ("penalty_accuracy", "penalty_energy", "ao_tolerance"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be non-negative, got {getattr(self, name)!r}")
        if not 0 < self.ftp_power_fraction <= 1:
            raise ValueError(
                f"ftp_power_fraction must lie in (0, 1], got {self.ftp_power_fraction!r}"
            )
        if self.power_method not in POWER_METHODS:
            raise ValueError(
                f"power_method must be one of {POWER_METHODS}, got {self.power_method!r}"
            )

    @classmethod
    def from_config(cls, mapping: Mapping[str, Any]) -> SolverSettings:
        """Build the settings from the nested solver config; absent keys keep their defaults.

        The mapping may contain ``qga`` (population, generations, rotation_angle_pi,
        p_crossover, p_mutation), ``ga`` (population, generations, p_crossover,
        p_mutation, tournament_size, alternate) and the flat keys penalty_accuracy,
        penalty_energy, ao_max_iterations, ao_tolerance, ftp_power_fraction and
        power_method.

        Raises
        ------
        ValueError
            If a key is unknown or a value is out of range.
        """
        flat = {
            "penalty_accuracy",
            "penalty_energy",
            "ao_max_iterations",
            "ao_tolerance",
            "ftp_power_fraction",
            "power_method",
        }
        _check_keys(mapping, flat | {"qga", "ga"}, set(), "solver settings")
        values: dict[str, Any] = {key: mapping[key] for key in flat if key in mapping}

        qga = mapping.get("qga", {})
        qga_keys = {"population", "generations", "rotation_angle_pi", "p_crossover", "p_mutation"}
        _check_keys(qga, qga_keys, set(), "solver settings 'qga'")
        for key, value in qga.items():
            if key == "rotation_angle_pi":
                values["qga_rotation_angle"] = float(value) * math.pi
            else:
                values[f"qga_{key}"] = value

        ga = mapping.get("ga", {})
        ga_keys = {
            "population",
            "generations",
            "p_crossover",
            "p_mutation",
            "tournament_size",
            "alternate",
        }
        _check_keys(ga, ga_keys, set(), "solver settings 'ga'")
        for key, value in ga.items():
            values[f"ga_{key}"] = value
        return cls(**values)
