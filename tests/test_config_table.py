"""A table of bad configurations, each rejected before any job with the offending key named."""

import copy

import pytest
import yaml

from ajci.config import ConfigError, validate_config
from conftest import REPO, run_snakemake

SCHEMA = REPO / "workflow/schemas/config.schema.yaml"
DEFAULT = yaml.safe_load((REPO / "config.yaml").read_text())
DELETE = object()  # marks a key to remove rather than set


def changed(path: str, value) -> dict:
    """Return a copy of the default configuration with the key at ``path`` set or removed."""
    config = copy.deepcopy(DEFAULT)
    *parents, last = path.split(".")
    node = config
    for key in parents:
        node = node[key]
    if value is DELETE:
        del node[last]
    else:
        node[last] = value
    return config


def new_sweep(parameter: str, values: list) -> dict:
    return {"parameter": parameter, "values": values, "figure": f"fig_{parameter}"}


# (key to change, new value, key the message must name, text the message must contain)
BAD_CONFIGS = [
    # top level and missing sections
    ("results_dir", "", "results_dir", "non-empty"),
    ("figures_dir", 7, "figures_dir", "is not of type 'string'"),
    ("solver", DELETE, "<top level>", "'solver' is a required property"),
    ("system", DELETE, "<top level>", "'system' is a required property"),
    ("result_dir", "results", "<top level>", "'result_dir' was unexpected"),
    # dataset
    ("dataset.download", "yes", "dataset.download", "is not of type 'boolean'"),
    ("dataset.sha256", "A" * 64, "dataset.sha256", "does not match"),
    ("dataset.archive", ".", "dataset.archive", "is a folder"),
    ("dataset.download_root", DELETE, "dataset", "'download_root' is a required property"),
    # train: negative seeds, ranges, integer types
    ("train.seed", -1, "train.seed", "less than the minimum of 0"),
    ("train.momentum", 1.0, "train.momentum", "greater than or equal to the maximum of 1"),
    ("train.label_smoothing", -0.1, "train.label_smoothing", "less than the minimum of 0"),
    ("train.n_train_images", 60_000, "train.n_train_images", "greater than the maximum of 50000"),
    ("train.n_train_images", 0, "train.n_train_images", "less than the minimum of 1"),
    ("train.batch_size", 0, "train.batch_size", "less than the minimum of 1"),
    ("train.max_lr", 0, "train.max_lr", "less than or equal to the minimum of 0"),
    ("train.epochs", 1.5, "train.epochs", "is not of type 'integer'"),
    ("train.threads", 0, "train.threads", "less than the minimum of 1"),
    ("train.precision", "fp16", "train.precision", "'fp16' is not one of"),
    ("train.cutout", 40, "train.cutout", "greater than the maximum of 32"),
    # jamming
    ("jamming.seed", -3, "jamming.seed", "less than the minimum of 0"),
    ("jamming.corruption", "blur", "jamming.corruption", "'blur' is not one of"),
    ("jamming.precision", DELETE, "jamming", "'precision' is a required property"),
    ("jamming.sinr_db", [0, 0, 10, 20], "jamming.sinr_db", "non-unique"),
    ("jamming.sinr_db", [10, -10, 0, 20, -20], "jamming.sinr_db", "not in increasing order"),
    ("jamming.sinr_db", [float("nan"), -10, 0, 10], "jamming.sinr_db[0]", "not a finite"),
    # whole floats for integer keys, which jobs would pass to range() or torch
    ("train.epochs", 20.0, "train.epochs", "is not of type 'integer'"),
    ("experiments.n_seeds", 10.0, "experiments.n_seeds", "is not of type 'integer'"),
    ("jamming.batch_size", 500.0, "jamming.batch_size", "is not of type 'integer'"),
    # NaN passes every bound check of the schema, and infinity every minimum
    ("system.noise_dbm", float("nan"), "system.noise_dbm", "nan is not a finite number"),
    ("system.p_max_w", float("nan"), "system.p_max_w", "nan is not a finite number"),
    ("system.f_es_hz", float("inf"), "system.f_es_hz", "inf is not a finite number"),
    ("train.max_lr", float("inf"), "train.max_lr", "inf is not a finite number"),
    # output folders
    ("results_dir", "results/{run}", "results_dir", "wildcard"),
    ("jamming.sinr_db", [-100, 0, 10, 20], "jamming.sinr_db[0]", "less than the minimum of -60"),
    ("jamming.sinr_db", "0, 10, 20, 30", "jamming.sinr_db", "is not of type 'array'"),
    ("jamming.n_test_images", 5, "jamming.n_test_images", "less than the minimum of 10"),
    # profile
    ("profile.feature_bits", 0, "profile.feature_bits", "less than the minimum of 1"),
    ("profile.input_bits", 64, "profile.input_bits", "greater than the maximum of 32"),
    # system: physical bounds, units written into strings, booleans
    ("system.noise_dbm", -250, "system.noise_dbm", "less than the minimum of -200"),
    ("system.a_min", 1.0, "system.a_min", "greater than or equal to the maximum of 1"),
    ("system.rayleigh_fading", "no", "system.rayleigh_fading", "is not of type 'boolean'"),
    ("system.area_side_m", True, "system.area_side_m", "is not of type 'number'"),
    ("system.bandwidth_hz", "1 MHz", "system.bandwidth_hz", "is not of type 'number'"),
    ("system.n_devices", 0, "system.n_devices", "less than the minimum of 1"),
    ("system.e_max_j", 0, "system.e_max_j", "less than or equal to the minimum of 0"),
    ("system.kappa", DELETE, "system", "'kappa' is a required property"),
    # solver
    ("solver.qga.rotation_angle_pi", 0.75, "solver.qga.rotation_angle_pi", "maximum of 0.5"),
    ("solver.qga.population", 1, "solver.qga.population", "less than the minimum of 2"),
    ("solver.ga.tournament_size", 50, "solver.ga.tournament_size", "solver.ga.population (40)"),
    ("solver.ftp_power_fraction", 0, "solver.ftp_power_fraction", "minimum of 0"),
    ("solver.ao_tolerance", -1e-3, "solver.ao_tolerance", "less than the minimum of 0"),
    ("solver.power_method", "Closed_Form", "solver.power_method", "is not one of"),
    # experiments: schemes and seeds
    ("experiments.schemes", ["proposed", "proposed"], "experiments.schemes", "non-unique"),
    ("experiments.schemes", ["Proposed"], "experiments.schemes[0]", "'Proposed' is not one of"),
    ("experiments.n_seeds", 0, "experiments.n_seeds", "less than the minimum of 1"),
    ("experiments.n_seeds", True, "experiments.n_seeds", "is not of type 'integer'"),
    # sweeps: names, figures, parameters, lists
    (
        "experiments.sweeps.f_loc.parameter",
        "rayleigh_fading",
        "experiments.sweeps.f_loc.parameter",
        "'rayleigh_fading' is not one of",
    ),
    (
        "experiments.sweeps.f_loc.parameter",
        "gamma_db",
        "experiments.sweeps.f_loc.parameter",
        "'gamma_db' is not one of",
    ),
    (
        "experiments.sweeps.f_loc.figure",
        "fig 4/x",
        "experiments.sweeps.f_loc.figure",
        "does not match",
    ),
    (
        "experiments.sweeps.p_jam.figure",
        "fig4",
        "experiments.sweeps.p_jam.figure",
        "figure prefix of sweep 'f_loc'",
    ),
    (
        "experiments.sweeps.f_loc.values",
        [1.0e9, 1.0000001e9],
        "experiments.sweeps.f_loc.values[1]",
        "same file name '1e+09' as values[0]",
    ),
    (
        "experiments.sweeps.f_loc.values",
        [1.0e9, 1.0e9],
        "experiments.sweeps.f_loc.values",
        "non-unique",
    ),
    (
        "experiments.sweeps.f_loc.values",
        ["5e8"],
        "experiments.sweeps.f_loc.values[0]",
        "is not of type 'number'",
    ),
    ("experiments.sweeps.f_loc", None, "experiments.sweeps.f_loc", "is not of type 'object'"),
    (
        "experiments.sweeps.1bad",
        new_sweep("omega", [0.5]),
        "experiments.sweeps",
        "'1bad' does not match",
    ),
    (
        "experiments.sweeps.nofig",
        {"parameter": "omega", "values": [0.5]},
        "experiments.sweeps.nofig",
        "'figure' is a required property",
    ),
    (
        "experiments.sweeps.grid",
        {**new_sweep("omega", [0.5]), "grid": {"parameter": "p_jam_w", "values": [0.5, 0.5000001]}},
        "experiments.sweeps.grid.grid.values[1]",
        "same file name '0.5' as grid.values[0]",
    ),
    # sweep values outside the physical bounds of the key they replace
    (
        "experiments.sweeps.grid",
        {**new_sweep("omega", [0.5]), "grid": {"parameter": "p_jam_w", "values": [-1.0]}},
        "experiments.sweeps.grid.grid.values[0]",
        "system.p_jam_w",
    ),
    (
        "experiments.sweeps.omega",
        new_sweep("omega", [0.5, 1.0]),
        "experiments.sweeps.omega.values[1]",
        "system.omega",
    ),
    (
        "experiments.sweeps.a_min",
        new_sweep("a_min", [0.5, 1.0]),
        "experiments.sweeps.a_min.values[1]",
        "system.a_min",
    ),
    (
        "experiments.sweeps.n",
        new_sweep("n_devices", [10, 2.5]),
        "experiments.sweeps.n.values[1]",
        "is not of type 'integer'",
    ),
    (
        "experiments.sweeps.n",
        new_sweep("n_devices", [20_000]),
        "experiments.sweeps.n.values[0]",
        "greater than the maximum of 10000",
    ),
    (
        "experiments.sweeps.noise",
        new_sweep("noise_dbm", [-300]),
        "experiments.sweeps.noise.values[0]",
        "system.noise_dbm",
    ),
    (
        "experiments.sweeps.bandwidth",
        new_sweep("bandwidth_hz", [1.0e6, 0.0]),
        "experiments.sweeps.bandwidth.values[1]",
        "system.bandwidth_hz",
    ),
    (
        "experiments.sweeps.bits",
        new_sweep("feature_bits", [128]),
        "experiments.sweeps.bits.values[0]",
        "profile.feature_bits",
    ),
    (
        "experiments.sweeps.power",
        new_sweep("p_max_w", [-0.5]),
        "experiments.sweeps.power.values[0]",
        "system.p_max_w",
    ),
    (
        "experiments.sweeps.p_jam.grid",
        {"parameter": "p_jam_w", "values": [0.1, 2.0]},
        "experiments.sweeps.p_jam.grid.parameter",
        "already the sweep's parameter",
    ),
    (
        "experiments.sweeps.p_jam.values",
        [float("nan"), 0.5],
        "experiments.sweeps.p_jam.values[0]",
        "not a finite number",
    ),
]


