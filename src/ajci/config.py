"""Validation of the pipeline configuration before any job runs."""

from __future__ import annotations

import copy
import math
from pathlib import Path

import jsonschema
import yaml

# Training images of CIFAR-10, used when train.n_train_images is null.
TRAIN_IMAGES = 50_000
# The one-cycle schedule warms up over pct_start x steps - 1 steps, with
# pct_start = 0.25 in ajci.dnn.train. Below 8 steps that is under one step: the
# learning rate never reaches max_lr, and at 4 steps torch 2.14's OneCycleLR
# divides by zero.
MIN_TRAIN_STEPS = 8


class ConfigError(ValueError):
    """Raised with every problem found in a configuration, one per line."""


def key_path(parts) -> str:
    """Format a JSON-schema path such as ``['system', 'p_max_w']`` as ``system.p_max_w``."""
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        elif text:
            text += f".{part}"
        else:
            text = str(part)
    return text or "<top level>"


def is_strict_integer(checker, instance) -> bool:
    """Accept Python ints only, because jsonschema also counts floats such as 20.0."""
    return isinstance(instance, int) and not isinstance(instance, bool)


# Jobs pass integer keys to range() and torch, which reject 20.0, so a whole
# float for an integer key is reported here rather than in a job.
Validator = jsonschema.validators.extend(
    jsonschema.Draft202012Validator,
    type_checker=jsonschema.Draft202012Validator.TYPE_CHECKER.redefine(
        "integer", is_strict_integer
    ),
)


def load_schema(path: Path) -> dict:
    with open(path) as handle:
        return yaml.safe_load(handle)


def schema_errors(config: dict, schema: dict) -> list[str]:
    """Return one message per schema violation, each naming the config key."""
    validator = Validator(schema)
    messages = []
    for error in sorted(validator.iter_errors(config), key=lambda e: list(map(str, e.path))):
        description = error.schema.get("description") if isinstance(error.schema, dict) else None
        hint = f" ({description})" if description else ""
        messages.append(f"config key '{key_path(error.path)}': {error.message}{hint}")
    return messages


def swept_value_errors(config: dict, validator, parameter: str, value, where: str) -> list[str]:
    """Validate ``config`` with one swept key replaced; each message names ``where``."""
    trial = copy.deepcopy(config)
    section = "profile" if parameter == "feature_bits" else "system"
    trial[section][parameter] = value
    return [
        f"config key '{where}': value {value!r} is invalid for {section}.{parameter}: "
        f"{error.message}"
        for error in validator.iter_errors(trial)
    ]


def sweep_axes(sweep: dict) -> list[tuple[str, str, list]]:
    """List a sweep's axes as (key prefix, swept key, values): the sweep, then its grid."""
    axes = [("", sweep["parameter"], sweep["values"])]
    if "grid" in sweep:
        axes.append(("grid.", sweep["grid"]["parameter"], sweep["grid"]["values"]))
    return axes


def sweep_errors(config: dict, schema: dict) -> list[str]:
    """Check every sweep and grid value against the bounds of the key it replaces."""
    validator = Validator(schema)
    messages = []
    for name, sweep in config["experiments"]["sweeps"].items():
        if "grid" in sweep and sweep["grid"]["parameter"] == sweep["parameter"]:
            messages.append(
                f"config key 'experiments.sweeps.{name}.grid.parameter': "
                f"'{sweep['parameter']}' is already the sweep's parameter, so every grid "
                "value would overwrite the swept one. Name a second key for the grid"
            )
        for prefix, parameter, values in sweep_axes(sweep):
            for index, value in enumerate(values):
                where = f"experiments.sweeps.{name}.{prefix}values[{index}]"
                messages += swept_value_errors(config, validator, parameter, value, where)
    return messages


def sweep_value_label(value: float) -> str:
    """Spell a sweep value as it appears in the solve stage's file names."""
    return f"{float(value):g}"


def sweep_clash_errors(config: dict) -> list[str]:
    """Find sweep values that share a file name and sweeps that share a figure prefix.

    Either clash would make two jobs write the same output file.
    """
    messages = []
    figures: dict[str, str] = {}
    for name, sweep in config["experiments"]["sweeps"].items():
        for prefix, _, values in sweep_axes(sweep):
            key = f"{prefix}values"
            labels: dict[str, int] = {}
            for index, value in enumerate(values):
                label = sweep_value_label(value)
                if label in labels:
                    messages.append(
                        f"config key 'experiments.sweeps.{name}.{key}[{index}]': value "
                        f"{value!r} has the same file name '{label}' as {key}[{labels[label]}]; "
                        "use values that differ in their first 6 significant digits"
                    )
                labels.setdefault(label, index)
        figure = sweep["figure"]
        if figure in figures:
            messages.append(
                f"config key 'experiments.sweeps.{name}.figure': '{figure}' is already the "
                f"figure prefix of sweep '{figures[figure]}'; give each sweep its own prefix"
            )
        figures.setdefault(figure, name)
    return messages


def solver_errors(config: dict) -> list[str]:
    """Check the solver keys that depend on each other."""
    ga = config["solver"]["ga"]
    if ga["tournament_size"] <= ga["population"]:
        return []
    return [
        f"config key 'solver.ga.tournament_size': {ga['tournament_size']} is larger than "
        f"solver.ga.population ({ga['population']}); set it between 1 and the population"
    ]


