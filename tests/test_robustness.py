"""Bad inputs, model edge cases, interruption and determinism of the pipeline."""

import copy
import hashlib
import io
import json
import math
import os
import signal
import subprocess
import sys
import tarfile
import time
from base64 import urlsafe_b64encode
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
import yaml
from PIL import Image

from ajci.data.cifar10 import build_dataset_cache, read_jpeg_archive
from ajci.experiments.sweep import solve_sweep_value
from ajci.provenance import write_netcdf
from ajci.solvers import SCHEMES, solve
from ajci.system.inputs import load_solve_inputs
from ajci.system.model import Instance
from ajci.system.params import SolverSettings, SystemParams
from conftest import REPO, snakemake_command

QUICK_CONFIG = REPO / "config/quick.yaml"

# ---------------------------------------------------------------------------
# Dataset archive


def write_jpeg_archive(path: Path, n_images: int = 6, corrupt: str | None = None) -> None:
    """Write a small ``test/<class>/*.jpg`` tarball of seeded random images."""
    rng = np.random.default_rng(0)
    with tarfile.open(path, "w:gz") as tar:
        for index in range(n_images):
            name = f"test/cat/{index:04d}.jpg"
            if name == corrupt:
                data = b"not a jpeg at all"
            else:
                buffer = io.BytesIO()
                pixels = rng.integers(0, 256, size=(32, 32, 3), dtype=np.uint8)
                Image.fromarray(pixels).save(buffer, format="JPEG")
                data = buffer.getvalue()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def build_cache(archive: Path, sha256: str | None, tmp_path: Path) -> Path:
    output = tmp_path / "cache" / "cifar10.npz"
    build_dataset_cache(archive, sha256, False, tmp_path / "downloads", output)
    return output


def test_missing_archive_names_file(tmp_path):
    archive = tmp_path / "absent.tar.gz"
    with pytest.raises(FileNotFoundError) as raised:
        build_cache(archive, None, tmp_path)
    assert str(archive) in str(raised.value)
    assert "dataset.download" in str(raised.value)
    assert not (tmp_path / "cache").exists()


def test_archive_sha256_mismatch(tmp_path):
    archive = tmp_path / "cifar.tar.gz"
    write_jpeg_archive(archive)
    actual = hashlib.sha256(archive.read_bytes()).hexdigest()
    expected = "0" * 64
    with pytest.raises(ValueError) as raised:
        build_cache(archive, expected, tmp_path)
    message = str(raised.value)
    assert str(archive) in message
    assert f"sha256 is {actual}" in message
    assert f"expected {expected}" in message
    assert not (tmp_path / "cache").exists()


@pytest.mark.parametrize("keep", [0.5, 0.9])
def test_truncated_archive_without_sha256(tmp_path, keep):
    archive = tmp_path / "cifar.tar.gz"
    write_jpeg_archive(archive, n_images=40)
    data = archive.read_bytes()
    archive.write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(ValueError) as raised:
        build_cache(archive, None, tmp_path)
    message = str(raised.value)
    assert str(archive) in message
    assert "truncated or corrupted" in message
    assert not (tmp_path / "cache").exists()


def test_archive_that_is_not_gzip(tmp_path):
    archive = tmp_path / "cifar.tar.gz"
    archive.write_text("plain text, not an archive\n" * 20)
    with pytest.raises(ValueError, match="not a readable gzip-compressed tar archive"):
        read_jpeg_archive(archive)


def test_corrupted_image_member_named(tmp_path):
    archive = tmp_path / "cifar.tar.gz"
    write_jpeg_archive(archive, corrupt="test/cat/0003.jpg")
    with pytest.raises(ValueError) as raised:
        read_jpeg_archive(archive)
    message = str(raised.value)
    assert str(archive) in message
    assert "test/cat/0003.jpg is not a decodable image" in message


# ---------------------------------------------------------------------------
# Checkpoint


def test_checkpoint_of_other_architecture(tmp_path):
    torch = pytest.importorskip("torch")
    from ajci.dnn.model import SplitResNet18
    from ajci.dnn.train import load_checkpoint

    path = tmp_path / "resnet50.pt"
    metrics = {"architecture": "resnet50"}
    torch.save({"state_dict": SplitResNet18().state_dict(), "metrics": metrics}, path)
    with pytest.raises(ValueError) as raised:
        load_checkpoint(path)
    message = str(raised.value)
    assert str(path) in message
    assert "'resnet50'" in message
    assert "'cifar-resnet18-split11'" in message


