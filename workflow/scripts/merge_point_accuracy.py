import logging

import xarray as xr

from ajci.dnn.jamming import summarize_reuse_speedup
from ajci.dnn.model import POINT_NAMES
from ajci.provenance import configure_logging, write_netcdf

configure_logging(snakemake.log[0])
datasets = [xr.load_dataset(path) for path in snakemake.input]
summary = summarize_reuse_speedup(datasets)
dataset = xr.concat(datasets, dim="point").sortby("point")
dataset["point_name"] = ("point", [POINT_NAMES[p] for p in dataset["point"].values])
if summary is not None:
    dataset.attrs.update(summary)
    logging.getLogger("merge_point_accuracy").info(
        "jamming stage: %.0f image-SINR/s reusing the device-side output, %.0f image-SINR/s "
        "running the whole network per SINR value, a %.2fx speed-up over points %s",
        summary["reuse_image_sinr_per_s"],
        summary["reference_image_sinr_per_s"],
        summary["reuse_speedup"],
        summary["reuse_speedup_points"],
    )
write_netcdf(dataset, snakemake.output[0])