def train_errors(config: dict) -> list[str]:
    """Check that the one-cycle schedule has enough SGD steps to warm up."""
    train = config["train"]
    n_images = train["n_train_images"] or TRAIN_IMAGES
    steps_per_epoch = math.ceil(n_images / train["batch_size"])
    steps = train["epochs"] * steps_per_epoch
    if steps >= MIN_TRAIN_STEPS:
        return []
    return [
        f"config key 'train.epochs': {train['epochs']} epochs of {steps_per_epoch} SGD steps "
        f"({n_images} images in batches of {train['batch_size']}) give {steps} steps, but the "
        f"one-cycle schedule needs at least {MIN_TRAIN_STEPS} to warm up to train.max_lr. "
        "Raise train.epochs or train.n_train_images, or lower train.batch_size"
    ]


def payload_errors(config: dict) -> list[str]:
    """Check that with digital corruption the payload is what the measurement sends.

    The digital model quantises every transmitted tensor, the raw input too, to
    jamming.quantization_bits per element, so both payload keys must match it.
    """
    if config["jamming"]["corruption"] != "digital":
        return []
    bits = config["jamming"]["quantization_bits"]
    messages = [
        f"config key 'profile.{key}': {config['profile'][key]} bits per element, but "
        f"jamming.corruption 'digital' sends jamming.quantization_bits = {bits}. "
        f"Set profile.{key}: {bits} so that the payload matches the measurement"
        for key in ("feature_bits", "input_bits")
        if config["profile"][key] != bits
    ]
    for name, sweep in config["experiments"]["sweeps"].items():
        messages += [
            f"config key 'experiments.sweeps.{name}.{prefix}parameter': a feature_bits sweep "
            "changes the payload but not the measured accuracy, which jamming.corruption "
            "'digital' ties to jamming.quantization_bits. Sweep feature_bits with corruption "
            "'awgn'"
            for prefix, parameter, _ in sweep_axes(sweep)
            if parameter == "feature_bits"
        ]
    return messages


def non_finite_errors(node, path: tuple = ()) -> list[str]:
    """Find NaN and infinite numbers anywhere in the configuration.

    YAML spells them .nan and .inf. The schema's bounds do not catch NaN,
    because every comparison with NaN is false.
    """
    if isinstance(node, float) and not math.isfinite(node):
        return [f"config key '{key_path(path)}': {node!r} is not a finite number"]
    if isinstance(node, dict):
        return [m for key, value in node.items() for m in non_finite_errors(value, (*path, key))]
    if isinstance(node, list):
        return [m for i, value in enumerate(node) for m in non_finite_errors(value, (*path, i))]
    return []


def jamming_errors(config: dict) -> list[str]:
    """Check that the SINR grid increases, as the fit's starting point assumes."""
    sinr_db = config["jamming"]["sinr_db"]
    if all(low < high for low, high in zip(sinr_db, sinr_db[1:], strict=False)):
        return []
    return [
        f"config key 'jamming.sinr_db': {sinr_db} is not in increasing order. "
        "List the SINR values (dB) from lowest to highest"
    ]


def output_folder_errors(config: dict) -> list[str]:
    """Check the output folders: no braces, which Snakemake reads as wildcards, and no file."""
    messages = []
    for key in ("results_dir", "figures_dir"):
        folder = config[key]
        if "{" in folder or "}" in folder:
            messages.append(
                f"config key '{key}': {folder!r} contains a brace, which Snakemake reads as "
                "a wildcard. Use a plain folder name"
            )
        elif Path(folder).exists() and not Path(folder).is_dir():
            messages.append(
                f"config key '{key}': {folder!r} is a file, expected a folder (relative to "
                "the working directory) or a path that does not exist yet"
            )
    return messages


def dataset_errors(config: dict, repo_root: Path) -> list[str]:
    archive = resolve_path(config["dataset"]["archive"], repo_root)
    if archive.is_dir():
        return [
            f"config key 'dataset.archive': {archive} is a folder, expected the CIFAR-10 "
            "JPEG tarball (a .tar.gz file) inside it"
        ]
    if archive.is_file() or config["dataset"]["download"]:
        return []
    return [
        f"config key 'dataset.archive': file {archive} not found and 'dataset.download' is "
        "false; point dataset.archive at the CIFAR-10 JPEG tarball, or set "
        "dataset.download: true on a machine with network access"
    ]


def resolve_path(path: str, repo_root: Path) -> Path:
    """Resolve a config path against the repository root unless it is absolute."""
    candidate = Path(path).expanduser()
    return candidate if candidate.is_absolute() else (repo_root / candidate).resolve()


def validate_config(config: dict, schema_path: Path, repo_root: Path) -> None:
    """Raise `ConfigError` listing every problem in ``config``.

    The schema is checked first. The checks of sweeps, cross-key constraints
    and the dataset run only on a configuration whose types are right.
    """
    schema = load_schema(schema_path)
    messages = schema_errors(config, schema) + non_finite_errors(config)
    if not messages:
        messages = (
            output_folder_errors(config)
            + jamming_errors(config)
            + sweep_errors(config, schema)
            + sweep_clash_errors(config)
            + solver_errors(config)
            + train_errors(config)
            + payload_errors(config)
            + dataset_errors(config, repo_root)
        )
    if messages:
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(messages))