def test_checkpoint_state_dict_mismatch(tmp_path):
    torch = pytest.importorskip("torch")
    from ajci.dnn.model import SplitResNet18
    from ajci.dnn.train import ARCHITECTURE, load_checkpoint

    state = SplitResNet18().state_dict()
    weight_keys = [key for key in state if key.endswith("weight")]
    dropped, reshaped = weight_keys[0], weight_keys[-1]
    del state[dropped]
    state[reshaped] = torch.zeros(7, 3)
    path = tmp_path / "resnet18.pt"
    torch.save({"state_dict": state, "metrics": {"architecture": ARCHITECTURE}}, path)
    with pytest.raises(ValueError) as raised:
        load_checkpoint(path)
    message = str(raised.value)
    assert str(path) in message
    assert "does not fit" in message
    assert dropped in message  # a missing key
    assert reshaped in message  # a shape mismatch


@pytest.mark.parametrize("content", [b"", b"plain text, not a checkpoint"])
def test_unreadable_checkpoint_named(tmp_path, content):
    pytest.importorskip("torch")
    from ajci.dnn.train import load_checkpoint

    path = tmp_path / "resnet18.pt"
    path.write_bytes(content)
    with pytest.raises(ValueError) as raised:
        load_checkpoint(path)
    assert str(path) in str(raised.value)
    assert "not a readable torch checkpoint" in str(raised.value)


# ---------------------------------------------------------------------------
# Profile and accuracy fit read by the solve stage

# FLOPs per layer group and bits per partition point of the split ResNet-18
# (the README's table): point 0 is the 3x32x32 input at 8 bits, the others
# 32-bit features, and the last point sends nothing.
RESNET_FLOPS = [3538944.0, 150994944.0, 150994944.0, 117440512.0, 150994944.0]
RESNET_FLOPS += [117440512.0, 150994944.0, 117440512.0, 150994944.0, 0.0, 10240.0]
RESNET_ELEMENTS = [3072, 65536, 65536, 65536, 32768, 32768, 16384, 16384, 8192, 8192, 512, 10]
CLEAN_ACCURACY = 0.692


def synthetic_profile(n_groups: int = 11) -> xr.Dataset:
    flops = np.asarray(RESNET_FLOPS[:n_groups])
    elements = np.asarray(RESNET_ELEMENTS[: n_groups + 1])
    bits = np.concatenate(([elements[0] * 8.0], elements[1:-1] * 32.0, [0.0]))
    return xr.Dataset(
        {
            "flops": ("group", flops),
            "elements": ("point", elements),
            "bits": ("point", bits),
        },
        coords={"group": np.arange(1, n_groups + 1), "point": np.arange(n_groups + 1)},
    )


def synthetic_fit(n_points: int = 12) -> xr.Dataset:
    """A fit in which deeper points tolerate more jamming; the last point is the clean model."""
    a = np.full(n_points, 0.1)
    b = np.full(n_points, CLEAN_ACCURACY)
    c = np.full(n_points, 0.3)
    d = np.linspace(-3.0, 6.0, n_points)
    a[-1], c[-1], d[-1] = CLEAN_ACCURACY, 1.0, 0.0
    return xr.Dataset(
        {"a": ("point", a), "b": ("point", b), "c": ("point", c), "d": ("point", d)},
        coords={"point": np.arange(n_points)},
        attrs={"clean_accuracy": CLEAN_ACCURACY},
    )


def write_inputs(tmp_path: Path, profile: xr.Dataset, fit: xr.Dataset) -> tuple[Path, Path]:
    profile_path, fit_path = tmp_path / "profile.nc", tmp_path / "accuracy_fit.nc"
    write_netcdf(profile, profile_path)
    write_netcdf(fit, fit_path)
    return profile_path, fit_path


def test_matching_inputs_load(tmp_path):
    profile, fit = load_solve_inputs(*write_inputs(tmp_path, synthetic_profile(), synthetic_fit()))
    assert profile.sizes["point"] == 12
    assert fit.sizes["point"] == 12


def test_fit_with_other_point_count(tmp_path):
    profile_path, fit_path = write_inputs(tmp_path, synthetic_profile(), synthetic_fit(5))
    with pytest.raises(ValueError) as raised:
        load_solve_inputs(profile_path, fit_path)
    message = str(raised.value)
    assert str(fit_path) in message
    assert str(profile_path) in message
    assert "the fit has 5 partition points (0..4)" in message
    assert "has 12 (0..11)" in message


