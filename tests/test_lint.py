"""The code stays formatted and the workflow passes snakemake's linter."""

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO

BIN = Path(sys.executable).parent

CHECKS = {
    "ruff check": [BIN / "ruff", "check", "src", "tests", "workflow/scripts"],
    "ruff format": [BIN / "ruff", "format", "--check", "src", "tests", "workflow/scripts"],
    "snakefmt": [BIN / "snakefmt", "--check", "Snakefile", "workflow/rules"],
    "snakemake lint": [sys.executable, "-m", "snakemake", "--lint"],
}


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_lint_clean(name):
    done = subprocess.run(
        [str(part) for part in CHECKS[name]], cwd=REPO, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, f"{name} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    if name == "snakemake lint":
        assert "Congratulations" in done.stdout + done.stderr
