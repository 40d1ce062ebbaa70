"""CIFAR-10 sources decoded once into one cached ``.npz`` array file."""

from __future__ import annotations

import gzip
import hashlib
import io
import logging
import tarfile
import zlib
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

CLASSES = (
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
)
SPLIT_SIZES = {"train": 50_000, "test": 10_000}

log = logging.getLogger(__name__)


def sha256_of(path: Path, chunk_bytes: int = 1 << 20) -> str:
    """Return the hex SHA-256 digest of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(chunk_bytes):
            digest.update(chunk)
    return digest.hexdigest()


def read_jpeg_archive(archive: Path) -> dict[str, np.ndarray]:
    """Decode a ``train|test/<class>/*.jpg`` tarball into uint8 arrays.

    Returns
    -------
    dict
        ``x_train`` (50000, 32, 32, 3) uint8, ``y_train`` (50000,) int64, and
        the same for ``test``; members are read in sorted name order.

    Raises
    ------
    ValueError
        If the archive is not a readable gzip-compressed tar file, a member's
        class is unknown, an image is not a decodable 32x32 RGB JPEG, or a
        split does not have the expected number of images.
    """
    images = {split: [] for split in SPLIT_SIZES}
    labels = {split: [] for split in SPLIT_SIZES}
    try:
        with tarfile.open(archive, "r:gz") as tar:
            members = sorted((m for m in tar if m.isfile()), key=lambda m: m.name)
            for member in members:
                parts = Path(member.name).parts
                if len(parts) < 3 or not parts[-1].lower().endswith(".jpg"):
                    continue
                split, label = parts[-3], parts[-2]
                if split not in SPLIT_SIZES or label not in CLASSES:
                    raise ValueError(f"{archive}: unexpected member {member.name!r}")
                images[split].append(decode_member(archive, tar, member))
                labels[split].append(CLASSES.index(label))
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as error:
        # A truncated or corrupted gzip stream surfaces as one of these, without the path.
        raise ValueError(
            f"{archive}: not a readable gzip-compressed tar archive ({type(error).__name__}: "
            f"{error}); the file is probably truncated or corrupted, so copy it again or set "
            "dataset.sha256 to catch this before decoding"
        ) from error

    arrays = {}
    for split, expected in SPLIT_SIZES.items():
        if len(images[split]) != expected:
            raise ValueError(
                f"{archive}: {split} split has {len(images[split])} images, expected {expected}"
            )
        arrays[f"x_{split}"] = np.stack(images[split])
        arrays[f"y_{split}"] = np.asarray(labels[split], dtype=np.int64)
    return arrays


def decode_member(archive: Path, tar: tarfile.TarFile, member: tarfile.TarInfo) -> np.ndarray:
    """Decode one JPEG member into a (32, 32, 3) uint8 array.

    Raises
    ------
    ValueError
        If the member is not a decodable image or not 32x32 RGB.
    """
    data = tar.extractfile(member).read()
    try:
        with Image.open(io.BytesIO(data)) as opened:
            image = np.asarray(opened.convert("RGB"))
    except (UnidentifiedImageError, OSError) as error:
        raise ValueError(f"{archive}: {member.name} is not a decodable image ({error})") from error
    if image.shape != (32, 32, 3):
        raise ValueError(f"{archive}: {member.name} has shape {image.shape}, expected (32, 32, 3)")
    return image


def download_torchvision(root: Path) -> dict[str, np.ndarray]:
    """Fetch CIFAR-10 with torchvision's downloader (needs network access)."""
    from torchvision.datasets import CIFAR10

    arrays = {}
    for split, train in (("train", True), ("test", False)):
        dataset = CIFAR10(root=str(root), train=train, download=True)
        arrays[f"x_{split}"] = np.asarray(dataset.data, dtype=np.uint8)
        arrays[f"y_{split}"] = np.asarray(dataset.targets, dtype=np.int64)
    return arrays


def build_dataset_cache(
    archive: Path, sha256: str | None, download: bool, download_root: Path, output: Path
) -> None:
    """Write the decoded dataset to ``output`` from the archive or torchvision.

    The archive is used when it exists; its digest is checked first when
    ``sha256`` is given. Otherwise torchvision downloads the binary batches,
    which is allowed only when ``download`` is true.
    """
    if archive.is_file():
        if sha256:
            log.info("checking sha256 of %s", archive)
            actual = sha256_of(archive)
            if actual != sha256:
                raise ValueError(
                    f"{archive}: sha256 is {actual}, expected {sha256} "
                    "(set dataset.sha256 to null to skip the check)"
                )
        log.info("decoding %s", archive)
        arrays = read_jpeg_archive(archive)
    elif download:
        log.info("%s not found, downloading with torchvision into %s", archive, download_root)
        arrays = download_torchvision(download_root)
    else:
        raise FileNotFoundError(
            f"dataset archive {archive} not found and dataset.download is false"
        )

    for split in SPLIT_SIZES:
        counts = np.bincount(arrays[f"y_{split}"], minlength=len(CLASSES))
        log.info("%s: %d images, per class %s", split, len(arrays[f"y_{split}"]), counts.tolist())
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(output.name + ".partial.npz")
    np.savez(partial, classes=np.asarray(CLASSES), **arrays)
    partial.replace(output)


def load_dataset(path: Path) -> dict[str, np.ndarray]:
    """Load the cached dataset written by `build_dataset_cache`."""
    with np.load(path) as data:
        return {key: data[key] for key in data.files}
