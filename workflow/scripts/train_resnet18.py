from pathlib import Path

import torch

from ajci.data.cifar10 import load_dataset
from ajci.dnn.train import TrainSettings, pick_device, save_checkpoint, train_model
from ajci.provenance import configure_logging, provenance_attrs, write_json

configure_logging(snakemake.log[0])
torch.set_num_threads(snakemake.threads)
settings = TrainSettings.from_config(snakemake.params.settings)
device = pick_device(snakemake.params.settings["device"])
model, metrics = train_model(load_dataset(Path(snakemake.input[0])), settings, device)
metrics["threads"] = snakemake.threads
save_checkpoint(
    model, metrics, Path(snakemake.output.checkpoint), provenance_attrs(snakemake.config)
)
write_json(metrics, snakemake.output.metrics)
