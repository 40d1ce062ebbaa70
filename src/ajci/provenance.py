"""Logging, provenance attributes and atomic writes shared by the pipeline scripts."""

from __future__ import annotations

import json
import logging
import platform
import sys
from pathlib import Path

import ajci

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(log_path: str | Path | None) -> None:
    """Send log records of level INFO and above to ``log_path`` (or stderr)."""
    handlers = [logging.FileHandler(log_path, mode="w")] if log_path else []
    handlers.append(logging.StreamHandler(sys.stderr))
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT, handlers=handlers, force=True)


def provenance_attrs(config: dict) -> dict[str, str]:
    """Return NetCDF attributes recording the resolved config and versions."""
    import numpy

    return {
        "ajci_version": ajci.__version__,
        "python_version": platform.python_version(),
        "numpy_version": numpy.__version__,
        "config_json": json.dumps(config, sort_keys=True),
    }


def write_netcdf(dataset, path: str | Path) -> None:
    """Write an xarray Dataset under a temporary name, then rename it into place.

    A job killed during the write leaves no file at ``path`` that could be
    taken as finished.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    # h5netcdf stores strings as variable-length only, so fixed-width ones are converted.
    dataset = dataset.copy()
    for name, variable in dataset.variables.items():
        if variable.dtype.kind == "U":
            dataset[name] = variable.astype(object)
    # str subclasses such as torch.__version__ would become fixed-width attributes.
    dataset.attrs = {
        key: str(value) if isinstance(value, str) else value for key, value in dataset.attrs.items()
    }
    dataset.to_netcdf(partial, engine="h5netcdf")
    partial.replace(path)


def write_json(data: dict, path: str | Path) -> None:
    """Write ``data`` as indented JSON via a temporary name."""
    path = Path(path)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    partial.replace(path)
