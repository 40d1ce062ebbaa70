"""Transmit power subproblem, given the partition: the largest power meeting the energy budget.

Per device, with E_rem = E_max - E_loc the energy left for transmission,
a = h / (P_J g + sigma^2) and D the bits to send, the subproblem is

    maximise p  s.t.  p D <= E_rem B log2(1 + a p),  p >= p_min,  0 <= p <= P_max.

The delay and the accuracy both improve with p, and p / log2(1 + a p) is
increasing, so the optimum is p = min(P_max, p_E), where p_E solves the
energy constraint with equality. With u = 1 + a p, k = E_rem B / (D ln 2) and
c = a k, the equality reads u - 1 = c ln u, whose nontrivial root is
u = -c W_{-1}(-exp(-1/c) / c) (Lambert W, branch -1). It exists when c > 1;
when c <= 1 every positive power overspends the budget.
"""

from __future__ import annotations

import math

import cvxpy as cp
import numpy as np
from scipy.special import lambertw

# Newton steps that polish the Lambert-W root, because W_{-1} loses digits near
# its branch point (c slightly above 1).
_NEWTON_STEPS = 8

# Fraction of P_max below which a cvxpy solution counts as no transmission:
# the solver returns about 1e-15 W where only p = 0 meets the energy budget.
_ZERO_POWER = 1e-9


def _energy_root(c: np.ndarray) -> np.ndarray:
    """Return x = u - 1 > 0 solving x = c ln(1 + x), for c > 1 (inf where it overflows).

    Newton's method on the convex g(x) = x - c ln(1 + x) converges monotonically
    from any start above the root, and 3 (c - 1) is above it for c near 1,
    where the Lambert-W value is least accurate. For c within about 1e-9 of 1
    the root (about 2 (c - 1)) keeps only about 1e-7 relative accuracy.
    """
    with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
        z = -np.exp(-1.0 / c) / c
        guess = -c * np.real(lambertw(z, k=-1)) - 1.0
        x = np.fmax(guess, 3.0 * (c - 1.0))
        for _ in range(_NEWTON_STEPS):
            step = (x - c * np.log1p(x)) / (1.0 - c / (1.0 + x))
            x = np.where(np.isfinite(x), x - step, x)
    return x


def max_feasible_power(
    energy_budget: np.ndarray | float,
    bits: np.ndarray | float,
    bandwidth_hz: float,
    gain_to_interference: np.ndarray | float,
    p_max: float,
    p_min: np.ndarray | float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Solve the power subproblem in closed form, elementwise over broadcast arguments.

    Parameters
    ----------
    energy_budget : array_like
        E_rem = E_max - E_loc, the energy left for transmission, in J.
    bits : array_like
        Bits D to send.
    bandwidth_hz : float
        Bandwidth B, in Hz.
    gain_to_interference : array_like
        a = h / (P_J g + sigma^2), in 1/W.
    p_max : float
        Maximum transmit power, in W.
    p_min : array_like
        Power the accuracy constraint requires, in W.

    Returns
    -------
    power : np.ndarray
        min(P_max, p_E), in W; 0 where no positive power meets the energy budget.
    feasible : np.ndarray
        True where a positive power meets the energy budget and ``power >= p_min``.
    """
    e_rem, d, a, p_lo = np.broadcast_arrays(
        *(np.asarray(x, dtype=float) for x in (energy_budget, bits, gain_to_interference, p_min))
    )
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        k = e_rem * bandwidth_hz / (d * math.log(2.0))  # W, inf where nothing is sent
        c = a * k
        energy_ok = (e_rem >= 0) & ((d == 0) | (c > 1))
        root = np.where(c > 1, c, 2.0)  # any value > 1 keeps the root finder quiet
        p_e = np.where((d == 0) | np.isinf(c), np.inf, _energy_root(root) / a)  # W
    power = np.where(energy_ok, np.minimum(p_max, p_e), 0.0)
    feasible = energy_ok & (power >= p_lo)
    return power, feasible


def max_feasible_power_cvxpy(
    energy_budget: np.ndarray | float,
    bits: np.ndarray | float,
    bandwidth_hz: float,
    gain_to_interference: np.ndarray | float,
    p_max: float,
    p_min: np.ndarray | float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Solve the power subproblem with cvxpy (CLARABEL), one device at a time.

    A reference for :func:`max_feasible_power`, with the same arguments and
    returns. Each problem is scaled by x = p / P_max and by the energy
    coefficient so its data are of order one. Where the constraint with
    ``p_min`` is infeasible, the power is the solution without it.
    """
    e_rem, d, a, p_lo = np.broadcast_arrays(
        *(np.asarray(x, dtype=float) for x in (energy_budget, bits, gain_to_interference, p_min))
    )
    power = np.zeros(e_rem.shape)
    feasible = np.zeros(e_rem.shape, dtype=bool)
    for idx in np.ndindex(e_rem.shape):
        p = _solve_one_cvxpy(e_rem[idx], d[idx], bandwidth_hz, a[idx], p_max, p_lo[idx])
        if p is None:
            p = _solve_one_cvxpy(e_rem[idx], d[idx], bandwidth_hz, a[idx], p_max, 0.0)
            feasible[idx] = False
        else:
            feasible[idx] = p > _ZERO_POWER * p_max
        power[idx] = p
    return power, feasible


def _solve_one_cvxpy(
    e_rem: float, d: float, bandwidth_hz: float, a: float, p_max: float, p_min: float
) -> float | None:
    """Return the optimal power for one device, or None when the problem is infeasible."""
    if p_min > p_max:
        return None
    if d == 0:
        return p_max if e_rem >= 0 else None
    if e_rem <= 0:
        # Only p = 0 meets p D <= E_rem B log2(1 + a p), and it is no transmission.
        return 0.0 if p_min <= 0 else None

    k = e_rem * bandwidth_hz / (d * math.log(2.0))  # W
    x = cp.Variable(nonneg=True)  # p / P_max
    ax = a * p_max  # scaled gain
    # The energy constraint p D <= E_rem B ln(1 + a p) / ln 2, divided by k, in x.
    constraints = [x <= 1, (p_max / k) * x <= cp.log(1 + ax * x), x >= p_min / p_max]
    problem = cp.Problem(cp.Maximize(x), constraints)
    problem.solve(
        solver=cp.CLARABEL,
        tol_gap_abs=1e-12,
        tol_gap_rel=1e-12,
        tol_feas=1e-12,
        tol_ktratio=1e-10,
        max_iter=500,
    )
    if problem.status in (cp.INFEASIBLE, cp.INFEASIBLE_INACCURATE):
        return None
    if problem.status not in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE):
        raise RuntimeError(f"CLARABEL failed on the power subproblem: status {problem.status}")
    return float(np.clip(x.value, 0.0, 1.0)) * p_max
