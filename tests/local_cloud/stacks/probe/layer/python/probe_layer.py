"""Shipped in the probe stack's layer: importable only if the layer is on the function's path."""

LAYER_VALUE = "from-the-layer"
