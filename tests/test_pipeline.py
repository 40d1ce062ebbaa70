"""The quick configuration run end to end with snakemake on the real CIFAR-10 images."""

import json

import numpy as np
import pytest
import xarray as xr
import yaml

from conftest import REPO, run_snakemake

pytestmark = pytest.mark.pipeline

QUICK = yaml.safe_load((REPO / "config/quick.yaml").read_text())
DEFAULT = yaml.safe_load((REPO / "config.yaml").read_text())
RESULTS = QUICK["results_dir"]
FIGURES = QUICK["figures_dir"]
N_POINTS = 12


def test_figures_written(quick_run):
    names = ["fig3_fit"] + [
        f"{fig}_{metric}" for fig in ("fig4", "fig5") for metric in ("rda", "delay", "accuracy")
    ]
    for name in names:
        for ext in ("png", "pdf"):
            path = quick_run / FIGURES / f"{name}.{ext}"
            assert path.is_file(), path
            assert path.stat().st_size > 5_000, path


def test_training_beats_chance(quick_run):
    metrics = json.loads((quick_run / RESULTS / "model/train_metrics.json").read_text())
    assert metrics["n_train_images"] == QUICK["train"]["n_train_images"]
    assert metrics["n_test_images"] == 10_000
    # Ten balanced classes: guessing gives 0.10.
    assert metrics["clean_test_accuracy"] > 0.15


def test_profile_payloads(quick_run):
    profile = xr.load_dataset(quick_run / RESULTS / "profile/profile.nc")
    assert profile.sizes == {"group": N_POINTS - 1, "point": N_POINTS}
    assert float(profile["bits"].sel(point=0)) == 3 * 32 * 32 * 8
    assert float(profile["bits"].sel(point=1)) == 64 * 32 * 32 * 32
    assert float(profile["bits"].sel(point=10)) == 512 * 32
    assert float(profile["bits"].sel(point=11)) == 0
    assert np.all(profile["time_s"].values > 0)


def test_jamming_measurements(quick_run):
    measured = xr.load_dataset(quick_run / RESULTS / "jamming/accuracy.nc")
    assert measured.sizes["point"] == N_POINTS
    assert measured.sizes["sinr_db"] == len(QUICK["jamming"]["sinr_db"])
    accuracy = measured["accuracy"].values
    assert np.all((accuracy >= 0) & (accuracy <= 1))
    assert np.all(measured["accuracy_low"].values <= accuracy)
    assert np.all(measured["accuracy_high"].values >= accuracy)
    # Nothing is sent at the last point, so jamming cannot change its accuracy.
    last = measured["accuracy"].sel(point=N_POINTS - 1).values
    assert np.all(last == float(measured["clean_accuracy"].sel(point=N_POINTS - 1)))


def test_fit_parameters(quick_run):
    fit = xr.load_dataset(quick_run / RESULTS / "fit/accuracy_fit.nc")
    assert fit.sizes["point"] == N_POINTS
    for key in ("a", "b", "c", "d", "r2", "rmse"):
        assert np.all(np.isfinite(fit[key].values)), key
    assert np.all((fit["a"].values >= 0) & (fit["b"].values <= 1))
    assert np.all(fit["c"].values > 0)


@pytest.mark.parametrize("sweep", ["f_loc", "p_jam"])
def test_sweep_results(quick_run, sweep):
    results = xr.load_dataset(quick_run / RESULTS / f"sweeps/{sweep}.nc")
    spec = QUICK["experiments"]["sweeps"][sweep]
    n_devices = DEFAULT["system"]["n_devices"]
    assert results.sizes["value"] == len(spec["values"])
    assert results.sizes["seed"] == QUICK["experiments"]["n_seeds"]
    assert results.sizes["device"] == n_devices
    assert set(results["scheme"].values) == set(DEFAULT["experiments"]["schemes"])
    np.testing.assert_allclose(results["value"].values, sorted(spec["values"]))

    feasible = results["feasible"].values
    for key in ("rda", "delay", "accuracy"):
        assert np.all(np.isfinite(results[key].values[feasible])), key
    accuracy = results["device_accuracy"].values
    assert np.all((accuracy >= 0) & (accuracy <= 1))
    partition = results["partition"].values
    assert np.all((partition >= 0) & (partition <= N_POINTS - 1))
    assert np.all(results["power"].values <= DEFAULT["system"]["p_max_w"] * (1 + 1e-9))
    assert np.all(results["power"].values >= 0)
    f_total = results["f_es"].sum("device").values
    assert np.all(f_total <= DEFAULT["system"]["f_es_hz"] * (1 + 1e-9))
    assert np.all(results["partition"].sel(scheme="lc").values == N_POINTS - 1)
    assert np.all(results["partition"].sel(scheme="esc").values == 0)
    assert results.attrs["parameter"] == spec["parameter"]
    assert "config_json" in results.attrs


