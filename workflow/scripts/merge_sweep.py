import xarray as xr

from ajci.experiments.sweep import merge_sweep
from ajci.provenance import configure_logging, provenance_attrs, write_netcdf

configure_logging(snakemake.log[0])
merged = merge_sweep(
    [xr.load_dataset(path) for path in snakemake.input],
    sweep=snakemake.wildcards.sweep,
    parameter=snakemake.params.parameter,
    config=snakemake.config,
)
merged.attrs.update(provenance_attrs(snakemake.config))
write_netcdf(merged, snakemake.output[0])
