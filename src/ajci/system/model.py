"""Delay, energy, accuracy and RDA of a partition, per device and over a population.

Everything about device n at partition point l except its edge-server (ES)
delay depends on (n, l) alone once the transmit power is chosen per (n, l),
so :func:`device_tables` computes (N, L+1) tables once, and
:func:`evaluate_population` gathers from them and adds the KKT ES allocation,
which couples the devices, for a whole population of partitions at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from ajci.system.accuracy import logistic_accuracy
from ajci.system.channel import Channels, draw_channels
from ajci.system.params import SystemParams

# Relative slack on the constraints (11b) and (11c), because the closed-form
# power meets the energy budget with equality up to rounding.
CONSTRAINT_RTOL = 1e-9

FIT_KEYS = ("a", "b", "c", "d")


@dataclass(frozen=True)
class Instance:
    """One problem instance: parameters, the DNN's per-group profile, accuracy fits, channels.

    Attributes
    ----------
    params : SystemParams
        Physical parameters.
    flops : np.ndarray
        (L,) FLOPs of each layer group.
    bits : np.ndarray
        (L+1,) bits sent at each partition point; ``bits[L]`` is 0.
    a, b, c, d : np.ndarray
        (L+1,) logistic accuracy parameters per partition point; entry L is unused
        because the fully local model runs at ``a_max``.
    a_max : float
        Clean accuracy of the model (no transmission).
    channels : Channels
        Placement and channel gains.
    """

    params: SystemParams
    flops: np.ndarray
    bits: np.ndarray
    a: np.ndarray
    b: np.ndarray
    c: np.ndarray
    d: np.ndarray
    a_max: float
    channels: Channels

    def __post_init__(self) -> None:
        n_groups = np.shape(self.flops)[0] if np.ndim(self.flops) == 1 else 0
        if n_groups < 1:
            raise ValueError(
                f"flops must be a non-empty 1-D array, got shape {np.shape(self.flops)}"
            )
        for name in ("bits", *FIT_KEYS):
            if np.shape(getattr(self, name)) != (n_groups + 1,):
                raise ValueError(
                    f"{name} must have shape (L+1,) = ({n_groups + 1},), "
                    f"got {np.shape(getattr(self, name))}"
                )
        if np.any(np.asarray(self.flops) < 0) or np.any(np.asarray(self.bits) < 0):
            raise ValueError("flops and bits must be non-negative")
        if self.bits[-1] != 0:
            raise ValueError(f"bits[L] must be 0 (nothing is sent), got {self.bits[-1]}")
        self._check_fits()
        if not 0 < self.a_max <= 1:
            raise ValueError(f"a_max must lie in (0, 1], got {self.a_max!r}")
        if np.shape(self.channels.h) != (self.params.n_devices,):
            raise ValueError(
                f"channels.h must have shape ({self.params.n_devices},), "
                f"got {np.shape(self.channels.h)}"
            )

    def _check_fits(self) -> None:
        # The inverse of the logistic at A_min assumes accuracy rises with SINR.
        c = np.asarray(self.c)[:-1]
        spread = np.asarray(self.b)[:-1] - np.asarray(self.a)[:-1]
        for name, bad in (("c", np.flatnonzero(~(c > 0))), ("b - a", np.flatnonzero(spread < 0))):
            if bad.size:
                raise ValueError(
                    f"the accuracy fit needs c > 0 and b >= a at every partition point l < L, "
                    f"but {name} fails at l = {bad.tolist()}"
                )

    @classmethod
    def build(
        cls,
        params: SystemParams,
        flops: np.ndarray,
        bits: np.ndarray,
        fit_params: dict[str, Any],
        a_max: float,
        seed: int | None,
    ) -> Instance:
        """Draw the channels for ``seed`` and assemble an instance.

        ``fit_params`` maps "a", "b", "c", "d" to (L+1,) arrays; other keys are ignored.
        """
        missing = [key for key in FIT_KEYS if key not in fit_params]
        if missing:
            raise ValueError(f"fit_params is missing {missing}; it needs keys {list(FIT_KEYS)}")
        fits = {key: np.asarray(fit_params[key], dtype=float) for key in FIT_KEYS}
        return cls(
            params=params,
            flops=np.asarray(flops, dtype=float),
            bits=np.asarray(bits, dtype=float),
            a_max=float(a_max),
            channels=draw_channels(params, seed),
            **fits,
        )

    @property
    def n_devices(self) -> int:
        """Number of devices N."""
        return self.params.n_devices

    @property
    def n_groups(self) -> int:
        """Number of layer groups L."""
        return len(self.flops)

    @cached_property
    def w_loc(self) -> np.ndarray:
        """(L+1,) device workload at each partition point, in cycles."""
        cumulative = np.concatenate(([0.0], np.cumsum(self.flops)))
        return cumulative / self.params.flops_per_cycle

    @cached_property
    def w_es(self) -> np.ndarray:
        """(L+1,) ES workload at each partition point, in cycles."""
        cumulative = np.concatenate(([0.0], np.cumsum(self.flops)))
        return (cumulative[-1] - cumulative) / self.params.flops_per_cycle

    @property
    def accuracy_span(self) -> float:
        """Normaliser of the accuracy revenue: a_max - a_min, or 1 when that is not positive.

        With a_min >= a_max the normaliser a_max - a_min is zero or negative. Using 1
        keeps the RDA finite with the sign of A - A_min, and every cell whose
        accuracy is below a_min is still marked infeasible for accuracy.
        """
        span = self.a_max - self.params.a_min
        return span if span > 0 else 1.0

    @property
    def interference_w(self) -> float:
        """Jamming plus noise power at the ES, P_J g + sigma^2, in W."""
        return self.params.p_jam_w * self.channels.g + self.params.noise_w

    @property
    def gain_to_interference(self) -> np.ndarray:
        """(N,) h_n / (P_J g + sigma^2), in 1/W: the SINR per watt of transmit power."""
        return self.channels.h / self.interference_w


@dataclass(frozen=True)
class DeviceTables:
    """(N, L+1) per-device quantities at every partition point, with the power chosen per cell.

    ``energy`` is ``e_loc + e_tx``. ``reason`` is "" where feasible, "energy"
    where the energy budget is exceeded, else "accuracy".
    """

    t_loc: np.ndarray
    e_loc: np.ndarray
    power: np.ndarray
    sinr_db: np.ndarray
    t_tx: np.ndarray
    e_tx: np.ndarray
    accuracy: np.ndarray
    energy: np.ndarray
    feasible: np.ndarray
    reason: np.ndarray


def _optimised_power(
    instance: Instance, e_rem: np.ndarray, power_method: str
) -> tuple[np.ndarray, np.ndarray]:
    """Return the (N, L) power and energy feasibility of the transmitting partition points."""
    # NOTE: imported here because ajci.solvers imports this module.
    from ajci.solvers.power import max_feasible_power, max_feasible_power_cvxpy

    solver = {"closed_form": max_feasible_power, "cvxpy": max_feasible_power_cvxpy}[power_method]
    params = instance.params
    a = instance.gain_to_interference[:, None]  # 1/W, (N, 1)
    power, energy_ok = solver(
        e_rem, instance.bits[:-1], params.bandwidth_hz, a, params.p_max_w, p_min=0.0
    )
    # With no power meeting the budget, P_max keeps the delay finite and gives
    # the best reachable accuracy, so the cell is marked by its energy alone.
    return np.where(energy_ok, power, params.p_max_w), energy_ok


def device_tables(
    instance: Instance, fixed_power: float | None = None, power_method: str = "closed_form"
) -> DeviceTables:
    """Compute the per-device tables at every partition point.

    At l < L the power is ``fixed_power`` if given, else the solution of the
    power subproblem, min(P_max, p_E); where no positive power meets the energy
    budget the table uses P_max and marks the cell infeasible for energy. At
    l = L nothing is sent, the power is 0 and the accuracy is ``a_max``.

    Parameters
    ----------
    instance : Instance
        The problem instance.
    fixed_power : float, optional
        Transmit power for every device, in W (the FTP baseline).
    power_method : {"closed_form", "cvxpy"}
        Solver of the power subproblem when ``fixed_power`` is None.
    """
    params = instance.params
    n, n_points = instance.n_devices, instance.n_groups + 1
    t_loc = np.broadcast_to(instance.w_loc / params.f_loc_hz, (n, n_points))  # s
    e_loc = np.broadcast_to(params.kappa * params.f_loc_hz**2 * instance.w_loc, (n, n_points))  # J
    a = instance.gain_to_interference[:, None]  # 1/W, (N, 1)
    bits = instance.bits[:-1]  # (L,)

    # The accuracy constraint (the power floor of A_min) is checked on the
    # accuracy at the chosen power below, so the power solver needs no floor.
    if fixed_power is None:
        p_tx, energy_ok = _optimised_power(instance, params.e_max_j - e_loc[:, :-1], power_method)
    else:
        p_tx = np.full((n, n_points - 1), float(fixed_power))
        energy_ok = np.ones_like(p_tx, dtype=bool)

    gamma = p_tx * a  # linear SINR, (N, L)
    with np.errstate(divide="ignore"):
        sinr_db_tx = 10.0 * np.log10(gamma)
    rate = params.bandwidth_hz * np.log2(1.0 + gamma)  # bit/s
    t_tx_tx = np.divide(bits, rate, out=np.zeros_like(rate), where=bits > 0)  # s
    acc_tx = logistic_accuracy(
        sinr_db_tx, instance.a[:-1], instance.b[:-1], instance.c[:-1], instance.d[:-1]
    )

    # Append the fully local point l = L: nothing is sent.
    zeros = np.zeros((n, 1))
    power = np.hstack([p_tx, zeros])
    t_tx = np.hstack([t_tx_tx, zeros])
    e_tx = power * t_tx
    energy = e_loc + e_tx
    accuracy = np.hstack([acc_tx, np.full((n, 1), instance.a_max)])
    sinr_db = np.hstack([sinr_db_tx, np.full((n, 1), -np.inf)])

    energy_ok = np.hstack([energy_ok, np.ones((n, 1), dtype=bool)])
    energy_ok &= energy <= params.e_max_j * (1.0 + CONSTRAINT_RTOL)
    accuracy_ok = accuracy >= params.a_min * (1.0 - CONSTRAINT_RTOL)
    reason = np.where(~energy_ok, "energy", np.where(~accuracy_ok, "accuracy", ""))
    return DeviceTables(
        t_loc=np.array(t_loc),
        e_loc=np.array(e_loc),
        power=power,
        sinr_db=sinr_db,
        t_tx=t_tx,
        e_tx=e_tx,
        accuracy=accuracy,
        energy=energy,
        feasible=energy_ok & accuracy_ok,
        reason=reason,
    )


def evaluate_population(
    instance: Instance,
    tables: DeviceTables,
    partitions: np.ndarray,
    penalty_accuracy: float = 10.0,
    penalty_energy: float = 10.0,
) -> dict[str, np.ndarray]:
    """Evaluate RDA and the penalised fitness of a population of partitions in one array pass.

    Each candidate gets the power from ``tables`` and its own KKT allocation of
    the ES frequency.

    Parameters
    ----------
    instance : Instance
        The problem instance.
    tables : DeviceTables
        Output of :func:`device_tables` for ``instance``.
    partitions : np.ndarray
        (P, N) integer partition points in {0..L}; a single (N,) vector is read as P = 1.
    penalty_accuracy, penalty_energy : float
        Penalty weights mu1 (per unit of accuracy deficit) and mu2 (per J over E_max).

    Returns
    -------
    dict
        (P,) arrays "rda", "fitness", "all_feasible" and (P, N) arrays "delay"
        (s), "accuracy", "energy" (J), "power" (W), "f_es" (cycles/s), "feasible".
    """
    # NOTE: imported here because ajci.solvers imports this module.
    from ajci.solvers.allocation import allocate_computation, es_delay

    params = instance.params
    points = np.atleast_2d(np.asarray(partitions))  # (P, N) partition points
    if points.shape[1] != instance.n_devices or np.any((points < 0) | (points > instance.n_groups)):
        raise ValueError(
            f"partitions must have shape (P, {instance.n_devices}) with values in "
            f"0..{instance.n_groups}, got shape {points.shape} and values in "
            f"[{points.min()}, {points.max()}]"
        )
    rows = np.arange(instance.n_devices)

    w_es = instance.w_es[points]  # cycles, (P, N)
    f_es = allocate_computation(w_es, params.f_es_hz)  # cycles/s, (P, N)
    delay = tables.t_loc[rows, points] + tables.t_tx[rows, points] + es_delay(w_es, f_es)  # s
    accuracy = tables.accuracy[rows, points]
    energy = tables.energy[rows, points]  # J

    revenue_t = (params.t_max_s - delay) / params.t_max_s
    revenue_a = (accuracy - params.a_min) / instance.accuracy_span
    rda = np.sum(params.omega * revenue_t + (1.0 - params.omega) * revenue_a, axis=1)
    deficit = np.sum(np.maximum(0.0, params.a_min - accuracy), axis=1)
    excess = np.sum(np.maximum(0.0, energy - params.e_max_j), axis=1)  # J
    feasible = tables.feasible[rows, points]
    return {
        "rda": rda,
        "fitness": rda - penalty_accuracy * deficit - penalty_energy * excess,
        "all_feasible": feasible.all(axis=1),
        "delay": delay,
        "accuracy": accuracy,
        "energy": energy,
        "power": tables.power[rows, points],
        "f_es": f_es,
        "feasible": feasible,
    }


def separable_revenue(instance: Instance, tables: DeviceTables) -> np.ndarray:
    """Return u (N, L+1): each device's RDA share without the edge-delay term.

    With the KKT allocation the edge delays sum to S^2 / F, S = sum_n sqrt(W_es(l_n)),
    so RDA(l) = sum_n u[n, l_n] - omega / (T_max F) * S(l)^2.
    """
    params = instance.params
    delay = tables.t_loc + tables.t_tx  # s, (N, L+1)
    revenue_t = 1.0 - delay / params.t_max_s
    revenue_a = (tables.accuracy - params.a_min) / instance.accuracy_span
    return params.omega * revenue_t + (1.0 - params.omega) * revenue_a


class PopulationScorer:
    """Scores populations from per-cell tables built once, for searches that need only
    RDA, fitness and feasibility.

    It returns the same "rda", "fitness" and "all_feasible" as `evaluate_population`
    (to rounding) with two gathers per population instead of a full evaluation.
    """

    def __init__(
        self,
        instance: Instance,
        tables: DeviceTables,
        penalty_accuracy: float = 10.0,
        penalty_energy: float = 10.0,
    ) -> None:
        params = instance.params
        self.revenue = separable_revenue(instance, tables)  # (N, L+1)
        deficit = np.maximum(0.0, params.a_min - tables.accuracy)
        excess = np.maximum(0.0, tables.energy - params.e_max_j)  # J
        self.penalty = penalty_accuracy * deficit + penalty_energy * excess  # (N, L+1)
        self.root_w_es = np.sqrt(instance.w_es)  # sqrt(cycles), (L+1,)
        self.edge_weight = params.omega / (params.t_max_s * params.f_es_hz)  # 1/cycle
        self.feasible = tables.feasible
        self.rows = np.arange(instance.n_devices)

    def __call__(self, partitions: np.ndarray) -> dict[str, np.ndarray]:
        """Score (P, N) partitions; returns (P,) "rda", "fitness" and "all_feasible"."""
        total_root = self.root_w_es[partitions].sum(axis=1)  # S, (P,)
        rda = self.revenue[self.rows, partitions].sum(axis=1) - self.edge_weight * total_root**2
        return {
            "rda": rda,
            "fitness": rda - self.penalty[self.rows, partitions].sum(axis=1),
            "all_feasible": self.feasible[self.rows, partitions].all(axis=1),
        }
