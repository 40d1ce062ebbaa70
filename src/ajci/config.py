"""Validation of the pipeline configuration before any job runs."""

from __future__ import annotations

import copy
from pathlib import Path

import jsonschema
import yaml


class ConfigError(ValueError):
    """Raised with every problem found in a configuration, one per line."""


def key_path(parts) -> str:
    """Format a JSON-schema path such as ``['system', 'p_max_w']`` as ``system.p_max_w``."""
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "<top level>"


def load_schema(path: Path) -> dict:
    with open(path) as handle:
        return yaml.safe_load(handle)


def schema_errors(config: dict, schema: dict) -> list[str]:
    """Return one message per schema violation, each naming the config key."""
    validator = jsonschema.Draft202012Validator(schema)
    messages = []
    for error in sorted(validator.iter_errors(config), key=lambda e: list(map(str, e.path))):
        description = error.schema.get("description") if isinstance(error.schema, dict) else None
        hint = f" ({description})" if description else ""
        messages.append(f"config key '{key_path(error.path)}': {error.message}{hint}")
    return messages


def sweep_errors(config: dict, schema: dict) -> list[str]:
    """Check every sweep value against the bounds of the system key it replaces."""
    validator = jsonschema.Draft202012Validator(schema)
    messages = []
    for name, sweep in config["experiments"]["sweeps"].items():
        for index, value in enumerate(sweep["values"]):
            trial = copy.deepcopy(config)
            section = "profile" if sweep["parameter"] == "feature_bits" else "system"
            trial[section][sweep["parameter"]] = value
            for error in validator.iter_errors(trial):
                messages.append(
                    f"config key 'experiments.sweeps.{name}.values[{index}]': value {value!r} "
                    f"is invalid for {section}.{sweep['parameter']}: {error.message}"
                )
    return messages


def dataset_errors(config: dict, repo_root: Path) -> list[str]:
    archive = resolve_path(config["dataset"]["archive"], repo_root)
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

    The schema is checked first; the sweep and dataset checks run only on a
    configuration whose types are right.
    """
    schema = load_schema(schema_path)
    messages = schema_errors(config, schema)
    if not messages:
        messages = sweep_errors(config, schema) + dataset_errors(config, repo_root)
    if messages:
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(messages))
