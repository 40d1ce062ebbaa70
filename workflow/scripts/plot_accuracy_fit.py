import xarray as xr

from ajci.plots.figures import plot_accuracy_fit, save_figure
from ajci.provenance import configure_logging

configure_logging(snakemake.log[0])
figure = plot_accuracy_fit(
    xr.load_dataset(snakemake.input.measured),
    xr.load_dataset(snakemake.input.fit),
    snakemake.params.a_min,
)
save_figure(figure, snakemake.output.png, snakemake.output.pdf)
