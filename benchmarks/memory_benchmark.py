"""Peak memory of one solve job for a small and a large number of placements.

Each measurement runs `solve_sweep_value` in a fresh Python process and
reports that process's peak resident set size (``resource.getrusage``,
``ru_maxrss``), next to the peak of a process that only imports the same
modules. Without ``--profile`` and ``--fit`` it uses a synthetic split
ResNet-18 profile (the FLOPs and payloads of the README's table) and a
synthetic accuracy fit.

    python benchmarks/memory_benchmark.py
    python benchmarks/memory_benchmark.py --profile results/profile/profile.nc \\
        --fit results/fit/accuracy_fit.nc --seeds 10 100
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import xarray as xr
import yaml

REPO = Path(__file__).resolve().parents[1]

# FLOPs per layer group and elements sent per partition point of the split
# ResNet-18 on 3x32x32 images. Point 0 is sent at 8 bits per element, the
# features at 32.
RESNET_FLOPS = [3538944, 150994944, 150994944, 117440512, 150994944, 117440512]
RESNET_FLOPS += [150994944, 117440512, 150994944, 0, 10240]
RESNET_ELEMENTS = [3072, 65536, 65536, 65536, 32768, 32768, 16384, 16384, 8192, 8192, 512, 10]
CLEAN_ACCURACY = 0.692

# Runs in the child process: argv is the mode ("imports" or "solve") and a JSON job file.
CHILD = """
import json, resource, sys, time
import xarray as xr
from ajci.experiments.sweep import solve_sweep_value
job = json.loads(open(sys.argv[2]).read())
seconds = 0.0
if sys.argv[1] == "solve":
    profile, fit = xr.load_dataset(job["profile"]), xr.load_dataset(job["fit"])
    started = time.perf_counter()
    solve_sweep_value(job["config"], profile, fit, job["sweep"], job["value"])
    seconds = time.perf_counter() - started
peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
print(json.dumps({"peak_kib": peak_kib, "seconds": seconds}))
"""


def synthetic_inputs(folder: Path) -> tuple[Path, Path]:
    """Write a synthetic profile and accuracy fit of the 12-point split ResNet-18."""
    elements = np.asarray(RESNET_ELEMENTS)
    bits = np.concatenate(([elements[0] * 8.0], elements[1:-1] * 32.0, [0.0]))
    profile = xr.Dataset(
        {
            "flops": ("group", np.asarray(RESNET_FLOPS, dtype=float)),
            "elements": ("point", elements),
            "bits": ("point", bits),
        },
        coords={"group": np.arange(1, 12), "point": np.arange(12)},
    )
    # Deeper points tolerate more jamming; the last point is the clean model.
    a, b = np.full(12, 0.1), np.full(12, CLEAN_ACCURACY)
    c, d = np.full(12, 0.3), np.linspace(-3.0, 6.0, 12)
    a[-1], c[-1], d[-1] = CLEAN_ACCURACY, 1.0, 0.0
    fit = xr.Dataset(
        {"a": ("point", a), "b": ("point", b), "c": ("point", c), "d": ("point", d)},
        coords={"point": np.arange(12)},
        attrs={"clean_accuracy": CLEAN_ACCURACY},
    )
    profile_path, fit_path = folder / "profile.nc", folder / "accuracy_fit.nc"
    profile.to_netcdf(profile_path, engine="h5netcdf")
    fit.to_netcdf(fit_path, engine="h5netcdf")
    return profile_path, fit_path


def load_config(path: Path, n_seeds: int) -> dict:
    config = yaml.safe_load(path.read_text())
    config["experiments"]["n_seeds"] = n_seeds
    return config


def run_child(mode: str, job: dict, folder: Path) -> dict:
    """Run the measurement in a fresh interpreter and return its peak KiB and solve seconds."""
    job_path = folder / f"job_{mode}_{job['config']['experiments']['n_seeds']}.json"
    job_path.write_text(json.dumps(job))
    done = subprocess.run(
        [sys.executable, "-c", CHILD, mode, str(job_path)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": str(REPO / "src")},
    )
    if done.returncode != 0:
        raise RuntimeError(f"{mode} run failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", type=Path, help="profile NetCDF (default: synthetic)")
    parser.add_argument("--fit", type=Path, help="accuracy-fit NetCDF (default: synthetic)")
    parser.add_argument("--config", type=Path, default=REPO / "config.yaml")
    parser.add_argument("--sweep", default="p_jam", help="sweep of the config to solve")
    parser.add_argument("--value", type=float, default=1.0, help="value of the swept key")
    parser.add_argument("--seeds", type=int, nargs="+", default=[10, 100])
    args = parser.parse_args()
    if (args.profile is None) != (args.fit is None):
        parser.error("give both --profile and --fit, or neither")

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if args.profile is None:
            profile, fit = synthetic_inputs(folder)
            source = "synthetic profile and fit"
        else:
            profile, fit = args.profile.resolve(), args.fit.resolve()
            source = f"{profile} and {fit}"
        job = {"profile": str(profile), "fit": str(fit), "sweep": args.sweep, "value": args.value}
        baseline = run_child("imports", {**job, "config": load_config(args.config, 1)}, folder)
        rows = []
        for n_seeds in args.seeds:
            started = time.perf_counter()
            config = load_config(args.config, n_seeds)
            result = run_child("solve", {**job, "config": config}, folder)
            rows.append((n_seeds, result, time.perf_counter() - started))

    schemes = ", ".join(config["experiments"]["schemes"])
    print(f"solve_sweep_value, {args.sweep} = {args.value:g}, {source}")
    print(f"config {args.config}, N = {config['system']['n_devices']}, schemes: {schemes}")
    print(f"imports only: peak RSS {baseline['peak_kib'] / 1024:.1f} MiB")
    print("| seeds | peak RSS (MiB) | above imports (MiB) | solve (s) | process (s) |")
    print("|---|---|---|---|---|")
    for n_seeds, result, wall in rows:
        peak = result["peak_kib"] / 1024
        extra = (result["peak_kib"] - baseline["peak_kib"]) / 1024
        print(f"| {n_seeds} | {peak:.1f} | {extra:.1f} | {result['seconds']:.1f} | {wall:.1f} |")


if __name__ == "__main__":
    main()
