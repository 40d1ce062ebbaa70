import xarray as xr

from ajci.dnn.model import POINT_NAMES
from ajci.provenance import configure_logging, write_netcdf

configure_logging(snakemake.log[0])
dataset = xr.concat([xr.load_dataset(path) for path in snakemake.input], dim="point")
dataset = dataset.sortby("point")
dataset["point_name"] = ("point", [POINT_NAMES[p] for p in dataset["point"].values])
write_netcdf(dataset, snakemake.output[0])
