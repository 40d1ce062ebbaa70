import xarray as xr

from ajci.plots.figures import plot_sweep_figure, save_figure
from ajci.provenance import configure_logging

configure_logging(snakemake.log[0])
figure = plot_sweep_figure(xr.load_dataset(snakemake.input[0]), snakemake.wildcards.kind)
save_figure(figure, snakemake.output.png, snakemake.output.pdf)
