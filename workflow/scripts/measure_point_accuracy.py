from pathlib import Path

import torch

from ajci.data.cifar10 import load_dataset
from ajci.dnn.jamming import measure_point_accuracy, select_test_subset
from ajci.dnn.train import load_checkpoint
from ajci.provenance import configure_logging, provenance_attrs, write_netcdf

configure_logging(snakemake.log[0])
torch.set_num_threads(snakemake.threads)
settings = snakemake.params.settings
data = load_dataset(Path(snakemake.input.data))
index = select_test_subset(settings["n_test_images"], len(data["y_test"]), settings["seed"])
model, _ = load_checkpoint(snakemake.input.checkpoint)
dataset = measure_point_accuracy(
    model,
    data["x_test"][index],
    data["y_test"][index],
    point=int(snakemake.wildcards.point),
    sinr_db=[float(v) for v in settings["sinr_db"]],
    batch_size=settings["batch_size"],
    seed=settings["seed"],
    corruption=settings["corruption"],
    quantization_bits=settings["quantization_bits"],
    reference_batches=settings["reference_batches"],
    precision=settings["precision"],
)
dataset.attrs.update(provenance_attrs(snakemake.config))
write_netcdf(dataset, snakemake.output[0])
