import sys
from pathlib import Path

REPO = Path(workflow.basedir)
# The package needs no installation: jobs import it through the
# workflow/scripts/ajci link, since snakemake puts a script's folder on sys.path.
sys.path.insert(0, str(REPO / "src"))

from ajci.config import ConfigError, resolve_path, sweep_value_label, validate_config

try:
    validate_config(config, REPO / "workflow/schemas/config.schema.yaml", REPO)
except ConfigError as error:
    raise WorkflowError(str(error)) from None

RESULTS = config["results_dir"]
FIGURES = config["figures_dir"]
N_POINTS = 12  # partition points of the split ResNet-18: input, 11 groups
POINTS = list(range(N_POINTS))
SWEEPS = config["experiments"]["sweeps"]
METRICS = ["rda", "delay", "accuracy"]
SCHEMES = config["experiments"]["schemes"]
# Sweep figures beyond the three metrics, each drawn when its schemes are run.
SWEEP_FIGURES = METRICS + ["trace", "partition", "gap"]


def sweep_figure_kinds():
    kinds = list(METRICS)
    if "proposed" in SCHEMES:
        kinds += ["trace", "partition"]
    if "optimal" in SCHEMES:
        kinds.append("gap")
    return kinds


def format_value(value):
    """Spell a sweep value as it appears in file names."""
    return sweep_value_label(value)


def sweep_points(name):
    """Map each job's file-name token to its {"value", "grid_value"} point.

    A 2-D sweep joins the two values with "_", which "%g" never writes.
    """
    sweep = SWEEPS[name]
    grid = sweep["grid"]["values"] if "grid" in sweep else [None]
    points = {}
    for value in sweep["values"]:
        for grid_value in grid:
            token = format_value(value)
            if grid_value is not None:
                token = f"{token}_{format_value(grid_value)}"
            points[token] = {"value": value, "grid_value": grid_value}
    return points


def sweep_value_files(wildcards):
    return [
        f"{RESULTS}/solve/{wildcards.sweep}/{token}.nc"
        for token in sweep_points(wildcards.sweep)
    ]


def sweep_value(wildcards):
    points = sweep_points(wildcards.sweep)
    if wildcards.value not in points:
        raise ValueError(f"{wildcards.value} is not a value of sweep {wildcards.sweep}")
    return points[wildcards.value]


def dataset_archive_input(wildcards):
    archive = resolve_path(config["dataset"]["archive"], REPO)
    return [str(archive)] if archive.is_file() else []


def all_outputs():
    outputs = [f"{FIGURES}/fig3_fit.{ext}" for ext in ("png", "pdf")]
    outputs.append(f"{RESULTS}/fit/accuracy_fit.csv")
    for name, sweep in SWEEPS.items():
        outputs.append(f"{RESULTS}/sweeps/{name}.nc")
        outputs += expand(
            "{dir}/{figure}_{kind}.{ext}",
            dir=FIGURES,
            figure=sweep["figure"],
            kind=sweep_figure_kinds(),
            ext=["png", "pdf"],
        )
    return outputs


def sweep_of_figure(figure):
    for name, sweep in SWEEPS.items():
        if sweep["figure"] == figure:
            return name
    raise ValueError(f"no sweep draws figure {figure}")
