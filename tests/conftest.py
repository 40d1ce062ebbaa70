import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SNAKEMAKE = [sys.executable, "-m", "snakemake"]


def snakemake_command(workdir: Path, *args: str) -> list[str]:
    """Return the command that runs the repository's Snakefile in ``workdir``."""
    return [*SNAKEMAKE, "--snakefile", str(REPO / "Snakefile"), "--directory", str(workdir), *args]


def run_snakemake(workdir: Path, *args: str, timeout: float = 1800) -> subprocess.CompletedProcess:
    """Run the repository's Snakefile in ``workdir`` and return the finished process."""
    command = snakemake_command(workdir, *args)
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="session")
def quick_run(tmp_path_factory) -> Path:
    """Run the whole quick pipeline once, on the real images, and return its folder."""
    workdir = tmp_path_factory.mktemp("quick")
    done = run_snakemake(workdir, "--cores", "2", "--configfile", str(REPO / "config/quick.yaml"))
    if done.returncode != 0:
        pytest.fail(f"quick pipeline failed:\n{done.stdout[-4000:]}\n{done.stderr[-8000:]}")
    return workdir
