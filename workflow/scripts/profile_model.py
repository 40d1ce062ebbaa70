import torch

from ajci.dnn.profile import profile_model
from ajci.dnn.train import load_checkpoint
from ajci.provenance import configure_logging, provenance_attrs, write_netcdf

configure_logging(snakemake.log[0])
torch.set_num_threads(snakemake.threads)
settings = snakemake.params.settings
model, _ = load_checkpoint(snakemake.input[0])
dataset = profile_model(
    model.float(),
    feature_bits=settings["feature_bits"],
    input_bits=settings["input_bits"],
    timing_batch_size=settings["timing_batch_size"],
    timing_repeats=settings["timing_repeats"],
    cpu_clock_hz=settings["cpu_clock_hz"],
)
dataset.attrs.update(provenance_attrs(snakemake.config))
write_netcdf(dataset, snakemake.output[0])
