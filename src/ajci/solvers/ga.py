"""Classical binary genetic algorithm (GA) over the partition points, the GA baseline.

It uses the QGA's encoding (ceil(log2(L+1)) bits per device, code mod (L+1))
and the same penalised fitness, with tournament selection, single-point
crossover, bit-flip mutation and elitism (the fittest individual ever seen
replaces the first child of every generation).
"""

from __future__ import annotations

import logging

import numpy as np

from ajci.solvers.qga import (
    EliteTracker,
    SearchResult,
    decode_bits,
    encode_partition,
    make_scorer,
    qubits_per_device,
    swap_segments,
)
from ajci.system.model import DeviceTables, Instance
from ajci.system.params import SolverSettings

logger = logging.getLogger(__name__)


def _tournament(rng: np.random.Generator, fitness: np.ndarray, size: int) -> np.ndarray:
    """Return the indices of len(fitness) tournament winners, each among ``size`` random rows."""
    contenders = rng.integers(0, len(fitness), size=(len(fitness), size))
    best = np.argmax(fitness[contenders], axis=1)
    return contenders[np.arange(len(fitness)), best]


def genetic_search(
    instance: Instance,
    tables: DeviceTables,
    rng: np.random.Generator,
    settings: SolverSettings | None = None,
    incumbent: np.ndarray | None = None,
) -> SearchResult:
    """Search the partition points with the binary GA.

    Parameters
    ----------
    instance : Instance
        The problem instance.
    tables : DeviceTables
        Per-device tables (power chosen per partition point).
    rng : np.random.Generator
        Source of every random draw.
    settings : SolverSettings, optional
        GA population, generations, crossover and mutation probabilities,
        tournament size and the penalty weights; defaults if None.
    incumbent : np.ndarray, optional
        (N,) partition placed as the first individual of the random initial population.
    """
    settings = settings or SolverSettings()
    n, n_groups = instance.n_devices, instance.n_groups
    shape = (settings.ga_population, n * qubits_per_device(n_groups))
    population = rng.random(shape) < 0.5
    if incumbent is not None:
        population[0] = encode_partition(incumbent, n_groups)
    elite = EliteTracker()
    scorer = make_scorer(instance, tables, settings)

    def score(bits: np.ndarray) -> np.ndarray:
        partitions = decode_bits(bits, n, n_groups)
        scores = scorer(partitions)
        elite.update(bits, partitions, scores)
        return scores["fitness"]

    fitness = score(population)
    history = []
    for generation in range(settings.ga_generations):
        children = population[_tournament(rng, fitness, settings.ga_tournament_size)]
        swap_segments(rng, [children], settings.ga_p_crossover)
        children ^= rng.random(shape) < settings.ga_p_mutation
        children[0] = elite.bits
        population = children
        fitness = score(population)
        history.append(elite.fitness)
        if generation % 50 == 0:
            logger.debug("ga generation %4d best fitness %.6f", generation, elite.fitness)
    return elite.result(history)
