"""The committed OpenAPI document is the one the handler's routes and Pydantic models generate."""

from __future__ import annotations

import importlib.util
import json

from tests.support.stack import REPO_ROOT

spec = importlib.util.spec_from_file_location("export_openapi", REPO_ROOT / "scripts" / "export_openapi.py")
export_openapi = importlib.util.module_from_spec(spec)
spec.loader.exec_module(export_openapi)


def test_the_committed_openapi_document_matches_the_code():
    committed = export_openapi.DOCUMENT.read_text()
    generated = export_openapi.openapi_document()
    assert committed == generated, "openapi/inference.json is stale: run `make openapi`"


def test_the_document_describes_every_route_and_one_error_shape():
    document = json.loads(export_openapi.DOCUMENT.read_text())
    assert set(document["paths"]) == {"/predict", "/batch_predict", "/health", "/model"}
    for path in ("/predict", "/batch_predict"):
        responses = document["paths"][path]["post"]["responses"]
        for status in ("400", "413", "415", "422", "503"):
            assert responses[status]["content"]["application/problem+json"]["schema"] == {
                "$ref": "#/components/schemas/Problem"
            }
    review = document["components"]["schemas"]["Review"]
    assert review["required"] == ["reviewText"] and review["additionalProperties"] is False
    assert review["properties"]["text_len"]["deprecated"] is True
    batch = document["components"]["schemas"]["BatchRequest"]["properties"]["reviews"]
    assert batch["items"] == {"$ref": "#/components/schemas/Review"}
