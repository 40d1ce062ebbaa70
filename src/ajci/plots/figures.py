"""Figures drawn from the pipeline's NetCDF files only; nothing is recomputed here."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
# Embed TrueType (Type 42) fonts rather than matplotlib's default Type 3, which
# some publishers' PDF checks reject.
matplotlib.rcParams.update({"pdf.fonttype": 42, "ps.fonttype": 42})

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import xarray as xr  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402
from scipy import stats  # noqa: E402

from ajci.system.fit import logistic  # noqa: E402

# Axis label, unit and display scale of every system key a sweep may vary.
PARAMETER_AXES = {
    "n_devices": ("number of devices $N$", "", 1.0),
    "area_side_m": ("area side", "m", 1.0),
    "f_loc_hz": ("device computing capability $f^{loc}$", "GHz", 1e-9),
    "f_es_hz": ("edge server capacity $F$", "GHz", 1e-9),
    "bandwidth_hz": ("bandwidth $B$", "MHz", 1e-6),
    "p_max_w": ("maximum transmit power $P_{max}$", "W", 1.0),
    "p_jam_w": ("jamming power $P_J$", "W", 1.0),
    "noise_dbm": (r"noise power $\sigma^2$", "dBm", 1.0),
    "kappa": (r"switched capacitance $\kappa$", r"J s$^2$/cycle$^3$", 1.0),
    "e_max_j": ("energy budget $E_{max}$", "J", 1.0),
    "omega": (r"delay weight $\omega$", "", 1.0),
    "a_min": ("accuracy threshold $A_{min}$", "", 1.0),
    "t_max_s": ("maximum delay $T_{max}$", "s", 1.0),
    "flops_per_cycle": ("FLOPs per cycle", "", 1.0),
    "feature_bits": ("bits per feature element", "bit", 1.0),
}
METRIC_AXES = {
    "rda": ("RDA", "revenue of delay and accuracy"),
    "delay": ("total delay (s)", "total inference delay"),
    "accuracy": ("average accuracy", "average inference accuracy"),
}
SCHEME_STYLES = {
    "proposed": ("Proposed (AO + QGA)", "C3", "o"),
    "ga": ("GA", "C0", "s"),
    "ftp": ("FTP", "C2", "^"),
    "lc": ("LC", "C1", "v"),
    "esc": ("ESC", "C4", "D"),
    "optimal": ("Optimal", "k", "x"),
}
# Optimal is drawn dotted over the others, so that a scheme at the optimum
# stays visible beneath it.
OPTIMAL_LINE = {"linestyle": ":", "linewidth": 1.5, "zorder": 3}
LINE_STYLES = ("-", "--", "-.", ":")
# Resamples and seed of the bootstrap band in the gap figure. With 10,000
# resamples, the standard error of each percentile is about 1.4 % of the band's
# half-width for normal data: sqrt(0.025 * 0.975 / 10,000) / 0.0584 / 1.96.
BOOTSTRAP_RESAMPLES = 10_000
BOOTSTRAP_SEED = 0


def band_title(n_seeds: int, interval: str = "95 % CI of the mean") -> str:
    """Return the subtitle stating what the lines and bands of a sweep figure show."""
    return f"mean over {n_seeds} placements, band: {interval}"


def axis_label(parameter: str) -> tuple[str, float]:
    """Return the axis label with its unit and the factor that converts to that unit."""
    name, unit, scale = PARAMETER_AXES[parameter]
    return (f"{name} ({unit})" if unit else name), scale


def mean_and_band(values: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean over ``axis`` and the half-width of its 95 % Student-t confidence interval."""
    count = np.sum(np.isfinite(values), axis=axis)
    mean = np.nanmean(values, axis=axis)
    if values.shape[axis] < 2:
        return mean, np.zeros_like(mean)  # one placement: no spread to show
    sem = np.nanstd(values, axis=axis, ddof=1) / np.sqrt(np.maximum(count, 1))
    half = stats.t.ppf(0.975, np.maximum(count - 1, 1)) * sem
    return mean, np.where(count > 1, half, 0.0)


