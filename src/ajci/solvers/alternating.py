"""Alternating optimisation (the proposed scheme): KKT allocation, power, then QGA partition.

Design decision: the power given l_n depends on device n's partition point
alone, so it is precomputed as an (N, L+1) table. Every candidate partition
the QGA scores gets its own power from that table and its own KKT allocation
of the ES frequency. Holding the ES share and the power at the
previous iterate instead would pin a fully local device (zero ES share) at
zero share forever, so the QGA could never move it to offloading. Each
iteration therefore reruns the QGA, seeded with the incumbent, over the exact
joint objective. The iterations stop when the RDA of the best feasible point
changes by less than ``ao_tolerance``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

import numpy as np

from ajci.solvers.qga import (
    PopulationEvaluator,
    SearchResult,
    make_scorer,
    quantum_genetic_search,
)
from ajci.system.model import DeviceTables, Instance, device_tables, evaluate_population
from ajci.system.params import SolverSettings

logger = logging.getLogger(__name__)

# A partition search (QGA or GA): (instance, tables, rng, settings, incumbent=...) -> result.
PartitionSearch = Callable[..., SearchResult]


@dataclass
class Solution:
    """A scheme's decision and its metrics.

    Attributes
    ----------
    scheme : str
        Scheme name ("proposed", "ga", "ftp", "lc", "esc").
    partition : np.ndarray
        (N,) partition points.
    power : np.ndarray
        (N,) transmit powers, in W.
    f_es : np.ndarray
        (N,) ES frequencies, in cycles/s.
    delay : np.ndarray
        (N,) end-to-end delays, in s.
    accuracy : np.ndarray
        (N,) inference accuracies.
    energy : np.ndarray
        (N,) device energies (computation plus transmission), in J.
    rda : float
        Revenue of delay and accuracy, summed over devices.
    feasible : np.ndarray
        (N,) whether each device meets (11b) and (11c).
    reason : np.ndarray
        (N,) "" where feasible, else "energy" or "accuracy".
    trace : list of float
        RDA after each alternating iteration; one entry for non-iterative schemes.
    iterations : int
        Number of alternating iterations (1 for non-iterative schemes).
    """

    scheme: str
    partition: np.ndarray
    power: np.ndarray
    f_es: np.ndarray
    delay: np.ndarray
    accuracy: np.ndarray
    energy: np.ndarray
    rda: float
    feasible: np.ndarray
    reason: np.ndarray
    trace: list[float] = field(default_factory=list)
    iterations: int = 1


def make_solution(
    scheme: str,
    instance: Instance,
    tables: DeviceTables,
    partition: np.ndarray,
    trace: list[float] | None = None,
    iterations: int = 1,
) -> Solution:
    """Evaluate ``partition`` and package it; ``trace`` defaults to its RDA alone."""
    partition = np.asarray(partition, dtype=np.int64)
    scores = evaluate_population(instance, tables, partition[None, :])
    rda = float(scores["rda"][0])
    rows = np.arange(instance.n_devices)
    return Solution(
        scheme=scheme,
        partition=partition,
        power=scores["power"][0],
        f_es=scores["f_es"][0],
        delay=scores["delay"][0],
        accuracy=scores["accuracy"][0],
        energy=scores["energy"][0],
        rda=rda,
        feasible=scores["feasible"][0],
        reason=tables.reason[rows, partition],
        trace=list(trace) if trace is not None else [rda],
        iterations=iterations,
    )


def initial_partition(instance: Instance, tables: DeviceTables) -> np.ndarray:
    """Return a starting partition: all local if feasible, else each device's best feasible point.

    A device's points are ranked by its own revenue with an equal ES share F/N
    (the ES delay is the only coupling between devices). A device without any
    feasible point takes the point with the smallest constraint violation,
    measured as accuracy deficit plus energy excess in J.
    """
    params = instance.params
    n, n_groups = instance.n_devices, instance.n_groups
    all_local = np.full(n, n_groups)
    if tables.feasible[:, n_groups].all():
        return all_local

    t_es = instance.w_es / (params.f_es_hz / n)  # s, (L+1,) with an equal share
    delay = tables.t_loc + tables.t_tx + t_es  # s, (N, L+1)
    revenue = (
        params.omega * (params.t_max_s - delay) / params.t_max_s
        + (1 - params.omega) * (tables.accuracy - params.a_min) / instance.accuracy_span
    )
    violation = np.maximum(0.0, params.a_min - tables.accuracy) + np.maximum(
        0.0, tables.energy - params.e_max_j
    )
    best_feasible = np.argmax(np.where(tables.feasible, revenue, -np.inf), axis=1)
    least_violating = np.argmin(violation, axis=1)
    return np.where(tables.feasible.any(axis=1), best_feasible, least_violating)


def _key(result: SearchResult) -> tuple[bool, float]:
    """Order search results: feasible before infeasible, then by RDA or fitness."""
    return (result.feasible, result.rda if result.feasible else result.fitness)


def alternate(
    scheme: str,
    instance: Instance,
    tables: DeviceTables,
    settings: SolverSettings,
    rng: np.random.Generator,
    evaluate: PopulationEvaluator | None = None,
    search: PartitionSearch | None = None,
) -> Solution:
    """Run the alternating optimisation with the powers in ``tables`` and return its best point.

    Used by the proposed scheme (optimised power), FTP (fixed power) and, with
    ``search`` set to the binary GA, the GA baseline when ``ga_alternate`` is on.
    ``evaluate`` scores populations (default: a fast scorer); benchmarks swap in
    a slower reference. ``search`` defaults to the QGA.
    """
    if search is None:
        search = partial(quantum_genetic_search, evaluate=evaluate)
    start = initial_partition(instance, tables)
    scores = make_scorer(instance, tables, settings, evaluate)(start[None, :])
    best = SearchResult(
        start, float(scores["fitness"][0]), float(scores["rda"][0]), bool(scores["all_feasible"][0])
    )
    previous = best.rda
    trace: list[float] = []
    for iteration in range(1, settings.ao_max_iterations + 1):
        candidate = search(instance, tables, rng, settings, incumbent=best.partition)
        if _key(candidate) > _key(best):
            best = candidate
        trace.append(best.rda)
        logger.info(
            "%s iteration %d rda %.6f feasible %s", scheme, iteration, best.rda, best.feasible
        )
        if abs(best.rda - previous) < settings.ao_tolerance:
            break
        previous = best.rda
    return make_solution(scheme, instance, tables, best.partition, trace, len(trace))


def solve_proposed(
    instance: Instance, settings: SolverSettings, rng: np.random.Generator
) -> Solution:
    """Solve the joint problem: closed-form (or cvxpy) power, KKT allocation, QGA partition."""
    tables = device_tables(instance, power_method=settings.power_method)
    return alternate("proposed", instance, tables, settings, rng)
