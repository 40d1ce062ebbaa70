from pathlib import Path

from ajci.data.cifar10 import build_dataset_cache
from ajci.provenance import configure_logging

configure_logging(snakemake.log[0])
build_dataset_cache(
    archive=Path(snakemake.params.archive),
    sha256=snakemake.params.sha256,
    download=snakemake.params.download,
    download_root=Path(snakemake.params.download_root),
    output=Path(snakemake.output[0]),
)