def test_profile_group_count_mismatch(tmp_path):
    profile = synthetic_profile().isel(group=slice(0, 9))  # 9 groups, 12 points
    profile_path, fit_path = write_inputs(tmp_path, profile, synthetic_fit())
    with pytest.raises(ValueError) as raised:
        load_solve_inputs(profile_path, fit_path)
    assert str(profile_path) in str(raised.value)
    assert "9 layer groups need 10 partition points, but the file has 12" in str(raised.value)


def test_fit_missing_variable(tmp_path):
    profile_path, fit_path = write_inputs(
        tmp_path, synthetic_profile(), synthetic_fit().drop_vars("c")
    )
    with pytest.raises(ValueError) as raised:
        load_solve_inputs(profile_path, fit_path)
    assert str(fit_path) in str(raised.value)
    assert "variable 'c' not found" in str(raised.value)


def test_fit_with_nan_named(tmp_path):
    fit = synthetic_fit()
    fit["d"][3] = np.nan
    profile_path, fit_path = write_inputs(tmp_path, synthetic_profile(), fit)
    with pytest.raises(ValueError) as raised:
        load_solve_inputs(profile_path, fit_path)
    assert str(fit_path) in str(raised.value)
    assert "'d' is not finite at point index [3]" in str(raised.value)


def test_fit_with_falling_curve(tmp_path):
    fit = synthetic_fit()
    fit["c"][2] = -0.1
    profile_path, fit_path = write_inputs(tmp_path, synthetic_profile(), fit)
    with pytest.raises(ValueError, match=r"c > 0 .* point index \[2\]"):
        load_solve_inputs(profile_path, fit_path)


def test_profile_last_point_sends_bits(tmp_path):
    profile = synthetic_profile()
    profile["bits"][-1] = 320.0
    profile_path, fit_path = write_inputs(tmp_path, profile, synthetic_fit())
    with pytest.raises(ValueError) as raised:
        load_solve_inputs(profile_path, fit_path)
    assert str(profile_path) in str(raised.value)
    assert "bits[-1] must be 0" in str(raised.value)


def test_fit_without_clean_accuracy(tmp_path):
    fit = synthetic_fit()
    del fit.attrs["clean_accuracy"]
    profile_path, fit_path = write_inputs(tmp_path, synthetic_profile(), fit)
    with pytest.raises(ValueError, match="'clean_accuracy' is None"):
        load_solve_inputs(profile_path, fit_path)


# ---------------------------------------------------------------------------
# Model edge cases, for every scheme

PARAMS = dict(
    n_devices=3,
    area_side_m=100.0,
    min_distance_m=1.0,
    f_loc_hz=1e9,
    f_es_hz=2e10,
    bandwidth_hz=1e6,
    p_max_w=0.5,
    p_jam_w=0.5,
    noise_dbm=-114.0,
    kappa=1e-28,
    e_max_j=1.0,
    omega=0.5,
    a_min=0.75,
    t_max_s=1.0,
    flops_per_cycle=1.0,
)
# A made-up 4-group model: the raw input is small but fragile, deep points are robust.
FLOPS = np.array([1e8, 2e8, 2e8, 1e8])
BITS = np.array([2e5, 8e5, 4e5, 1e5, 0.0])
FIT = dict(
    a=np.array([0.05, 0.10, 0.30, 0.60, 0.0]),
    b=np.array([0.82, 0.84, 0.85, 0.85, 0.0]),
    c=np.array([0.3, 0.4, 0.5, 0.5, 1.0]),
    d=np.array([-3.0, -1.0, 0.0, 1.0, 0.0]),
)
A_MAX = 0.85
SMALL = SolverSettings(
    qga_population=10, qga_generations=15, ga_population=10, ga_generations=15, ao_max_iterations=2
)
# Fully local on this model: 6e8 cycles at 1e9 cycle/s, no edge work.
LOCAL_DELAY_S = 0.6
LOCAL_ENERGY_J = 1e-28 * 1e9**2 * 6e8


def build(seed=0, flops=FLOPS, bits=BITS, fit=FIT, **overrides) -> Instance:
    params = SystemParams(**{**PARAMS, **overrides})
    return Instance.build(params, flops, bits, fit, A_MAX, seed)


