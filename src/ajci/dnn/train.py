"""Training and evaluation of the split ResNet-18 on CIFAR-10."""

from __future__ import annotations

import hashlib
import logging
import math
import pickle
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from ajci.dnn.model import CIFAR10_MEAN, SplitResNet18, images_to_tensor

log = logging.getLogger(__name__)

ARCHITECTURE = "cifar-resnet18-split11"


@dataclass(frozen=True)
class TrainSettings:
    """Hyper-parameters of the one-cycle Nesterov SGD schedule."""

    epochs: int
    batch_size: int
    max_lr: float
    weight_decay: float
    momentum: float
    label_smoothing: float
    precision: str  # auto | bf16 | fp32
    cutout: int  # side in pixels of the square blanked in each image; 0: none
    n_train_images: int | None  # None: all 50,000
    seed: int
    log_every_steps: int

    @classmethod
    def from_config(cls, cfg: dict) -> TrainSettings:
        return cls(**{key: cfg[key] for key in cls.__dataclass_fields__})


def pick_device(request: str = "auto") -> torch.device:
    """Return the CUDA device when one is present and allowed, else the CPU."""
    if request == "auto":
        request = "cuda" if torch.cuda.is_available() else "cpu"
    return torch.device(request)


def has_native_bf16(device: torch.device) -> bool:
    """Check for native bf16 on ``device``: CUDA with bf16, or a CPU with AVX-512 bf16 or AMX.

    Elsewhere bf16 is emulated and slower than fp32. On a 2-core AVX2-only AMD
    EPYC, benchmarks/train_throughput.py timed a bf16 training step about 16
    times slower than an fp32 one, both channels-last.
    """
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    checks = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    return any(getattr(torch.cpu, name, lambda: False)() for name in checks)


def pick_precision(request: str, device: torch.device) -> str:
    """Resolve ``request`` to "bf16" or "fp32". "auto" picks bf16 where ``device`` has it."""
    if request == "auto":
        return "bf16" if has_native_bf16(device) else "fp32"
    return request


def autocast(device: torch.device, precision: str = "auto"):
    """Return a bf16 autocast context, disabled when ``precision`` resolves to "fp32"."""
    enabled = pick_precision(precision, device) == "bf16"
    return torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=enabled)


