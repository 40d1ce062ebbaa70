"""Bad configurations stop before any job runs, with a message naming the key."""

import copy

import pytest
import yaml

from ajci.config import ConfigError, validate_config
from conftest import REPO, run_snakemake

SCHEMA = REPO / "workflow/schemas/config.schema.yaml"
DEFAULT = yaml.safe_load((REPO / "config.yaml").read_text())


def with_change(path: str, value):
    config = copy.deepcopy(DEFAULT)
    *parents, last = path.split(".")
    node = config
    for key in parents:
        node = node[key]
    if value is KeyError:
        del node[last]
    else:
        node[last] = value
    return config


BAD_CONFIGS = [
    ("experiments.schemes", ["proposed", "magic"], "experiments.schemes[1]", "magic"),
    ("experiments.schemes", [], "experiments.schemes", "non-empty"),
    ("system.p_max_w", -0.5, "system.p_max_w", "-0.5"),
    ("system.p_jam_w", -1.0, "system.p_jam_w", "minimum"),
    ("system.omega", 1.5, "system.omega", "1.5"),
    ("system.n_devices", 2.5, "system.n_devices", "integer"),
    ("system.f_loc_hz", "1.0e9", "system.f_loc_hz", "number"),
    ("system.unknown_key", 1, "system", "unknown_key"),
    ("train.epochs", 0, "train.epochs", "minimum"),
    ("train.device", "tpu", "train.device", "tpu"),
    ("jamming.sinr_db", [0, 10], "jamming.sinr_db", "too short"),
    ("jamming.n_test_images", 20000, "jamming.n_test_images", "maximum"),
    ("solver.power_method", "newton", "solver.power_method", "closed_form"),
    ("solver.qga.p_mutation", 1.5, "solver.qga.p_mutation", "maximum"),
    ("experiments.sweeps", {}, "experiments.sweeps", "empty"),
    ("experiments.n_seeds", KeyError, "experiments", "n_seeds"),
    ("dataset.sha256", "abc", "dataset.sha256", "abc"),
]


@pytest.mark.parametrize(("path", "value", "key", "detail"), BAD_CONFIGS)
def test_bad_config_names_key(path, value, key, detail):
    with pytest.raises(ConfigError) as raised:
        validate_config(with_change(path, value), SCHEMA, REPO)
    message = str(raised.value)
    assert f"'{key}'" in message
    assert detail in message


def test_empty_sweep_values_rejected():
    config = copy.deepcopy(DEFAULT)
    config["experiments"]["sweeps"]["f_loc"]["values"] = []
    with pytest.raises(ConfigError, match=r"experiments\.sweeps\.f_loc\.values"):
        validate_config(config, SCHEMA, REPO)


def test_sweep_value_outside_bounds():
    config = copy.deepcopy(DEFAULT)
    config["experiments"]["sweeps"]["p_jam"]["values"] = [0.5, -2.0]
    with pytest.raises(ConfigError, match=r"experiments\.sweeps\.p_jam\.values\[1\]"):
        validate_config(config, SCHEMA, REPO)


def test_missing_dataset_without_download(tmp_path):
    config = with_change("dataset.archive", str(tmp_path / "absent.tar.gz"))
    with pytest.raises(ConfigError, match=r"'dataset\.archive'.*dataset\.download"):
        validate_config(config, SCHEMA, REPO)


def test_default_config_is_valid():
    validate_config(copy.deepcopy(DEFAULT), SCHEMA, REPO)


def test_snakemake_stops_before_any_job(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("system:\n  p_max_w: -1\nexperiments:\n  schemes: [proposed, magic]\n")
    done = run_snakemake(tmp_path, "-n", "--cores", "1", "--configfile", str(bad))
    assert done.returncode != 0
    output = done.stdout + done.stderr
    assert "'system.p_max_w'" in output
    assert "'experiments.schemes[1]'" in output
    assert "proposed" in output  # the allowed values are listed
    assert not (tmp_path / "results").exists()


def test_feature_bits_sweep_checked_against_profile():
    config = copy.deepcopy(DEFAULT)
    config["experiments"]["sweeps"]["bits"] = {
        "parameter": "feature_bits",
        "values": [16, 0],
        "figure": "fig_bits",
    }
    with pytest.raises(ConfigError, match=r"'experiments\.sweeps\.bits\.values\[1\]'"):
        validate_config(config, SCHEMA, REPO)
    config["experiments"]["sweeps"]["bits"]["values"] = [8, 16]
    validate_config(config, SCHEMA, REPO)