def solve_all(instance: Instance) -> dict:
    return {
        scheme: solve(scheme, instance, SMALL, np.random.default_rng([7, index]))
        for index, scheme in enumerate(SCHEMES)
    }


def assert_well_formed(solution, instance: Instance) -> None:
    """Every output is finite and each device's reason agrees with its feasibility."""
    name = solution.scheme
    assert math.isfinite(solution.rda), name
    for field in ("power", "f_es", "delay", "accuracy", "energy"):
        values = np.asarray(getattr(solution, field))
        assert values.shape == (instance.n_devices,), (name, field)
        assert np.all(np.isfinite(values)), (name, field)
    assert np.all(np.isfinite(solution.trace)), name
    partition = np.asarray(solution.partition)
    assert np.all((partition >= 0) & (partition <= instance.n_groups)), name
    reason = np.asarray(solution.reason)
    feasible = np.asarray(solution.feasible)
    assert set(reason.tolist()) <= {"", "accuracy", "energy"}, name
    assert np.array_equal(feasible, reason == ""), name


def hand_sinr(instance: Instance, power_w: float) -> np.ndarray:
    """Return each device's linear SINR at ``power_w``, from the placement's gains."""
    prm = instance.params
    noise_w = 10.0 ** ((prm.noise_dbm - 30.0) / 10.0)
    return power_w * instance.channels.h / (prm.p_jam_w * instance.channels.g + noise_w)


def hand_accuracy(point: int, sinr_db: np.ndarray) -> np.ndarray:
    a, b, c, d = (FIT[key][point] for key in ("a", "b", "c", "d"))
    return a + (b - a) / (1.0 + np.exp(-(c * sinr_db + d)))


@pytest.mark.parametrize("seed", [0, 1])
def test_zero_jamming_power(seed):
    instance = build(seed, p_jam_w=0.0)
    noise_w = 10.0 ** ((-114.0 - 30.0) / 10.0)
    assert instance.interference_w == pytest.approx(noise_w, rel=1e-12)
    solutions = solve_all(instance)
    for solution in solutions.values():
        assert_well_formed(solution, instance)
        # Each device's accuracy follows from its own power and the noise alone.
        for device, point in enumerate(solution.partition):
            if point == 4:
                expected = A_MAX
            else:
                sinr = hand_sinr(instance, solution.power[device])[device]
                expected = hand_accuracy(point, 10 * np.log10(sinr))
            assert solution.accuracy[device] == pytest.approx(expected, rel=1e-9)
    assert np.all(solutions["optimal"].feasible)
    assert np.all(solutions["lc"].feasible)
    for scheme in ("proposed", "ga", "ftp", "lc", "esc"):
        if np.all(solutions[scheme].feasible):
            assert solutions[scheme].rda <= solutions["optimal"].rda + 1e-9, scheme


@pytest.mark.parametrize("seed", [0, 1])
def test_jamming_defeats_every_offloading(seed):
    # A 10 kW jammer and an energy budget that never binds: only accuracy can fail.
    instance = build(seed, p_jam_w=1e4, e_max_j=1e6)
    sinr_db = 10 * np.log10(hand_sinr(instance, 0.5))
    for point in range(4):
        assert np.all(hand_accuracy(point, sinr_db) < 0.75), point

    solutions = solve_all(instance)
    for solution in solutions.values():
        assert_well_formed(solution, instance)
        offloading = np.asarray(solution.partition) < 4
        assert np.all(np.asarray(solution.reason)[offloading] == "accuracy"), solution.scheme
        assert np.all(np.asarray(solution.feasible)[~offloading]), solution.scheme
    esc = solutions["esc"]
    assert list(esc.reason) == ["accuracy"] * 3
    # Fully local is the only feasible partition: RDA per device is
    # 0.5 (1 - 0.6 s / 1 s) + 0.5 (0.85 - 0.75) / (0.85 - 0.75) = 0.7.
    for scheme in ("proposed", "ftp", "lc", "optimal"):
        assert list(solutions[scheme].partition) == [4, 4, 4], scheme
        assert solutions[scheme].rda == pytest.approx(3 * 0.7, rel=1e-12), scheme


