from pathlib import Path

import torch

from ajci.data.cifar10 import load_dataset
from ajci.dnn.train import TrainSettings, pick_device, save_checkpoint, train_model
from ajci.provenance import configure_logging, provenance_attrs, write_json

configure_logging(snakemake.log[0])
torch.set_num_threads(snakemake.threads)
settings = TrainSettings.from_config(snakemake.params.settings)
device = pick_device(snakemake.params.settings["device"])
checkpoint = Path(snakemake.output.checkpoint)
# Not a rule output, so Snakemake keeps it when a job fails or is cancelled,
# and the next run of this rule continues from its last finished epoch.
state_path = checkpoint.with_name("train_state.pt")
data = load_dataset(Path(snakemake.input[0]))
model, metrics = train_model(data, settings, device, state_path)
metrics["threads"] = snakemake.threads
save_checkpoint(model, metrics, checkpoint, provenance_attrs(snakemake.config))
write_json(metrics, snakemake.output.metrics)
state_path.unlink(missing_ok=True)
