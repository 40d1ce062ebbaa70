import xarray as xr

from ajci.provenance import configure_logging, provenance_attrs, write_netcdf
from ajci.system.fit import fit_all_points

configure_logging(snakemake.log[0])
fitted = fit_all_points(xr.load_dataset(snakemake.input[0]))
fitted.attrs.update(provenance_attrs(snakemake.config))
write_netcdf(fitted, snakemake.output.netcdf)
fitted.to_dataframe().to_csv(snakemake.output.table, float_format="%.6g")