@pytest.mark.parametrize("seed", [0, 1])
def test_energy_budget_below_every_choice(seed):
    e_max = 1e-12  # J
    instance = build(seed, e_max_j=e_max)
    # Computing a single group locally costs 1e-28 (1e9)^2 1e8 = 0.01 J, and
    # sending the raw input is possible at a positive power only when
    # a E B / (D ln 2) > 1, with a the SINR per watt.
    assert 1e-28 * 1e9**2 * 1e8 > e_max
    per_watt = hand_sinr(instance, 1.0)
    assert np.all(per_watt * e_max * 1e6 / (2e5 * math.log(2)) < 1)

    for solution in solve_all(instance).values():
        assert_well_formed(solution, instance)
        assert list(solution.reason) == ["energy"] * 3, solution.scheme
        assert not np.any(solution.feasible), solution.scheme


@pytest.mark.parametrize("seed", [0, 1])
def test_threshold_above_clean_accuracy(seed):
    # A_min = 0.9 is above the clean accuracy 0.85 and above every fitted ceiling b.
    instance = build(seed, a_min=0.9, e_max_j=1e6)
    solutions = solve_all(instance)
    for solution in solutions.values():
        assert_well_formed(solution, instance)
        assert list(solution.reason) == ["accuracy"] * 3, solution.scheme
    # The accuracy revenue is normalised by 1 when A_max <= A_min, so fully local
    # gives 0.5 (1 - 0.6) + 0.5 (0.85 - 0.9) = 0.175 per device.
    assert solutions["lc"].rda == pytest.approx(3 * 0.175, rel=1e-12)


def test_threshold_equal_to_clean_accuracy():
    instance = build(0, a_min=A_MAX, e_max_j=1e6)
    solution = solve("lc", instance, SMALL, np.random.default_rng(0))
    assert_well_formed(solution, instance)
    assert np.all(solution.feasible)  # A = A_min meets (11b)
    assert solution.rda == pytest.approx(3 * 0.5 * (1 - LOCAL_DELAY_S), rel=1e-12)


def enumerate_best_rda(instance: Instance) -> float:
    """Return the best RDA over every feasible partition, each evaluated by `make_solution`."""
    import itertools

    from ajci.solvers.alternating import make_solution
    from ajci.system.model import device_tables

    tables = device_tables(instance)
    best = -np.inf
    points = range(instance.n_groups + 1)
    for partition in itertools.product(points, repeat=instance.n_devices):
        solution = make_solution("enumeration", instance, tables, np.asarray(partition))
        if np.all(solution.feasible):
            best = max(best, solution.rda)
    return best


@pytest.mark.parametrize("seed", [0, 3])
def test_single_device(seed):
    instance = build(seed, n_devices=1)
    solutions = solve_all(instance)
    for solution in solutions.values():
        assert_well_formed(solution, instance)
    # With one device the KKT rule gives it the whole edge server.
    offloading = solutions["optimal"].partition[0] < 4
    if offloading:
        assert solutions["optimal"].f_es[0] == pytest.approx(2e10, rel=1e-12)
    assert solutions["optimal"].rda == pytest.approx(enumerate_best_rda(instance), abs=1e-9)
    assert solutions["proposed"].rda == pytest.approx(solutions["optimal"].rda, abs=1e-9)
    assert solutions["lc"].delay[0] == pytest.approx(LOCAL_DELAY_S, rel=1e-12)
    assert solutions["lc"].energy[0] == pytest.approx(LOCAL_ENERGY_J, rel=1e-12)


ONE_GROUP_FIT = dict(
    a=np.array([0.05, 0.0]),
    b=np.array([0.82, 0.0]),
    c=np.array([0.3, 1.0]),
    d=np.array([-3.0, 0.0]),
)


@pytest.mark.parametrize("n_devices", [1, 3])
def test_single_group_model(n_devices):
    instance = build(
        0,
        flops=np.array([6e8]),
        bits=np.array([2e5, 0.0]),
        fit=ONE_GROUP_FIT,
        n_devices=n_devices,
        a_min=0.5,
    )
    assert instance.n_groups == 1
    solutions = solve_all(instance)
    for solution in solutions.values():
        assert_well_formed(solution, instance)
    assert list(solutions["lc"].partition) == [1] * n_devices
    assert list(solutions["esc"].partition) == [0] * n_devices
    # Local: 0.5 (1 - 0.6 s / 1 s) + 0.5 (0.85 - 0.5) / (0.85 - 0.5) = 0.7 per device.
    assert solutions["lc"].rda == pytest.approx(0.7 * n_devices, rel=1e-12)
    assert solutions["optimal"].rda == pytest.approx(enumerate_best_rda(instance), abs=1e-9)


