"""Training that stops after an epoch and continues from its saved state."""

import json
import logging
import os
import shutil
import signal
import subprocess
import time

import pytest
import torch
import yaml

import ajci.dnn.train as train
from ajci.data.cifar10 import load_dataset
from ajci.dnn.train import TrainSettings, train_model
from conftest import REPO, snakemake_command

QUICK = yaml.safe_load((REPO / "config/quick.yaml").read_text())

# Two short epochs of four steps each, so a run can stop between them.
SETTINGS = TrainSettings(
    epochs=2,
    batch_size=64,
    max_lr=0.05,
    weight_decay=5.0e-4,
    momentum=0.9,
    label_smoothing=0.1,
    precision="auto",
    cutout=8,
    n_train_images=256,
    seed=0,
    log_every_steps=2,
)
CPU = torch.device("cpu")


class Stopped(Exception):
    """Raised in place of a job being cancelled after its first epoch."""


@pytest.fixture(scope="module")
def data(quick_run):
    arrays = load_dataset(quick_run / QUICK["results_dir"] / "data/cifar10.npz")
    # 500 test images keep each evaluation short, and the tests compare the weights too.
    arrays["x_test"], arrays["y_test"] = arrays["x_test"][:500], arrays["y_test"][:500]
    return arrays


def stop_after_first_save(monkeypatch):
    save = train.save_atomically

    def save_then_stop(state, path):
        save(state, path)
        raise Stopped

    monkeypatch.setattr(train, "save_atomically", save_then_stop)


@pytest.mark.pipeline
def test_resumed_run_matches_uninterrupted(data, tmp_path, monkeypatch):
    whole, whole_metrics = train_model(data, SETTINGS, CPU)

    state_path = tmp_path / "train_state.pt"
    with monkeypatch.context() as patch:
        stop_after_first_save(patch)
        with pytest.raises(Stopped):
            train_model(data, SETTINGS, CPU, state_path)
    assert state_path.is_file()
    resumed, metrics = train_model(data, SETTINGS, CPU, state_path)

    assert metrics["resumed_from_epoch"] == 1
    assert len(metrics["epoch_seconds"]) == 2
    assert whole_metrics["resumed_from_epoch"] == 0
    for name, tensor in whole.state_dict().items():
        assert torch.equal(tensor, resumed.state_dict()[name]), name
    assert metrics["clean_test_accuracy"] == whole_metrics["clean_test_accuracy"]


@pytest.mark.pipeline
def test_state_for_other_seed_is_ignored(data, tmp_path, monkeypatch, caplog):
    state_path = tmp_path / "train_state.pt"
    with monkeypatch.context() as patch:
        stop_after_first_save(patch)
        with pytest.raises(Stopped):
            train_model(data, SETTINGS, CPU, state_path)
    other_seed = TrainSettings(**{**SETTINGS.__dict__, "seed": 1})

    with caplog.at_level(logging.WARNING, logger="ajci.dnn.train"):
        _, metrics = train_model(data, other_seed, CPU, state_path)

    assert metrics["resumed_from_epoch"] == 0
    assert "saved for other train settings" in caplog.text


@pytest.mark.pipeline
def test_unreadable_state_is_ignored(data, tmp_path, caplog):
    state_path = tmp_path / "train_state.pt"
    state_path.write_bytes(b"not a torch file")
    with caplog.at_level(logging.WARNING, logger="ajci.dnn.train"):
        _, metrics = train_model(data, SETTINGS, CPU, state_path)

    assert metrics["resumed_from_epoch"] == 0
    assert "train state is unreadable" in caplog.text


@pytest.mark.pipeline
def test_finished_run_removes_state(quick_run):
    model_dir = quick_run / QUICK["results_dir"] / "model"
    assert (model_dir / "resnet18.pt").is_file()
    assert not (model_dir / "train_state.pt").exists()


# Three epochs of 1,024 images: about 10 s each on 2 cores, so the job can be
# stopped while it trains its second epoch.
THREE_EPOCHS = {"train": {"epochs": 3, "n_train_images": 1024}}
STATE_WAIT_S = 300


@pytest.mark.pipeline
def test_cancelled_job_resumes(quick_run, tmp_path):
    results = tmp_path / QUICK["results_dir"]
    (results / "data").mkdir(parents=True)
    shutil.copy(quick_run / QUICK["results_dir"] / "data/cifar10.npz", results / "data")
    override = tmp_path / "three_epochs.yaml"
    override.write_text(yaml.safe_dump(THREE_EPOCHS))
    model_dir = results / "model"
    command = snakemake_command(
        tmp_path,
        "--cores",
        "2",
        "--configfile",
        str(REPO / "config/quick.yaml"),
        str(override),
        "--",
        f"{QUICK['results_dir']}/model/resnet18.pt",  # relative to --directory
    )

    # SIGTERM, as SLURM sends at a time limit, once the first epoch is saved.
    with open(tmp_path / "first_run.log", "w") as log:
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    deadline = time.monotonic() + STATE_WAIT_S
    while not (model_dir / "train_state.pt").is_file():
        assert process.poll() is None, (tmp_path / "first_run.log").read_text()[-4000:]
        assert time.monotonic() < deadline, "no train state saved in time"
        time.sleep(0.1)
    os.killpg(process.pid, signal.SIGTERM)
    assert process.wait(timeout=120) != 0
    assert not (model_dir / "resnet18.pt").exists()

    rerun = subprocess.run(command, capture_output=True, text=True, timeout=STATE_WAIT_S)
    assert rerun.returncode == 0, (rerun.stdout + rerun.stderr)[-4000:]
    train_log = (results / "logs/train_resnet18.log").read_text()
    assert "resuming after epoch 1 of 3" in train_log
    metrics = json.loads((model_dir / "train_metrics.json").read_text())
    assert metrics["resumed_from_epoch"] == 1
    assert len(metrics["epoch_seconds"]) == 3
    assert not (model_dir / "train_state.pt").exists()
