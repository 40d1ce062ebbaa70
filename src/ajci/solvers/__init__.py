"""Solvers for partitioning, power and ES computation: the proposed scheme, four baselines
and the exact optimum."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ajci.solvers.alternating import Solution, solve_proposed
from ajci.solvers.baselines import solve_esc, solve_ftp, solve_ga, solve_lc
from ajci.solvers.exact import solve_optimal
from ajci.system.model import Instance
from ajci.system.params import SolverSettings

SchemeSolver = Callable[[Instance, SolverSettings, np.random.Generator], Solution]

SCHEMES: dict[str, SchemeSolver] = {
    "proposed": solve_proposed,
    "ga": solve_ga,
    "ftp": solve_ftp,
    "lc": solve_lc,
    "esc": solve_esc,
    "optimal": solve_optimal,
}


def solve(
    scheme: str, instance: Instance, settings: SolverSettings, rng: np.random.Generator
) -> Solution:
    """Solve ``instance`` with the named scheme (a key of ``SCHEMES``)."""
    if scheme not in SCHEMES:
        raise ValueError(f"unknown scheme {scheme!r}; expected one of {sorted(SCHEMES)}")
    return SCHEMES[scheme](instance, settings, rng)


__all__ = ["SCHEMES", "Solution", "solve"]