def test_solve_stage_rejects_high_threshold():
    config = quick_config()
    config["system"]["a_min"] = 0.8  # above the synthetic clean accuracy 0.692
    with pytest.raises(ValueError, match=r"system\.a_min.*0\.692"):
        solve_sweep_value(config, synthetic_profile(), synthetic_fit(), "p_jam", 0.5)


# ---------------------------------------------------------------------------
# Determinism of the solve stage


def deep_merge(base: dict, update: dict) -> dict:
    merged = copy.deepcopy(base)
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def quick_config() -> dict:
    """The default configuration with config/quick.yaml applied, as snakemake merges them."""
    default = yaml.safe_load((REPO / "config.yaml").read_text())
    config = deep_merge(default, yaml.safe_load(QUICK_CONFIG.read_text()))
    config["system"]["a_min"] = 0.5  # below the synthetic clean accuracy 0.692
    return config


def assert_identical(first: xr.Dataset, second: xr.Dataset) -> None:
    """Every variable except the wall time matches exactly, NaN where NaN."""
    assert set(first.data_vars) == set(second.data_vars)
    for name in first.data_vars:
        if name == "solve_seconds":
            continue
        left, right = first[name].values, second[name].values
        assert left.shape == right.shape, name
        if left.dtype.kind == "f":
            assert np.array_equal(left, right, equal_nan=True), name
        else:
            assert np.array_equal(left, right), name


SOLVE_IN_SUBPROCESS = """
import json, sys
import xarray as xr
from ajci.experiments.sweep import solve_sweep_value
from ajci.provenance import write_netcdf
from ajci.system.inputs import load_solve_inputs
config = json.loads(open(sys.argv[1]).read())
profile, fit = load_solve_inputs(sys.argv[2], sys.argv[3])
write_netcdf(solve_sweep_value(config, profile, fit, "p_jam", 1.5), sys.argv[4])
"""


def test_solve_value_repeats_exactly(tmp_path):
    config = quick_config()
    profile_path, fit_path = write_inputs(tmp_path, synthetic_profile(), synthetic_fit())
    profile, fit = load_solve_inputs(profile_path, fit_path)

    first = solve_sweep_value(config, profile, fit, "p_jam", 1.5)
    second = solve_sweep_value(config, profile, fit, "p_jam", 1.5)
    assert first.sizes["seed"] == config["experiments"]["n_seeds"]
    assert first.sizes["scheme"] == len(config["experiments"]["schemes"])
    assert_identical(first, second)

    # A fresh process with another hash seed, through a NetCDF round trip.
    config_path = tmp_path / "config.json"
    config_path.write_text(json.dumps(config))
    output = tmp_path / "solved.nc"
    env = {**os.environ, "PYTHONHASHSEED": "12345", "PYTHONPATH": str(REPO / "src")}
    command = [sys.executable, "-c", SOLVE_IN_SUBPROCESS, config_path, profile_path, fit_path]
    done = subprocess.run(
        [*map(str, command), str(output)], capture_output=True, text=True, env=env, timeout=300
    )
    assert done.returncode == 0, done.stderr[-4000:]
    first_path = tmp_path / "first.nc"
    write_netcdf(first, first_path)
    with xr.open_dataset(first_path) as written, xr.open_dataset(output) as fresh:
        assert_identical(written.load(), fresh.load())


# ---------------------------------------------------------------------------
# Interruption of a real quick run

# The quick pipeline reached the solve stage after about 2.5 minutes on 2 shared CPU cores.
FIRST_RUN_LIMIT_S = 600
RERUN_LIMIT_S = 420
STOP_WAIT_S = 60


def stop_process_group(process: subprocess.Popen, signals=(signal.SIGINT, signal.SIGTERM)):
    """Send each signal to the process group in turn until the leader exits, then SIGKILL it."""
    for sent in (*signals, signal.SIGKILL):
        try:
            os.killpg(process.pid, sent)
        except ProcessLookupError:
            return  # every process of the group has exited
        try:
            process.wait(timeout=STOP_WAIT_S)
        except subprocess.TimeoutExpired:
            continue
        if sent != signal.SIGKILL:
            # Jobs the leader did not wait for may still run in the group.
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        return


