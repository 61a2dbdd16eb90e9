"""The scikit-learn kinds: the full pipeline per kind, its Optuna search space and default trial
(their family, `sklearn_family.SklearnFamily`, trains them).

Every kind shares one feature front end (ColumnTransformer: text -> TF-IDF -> SVD, numeric ->
StandardScaler) so that the exported ONNX graph takes raw text plus the numeric features.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import optuna
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from review_sentiment.data.cleaning import model_texts
from review_sentiment.features.numeric import NUMERIC_FEATURES, TEXT_INPUT, model_inputs
from review_sentiment.features.text import text_pipeline

Params = dict[str, object]


def _front_end(trial: optuna.Trial) -> Params:
    return {
        "max_features": trial.suggest_categorical("max_features", [2000, 5000, 10000]),
        "svd_components": trial.suggest_categorical("svd_components", [50, 100, 200, 300]),
    }


def _logreg_space(trial: optuna.Trial) -> Params:
    return {**_front_end(trial), "C": trial.suggest_float("C", 0.1, 30.0, log=True)}


def _random_forest_space(trial: optuna.Trial) -> Params:
    return {
        **_front_end(trial),
        "n_estimators": trial.suggest_int("n_estimators", 30, 200, step=10),
        "max_depth": trial.suggest_int("max_depth", 4, 20),
        "min_samples_leaf": trial.suggest_int("min_samples_leaf", 1, 10),
    }


def _hgb_space(trial: optuna.Trial) -> Params:
    return {
        **_front_end(trial),
        "learning_rate": trial.suggest_float("learning_rate", 0.02, 0.3, log=True),
        "max_iter": trial.suggest_int("max_iter", 50, 150, step=25),
        "max_leaf_nodes": trial.suggest_int("max_leaf_nodes", 8, 48),
        "l2_regularization": trial.suggest_float("l2_regularization", 1e-4, 10.0, log=True),
    }


def _mlp_space(trial: optuna.Trial) -> Params:
    return {
        **_front_end(trial),
        "hidden": trial.suggest_categorical("hidden", [32, 64, 128, 256]),
        "alpha": trial.suggest_float("alpha", 1e-5, 1e-1, log=True),
        "learning_rate_init": trial.suggest_float("learning_rate_init", 1e-4, 1e-2, log=True),
    }


SEARCH_SPACES: dict[str, Callable[[optuna.Trial], Params]] = {
    "logreg": _logreg_space,
    "random_forest": _random_forest_space,
    "hist_gradient_boosting": _hgb_space,
    "mlp": _mlp_space,
}

# Macro-F1 is the target and the data is about 60/40 positive: the kinds that support it weight classes
# inversely to their frequency (MLPClassifier has no class weights).

# Known-reasonable starting points, tried first so that even a 1-trial study gives a usable model.
DEFAULT_PARAMS: dict[str, Params] = {
    "logreg": {"max_features": 5000, "svd_components": 200, "C": 3.0},
    "random_forest": {
        "max_features": 5000,
        "svd_components": 100,
        "n_estimators": 100,
        "max_depth": 12,
        "min_samples_leaf": 2,
    },
    "hist_gradient_boosting": {
        "max_features": 5000,
        "svd_components": 100,
        "learning_rate": 0.1,
        "max_iter": 100,
        "max_leaf_nodes": 31,
        "l2_regularization": 0.1,
    },
    "mlp": {
        "max_features": 5000,
        "svd_components": 100,
        "hidden": 64,
        "alpha": 1e-3,
        "learning_rate_init": 1e-3,
    },
}


def classifier(kind: str, params: Params, seed: int):
    if kind == "logreg":
        return LogisticRegression(C=params["C"], class_weight="balanced", max_iter=2000, random_state=seed)
    if kind == "random_forest":
        return RandomForestClassifier(
            n_estimators=params["n_estimators"],
            max_depth=params["max_depth"],
            min_samples_leaf=params["min_samples_leaf"],
            class_weight="balanced",
            n_jobs=1,
            random_state=seed,
        )
    if kind == "hist_gradient_boosting":
        return HistGradientBoostingClassifier(
            learning_rate=params["learning_rate"],
            max_iter=params["max_iter"],
            max_leaf_nodes=params["max_leaf_nodes"],
            l2_regularization=params["l2_regularization"],
            class_weight="balanced",
            early_stopping=False,
            random_state=seed,
        )
    if kind == "mlp":
        return MLPClassifier(
            hidden_layer_sizes=(params["hidden"],),
            alpha=params["alpha"],
            learning_rate_init=params["learning_rate_init"],
            max_iter=300,
            early_stopping=True,
            n_iter_no_change=10,
            random_state=seed,
        )
    raise ValueError(f"{kind!r} is not a scikit-learn kind; choose from {list(SEARCH_SPACES)}")


def single_threaded():
    """Fits and predictions on one thread: on a shared 2-core machine OpenMP/BLAS threads only contend
    (HistGradientBoosting slowed down 5x), and one thread is what serving gets."""
    return threadpool_limits(limits=1)


def build_pipeline(kind: str, params: Params, train_texts: Sequence[str], seed: int) -> Pipeline:
    """The unfitted end-to-end pipeline for `kind`; the TF-IDF vocabulary is fixed from `train_texts`."""
    front_end = ColumnTransformer(
        [
            (
                "text",
                text_pipeline(train_texts, params["max_features"], params["svd_components"], seed),
                TEXT_INPUT,
            ),
            ("numeric", StandardScaler(), list(NUMERIC_FEATURES)),
        ]
    )
    return Pipeline([("features", front_end), ("classifier", classifier(kind, params, seed))])


def model_frame(texts: Sequence[str]) -> pd.DataFrame:
    """The pipeline's input: the text plus the numeric features, computed by the one definition."""
    texts = model_texts(texts)
    numeric = model_inputs(texts)
    frame = pd.DataFrame({TEXT_INPUT: np.asarray(texts, dtype=object)})
    for i, name in enumerate(NUMERIC_FEATURES):
        frame[name] = numeric[:, i]
    return frame


def complexity(pipeline: Pipeline) -> int:
    """A size measure independent of serialisation: learned parameters (tree nodes for forests)."""
    model = pipeline.named_steps["classifier"]
    if hasattr(model, "coef_"):
        return int(model.coef_.size + model.intercept_.size)
    if hasattr(model, "coefs_"):
        return int(sum(w.size for w in model.coefs_) + sum(b.size for b in model.intercepts_))
    if hasattr(model, "estimators_"):
        return int(sum(tree.tree_.node_count for tree in model.estimators_))
    if hasattr(model, "_predictors"):
        return int(sum(p.nodes.shape[0] for predictors in model._predictors for p in predictors))
    return 0
