"""Bad configurations stop before any job runs, with a message naming the key."""

import copy

import pytest
import torch
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


def one_cycle_peak_lr(total_steps: int, max_lr: float = 0.2) -> float:
    """Step torch's one-cycle schedule as training does and return its largest rate."""
    parameter = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([parameter], lr=max_lr, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=max_lr, total_steps=total_steps, pct_start=0.25
    )
    peak = scheduler.get_last_lr()[0]
    for _ in range(total_steps - 1):
        optimizer.step()
        scheduler.step()
        peak = max(peak, scheduler.get_last_lr()[0])
    return peak


def test_one_cycle_warms_up_from_eight_steps():
    assert one_cycle_peak_lr(8) == pytest.approx(0.2, rel=1e-12)
    assert one_cycle_peak_lr(7) < 0.199


@pytest.mark.parametrize(
    ("epochs", "n_train_images", "batch_size", "steps"),
    [
        (1, 1024, 128, 8),
        (1, 897, 128, 8),
        (8, 100, 128, 8),
        (2, 512, 128, 8),
        (1, 896, 128, 7),
        (1, 512, 128, 4),
    ],
)
def test_train_step_count_checked(epochs, n_train_images, batch_size, steps):
    config = copy.deepcopy(DEFAULT)
    config["train"].update(epochs=epochs, n_train_images=n_train_images, batch_size=batch_size)
    if steps >= 8:
        validate_config(config, SCHEMA, REPO)
        return
    with pytest.raises(ConfigError) as raised:
        validate_config(config, SCHEMA, REPO)
    assert "'train.epochs'" in str(raised.value)
    assert f"give {steps} steps" in str(raised.value)


def digital_config(quantization_bits: int, feature_bits: int, input_bits: int) -> dict:
    config = copy.deepcopy(DEFAULT)
    config["jamming"].update(corruption="digital", quantization_bits=quantization_bits)
    config["profile"].update(feature_bits=feature_bits, input_bits=input_bits)
    return config


def test_digital_payload_matching_quantisation_is_valid():
    validate_config(digital_config(4, 4, 4), SCHEMA, REPO)


@pytest.mark.parametrize(
    ("feature_bits", "input_bits", "bad_keys"),
    [
        (32, 4, ["profile.feature_bits"]),
        (4, 8, ["profile.input_bits"]),
        (32, 8, ["profile.feature_bits", "profile.input_bits"]),
    ],
)
def test_digital_payload_mismatch_names_key(feature_bits, input_bits, bad_keys):
    with pytest.raises(ConfigError) as raised:
        validate_config(digital_config(4, feature_bits, input_bits), SCHEMA, REPO)
    message = str(raised.value)
    for key in bad_keys:
        assert f"'{key}'" in message
    assert "quantization_bits = 4" in message


def test_digital_rejects_feature_bits_sweep():
    config = digital_config(8, 8, 8)
    config["experiments"]["sweeps"]["bits"] = {
        "parameter": "feature_bits",
        "values": [8, 16],
        "figure": "fig_bits",
    }
    with pytest.raises(ConfigError, match=r"'experiments\.sweeps\.bits\.parameter'"):
        validate_config(config, SCHEMA, REPO)
    config["jamming"]["corruption"] = "awgn"
    validate_config(config, SCHEMA, REPO)
