"""Quantum genetic algorithm (QGA) over the partition points of all devices.

Encoding: device n's partition point l_n is ceil(log2(L+1)) qubits
(alpha, beta), most significant first. Measuring a qubit gives 1 when a
uniform draw exceeds alpha^2. Codes above L are mapped back by code mod (L+1),
so when L+1 is not a power of two the smallest codes are reachable twice.

Every measured population is scored by
:class:`ajci.system.model.PopulationScorer`: fitness = RDA minus mu1 times
the accuracy deficit minus mu2 times the energy excess, where each candidate
gets its own closed-form power (a per-device table) and its own KKT ES
allocation. The rotation gate steers the qubits toward the fittest individual
seen so far. The search returns the best feasible individual seen, or the
fittest one when none was feasible.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ajci.system.model import DeviceTables, Instance, PopulationScorer
from ajci.system.params import SolverSettings

# Same signature as evaluate_population: (instance, tables, partitions, mu1, mu2) -> scores.
PopulationEvaluator = Callable[..., dict]

logger = logging.getLogger(__name__)

# Generations between two debug progress lines.
_LOG_EVERY = 50


@dataclass
class SearchResult:
    """Outcome of a partition search.

    Attributes
    ----------
    partition : np.ndarray
        (N,) best partition points.
    fitness : float
        Penalised fitness of ``partition``.
    rda : float
        RDA of ``partition``.
    feasible : bool
        Whether every device meets (11b) and (11c) at ``partition``.
    history : list of float
        Best fitness seen after each generation.
    """

    partition: np.ndarray
    fitness: float
    rda: float
    feasible: bool
    history: list[float] = field(default_factory=list)


def make_scorer(
    instance: Instance,
    tables: DeviceTables,
    settings: SolverSettings,
    evaluate: PopulationEvaluator | None = None,
) -> Callable[[np.ndarray], dict]:
    """Return a function scoring (P, N) partitions: ``evaluate`` if given, else a fast scorer."""
    mu1, mu2 = settings.penalty_accuracy, settings.penalty_energy
    if evaluate is None:
        return PopulationScorer(instance, tables, mu1, mu2)
    return lambda partitions: evaluate(instance, tables, partitions, mu1, mu2)


def qubits_per_device(n_groups: int) -> int:
    """Return ceil(log2(L+1)), the bits that encode one partition point in 0..L."""
    return max(1, int(n_groups).bit_length())


def decode_bits(bits: np.ndarray, n_devices: int, n_groups: int) -> np.ndarray:
    """Map (P, N*m) measured bits to (P, N) partition points, code mod (L+1)."""
    m = qubits_per_device(n_groups)
    weights = 1 << np.arange(m - 1, -1, -1)  # most significant bit first
    codes = bits.reshape(bits.shape[0], n_devices, m).astype(np.int64) @ weights
    return codes % (n_groups + 1)


def encode_partition(partition: np.ndarray, n_groups: int) -> np.ndarray:
    """Map (N,) partition points to their (N*m,) bits (the code equals the point)."""
    m = qubits_per_device(n_groups)
    shifts = np.arange(m - 1, -1, -1)
    return ((np.asarray(partition)[:, None] >> shifts) & 1).astype(bool).ravel()


class EliteTracker:
    """Keeps the fittest individual and the best feasible individual ever seen."""

    def __init__(self) -> None:
        self.bits: np.ndarray | None = None
        self.fitness = -np.inf
        self._best: tuple[np.ndarray, float, float] | None = None  # partition, fitness, rda
        self._feasible: tuple[np.ndarray, float, float] | None = None

    def update(self, bits: np.ndarray, partitions: np.ndarray, scores: dict) -> None:
        """Update from a scored population: bits (P, K), partitions (P, N)."""
        i = int(np.argmax(scores["fitness"]))
        if scores["fitness"][i] > self.fitness:
            self.fitness = float(scores["fitness"][i])
            self.bits = bits[i].copy()
            self._best = (partitions[i].copy(), self.fitness, float(scores["rda"][i]))

        if scores["all_feasible"].any():
            rda = np.where(scores["all_feasible"], scores["rda"], -np.inf)
            j = int(np.argmax(rda))
            if self._feasible is None or rda[j] > self._feasible[2]:
                self._feasible = (partitions[j].copy(), float(scores["fitness"][j]), float(rda[j]))

    def result(self, history: list[float]) -> SearchResult:
        """Return the best feasible individual, or the fittest one if none was feasible."""
        feasible = self._feasible is not None
        partition, fitness, rda = self._feasible if feasible else self._best
        return SearchResult(partition, fitness, rda, feasible, history)


def swap_segments(rng: np.random.Generator, arrays: list[np.ndarray], p_crossover: float) -> None:
    """Apply single-point crossover in place to random pairs of rows of each (P, K) array.

    Rows are paired at random; each pair crosses with probability ``p_crossover``
    and then swaps every position from a random cut in 1..K-1 onwards. All arrays
    use the same pairs and cuts, so an individual's alpha and beta move together.
    """
    n_rows, n_cols = arrays[0].shape
    if n_cols < 2 or n_rows < 2:
        return
    pairs = rng.permutation(n_rows)[: n_rows // 2 * 2].reshape(-1, 2)
    crosses = rng.random(len(pairs)) < p_crossover
    cuts = rng.integers(1, n_cols, size=len(pairs))
    mask = (np.arange(n_cols)[None, :] >= cuts[:, None]) & crosses[:, None]  # (pairs, K)
    first, second = pairs[:, 0], pairs[:, 1]
    partner = np.arange(n_rows)
    partner[first], partner[second] = second, first
    take = np.zeros((n_rows, n_cols), dtype=bool)  # positions taken from the partner
    take[first], take[second] = mask, mask
    for array in arrays:
        array[...] = np.where(take, array[partner], array)


def rotate(
    alpha: np.ndarray, beta: np.ndarray, observed: np.ndarray, target: np.ndarray, angle: float
) -> tuple[np.ndarray, np.ndarray]:
    """Apply the rotation gate that moves each wrongly observed qubit toward ``target``.

    A qubit whose observed bit equals the target bit is left alone. Otherwise it
    turns by ``angle`` radians in the direction that raises the probability of
    the target bit: sign(alpha*beta) for target 1, its negative for target 0,
    and +1 where alpha*beta = 0 (both directions are then equivalent or already
    at the target).
    """
    product = alpha * beta
    direction = np.where(target, np.sign(product), -np.sign(product))
    direction = np.where(product == 0, 1.0, direction)
    moving = observed != target  # (P, K)
    # theta is 0 or +-angle, so its cosine and sine need no per-qubit trigonometry.
    cos = np.where(moving, np.cos(angle), 1.0)
    sin = np.where(moving, np.sin(angle) * direction, 0.0)
    return cos * alpha - sin * beta, sin * alpha + cos * beta


def quantum_genetic_search(
    instance: Instance,
    tables: DeviceTables,
    rng: np.random.Generator,
    settings: SolverSettings | None = None,
    incumbent: np.ndarray | None = None,
    evaluate: PopulationEvaluator | None = None,
) -> SearchResult:
    """Search the partition points with the QGA.

    Parameters
    ----------
    instance : Instance
        The problem instance.
    tables : DeviceTables
        Per-device tables (power chosen per partition point).
    rng : np.random.Generator
        Source of every random draw.
    settings : SolverSettings, optional
        QGA population, generations, rotation angle, crossover and mutation
        probabilities, and the penalty weights; defaults if None.
    incumbent : np.ndarray, optional
        (N,) partition to start from: it is scored first and becomes the
        individual the rotation gate steers toward until a fitter one appears.
    evaluate : callable, optional
        Scores a (P, N) population with the signature of `evaluate_population`;
        by default a `PopulationScorer`. Benchmarks pass a slower reference that
        returns the same values.
    """
    settings = settings or SolverSettings()
    n, n_groups = instance.n_devices, instance.n_groups
    n_qubits = n * qubits_per_device(n_groups)
    shape = (settings.qga_population, n_qubits)
    alpha = np.full(shape, 1.0 / np.sqrt(2.0))
    beta = np.full(shape, 1.0 / np.sqrt(2.0))
    elite = EliteTracker()

    scorer = make_scorer(instance, tables, settings, evaluate)

    def score(bits: np.ndarray, partitions: np.ndarray) -> None:
        elite.update(bits, partitions, scorer(partitions))

    if incumbent is not None:
        score(encode_partition(incumbent, n_groups)[None, :], np.asarray(incumbent)[None, :])

    history = []
    for generation in range(settings.qga_generations):
        observed = rng.random(shape) > alpha**2
        score(observed, decode_bits(observed, n, n_groups))
        history.append(elite.fitness)
        if generation % _LOG_EVERY == 0:
            logger.debug("qga generation %4d best fitness %.6f", generation, elite.fitness)

        alpha, beta = rotate(
            alpha, beta, observed, elite.bits[None, :], settings.qga_rotation_angle
        )
        swap_segments(rng, [alpha, beta], settings.qga_p_crossover)
        mutated = rng.random(shape) < settings.qga_p_mutation
        alpha, beta = np.where(mutated, beta, alpha), np.where(mutated, alpha, beta)
    return elite.result(history)
