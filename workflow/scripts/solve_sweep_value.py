import xarray as xr

from ajci.experiments.sweep import solve_sweep_value
from ajci.provenance import configure_logging, provenance_attrs, write_netcdf

configure_logging(snakemake.log[0])
dataset = solve_sweep_value(
    snakemake.config,
    xr.load_dataset(snakemake.input.profile),
    xr.load_dataset(snakemake.input.fit),
    sweep=snakemake.wildcards.sweep,
    value=snakemake.params.value["value"],
    grid_value=snakemake.params.value["grid_value"],
)
dataset.attrs.update(provenance_attrs(snakemake.config))
write_netcdf(dataset, snakemake.output[0])