def test_table_has_thirty_distinct_cases():
    cases = [(path, repr(value)) for path, value, _, _ in BAD_CONFIGS]
    assert len(set(cases)) == len(cases)
    assert len(cases) >= 30


@pytest.mark.parametrize(
    ("path", "value", "key", "detail"), BAD_CONFIGS, ids=[case[0] for case in BAD_CONFIGS]
)
def test_bad_config_rejected(path, value, key, detail):
    with pytest.raises(ConfigError) as raised:
        validate_config(changed(path, value), SCHEMA, REPO)
    message = str(raised.value)
    assert f"config key '{key}'" in message
    assert detail in message


def test_sweep_values_distinct_in_sixth_digit_accepted():
    config = changed("experiments.sweeps.f_loc.values", [1.0e9, 1.00001e9])
    validate_config(config, SCHEMA, REPO)


def test_dry_run_with_bad_config_runs_nothing(tmp_path):
    workdir = tmp_path / "work"
    workdir.mkdir()
    bad = tmp_path / "bad.yaml"
    sweeps = {
        "a": {"parameter": "p_jam_w", "values": [0.5], "figure": "same"},
        "b": {"parameter": "f_loc_hz", "values": [1.0e9, 1.0000001e9], "figure": "same"},
    }
    bad.write_text(
        yaml.safe_dump(
            {
                "results_dir": "results/bad",
                "solver": {"ga": {"tournament_size": 99}},
                "experiments": {"sweeps": sweeps},
            }
        )
    )
    done = run_snakemake(workdir, "-n", "--cores", "1", "--configfile", str(bad), timeout=300)
    output = done.stdout + done.stderr
    assert done.returncode != 0
    assert "config key 'solver.ga.tournament_size'" in output
    assert "config key 'experiments.sweeps.b.figure'" in output
    assert "config key 'experiments.sweeps.b.values[1]'" in output
    assert "Job stats" not in output  # no job was even scheduled
    assert not (workdir / "results").exists()
    left = {path.name for path in workdir.iterdir()} - {".snakemake"}
    assert left == set()


def test_results_dir_that_is_a_file(tmp_path):
    existing = tmp_path / "notes.txt"
    existing.write_text("not a folder")
    with pytest.raises(ConfigError, match=r"config key 'results_dir': .* is a file"):
        validate_config(changed("results_dir", str(existing)), SCHEMA, REPO)


def test_whole_float_sweep_value_for_integer_key():
    config = changed("experiments.sweeps.devices", new_sweep("n_devices", [5, 10.0]))
    with pytest.raises(ConfigError, match=r"'experiments\.sweeps\.devices\.values\[1\]'"):
        validate_config(config, SCHEMA, REPO)
