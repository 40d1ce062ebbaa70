"""Optimality gaps, speed against a plain reference, and scaling of the solvers.

Reads the profile and accuracy fit of a finished default run and prints a
Markdown report:

    python benchmarks/solver_benchmark.py --results results > report.md

1. Gap of the proposed scheme and of GA to the exact optimum over random
   placements at the default parameters. GA is run as configured and again
   with ``solver.ga.alternate`` on, from the proposed scheme's start.
2. Time per proposed solve against a plain reference (cvxpy for every power,
   one evaluation call per QGA individual), both on the same random stream.
3. Solve time of the proposed and exact schemes as the number of devices grows.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace
from functools import partial
from pathlib import Path

import numpy as np
import xarray as xr
import yaml

from ajci.experiments.sweep import system_with
from ajci.solvers import solve
from ajci.solvers.alternating import alternate
from ajci.system.model import Instance, device_tables, evaluate_population
from ajci.system.params import SolverSettings

REPO = Path(__file__).resolve().parents[1]


def evaluate_each(instance, tables, partitions, penalty_accuracy, penalty_energy):
    """Score a population one individual at a time: the plain reference."""
    rows = [
        evaluate_population(instance, tables, p[None, :], penalty_accuracy, penalty_energy)
        for p in partitions
    ]
    return {key: np.concatenate([row[key] for row in rows]) for key in rows[0]}


def solve_reference(instance, settings, rng):
    """Solve with the proposed scheme, using cvxpy powers and per-individual fitness."""
    tables = device_tables(instance, power_method="cvxpy")
    return alternate("proposed", instance, tables, settings, rng, evaluate=evaluate_each)


def timed(function, *args):
    started = time.perf_counter()
    result = function(*args)
    return result, time.perf_counter() - started


def build(config, profile, fit, seed, **overrides):
    system = dict(config["system"])
    for key, value in overrides.items():
        system = {**system, key: value}
    params = system_with(system, "n_devices", system["n_devices"])
    fit_params = {key: fit[key].values for key in "abcd"}
    return Instance.build(
        params,
        profile["flops"].values,
        profile["bits"].values,
        fit_params,
        float(fit.attrs["clean_accuracy"]),
        seed,
    )


def report_gaps(config, profile, fit, settings, n_placements):
    # The GA twice: as configured, and in the proposed scheme's loop from its start.
    variants = {
        "proposed": ("proposed", settings),
        "ga": ("ga", settings),
        "ga, in the loop": ("ga", replace(settings, ga_alternate=True)),
    }
    rows = {label: [] for label in variants}
    for seed in range(n_placements):
        instance = build(config, profile, fit, seed)
        optimum = solve("optimal", instance, settings, np.random.default_rng(seed))
        for label, (scheme, scheme_settings) in variants.items():
            solution = solve(scheme, instance, scheme_settings, np.random.default_rng(seed))
            gap = optimum.rda - solution.rda
            rows[label].append((gap, gap / abs(optimum.rda), solution.feasible.all()))
    print(f"## Optimality gap, N = {config['system']['n_devices']}, {n_placements} placements\n")
    print(
        "| scheme | at optimum | median gap (%) | worst gap (%) | median gap (RDA) |"
        " worst gap (RDA) | feasible |"
    )
    print("|---|---|---|---|---|---|---|")
    for scheme, values in rows.items():
        gaps = np.asarray(values)
        print(
            f"| {scheme} | {np.sum(gaps[:, 0] < 1e-9)}/{len(gaps)} "
            f"| {100 * np.median(gaps[:, 1]):.3f} | {100 * gaps[:, 1].max():.2f} "
            f"| {np.median(gaps[:, 0]):.4f} | {gaps[:, 0].max():.3f} "
            f"| {int(gaps[:, 2].sum())}/{len(gaps)} |"
        )
    print()


def report_speed(config, profile, fit, settings, n_placements):
    fast_times, reference_times, differences = [], [], []
    table_fast, table_reference = [], []
    for seed in range(n_placements):
        instance = build(config, profile, fit, seed)
        _, seconds = timed(device_tables, instance)
        table_fast.append(seconds)
        _, seconds = timed(partial(device_tables, instance, power_method="cvxpy"))
        table_reference.append(seconds)
        fast, seconds = timed(solve, "proposed", instance, settings, np.random.default_rng(seed))
        fast_times.append(seconds)
        reference, seconds = timed(solve_reference, instance, settings, np.random.default_rng(seed))
        reference_times.append(seconds)
        differences.append(abs(fast.rda - reference.rda))
    fast, reference = np.median(fast_times), np.median(reference_times)
    print(
        f"## Speed against the plain reference, N = {config['system']['n_devices']}, "
        f"{n_placements} placements (medians, one process)\n"
    )
    print("| what | fast | reference | ratio |")
    print("|---|---|---|---|")
    print(
        f"| power table, {instance.n_devices} x {instance.n_groups + 1} | "
        f"{1e3 * np.median(table_fast):.2f} ms (closed form) | "
        f"{1e3 * np.median(table_reference):.0f} ms (cvxpy) | "
        f"{np.median(table_reference) / np.median(table_fast):.0f}x |"
    )
    print(f"| proposed solve | {fast:.3f} s | {reference:.2f} s | {reference / fast:.0f}x |")
    print(
        f"\nLargest RDA difference between the two on the same random stream: "
        f"{max(differences):.2e}\n"
    )


def report_scaling(config, profile, fit, settings, sizes, n_placements):
    print(f"## Solve time against N (median of {n_placements} placements)\n")
    print("| N | proposed (s) | optimal (s) | proposed gap (%) |")
    print("|---|---|---|---|")
    for n in sizes:
        proposed_times, optimal_times, gaps = [], [], []
        for seed in range(n_placements):
            instance = build(config, profile, fit, seed, n_devices=n)
            optimum, seconds = timed(solve, "optimal", instance, settings, np.random.default_rng(0))
            optimal_times.append(seconds)
            found, seconds = timed(
                solve, "proposed", instance, settings, np.random.default_rng(seed)
            )
            proposed_times.append(seconds)
            gaps.append((optimum.rda - found.rda) / abs(optimum.rda))
        print(
            f"| {n} | {np.median(proposed_times):.3f} | {np.median(optimal_times):.3f} "
            f"| {100 * np.median(gaps):.3f} |"
        )
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=REPO / "config.yaml")
    parser.add_argument(
        "--results",
        type=Path,
        default=REPO / "results",
        help="results folder of a finished default run",
    )
    parser.add_argument("--placements", type=int, default=50, help="placements for the gaps")
    parser.add_argument("--speed-placements", type=int, default=5)
    parser.add_argument("--sizes", type=int, nargs="+", default=[5, 10, 20, 50, 100])
    args = parser.parse_args()

    config = yaml.safe_load(args.config.read_text())
    profile = xr.load_dataset(args.results / "profile/profile.nc")
    fit = xr.load_dataset(args.results / "fit/accuracy_fit.nc")
    settings = SolverSettings.from_config(config["solver"])
    report_gaps(config, profile, fit, settings, args.placements)
    report_speed(config, profile, fit, settings, args.speed_placements)
    report_scaling(config, profile, fit, settings, args.sizes, 3)


if __name__ == "__main__":
    main()
