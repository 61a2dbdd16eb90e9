"""Writes the inference API's OpenAPI document (openapi/inference.json) from the handler's routes and
Pydantic models; `--check` exits 1 when the committed document differs from the code (CI, tests).

    .venv/bin/python scripts/export_openapi.py [--check]      (make openapi)
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
HANDLER = REPO_ROOT / "functions" / "inference" / "app.py"
DOCUMENT = REPO_ROOT / "openapi" / "inference.json"


def openapi_document() -> str:
    """The document as the handler generates it (no AWS call: the model cache is created on first use)."""
    os.environ.setdefault("CHAMPION_PARAMETER", "/review-sentiment/openapi/champion")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
    sys.path.insert(0, str(HANDLER.parent))  # its routes module, as Lambda's task root has it
    spec = importlib.util.spec_from_file_location("inference_app_for_openapi", HANDLER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return json.dumps(json.loads(module.app.get_openapi_json_schema()), indent=2, sort_keys=True) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the committed document is stale")
    args = parser.parse_args()
    document = openapi_document()
    if args.check:
        if not DOCUMENT.exists() or DOCUMENT.read_text() != document:
            print(
                f"{DOCUMENT.relative_to(REPO_ROOT)} is stale: run `make openapi` and commit it",
                file=sys.stderr,
            )
            return 1
        print(f"{DOCUMENT.relative_to(REPO_ROOT)} matches the code")
        return 0
    DOCUMENT.parent.mkdir(exist_ok=True)
    DOCUMENT.write_text(document)
    print(f"wrote {DOCUMENT.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
