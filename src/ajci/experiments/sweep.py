"""Sweeps: solve every scheme on Monte-Carlo placements and collect xarray Datasets."""

from __future__ import annotations

import logging
import time

import numpy as np
import xarray as xr

from ajci.solvers import solve
from ajci.system.model import Instance
from ajci.system.params import SolverSettings, SystemParams

log = logging.getLogger(__name__)

SCHEME_ORDER = ("proposed", "ga", "ftp", "lc", "esc", "optimal")
INTEGER_PARAMETERS = {"n_devices", "feature_bits"}
# Swept keys that change the payload sizes rather than a system parameter.
PAYLOAD_PARAMETERS = {"feature_bits"}

VARIABLE_ATTRS = {
    "rda": {"long_name": "revenue of delay and accuracy", "units": "1"},
    "delay": {"long_name": "total inference delay over devices", "units": "s"},
    "accuracy": {"long_name": "average inference accuracy over devices", "units": "1"},
    "feasible": {"long_name": "every device meets constraints (11b)-(11f)"},
    "n_infeasible": {"long_name": "devices violating a constraint", "units": "1"},
    "iterations": {"long_name": "alternating-optimisation iterations", "units": "1"},
    "solve_seconds": {"long_name": "wall time of the scheme's solve", "units": "s"},
    "partition": {"long_name": "partition point per device", "units": "1"},
    "power": {"long_name": "transmit power per device", "units": "W"},
    "f_es": {"long_name": "edge computation allocated per device", "units": "cycle/s"},
    "device_delay": {"long_name": "inference delay per device", "units": "s"},
    "device_accuracy": {"long_name": "inference accuracy per device", "units": "1"},
    "device_energy": {"long_name": "energy per device", "units": "J"},
    "device_feasible": {"long_name": "device meets every constraint"},
    "reason": {"long_name": "violated constraint, empty when feasible"},
    "trace": {"long_name": "RDA after each alternating-optimisation iteration", "units": "1"},
}


def system_at(system: dict, point: dict) -> SystemParams:
    """Return the system parameters with the swept keys of ``point`` replaced."""
    values = dict(system)
    for key, value in point.items():
        if key not in PAYLOAD_PARAMETERS:
            values[key] = int(value) if key in INTEGER_PARAMETERS else float(value)
    return SystemParams.from_config(values)


def system_with(system: dict, parameter: str, value: float) -> SystemParams:
    """Return the system parameters with one key replaced by a sweep value."""
    return system_at(system, {parameter: value})


def sweep_point(config: dict, sweep: str, value: float, grid_value: float | None) -> dict:
    """Return {key: value} of the swept keys at one point of a 1-D or 2-D sweep."""
    spec = config["experiments"]["sweeps"][sweep]
    point = {spec["parameter"]: value}
    if "grid" in spec:
        if grid_value is None:
            raise ValueError(
                f"sweep {sweep!r} is a 2-D grid: a value of {spec['grid']['parameter']} is required"
            )
        point[spec["grid"]["parameter"]] = grid_value
    return point


def payload_bits(profile: xr.Dataset, parameter: str, value: float) -> np.ndarray:
    """Return the bits sent at each point, recomputed when the sweep varies feature_bits.

    The raw input (point 0) keeps its own bits per pixel channel and the last
    point sends nothing.
    """
    bits = profile["bits"].values.astype(np.float64).copy()
    if parameter == "feature_bits":
        bits[1:-1] = profile["elements"].values[1:-1] * float(value)
    return bits


def scheme_rng(base_seed: int, placement: int, scheme: str) -> np.random.Generator:
    """Independent, reproducible random stream per placement and scheme."""
    return np.random.default_rng([base_seed, placement, SCHEME_ORDER.index(scheme)])


def solve_sweep_value(
    config: dict,
    profile: xr.Dataset,
    fit: xr.Dataset,
    sweep: str,
    value: float,
    grid_value: float | None = None,
) -> xr.Dataset:
    """Solve every configured scheme on every placement for one sweep value.

    ``grid_value`` is the value of the second key of a 2-D sweep. Placement
    ``s`` uses the same channel draw at every sweep value (common random
    numbers), so differences along a sweep come from the swept keys.
    """
    point = sweep_point(config, sweep, value, grid_value)
    system = dict(config["system"])
    if system["flops_per_cycle"] == "calibrated":
        if "calibrated_flops_per_cycle" not in profile.attrs:
            raise ValueError(
                "config key 'system.flops_per_cycle' is 'calibrated', but the profile has no "
                "'calibrated_flops_per_cycle' attribute; rerun the profile stage "
                "(snakemake --forcerun profile_model)"
            )
        system["flops_per_cycle"] = float(profile.attrs["calibrated_flops_per_cycle"])
        log.info("flops_per_cycle calibrated from the profile: %.3f", system["flops_per_cycle"])
    params = system_at(system, point)
    parameter = ", ".join(f"{key}={swept:g}" for key, swept in point.items())
    settings = SolverSettings.from_config(config["solver"])
    schemes = [s for s in SCHEME_ORDER if s in config["experiments"]["schemes"]]
    n_seeds = config["experiments"]["n_seeds"]
    fit_params = {key: fit[key].values for key in ("a", "b", "c", "d")}
    a_max = float(fit.attrs["clean_accuracy"])
    if params.a_min >= a_max:
        message = (
            f"config key 'system.a_min' is {params.a_min} at {parameter}, but the "
            f"trained model's clean accuracy is {a_max:.4f}"
        )
        if "a_min" not in point:
            raise ValueError(message + "; set system.a_min below it")
        # A sweep over a_min may pass the clean accuracy: those points are infeasible.
        log.warning("%s; every device is marked infeasible for accuracy", message)

    bits = profile["bits"].values.astype(np.float64)
    if "feature_bits" in point:
        bits = payload_bits(profile, "feature_bits", point["feature_bits"])
    records = {scheme: [] for scheme in schemes}
    for placement in range(n_seeds):
        instance = Instance.build(
            params,
            profile["flops"].values,
            bits,
            fit_params,
            a_max,
            seed=placement,
        )
        for scheme in schemes:
            started = time.perf_counter()
            solution = solve(scheme, instance, settings, scheme_rng(0, placement, scheme))
            records[scheme].append((solution, time.perf_counter() - started))
        best = {s: records[s][-1][0].rda for s in schemes}
        log.info(
            "%s placement %d/%d RDA %s",
            parameter,
            placement + 1,
            n_seeds,
            " ".join(f"{s}={v:.3f}" for s, v in best.items()),
        )
    dataset = collect(records, schemes, params.n_devices, n_seeds)
    dataset.attrs["n_points"] = len(bits)
    dataset = dataset.expand_dims(value=[float(value)])
    if grid_value is not None:
        dataset = dataset.expand_dims(grid_value=[float(grid_value)])
    return dataset


