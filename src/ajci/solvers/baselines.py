"""The four baselines: local computing (LC), edge-server computing (ESC), fixed power (FTP), GA."""

from __future__ import annotations

import numpy as np

from ajci.solvers.alternating import Solution, alternate, make_solution
from ajci.solvers.ga import genetic_search
from ajci.system.model import Instance, device_tables
from ajci.system.params import SolverSettings


def solve_lc(instance: Instance, settings: SolverSettings, rng: np.random.Generator) -> Solution:
    """Run every layer group on its device (every l_n = L); nothing is sent."""
    # The power method is irrelevant at l = L, so the closed form avoids cvxpy calls.
    tables = device_tables(instance)
    return make_solution("lc", instance, tables, np.full(instance.n_devices, instance.n_groups))


def solve_esc(instance: Instance, settings: SolverSettings, rng: np.random.Generator) -> Solution:
    """Offload the raw input (every l_n = 0), with optimised power and KKT allocation."""
    tables = device_tables(instance, power_method=settings.power_method)
    return make_solution("esc", instance, tables, np.zeros(instance.n_devices, dtype=np.int64))


def solve_ftp(instance: Instance, settings: SolverSettings, rng: np.random.Generator) -> Solution:
    """Fix every power at ``ftp_power_fraction * P_max``; QGA partition and KKT allocation.

    Under the fixed power a device's accuracy and energy follow from that power,
    so a partition point can be infeasible where the proposed power would not be.
    """
    fixed = settings.ftp_power_fraction * instance.params.p_max_w  # W
    tables = device_tables(instance, fixed_power=fixed)
    return alternate("ftp", instance, tables, settings, rng)


def solve_ga(instance: Instance, settings: SolverSettings, rng: np.random.Generator) -> Solution:
    """Choose the partition with the binary GA, with power and allocation as proposed.

    With ``settings.ga_alternate`` off, the GA runs once from a random
    population. The proposed scheme instead starts from `initial_partition`
    (all local when feasible) and reruns its search seeded with the incumbent,
    so part of its lead over this baseline comes from that start. With
    ``ga_alternate`` on, the GA runs in the same loop from the same start.
    """
    tables = device_tables(instance, power_method=settings.power_method)
    if settings.ga_alternate:
        return alternate("ga", instance, tables, settings, rng, search=genetic_search)
    result = genetic_search(instance, tables, rng, settings)
    return make_solution("ga", instance, tables, result.partition)
