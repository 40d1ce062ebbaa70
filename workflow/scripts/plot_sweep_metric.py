import xarray as xr

from ajci.plots.figures import plot_sweep_metric, save_figure
from ajci.provenance import configure_logging

configure_logging(snakemake.log[0])
figure = plot_sweep_metric(xr.load_dataset(snakemake.input[0]), snakemake.wildcards.metric)
save_figure(figure, snakemake.output.png, snakemake.output.pdf)
