"""The scikit-learn family: the kinds of `kinds` (logreg, random_forest, hist_gradient_boosting, mlp),
fitted as one Pipeline from raw text and exported by skl2onnx (`onnx_export`)."""

from __future__ import annotations

from review_sentiment.modeling import onnx_export
from review_sentiment.modeling.families import ModelFamily, Params
from review_sentiment.modeling.kinds import (
    DEFAULT_PARAMS,
    SEARCH_SPACES,
    build_pipeline,
    complexity,
    model_frame,
)


class SklearnFamily(ModelFamily):
    """One scikit-learn kind; its fitted model is the whole sklearn Pipeline (features + classifier)."""

    @property
    def default_params(self) -> Params:
        return DEFAULT_PARAMS[self.kind]

    def search_space(self, trial) -> Params:
        return SEARCH_SPACES[self.kind](trial)

    def fit(self, params, splits, settings, deadline=None, progress=None):
        texts = splits.train["reviewText"].tolist()
        pipeline = build_pipeline(self.kind, params, texts, settings.seed)
        return pipeline.fit(model_frame(texts), splits.train["label"].to_numpy())

    def to_onnx(self, fitted, metadata=None) -> bytes:
        return onnx_export.to_onnx(fitted, metadata)

    def complexity(self, fitted) -> int:
        return complexity(fitted)

    def trial_metrics(self, fitted, served, texts, settings) -> dict[str, float]:
        """scikit-learn vs onnxruntime on the validation texts (the final gate checks the test rows)."""
        check = onnx_export.parity(
            fitted, served, texts, settings.parity_min_label_agreement, settings.parity_max_prob_diff
        )
        return {
            "val_parity_label_agreement": check.label_agreement,
            "val_parity_max_prob_diff": check.max_prob_diff,
        }

    def export(self, fitted, splits, settings, metadata, output_dir, progress):
        onnx_bytes, parity = onnx_export.export_with_parity_gate(
            fitted,
            splits.test["reviewText"].tolist(),
            settings.parity_min_label_agreement,
            settings.parity_max_prob_diff,
            metadata,
        )
        return onnx_bytes, parity, {}


family = SklearnFamily  # what modeling.families calls with the kind