def augment(x: torch.Tensor, generator: torch.Generator, cutout: int = 0) -> torch.Tensor:
    """Random 4-pixel-padded crop and horizontal flip of a (B, 3, 32, 32) batch.

    With ``cutout`` > 0, a ``cutout`` x ``cutout`` square centred on a uniform
    random pixel of each image, clipped at the border, is set to the CIFAR-10
    channel means, which the network's input normalisation maps to zero.
    """
    batch = x.shape[0]
    padded = F.pad(x, (4, 4, 4, 4), mode="reflect")
    shifts = torch.randint(0, 9, (batch, 2), generator=generator)
    flips = torch.rand(batch, generator=generator) < 0.5
    out = torch.empty_like(x)
    for i in range(batch):
        dy, dx = int(shifts[i, 0]), int(shifts[i, 1])
        crop = padded[i, :, dy : dy + 32, dx : dx + 32]
        out[i] = crop.flip(-1) if flips[i] else crop
    if cutout > 0:
        centres = torch.randint(0, 32, (batch, 2, 1), generator=generator)
        pixels = torch.arange(32)
        # Rows and columns from centre - cutout // 2 up to, not including, that plus cutout.
        inside = (pixels >= centres - cutout // 2) & (pixels < centres - cutout // 2 + cutout)
        mask = inside[:, 0, :, None] & inside[:, 1, None, :]
        mean = torch.tensor(CIFAR10_MEAN, dtype=out.dtype).view(1, 3, 1, 1)
        out = torch.where(mask[:, None], mean, out)
    return out.contiguous(memory_format=torch.channels_last)


@torch.no_grad()
def evaluate(
    model: SplitResNet18,
    images: np.ndarray,
    labels: np.ndarray,
    device: torch.device,
    batch_size: int = 500,
    precision: str = "auto",
) -> float:
    """Return the top-1 accuracy of ``model`` on uint8 images (B, 32, 32, 3)."""
    model.eval()
    correct = 0
    for start in range(0, len(labels), batch_size):
        x = images_to_tensor(images[start : start + batch_size]).to(device)
        with autocast(device, precision):
            logits = model(x)
        y = torch.as_tensor(labels[start : start + batch_size], device=device)
        correct += int((logits.argmax(1) == y).sum())
    return correct / len(labels)


def train_model(
    data: dict[str, np.ndarray],
    settings: TrainSettings,
    device: torch.device,
    state_path: Path | None = None,
) -> tuple[SplitResNet18, dict]:
    """Train the split ResNet-18 and return it with its measured metrics.

    With ``state_path`` set, the model, optimiser, schedule and random state are
    saved there after every epoch, and a run that finds a state saved for the
    same settings and data continues after its last finished epoch. A resumed
    run on CPU with the same thread count gives the same weights as one that
    was never stopped.

    Returns
    -------
    model, metrics
        ``metrics`` contains the clean test accuracy on all test images, the wall
        time of every epoch in seconds and the training throughput in images/s.
    """
    torch.manual_seed(settings.seed)
    generator = torch.Generator().manual_seed(settings.seed)
    x_all, y_all = data["x_train"], data["y_train"]
    if settings.n_train_images is not None:
        order = np.random.default_rng(settings.seed).permutation(len(y_all))
        keep = np.sort(order[: settings.n_train_images])
        x_all, y_all = x_all[keep], y_all[keep]
    n_images = len(y_all)
    steps_per_epoch = math.ceil(n_images / settings.batch_size)

    model = SplitResNet18().to(device).to(memory_format=torch.channels_last)
    optimizer = torch.optim.SGD(
        model.parameters(),
        lr=settings.max_lr,
        momentum=settings.momentum,
        nesterov=True,
        weight_decay=settings.weight_decay,
    )
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer,
        max_lr=settings.max_lr,
        epochs=settings.epochs,
        steps_per_epoch=steps_per_epoch,
        pct_start=0.25,  # ajci.config.MIN_TRAIN_STEPS depends on this fraction
    )
    precision = pick_precision(settings.precision, device)
    log.info(
        "training on %s in %s: %d images, %d epochs, %d steps per epoch",
        device,
        precision,
        n_images,
        settings.epochs,
        steps_per_epoch,
    )

    # The key ties a saved state to these settings and these training images.
    key = {
        "architecture": ARCHITECTURE,
        "settings": asdict(settings),
        "data_sha256": data_fingerprint(x_all, y_all),
    }
    epoch_seconds = []
    state = load_train_state(state_path, key) if state_path is not None else None
    if state is not None:
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        generator.set_state(state["generator"])
        epoch_seconds = list(state["epoch_seconds"])
        log.info(
            "resuming after epoch %d of %d from %s",
            len(epoch_seconds),
            settings.epochs,
            state_path,
        )
    resumed_from_epoch = len(epoch_seconds)

    for epoch in range(resumed_from_epoch + 1, settings.epochs + 1):
        epoch_seconds.append(
            run_epoch(model, optimizer, scheduler, x_all, y_all, settings, generator, device, epoch)
        )
        timed = epoch_seconds[resumed_from_epoch:]
        minutes_left = (settings.epochs - epoch) * sum(timed) / len(timed) / 60.0
        log.info(
            "epoch %d/%d done in %.1f s, about %.0f min left",
            epoch,
            settings.epochs,
            epoch_seconds[-1],
            minutes_left,
        )
        if state_path is not None:
            train_state = {
                "key": key,
                "model": model.state_dict(),
                "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(),
                "generator": generator.get_state(),
                "epoch_seconds": epoch_seconds,
            }
            save_atomically(train_state, state_path)

    started = time.perf_counter()
    accuracy = evaluate(model, data["x_test"], data["y_test"], device, precision=precision)
    log.info(
        "clean test accuracy %.4f on %d images (%.1f s)",
        accuracy,
        len(data["y_test"]),
        time.perf_counter() - started,
    )
    metrics = {
        "architecture": ARCHITECTURE,
        "clean_test_accuracy": accuracy,
        "n_test_images": int(len(data["y_test"])),
        "n_train_images": n_images,
        "epoch_seconds": epoch_seconds,
        "resumed_from_epoch": resumed_from_epoch,
        "train_images_per_second": n_images * settings.epochs / sum(epoch_seconds),
        "device": str(device),
        "precision": precision,
        "settings": asdict(settings),
    }
    return model, metrics


def run_epoch(
    model: SplitResNet18,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
    x_all: np.ndarray,
    y_all: np.ndarray,
    settings: TrainSettings,
    generator: torch.Generator,
    device: torch.device,
    epoch: int,
) -> float:
    """Run one epoch of SGD steps in a fresh random order and return its wall time in s."""
    model.train()
    n_images = len(y_all)
    steps_per_epoch = math.ceil(n_images / settings.batch_size)
    order = torch.randperm(n_images, generator=generator).numpy()
    started = time.perf_counter()
    window_start, window_images, window_loss, window_correct = started, 0, 0.0, 0
    for step in range(steps_per_epoch):
        index = order[step * settings.batch_size : (step + 1) * settings.batch_size]
        x = augment(images_to_tensor(x_all[index]), generator, settings.cutout).to(device)
        y = torch.as_tensor(y_all[index], device=device)
        with autocast(device, settings.precision):
            logits = model(x)
            loss = F.cross_entropy(logits, y, label_smoothing=settings.label_smoothing)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        scheduler.step()

        window_images += len(index)
        window_loss += float(loss.detach()) * len(index)
        window_correct += int((logits.argmax(1) == y).sum())
        if (step + 1) % settings.log_every_steps == 0 or step + 1 == steps_per_epoch:
            elapsed = time.perf_counter() - window_start
            log.info(
                "epoch %d step %d/%d loss %.4f train_acc %.4f lr %.4f images/s %.1f",
                epoch,
                step + 1,
                steps_per_epoch,
                window_loss / window_images,
                window_correct / window_images,
                scheduler.get_last_lr()[0],
                window_images / elapsed,
            )
            window_start, window_images, window_loss, window_correct = (
                time.perf_counter(),
                0,
                0.0,
                0,
            )
    return time.perf_counter() - started


def data_fingerprint(images: np.ndarray, labels: np.ndarray) -> str:
    """Return the SHA-256 of the training images and labels, in training order."""
    digest = hashlib.sha256()
    digest.update(np.ascontiguousarray(images).data)
    digest.update(np.ascontiguousarray(labels).data)
    return digest.hexdigest()


def save_atomically(obj, path: Path) -> None:
    """Save ``obj`` with torch.save under a temporary name, then rename it to ``path``.

    A run stopped while saving leaves the previous file at ``path`` intact.
    """
    partial = path.with_name(path.name + ".partial")
    torch.save(obj, partial)
    partial.replace(path)


def load_train_state(path: Path, key: dict) -> dict | None:
    """Return the state saved at ``path`` if its key matches ``key``, else None.

    None means training starts from the first epoch. That happens when the file
    is missing, and with a warning in the log when it is unreadable or was saved
    for other settings or training images.
    """
    if not path.is_file():
        return None
    try:
        state = torch.load(path, map_location="cpu", weights_only=False)
    except (RuntimeError, EOFError, OSError, pickle.UnpicklingError) as error:
        log.warning(
            "%s: train state is unreadable (%s), so training starts from the first epoch",
            path,
            error,
        )
        return None
    if not isinstance(state, dict) or state.get("key") != key:
        log.warning(
            "%s: train state was saved for other train settings or training images, "
            "so training starts from the first epoch",
            path,
        )
        return None
    return state


def save_checkpoint(model: SplitResNet18, metrics: dict, path, provenance: dict) -> None:
    """Save weights, metrics and provenance; written under a temporary name first."""
    save_atomically({"state_dict": model.state_dict(), "metrics": metrics, **provenance}, path)


def load_checkpoint(path, device: torch.device | str = "cpu") -> tuple[SplitResNet18, dict]:
    """Load a checkpoint written by `save_checkpoint`.

    Raises
    ------
    ValueError
        If the file is not a readable checkpoint, was written for another
        architecture, or contains weights whose names or shapes do not fit
        `SplitResNet18`.
    """
    try:
        checkpoint = torch.load(path, map_location=device, weights_only=False)
    except (RuntimeError, EOFError, pickle.UnpicklingError) as error:
        raise ValueError(
            f"{path}: not a readable torch checkpoint ({error}); rerun the train stage"
        ) from error
    if not isinstance(checkpoint, dict) or "state_dict" not in checkpoint:
        raise ValueError(
            f"{path}: expected a dict with 'state_dict', 'metrics' and provenance keys "
            "as written by save_checkpoint"
        )
    architecture = checkpoint.get("metrics", {}).get("architecture")
    if architecture != ARCHITECTURE:
        raise ValueError(f"{path}: architecture is {architecture!r}, expected {ARCHITECTURE!r}")
    model = SplitResNet18()
    try:
        model.load_state_dict(checkpoint["state_dict"])
    except RuntimeError as error:
        # The error lists the missing and unexpected keys and the mismatched shapes.
        raise ValueError(
            f"{path}: the state dict does not fit architecture {ARCHITECTURE!r}: {error}"
        ) from error
    model = model.to(device).to(memory_format=torch.channels_last).eval()
    return model, checkpoint