def stop_once_solving(command: list[str], results: Path, log_path: Path, sent: signal.Signals):
    """Start snakemake, send ``sent`` to its process group once a solve job has started.

    Returns the exit code of snakemake. Every process it started is gone on return.
    """
    solve_logs = results / "logs/solve_sweep_value"
    started_ns = time.time_ns()
    deadline = time.monotonic() + FIRST_RUN_LIMIT_S
    with open(log_path, "w") as log:
        # A shell without job control starts background commands with SIGINT
        # ignored, and children inherit that, so the child restores the default.
        process = subprocess.Popen(
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
    try:
        # A solve job opens its log file with mode "w" as it starts.
        while not any(path.stat().st_mtime_ns >= started_ns for path in solve_logs.rglob("*.log")):
            assert process.poll() is None, log_path.read_text()[-4000:]
            assert time.monotonic() < deadline, "solve stage did not start in time"
            time.sleep(0.2)
        stop_process_group(process, (sent, signal.SIGTERM))
    finally:
        stop_process_group(process, ())
    return process.returncode


def mtimes(paths: list[Path]) -> dict[Path, int]:
    return {path: path.stat().st_mtime_ns for path in paths}


@pytest.mark.pipeline
def test_interrupted_run_resumes(tmp_path):
    results = tmp_path / "results/quick"
    command = snakemake_command(tmp_path, "--cores", "2", "--configfile", str(QUICK_CONFIG))

    # SIGINT (Ctrl-C) during the first solve jobs, then SIGTERM during the rerun's.
    code = stop_once_solving(command, results, tmp_path / "first_run.log", signal.SIGINT)
    assert code != 0
    finished = [results / "model/resnet18.pt", results / "fit/accuracy_fit.nc"]
    finished += sorted((results / "jamming").glob("*.nc"))
    assert len(finished) == 2 + 12 + 1  # model, fit, 12 points and the merged measurement
    before = mtimes(finished)
    code = stop_once_solving(command, results, tmp_path / "second_run.log", signal.SIGTERM)
    assert code != 0
    assert mtimes(finished) == before

    rerun = subprocess.run(command, capture_output=True, text=True, timeout=RERUN_LIMIT_S)
    output = rerun.stdout + rerun.stderr
    assert rerun.returncode == 0, output[-4000:]
    assert "solve_sweep_value" in output
    for rule in ("train_resnet18", "measure_point_accuracy", "fit_accuracy_curves"):
        assert rule not in output, rule
    assert mtimes(finished) == before

    assert sorted(str(path) for path in tmp_path.rglob("*.partial*")) == []
    netcdf_files = sorted(results.rglob("*.nc"))
    assert len(netcdf_files) >= len(before) + 2  # and the two merged sweeps
    for path in netcdf_files:
        with xr.open_dataset(path) as dataset:
            dataset.load()
    for sweep in ("f_loc", "p_jam"):
        assert (results / f"sweeps/{sweep}.nc").is_file(), sweep


def test_default_profile_reruns_incomplete_output(tmp_path):
    """Snakemake loads profiles/default beside the Snakefile and reruns an incomplete output.

    A run stopped after a job wrote its output but before snakemake recorded the
    job as finished leaves that output marked incomplete, and snakemake without
    ``--rerun-incomplete`` then stops with IncompleteFilesException.
    """
    output = "results/quick/data/cifar10.npz"
    (tmp_path / output).parent.mkdir(parents=True)
    (tmp_path / output).write_bytes(b"")
    # Snakemake 9.27's record (persistence/file.py): JSON named by the path's urlsafe base64.
    marker = tmp_path / ".snakemake/incomplete" / urlsafe_b64encode(output.encode()).decode()
    marker.parent.mkdir(parents=True)
    marker.write_text(json.dumps({"external_jobid": None}))
    command = snakemake_command(tmp_path, "--dry-run", "--configfile", str(QUICK_CONFIG))

    without_profile = subprocess.run(
        [*command, "--workflow-profile", "none"], capture_output=True, text=True, cwd=tmp_path
    )
    assert without_profile.returncode != 0
    assert "IncompleteFilesException" in without_profile.stdout + without_profile.stderr

    # From a working directory without profiles/, as on a cluster's scratch space.
    with_profile = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path)
    output_text = with_profile.stdout + with_profile.stderr
    assert with_profile.returncode == 0, output_text[-4000:]
    assert f"workflow specific profile {REPO / 'profiles/default'}" in output_text
    # The output is newer than its input, so only the incomplete mark plans its job.
    assert "rule build_dataset_cache" in output_text
