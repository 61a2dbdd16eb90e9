"""Unzipped size of each Lambda function with its layers, read from a `sam build` folder.

AWS limits a function's deployment package plus all its layers to 250 MB unzipped (262,144,000 bytes;
Lambda quotas). A function's layers are the template's `Globals.Function.Layers` followed by its own
`Layers`, as SAM merges them; a layer given as an ARN (not built from this template) cannot be measured
and is listed as such. Sizes are the files' apparent sizes, as in the zip.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import yaml

LAMBDA_UNZIPPED_LIMIT_BYTES = 250 * 1024 * 1024
MB = 1024 * 1024


class _TemplateLoader(yaml.SafeLoader):
    """YAML loader that reads CloudFormation's short tags (!Ref X -> {"Ref": "X"}, !GetAtt, !Sub ...)."""


def _tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict:
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        return {name: loader.construct_scalar(node)}
    if isinstance(node, yaml.SequenceNode):
        return {name: loader.construct_sequence(node, deep=True)}
    return {name: loader.construct_mapping(node, deep=True)}


_TemplateLoader.add_multi_constructor("!", _tag)


def load_template(path: Path) -> dict:
    """A SAM/CloudFormation template as plain data (short intrinsic tags become their long form)."""
    return yaml.load(Path(path).read_text(), Loader=_TemplateLoader)


def folder_bytes(folder: Path) -> int:
    """Total apparent size of the files under `folder` (what the unzipped package holds)."""
    total = 0
    for root, _dirs, files in os.walk(folder):
        for name in files:
            path = Path(root, name)
            if not path.is_symlink():
                total += path.stat().st_size
    return total


@dataclass(frozen=True)
class FunctionSize:
    """One function: its code's size, each layer's size (bytes) and the layers that could not be measured."""

    function: str
    code_bytes: int
    layer_bytes: dict[str, int] = field(default_factory=dict)
    unmeasured_layers: tuple[str, ...] = ()

    @property
    def total_bytes(self) -> int:
        return self.code_bytes + sum(self.layer_bytes.values())

    @property
    def within_limit(self) -> bool:
        return self.total_bytes < LAMBDA_UNZIPPED_LIMIT_BYTES


def function_sizes(build_dir: Path) -> list[FunctionSize]:
    """Sizes of every AWS::Serverless::Function in `<build_dir>/template.yaml`, as built by `sam build`.

    Raises FileNotFoundError when the folder holds no built template (run `sam build` first)."""
    build_dir = Path(build_dir)
    template = load_template(build_dir / "template.yaml")
    resources = template.get("Resources", {})
    global_layers = ((template.get("Globals") or {}).get("Function") or {}).get("Layers") or []
    layer_sizes: dict[str, int] = {}
    sizes = []
    for name, resource in sorted(resources.items()):
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        props = resource.get("Properties") or {}
        measured: dict[str, int] = {}
        unmeasured: list[str] = []
        for layer in [*global_layers, *(props.get("Layers") or [])]:
            ref = layer.get("Ref") if isinstance(layer, dict) else None
            content = (resources.get(ref) or {}).get("Properties", {}).get("ContentUri") if ref else None
            if not isinstance(content, str):
                unmeasured.append(str(layer))
                continue
            if ref not in layer_sizes:
                layer_sizes[ref] = folder_bytes(build_dir / content)
            measured[ref] = layer_sizes[ref]
        code_uri = props.get("CodeUri")  # absent for InlineCode: nothing built to measure
        code = folder_bytes(build_dir / code_uri) if isinstance(code_uri, str) else 0
        sizes.append(FunctionSize(name, code, measured, tuple(unmeasured)))
    return sizes


def size_table(sizes: list[FunctionSize]) -> str:
    """A text table: function, code MB, layers MB, total MB and share of the 250 MB limit."""
    limit_mb = LAMBDA_UNZIPPED_LIMIT_BYTES / MB
    limit = f"of {limit_mb:.0f} MB"
    lines = [f"{'function':<24} {'code MB':>8} {'layers MB':>10} {'total MB':>9} {limit:>10}"]
    for size in sizes:
        layers = sum(size.layer_bytes.values())
        flag = "" if size.within_limit else "  OVER THE LIMIT"
        if size.unmeasured_layers:
            flag += f"  (+ {len(size.unmeasured_layers)} layer(s) given by ARN, not measured)"
        lines.append(
            f"{size.function:<24} {size.code_bytes / MB:>8.1f} {layers / MB:>10.1f} "
            f"{size.total_bytes / MB:>9.1f} {size.total_bytes / LAMBDA_UNZIPPED_LIMIT_BYTES:>10.0%}{flag}"
        )
    return "\n".join(lines)