def mean_and_bootstrap_band(
    values: np.ndarray, axis: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return the mean over ``axis`` and the bounds of its 95 % percentile-bootstrap interval.

    Every resampled mean lies within the range of the data, so a quantity that
    is never negative gets no band below zero. The Student-t interval of a
    skewed sample, such as gaps that are mostly zero, can reach below it.
    NaN entries are dropped, and a row with fewer than two values gets no band.
    """
    values = np.moveaxis(np.asarray(values, dtype=float), axis, -1)
    mean = np.nanmean(values, axis=-1)
    low, high = mean.copy(), mean.copy()
    rng = np.random.default_rng(BOOTSTRAP_SEED)
    for index in np.ndindex(mean.shape):
        row = values[index][np.isfinite(values[index])]
        if row.size < 2:
            continue
        draws = rng.integers(row.size, size=(BOOTSTRAP_RESAMPLES, row.size))
        low[index], high[index] = np.percentile(row[draws].mean(axis=1), [2.5, 97.5])
    return mean, low, high


def draw_sweep_metric(axes, results: xr.Dataset, metric: str) -> None:
    """Draw one metric against the swept value: one line per scheme, mean and 95 % band.

    Schemes that violate a constraint in most runs are dashed. Outside the
    accuracy plot, the y-axis spans the other schemes, so that an infeasible
    scheme's large negative revenue does not flatten them. A line that then
    falls off the axis is marked so in the legend.
    """
    parameter = results.attrs["parameter"]
    xlabel, scale = axis_label(parameter)
    x = results["value"].values * scale
    lines, kept_range = [], [np.inf, -np.inf]
    for scheme in results["scheme"].values:
        label, color, marker = SCHEME_STYLES.get(str(scheme), (str(scheme), None, "."))
        data = results[metric].sel(scheme=scheme).transpose("value", "seed").values
        mean, half = mean_and_band(data, axis=1)
        feasible_share = float(results["feasible"].sel(scheme=scheme).mean())
        mostly_feasible = feasible_share >= 0.5
        if mostly_feasible:
            kept_range = [
                min(kept_range[0], np.min(mean - half)),
                max(kept_range[1], np.max(mean + half)),
            ]
        elif feasible_share == 0:
            label += " (infeasible in every run)"
        else:
            label += " (infeasible in most runs)"
        lines.append((mean, label))
        style = {"linestyle": "-" if mostly_feasible else "--"}
        if scheme == "optimal":
            style = OPTIMAL_LINE
        axes.plot(x, mean, marker=marker, color=color, label=label, **style)
        if mostly_feasible:
            # The band of a mostly infeasible scheme spans its penalties, not its spread.
            axes.fill_between(x, mean - half, mean + half, color=color, alpha=0.15, linewidth=0)

    if metric != "accuracy" and np.all(np.isfinite(kept_range)):
        pad = 0.1 * max(kept_range[1] - kept_range[0], 1e-9)
        low, high = kept_range[0] - pad, kept_range[1] + pad
        axes.set_ylim(low, high)
        for line, (mean, label) in zip(axes.get_lines(), lines, strict=True):
            outside = (mean < low) | (mean > high)
            if np.all(outside):
                line.set_label(f"{label}, off axis: mean {np.mean(mean):.3g}")
            elif np.any(outside):
                line.set_label(f"{label}, partly off axis")
    ylabel, _ = METRIC_AXES[metric]
    if metric == "accuracy" and parameter == "a_min":
        axes.plot(x, x, color="grey", linestyle=":", label="$A_{min}$")
    elif metric == "accuracy" and "a_min" in results.attrs:
        axes.axhline(results.attrs["a_min"], color="grey", linestyle=":", label="$A_{min}$")
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    axes.grid(alpha=0.3)
    axes.legend(fontsize="x-small")
    axes.set_title(band_title(results.sizes["seed"]), fontsize="small")


def plot_accuracy_fit(measured: xr.Dataset, fit: xr.Dataset, a_min: float | None = None):
    """Draw measured accuracy (95 % intervals) against the fitted logistic per point.

    Successive points cycle through four line styles, so that neighbours with
    similar colours stay apart. ``a_min``, when given, is drawn as a line.
    """
    figure, axes = plt.subplots(figsize=(6.4, 4.4), layout="constrained")
    x = measured["sinr_db"].values
    grid = np.linspace(x.min(), x.max(), 300)
    points = measured["point"].values
    colors = plt.cm.viridis(np.linspace(0, 0.95, len(points)))
    for index, (point, color) in enumerate(zip(points, colors, strict=True)):
        y = measured["accuracy"].sel(point=point).values
        low = measured["accuracy_low"].sel(point=point).values
        high = measured["accuracy_high"].sel(point=point).values
        axes.errorbar(x, y, yerr=[y - low, high - y], fmt="o", ms=3, color=color, capsize=2)
        a, b, c, d = (float(fit[k].sel(point=point)) for k in ("a", "b", "c", "d"))
        name = (
            str(measured["point_name"].sel(point=point).values) if "point_name" in measured else ""
        )
        style = LINE_STYLES[index % len(LINE_STYLES)]
        axes.plot(
            grid, logistic(grid, a, b, c, d), color=color, linestyle=style, label=f"{point} {name}"
        )
    if a_min is not None:
        axes.axhline(a_min, color="grey", linewidth=1, label="$A_{min}$")
    axes.set_xlabel("SINR (dB)")
    axes.set_ylabel("top-1 accuracy")
    axes.set_title(
        f"measured (dots, 95 % interval) and fitted logistic, {measured.attrs['n_images']} "
        "test images",
        fontsize="small",
    )
    axes.grid(alpha=0.3)
    axes.legend(title="partition point", fontsize="x-small", ncol=2, loc="lower right")
    return figure


def save_figure(figure, png_path, pdf_path) -> None:
    """Save a figure as PNG (200 dpi) and PDF, then close it."""
    figure.savefig(png_path, dpi=200)
    figure.savefig(pdf_path)
    plt.close(figure)


def forward_fill(values: np.ndarray) -> np.ndarray:
    """Replace each NaN along the last axis by the last finite value before it."""
    index = np.where(np.isfinite(values), np.arange(values.shape[-1]), 0)
    np.maximum.accumulate(index, axis=-1, out=index)
    return np.take_along_axis(values, index, axis=-1)


def draw_convergence(axes, results: xr.Dataset, scheme: str = "proposed") -> None:
    """Draw the RDA after each alternating-optimisation iteration, one line per sweep value.

    A run that stopped early keeps its last RDA for the remaining iterations,
    so every iteration averages over all placements.
    """
    parameter = results.attrs["parameter"]
    xlabel, scale = axis_label(parameter)
    trace = results["trace"].sel(scheme=scheme).transpose("value", "seed", "iteration")
    trace = trace.copy(data=forward_fill(trace.values))
    colors = plt.cm.viridis(np.linspace(0, 0.95, results.sizes["value"]))
    for value, color in zip(results["value"].values, colors, strict=True):
        mean = trace.sel(value=value).mean("seed").values
        axes.plot(
            trace["iteration"].values, mean, marker="o", color=color, label=f"{value * scale:g}"
        )
    axes.set_xlabel("alternating-optimisation iteration")
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_ylabel("RDA")
    axes.grid(alpha=0.3)
    # Outside the axes, so that it covers no line.
    axes.legend(title=xlabel, fontsize="x-small", loc="upper left", bbox_to_anchor=(1.02, 1.0))
    label = SCHEME_STYLES.get(scheme, (scheme,))[0]
    axes.set_title(f"{label}: mean over {results.sizes['seed']} placements", fontsize="small")


def draw_partition_map(axes, results: xr.Dataset, scheme: str = "proposed") -> None:
    """Draw the share of devices choosing each partition point at each sweep value."""
    parameter = results.attrs["parameter"]
    xlabel, scale = axis_label(parameter)
    chosen = results["partition"].sel(scheme=scheme)
    n_points = int(np.nanmax(chosen.values)) + 1 if chosen.size else 1
    n_points = max(n_points, int(results.attrs.get("n_points", n_points)))
    shares = np.zeros((n_points, results.sizes["value"]))
    for j, value in enumerate(results["value"].values):
        points = chosen.sel(value=value).values.ravel()
        points = points[np.isfinite(points)].astype(int)
        shares[:, j] = np.bincount(points, minlength=n_points) / max(len(points), 1)
    image = axes.imshow(shares, origin="lower", aspect="auto", cmap="magma", vmin=0, vmax=1)
    axes.set_xticks(
        range(results.sizes["value"]), [f"{v * scale:g}" for v in results["value"].values]
    )
    axes.set_yticks(range(n_points))
    axes.set_xlabel(xlabel)
    axes.set_ylabel("partition point")
    axes.figure.colorbar(image, ax=axes, label="share of devices")
    # Shares under about 10 % are near-black on the colour scale, so print them.
    for (row, column), share in np.ndenumerate(shares):
        if share > 0:
            text_color = "black" if share > 0.5 else "white"
            axes.text(
                column,
                row,
                f"{100 * share:.0f}%",
                ha="center",
                va="center",
                fontsize="xx-small",
                color=text_color,
            )
    label = SCHEME_STYLES.get(scheme, (scheme,))[0]
    axes.set_title(f"{label}: partition points over devices and placements", fontsize="small")


def draw_optimality_gap(axes, results: xr.Dataset) -> None:
    """Draw each scheme's mean RDA gap to the exact optimum, with a 95 % bootstrap band.

    No gap is negative beyond the solver's tolerance, because the optimum is
    global. Gaps over placements are skewed (most are zero), so the band is the
    percentile bootstrap, which stays within the data, not the Student-t one.
    """
    parameter = results.attrs["parameter"]
    xlabel, scale = axis_label(parameter)
    x = results["value"].values * scale
    optimum = results["rda"].sel(scheme="optimal")
    for scheme in results["scheme"].values:
        if scheme in ("optimal", "esc"):
            continue  # ESC's penalised RDA would dwarf the other gaps, as the title notes
        label, color, marker = SCHEME_STYLES.get(str(scheme), (str(scheme), None, "."))
        gap = (optimum - results["rda"].sel(scheme=scheme)).transpose("value", "seed").values
        mean, low, high = mean_and_bootstrap_band(gap, axis=1)
        axes.plot(x, mean, marker=marker, color=color, label=label)
        axes.fill_between(x, low, high, color=color, alpha=0.15, linewidth=0)
    axes.set_xlabel(xlabel)
    axes.set_ylabel("RDA gap to the exact optimum")
    axes.grid(alpha=0.3)
    axes.legend(fontsize="x-small")
    title = band_title(results.sizes["seed"], "95 % bootstrap CI")
    if "esc" in results["scheme"].values:
        title += ", ESC not shown"
    axes.set_title(title, fontsize="small")


def plot_sweep_figure(results: xr.Dataset, kind: str):
    """Draw one sweep figure: a metric ("rda", "delay", "accuracy"), "trace", "partition"
    or "gap". A sweep over a 2-D grid gets one panel per value of its second key.
    """
    if kind in METRIC_AXES:

        def draw(axes, part):
            draw_sweep_metric(axes, part, kind)

    elif kind in ("trace", "partition", "gap"):
        draw = {"trace": draw_convergence, "partition": draw_partition_map}.get(
            kind, draw_optimality_gap
        )
    else:
        raise ValueError(f"unknown sweep figure {kind!r}")

    grid = results["grid_value"].values if "grid_value" in results.dims else [None]
    figure, panels = plt.subplots(
        1, len(grid), figsize=(5.0 * len(grid), 3.6), layout="constrained", squeeze=False
    )
    for axes, grid_value in zip(panels[0], grid, strict=True):
        if grid_value is None:
            draw(axes, results)
            continue
        part = results.sel(grid_value=grid_value)
        if results.attrs["grid_parameter"] == "a_min":
            # Each panel was solved with its own A_min, not the config value.
            part = part.assign_attrs(a_min=float(grid_value))
        draw(axes, part)
        label, scale = axis_label(results.attrs["grid_parameter"])
        axes.set_title(f"{label} = {grid_value * scale:g}\n{axes.get_title()}", fontsize="small")
    return figure