def collect(records: dict, schemes: list[str], n_devices: int, n_seeds: int) -> xr.Dataset:
    """Stack solutions into arrays of dims (scheme, seed[, device | iteration])."""
    n_trace = max(len(sol.trace) for runs in records.values() for sol, _ in runs)
    shape = (len(schemes), n_seeds)
    scalars = {k: np.zeros(shape) for k in ("rda", "delay", "accuracy", "solve_seconds")}
    feasible = np.zeros(shape, dtype=bool)
    n_infeasible = np.zeros(shape, dtype=np.int64)
    iterations = np.zeros(shape, dtype=np.int64)
    per_device = {
        k: np.zeros(shape + (n_devices,))
        for k in ("power", "f_es", "device_delay", "device_accuracy", "device_energy")
    }
    partition = np.zeros(shape + (n_devices,), dtype=np.int64)
    device_feasible = np.zeros(shape + (n_devices,), dtype=bool)
    reason = np.full(shape + (n_devices,), "", dtype=object)
    trace = np.full(shape + (n_trace,), np.nan)

    for i, scheme in enumerate(schemes):
        for s, (sol, seconds) in enumerate(records[scheme]):
            scalars["rda"][i, s] = sol.rda
            scalars["delay"][i, s] = float(np.sum(sol.delay))
            scalars["accuracy"][i, s] = float(np.mean(sol.accuracy))
            scalars["solve_seconds"][i, s] = seconds
            feasible[i, s] = bool(np.all(sol.feasible))
            n_infeasible[i, s] = int(np.sum(~np.asarray(sol.feasible)))
            iterations[i, s] = sol.iterations
            partition[i, s] = sol.partition
            per_device["power"][i, s] = sol.power
            per_device["f_es"][i, s] = sol.f_es
            per_device["device_delay"][i, s] = sol.delay
            per_device["device_accuracy"][i, s] = sol.accuracy
            per_device["device_energy"][i, s] = sol.energy
            device_feasible[i, s] = sol.feasible
            reason[i, s] = np.asarray(sol.reason, dtype=object)
            trace[i, s, : len(sol.trace)] = sol.trace

    dims, device_dims = ("scheme", "seed"), ("scheme", "seed", "device")
    variables = {key: (dims, array) for key, array in scalars.items()}
    variables |= {
        "feasible": (dims, feasible),
        "n_infeasible": (dims, n_infeasible),
        "iterations": (dims, iterations),
        "partition": (device_dims, partition),
        "device_feasible": (device_dims, device_feasible),
        "reason": (device_dims, reason.astype(str)),
        "trace": (("scheme", "seed", "iteration"), trace),
    }
    variables |= {key: (device_dims, array) for key, array in per_device.items()}
    dataset = xr.Dataset(
        variables,
        coords={
            "scheme": list(schemes),
            "seed": np.arange(n_seeds),
            "device": np.arange(n_devices),
            "iteration": np.arange(1, n_trace + 1),
        },
    )
    for key, attrs in VARIABLE_ATTRS.items():
        dataset[key].attrs.update(attrs)
    return dataset


def merge_sweep(parts: list[xr.Dataset], sweep: str, parameter: str, config: dict) -> xr.Dataset:
    """Concatenate per-value results along ``value`` (and ``grid_value`` for a 2-D sweep)."""

    def along_value(group: list[xr.Dataset]) -> xr.Dataset:
        merged = xr.concat(group, dim="value", join="outer", fill_value={"reason": ""})
        return merged.sortby("value")

    spec = config["experiments"]["sweeps"][sweep]
    if "grid" in spec:
        rows: dict[float, list[xr.Dataset]] = {}
        for part in parts:
            rows.setdefault(float(part["grid_value"].values[0]), []).append(part)
        merged = xr.concat(
            [along_value(rows[key]) for key in sorted(rows)],
            dim="grid_value",
            join="outer",
            fill_value={"reason": ""},
        )
        merged["grid_value"].attrs.update(long_name=f"second swept key {spec['grid']['parameter']}")
        merged.attrs["grid_parameter"] = spec["grid"]["parameter"]
    else:
        merged = along_value(parts)
    merged["value"].attrs.update(long_name=f"swept key {parameter}")
    merged.attrs.update(sweep=sweep, parameter=parameter, a_min=config["system"]["a_min"])
    return merged
