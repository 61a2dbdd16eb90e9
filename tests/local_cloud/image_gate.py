"""Runs the Docker image's install test (`image` marker, tests/local_cloud/test_docker_image.py: minutes of
installing) only when what it checks has changed since it last passed.

What it checks is the digest of the image's inputs (IMAGE_FILES' contents, plus the file names of the
plugins' tree: a module the package build would leave out shows as a new name). A run in which every
`image` test passed writes the digest to STAMP; commit it with the change. When the files give the
committed digest, the tests are deselected (listed as such, never skipped) and the summary says why; any
change to the inputs, a missing stamp or `--image-tests` runs them, so a fresh clone of main is checked
exactly when its inputs differ from the last ones that passed. What PyPI serves for the pins can still
change underneath: the host's `.venv-localstack` is installed from the same requirements on every fresh
machine, so such a break shows there.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STAMP = Path(__file__).with_name("docker_image_inputs.sha256")
MARKER = "image"
IMAGE_FILES = (
    "local_cloud/docker/install_localstack.sh",
    "local_cloud/docker/start_localstack.sh",
    "local_cloud/docker/localstack.Dockerfile",
    "docker-compose.localstack.yml",
    "requirements/localstack.txt",
    "requirements/lambda-runtime.txt",
    "local_cloud/plugins/pyproject.toml",
    "scripts/find_python.sh",
    "tests/local_cloud/test_docker_image.py",
    "tests/local_cloud/helpers.py",
)
PLUGIN_TREE = "local_cloud/plugins"
_SKIPPED_DIRS = {"__pycache__", "build"}


def inputs_digest(root: Path = ROOT) -> str:
    """sha256 (hex) of the image's input files and of the plugins' file names."""
    digest = hashlib.sha256()
    for name in IMAGE_FILES:
        path = root / name
        digest.update(f"{name}\0".encode())
        digest.update(path.read_bytes() if path.exists() else b"<missing>")
    for folder, dirs, files in os.walk(root / PLUGIN_TREE):
        dirs[:] = sorted(d for d in dirs if d not in _SKIPPED_DIRS and not d.endswith(".egg-info"))
        for name in sorted(files):
            if not name.endswith((".pyc", ".pyo")):
                digest.update(f"{Path(folder, name).relative_to(root).as_posix()}\0".encode())
    return digest.hexdigest()


def passed_digest() -> str | None:
    """The digest of the inputs with which the image tests last passed (None: no stamp)."""
    try:
        lines = [line.strip() for line in STAMP.read_text().splitlines()]
    except OSError:
        return None
    return next((line for line in lines if line and not line.startswith("#")), None)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--image-tests",
        action="store_true",
        help="run the Docker image's install test even when its inputs are unchanged since it passed",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f"{MARKER}: the Docker image's install steps (minutes); run when their inputs change"
    )
    config.pluginmanager.register(ImageGate(config.getoption("--image-tests")), "image-gate")


class ImageGate:
    """Deselects the `image` tests when their inputs are unchanged; stamps the digest when all passed."""

    def __init__(self, forced: bool) -> None:
        self.forced = forced
        self.digest = inputs_digest()
        self.deselected = self.selected = self.passed = self.failed = 0
        self.stamped = False

    @pytest.hookimpl(trylast=True)  # after -k/-m: only what would run counts
    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        gated = [item for item in items if item.get_closest_marker(MARKER)]
        if gated and not self.forced and passed_digest() == self.digest:
            items[:] = [item for item in items if not item.get_closest_marker(MARKER)]
            config.hook.pytest_deselected(items=gated)
            self.deselected = len(gated)
        else:
            self.selected = len(gated)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if MARKER in report.keywords:
            self.failed += report.failed
            self.passed += report.when == "call" and report.passed

    def pytest_sessionfinish(self) -> None:
        all_passed = self.selected and self.passed == self.selected and not self.failed
        if all_passed and passed_digest() != self.digest:
            STAMP.write_text(
                "# The Docker image's inputs with which tests/local_cloud/test_docker_image.py last\n"
                "# passed (tests/local_cloud/image_gate.py writes it after such a run): commit it.\n"
                f"{self.digest}\n"
            )
            self.stamped = True

    def pytest_terminal_summary(self, terminalreporter) -> None:
        where = STAMP.relative_to(ROOT)
        if self.deselected:
            terminalreporter.write_line(
                f"{self.deselected} Docker image tests deselected: the image's inputs are those with which "
                f"they last passed ({where}); --image-tests runs them"
            )
        if self.stamped:
            terminalreporter.write_line(
                f"the Docker image tests passed on new inputs: {where} written, commit it"
            )
