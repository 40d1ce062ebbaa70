"""Global optimum of the joint problem by mixed-integer programming with outer approximation.

Given the partition, the optimal power of each device depends on its own
point only (the closed form in :mod:`ajci.solvers.power`) and the optimal
edge allocation is the KKT square-root rule, under which the edge delays sum
to S^2 / F with S = sum_n sqrt(W_es(l_n)). The RDA of a partition is then

    RDA(l) = sum_n u[n, l_n] - omega / (T_max F) * S(l)^2,

with u[n, l] = omega (1 - (T_loc + T_tx)[n, l] / T_max) + (1 - omega) R_A[n, l].
Choosing one binary x[n, l] per device, the only nonlinear term is the convex
S^2, which is replaced by a variable z bounded below by tangent cuts. Each
round solves the mixed-integer linear program with HiGHS and adds the tangent
at the new S until z matches S^2: the last solution is then a global optimum
over the feasible partition points.
"""

from __future__ import annotations

import logging

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

from ajci.solvers.alternating import Solution, initial_partition, make_solution
from ajci.system.model import DeviceTables, Instance, device_tables, separable_revenue
from ajci.system.params import SolverSettings

log = logging.getLogger(__name__)

MAX_CUT_ROUNDS = 100
INITIAL_CUTS = 8
TOLERANCE = 1e-9  # on the RDA: stop once z is within this of kappa S^2


def optimal_partition(instance: Instance, tables: DeviceTables) -> tuple[np.ndarray, int]:
    """Return the RDA-maximising partition over feasible points and the number of MILP rounds.

    Raises
    ------
    ValueError
        If some device has no feasible partition point.
    """
    params = instance.params
    n, points = instance.n_devices, instance.n_groups + 1
    if not tables.feasible.any(axis=1).all():
        raise ValueError("some device has no feasible partition point")
    u = separable_revenue(instance, tables).ravel()  # (N*(L+1),)
    s = np.tile(np.sqrt(instance.w_es), n)  # sqrt(cycles), S contribution per binary
    kappa = params.omega / (params.t_max_s * params.f_es_hz)  # 1/cycle

    # Variables: N*(L+1) binaries, then z (the RDA cost of the edge delays).
    n_x = n * points
    cost = np.concatenate([-u, [1.0]])
    integrality = np.concatenate([np.ones(n_x), [0]])
    upper = np.concatenate([tables.feasible.ravel().astype(float), [np.inf]])
    bounds = Bounds(np.zeros(n_x + 1), upper)
    one_point = np.zeros((n, n_x + 1))
    for device in range(n):
        one_point[device, device * points : (device + 1) * points] = 1.0
    constraints = [LinearConstraint(one_point, 1.0, 1.0)]

    s_max = n * float(np.sqrt(instance.w_es).max())
    cut_points = list(np.linspace(0.0, s_max, INITIAL_CUTS))
    for rounds in range(1, MAX_CUT_ROUNDS + 1):
        # Tangent of kappa S^2 at S_k: z >= kappa (2 S_k S - S_k^2).
        slopes = np.asarray(cut_points)
        rows = np.hstack([2 * kappa * slopes[:, None] * s[None, :], -np.ones((len(slopes), 1))])
        cuts = LinearConstraint(rows, -np.inf, kappa * slopes**2)
        result = milp(
            cost,
            integrality=integrality,
            bounds=bounds,
            constraints=[*constraints, cuts],
            options={"mip_rel_gap": 0.0, "presolve": True},
        )
        if not result.success:
            raise RuntimeError(f"HiGHS failed on the partition MILP: {result.message}")
        x = np.round(result.x[:n_x]).reshape(n, points)
        total = float(s @ x.ravel())  # S at this solution
        if kappa * total**2 - result.x[-1] <= TOLERANCE:
            return np.argmax(x, axis=1), rounds
        cut_points.append(total)
    raise RuntimeError(f"outer approximation did not converge in {MAX_CUT_ROUNDS} rounds")


def solve_optimal(
    instance: Instance, settings: SolverSettings, rng: np.random.Generator
) -> Solution:
    """Solve the joint problem to global optimality (the reference for optimality gaps).

    When some device has no feasible point, the problem has no solution. The
    starting point of the alternating optimisation is then returned, marked
    infeasible device by device.
    """
    tables = device_tables(instance, power_method=settings.power_method)
    try:
        partition, rounds = optimal_partition(instance, tables)
    except ValueError:
        return make_solution("optimal", instance, tables, initial_partition(instance, tables))
    solution = make_solution("optimal", instance, tables, partition)
    solution.iterations = rounds
    return solution