def test_rerun_has_nothing_to_do(quick_run):
    done = run_snakemake(
        quick_run, "-n", "--cores", "2", "--configfile", str(REPO / "config/quick.yaml")
    )
    assert done.returncode == 0, done.stderr
    assert "Nothing to be done" in done.stdout + done.stderr


def job_counts(output: str) -> dict[str, int]:
    """Parse the 'Job stats' table of a snakemake dry run into {rule: count}."""
    counts, in_table = {}, False
    for line in output.splitlines():
        if line.startswith("Job stats"):
            in_table, counts = True, {}
            continue
        parts = line.split()
        if in_table and len(parts) == 2 and parts[1].isdigit():
            counts[parts[0]] = int(parts[1])
        elif in_table and counts and not parts:
            in_table = False
    return counts


def write_bandwidth_sweep(path, values):
    sweep = {"parameter": "bandwidth_hz", "values": values, "figure": "fig_bandwidth"}
    path.write_text(yaml.safe_dump({"experiments": {"sweeps": {"bandwidth": sweep}}}))


def test_new_sweep_from_config_only(quick_run):
    extra = quick_run / "bandwidth.yaml"
    write_bandwidth_sweep(extra, [5.0e5, 2.0e6])
    configs = ["--configfile", str(REPO / "config/quick.yaml"), str(extra)]
    done = run_snakemake(quick_run, "--cores", "2", *configs)
    assert done.returncode == 0, done.stderr[-4000:]
    results = xr.load_dataset(quick_run / RESULTS / "sweeps/bandwidth.nc")
    np.testing.assert_allclose(results["value"].values, [5.0e5, 2.0e6])
    assert results.attrs["parameter"] == "bandwidth_hz"
    for kind in ("rda", "delay", "accuracy", "trace", "partition", "gap"):
        assert (quick_run / FIGURES / f"fig_bandwidth_{kind}.png").is_file(), kind
    # Only the sweep's own solve, merge and plot jobs ran: nothing upstream.
    assert "train_resnet18" not in done.stderr

    write_bandwidth_sweep(extra, [5.0e5, 1.0e6, 2.0e6])
    dry = run_snakemake(quick_run, "-n", "--cores", "2", *configs)
    assert dry.returncode == 0, dry.stderr[-4000:]
    counts = job_counts(dry.stdout + dry.stderr)
    assert counts["solve_sweep_value"] == 1
    assert counts["merge_sweep"] == 1
    assert "train_resnet18" not in counts
    assert "measure_point_accuracy" not in counts
    assert f"{RESULTS}/solve/bandwidth/1e+06.nc" in dry.stdout + dry.stderr


def test_report_has_every_figure(quick_run):
    report = quick_run / "report.html"
    done = run_snakemake(
        quick_run, "--report", str(report), "--configfile", str(REPO / "config/quick.yaml")
    )
    assert done.returncode == 0, done.stderr[-4000:]
    text = report.read_text()
    for name in ("fig3_fit.png", "fig4_rda.png", "fig5_gap.png", "accuracy_fit.csv"):
        assert name in text, name
    assert "Student-t band" in text  # the rendered caption


def test_grid_sweep_from_config_only(quick_run):
    extra = quick_run / "grid.yaml"
    sweep = {
        "parameter": "p_jam_w",
        "values": [0.5, 1.5],
        "grid": {"parameter": "omega", "values": [0.3, 0.7]},
        "figure": "fig_grid",
    }
    extra.write_text(yaml.safe_dump({"experiments": {"sweeps": {"grid": sweep}}}))
    configs = ["--configfile", str(REPO / "config/quick.yaml"), str(extra)]
    done = run_snakemake(quick_run, "--cores", "2", *configs)
    assert done.returncode == 0, done.stderr[-4000:]
    results = xr.load_dataset(quick_run / RESULTS / "sweeps/grid.nc")
    assert results.sizes["value"] == 2
    assert results.sizes["grid_value"] == 2
    np.testing.assert_allclose(results["grid_value"].values, [0.3, 0.7])
    assert results.attrs["grid_parameter"] == "omega"
    assert np.all(np.isfinite(results["rda"].values))
    # The delay weight changes the objective only: LC's delays do not depend on it.
    lc_delay = results["delay"].sel(scheme="lc")
    np.testing.assert_allclose(lc_delay.sel(grid_value=0.3), lc_delay.sel(grid_value=0.7))
    assert (quick_run / FIGURES / "fig_grid_rda.png").is_file()
