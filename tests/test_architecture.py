"""The import rules of pyproject.toml's [tool.importlinter] contracts, checked by import-linter."""

import shutil
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_are_kept():
    # GIVEN the contracts in pyproject.toml
    lint_imports = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert lint_imports, "import-linter is not installed in this environment (requirements/dev.txt)"
    # WHEN import-linter checks the code base
    result = subprocess.run([lint_imports, "--no-cache"], cwd=REPO_ROOT, capture_output=True, text=True)
    # THEN every contract is kept; a broken one shows its import chain here
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout
