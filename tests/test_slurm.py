"""The quick pipeline run through the SLURM executor on a one-node local cluster.

The cluster (tests/slurm) runs on this machine and needs root and the Debian
packages slurmctld, slurmd, slurm-client and munge, which .ci/run installs.
Without them the tests skip and print why.
"""

import json
import os
import subprocess
import warnings

import pytest
import xarray as xr
import yaml

from conftest import REPO, run_snakemake
from slurm.local_cluster import DEBIAN_PACKAGES, LocalCluster, missing_commands

QUICK = yaml.safe_load((REPO / "config/quick.yaml").read_text())
RESULTS = QUICK["results_dir"]
FIGURES = QUICK["figures_dir"]
PROFILES = [REPO / "workflow/profiles/slurm", REPO / "workflow/profiles/slurm-ci"]
# The quick pipeline takes about 5 minutes locally on 2 cores, and SLURM adds
# submission and status-check delays to every job.
SLURM_RUN_TIMEOUT_S = 1200
# Every rule that runs as a job, each of which should leave a SLURM log.
RULES = [
    "build_dataset_cache",
    "train_resnet18",
    "profile_model",
    "measure_point_accuracy",
    "merge_point_accuracy",
    "fit_accuracy_curves",
    "plot_accuracy_fit",
    "solve_sweep_value",
    "merge_sweep",
    "plot_sweep_figure",
]
COMPARED_FILES = [
    "jamming/accuracy.nc",
    "fit/accuracy_fit.nc",
    *[f"sweeps/{name}.nc" for name in QUICK["experiments"]["sweeps"]],
]
# Measured wall times, which differ between any two runs.
TIMING_VARIABLES = {"seconds", "solve_seconds", "reference_seconds", "reuse_speedup"}


def skip_reason() -> str | None:
    missing = missing_commands()
    if missing:
        return (
            f"SLURM test skipped: {', '.join(missing)} not found on PATH. "
            f"Install the Debian packages {DEBIAN_PACKAGES} to run it."
        )
    if os.geteuid() != 0:
        return "SLURM test skipped: starting the local SLURM cluster needs root."
    return None


def job_log_tails(workdir, n_lines: int = 15) -> str:
    """Return the last lines of each SLURM job log that the executor kept."""
    parts = []
    for path in sorted((workdir / ".snakemake/slurm_logs").rglob("*.log")):
        lines = path.read_text(errors="replace").splitlines()[-n_lines:]
        parts.append(f"--- {path.relative_to(workdir)}\n" + "\n".join(lines))
    return "\n".join(parts)


SKIP_REASON = skip_reason()
if SKIP_REASON is not None:
    # pytest captures output during collection, so a warning (listed in the
    # warnings summary) puts the reason in the CI log next to the skip summary.
    warnings.warn(SKIP_REASON, pytest.PytestWarning, stacklevel=1)
# A module-level skip, because the session fixture quick_run would otherwise
# run the whole local pipeline before any fixture here could skip.
pytestmark = [
    pytest.mark.pipeline,
    pytest.mark.skipif(SKIP_REASON is not None, reason=SKIP_REASON or ""),
]


@pytest.fixture(scope="module")
def slurm_cluster():
    """Start the one-node cluster for this module and stop its daemons afterwards."""
    cluster = LocalCluster()
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="module")
def slurm_run(slurm_cluster, tmp_path_factory):
    """Run the quick pipeline with the SLURM profiles and return its folder."""
    workdir = tmp_path_factory.mktemp("slurm")
    arguments = []
    for profile in PROFILES:
        arguments += ["--profile", str(profile)]
    arguments += ["--configfile", str(REPO / "config/quick.yaml")]
    with pytest.MonkeyPatch.context() as patch:
        for name, value in slurm_cluster.env.items():
            patch.setenv(name, value)
        try:
            done = run_snakemake(workdir, *arguments, timeout=SLURM_RUN_TIMEOUT_S)
        except subprocess.TimeoutExpired as error:
            pytest.fail(
                f"SLURM pipeline timed out after {SLURM_RUN_TIMEOUT_S} s:\n"
                f"{(error.stderr or b'')[-6000:]!r}\n{slurm_cluster.log_tail()}"
            )
    if done.returncode != 0:
        pytest.fail(
            f"SLURM pipeline failed:\n{done.stdout[-4000:]}\n{done.stderr[-8000:]}\n"
            f"{job_log_tails(workdir)}\n{slurm_cluster.log_tail()}"
        )
    (workdir / "snakemake.stderr").write_text(done.stderr)
    return workdir


def test_every_rule_ran_as_slurm_job(slurm_run):
    stderr = (slurm_run / "snakemake.stderr").read_text()
    assert "SLURM run ID" in stderr
    assert "has been submitted with SLURM jobid" in stderr
    for rule in RULES:
        logs = list((slurm_run / ".snakemake/slurm_logs" / f"rule_{rule}").rglob("*.log"))
        assert logs, f"no SLURM job log for rule {rule}"


def test_slurm_model_matches_local(slurm_run, quick_run):
    slurm = json.loads((slurm_run / RESULTS / "model/train_metrics.json").read_text())
    local = json.loads((quick_run / RESULTS / "model/train_metrics.json").read_text())
    assert slurm["threads"] == local["threads"]
    assert slurm["device"] == local["device"]
    assert slurm["clean_test_accuracy"] == local["clean_test_accuracy"]


@pytest.mark.parametrize("name", COMPARED_FILES)
def test_slurm_results_match_local(slurm_run, quick_run, name):
    # Exact equality: with the same thread count, two local runs on one CPU
    # type write bit-identical values, and a SLURM job is just another process.
    slurm = xr.load_dataset(slurm_run / RESULTS / name)
    local = xr.load_dataset(quick_run / RESULTS / name)
    assert sorted(slurm.data_vars) == sorted(local.data_vars)
    for variable in sorted(set(local.data_vars) - TIMING_VARIABLES):
        xr.testing.assert_equal(slurm[variable], local[variable])


def test_slurm_figures_match_local(slurm_run, quick_run):
    def figure_names(workdir):
        return {path.name for path in (workdir / FIGURES).iterdir()}

    # The quick config draws Fig. 3 and six figures per sweep. Other tests add
    # sweeps to the shared local run, so it may hold more than these.
    kinds = ("rda", "delay", "accuracy", "trace", "partition", "gap")
    stems = ["fig3_fit"] + [f"{fig}_{kind}" for fig in ("fig4", "fig5") for kind in kinds]
    expected = {f"{stem}.{ext}" for stem in stems for ext in ("png", "pdf")}
    slurm_figures = figure_names(slurm_run)
    assert slurm_figures == expected
    assert expected <= figure_names(quick_run)
    for name in slurm_figures:
        assert (slurm_run / FIGURES / name).stat().st_size > 5_000, name
