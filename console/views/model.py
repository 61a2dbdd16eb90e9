"""Model: the champion (SSM pointer and what the API serves), the registry's versions with their aliases,
metrics, hyperparameters, behavioural results and the run that made each, the champion's model card,
and rollback as a guarded action."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from console.context import Console
from console.soft import one_line, panel
from console.sources import api, registry

CARD_FIGURES = ("test_macro_f1", "test_accuracy", "val_macro_f1", "onnx_p99_ms", "onnx_size_bytes")


def render(ctx: Console) -> None:
    st.title("Model")
    pointer = None
    with panel("Champion pointer (SSM)"):
        pointer = registry.champion_pointer(ctx.client("ssm"), ctx.output("ChampionParameterName"))
        _champion(pointer)
    with panel("Served by the API (GET /model)"):
        _served(ctx, pointer)
    with panel("MLflow registry"):
        _registry(ctx, pointer)
    with panel("Rollback"):
        _rollback(ctx, pointer)


def _champion(pointer: dict | None) -> None:
    st.subheader("Champion")
    if pointer is None:
        st.info("No model promoted yet: the API answers 503 until a pipeline run promotes one (`make run`).")
        return
    previous = (pointer.get("previous") or {}).get("version")
    cols = st.columns([1, 1, 1, 2, 1])
    cols[0].metric("Champion version", str(pointer.get("version", "?")))
    cols[1].metric("Kind", str(pointer.get("model_kind", "?")))
    cols[2].metric("Test macro-F1", f"{pointer.get('test_macro_f1', float('nan')):.4f}")
    promoted = str(pointer.get("promoted_at", "?"))
    cols[3].metric("Promoted at (UTC)", promoted[:16].replace("T", " "), help=promoted)
    cols[4].metric("Previous version", str(previous or "none"))
    figures = {k: v for k, v in (pointer.get("metrics") or {}).items()}
    if figures:
        st.caption("model card figures (the pointer's `metrics`)")
        st.dataframe(pd.DataFrame([figures]), hide_index=True)
    st.caption(f"pipeline run `{pointer.get('run_id', '')}`, model `{pointer.get('model_uri', '')}`")


def _served(ctx: Console, pointer: dict | None) -> None:
    answer = api.model_info(ctx.api_url, ctx.api_key)
    if not answer.ok:
        detail = answer.body.get("detail") if isinstance(answer.body, dict) else answer.body
        st.caption(f"GET /model: HTTP {answer.status}: {detail}")
        return
    served = answer.body
    line = f"the API serves version **{served.get('version')}** ({served.get('kind')})"
    if pointer and str(served.get("version")) != str(pointer.get("version")):
        line += " (not yet the pointer's: serving re-reads it every ChampionCacheSeconds)"
    st.markdown(line)


def _registry(ctx: Console, pointer: dict | None) -> None:
    st.subheader("Registry")
    versions = registry.model_versions(ctx.mlflow(), ctx.settings.model_name)
    st.caption(f"`{ctx.settings.model_name}` in `{ctx.tracking_uri()}`")
    if not versions:
        st.info("No registered version yet.")
        return
    table = pd.DataFrame(
        [
            {
                "version": v["version"],
                "aliases": ", ".join(v["aliases"]),
                "kind": v["tags"].get("model_kind", ""),
                "test macro-F1": v["tags"].get("test_macro_f1", ""),
                "pipeline run": v["tags"].get("run_id", ""),
                "created": v["created"],
                "MLflow run": v["mlflow_run_id"],
            }
            for v in versions
        ]
    )
    aliases = [f"{alias} → version {v['version']}" for v in versions for alias in v["aliases"]]
    st.markdown("Aliases: " + (", ".join(aliases) if aliases else "none"))
    st.dataframe(table, hide_index=True)
    choices = [v["version"] for v in versions]
    default = (
        choices.index(str(pointer["version"])) if pointer and str(pointer.get("version")) in choices else 0
    )
    chosen = st.selectbox("Version", choices, index=default)
    version = next(v for v in versions if v["version"] == chosen)
    left, right = st.columns(2)
    with left:
        st.markdown("**Metrics** (the MLflow run that logged it)")
        st.dataframe(_pairs(version["metrics"]), hide_index=True)
    with right:
        st.markdown("**Hyperparameters**")
        st.dataframe(_pairs(version["params"]), hide_index=True)
    with panel("Behavioural tests"):
        outcome = registry.run_outcome(
            ctx.client("s3"), ctx.output("ModelsBucketName"), version["tags"].get("run_id", "")
        )
        rows = registry.behaviour_rows(outcome)
        st.markdown("**Behavioural tests** (the promotion gate's record of the run)")
        if rows:
            st.dataframe(pd.DataFrame(rows), hide_index=True)
        else:
            st.caption("no behavioural results recorded for this version's run")
    card_run = version["mlflow_run_id"]
    if pointer and str(pointer.get("version")) == chosen and pointer.get("mlflow_run_id"):
        card_run = pointer["mlflow_run_id"]
    with st.expander("Model card", expanded=False):
        card = registry.model_card(ctx.mlflow(), card_run)
        st.markdown(card or "_this version's run has no model card_")


def _pairs(values: dict) -> pd.DataFrame:
    return pd.DataFrame(
        [{"name": k, "value": str(v)} for k, v in sorted(values.items())], columns=["name", "value"]
    )


def _rollback(ctx: Console, pointer: dict | None) -> None:
    st.subheader("Rollback")
    previous = (pointer or {}).get("previous") or {}
    if not previous:
        st.caption("Nothing to roll back to: the champion has no previous version.")
        return
    target = str(previous.get("version"))
    st.write(
        f"Serve version **{target}** ({previous.get('model_kind')}) again instead of version "
        f"**{pointer.get('version')}**: moves the MLflow alias `champion` and the SSM pointer "
        "(`python -m stack rollback` does the same)."
    )
    typed = st.text_input(f"Type {target} to confirm", key="rollback_confirm")
    if st.button("Roll back", disabled=typed.strip() != target, type="secondary"):
        from review_sentiment.config import Settings
        from stack.rollback import rollback

        try:
            settings = Settings.from_env(mlflow_tracking_uri=ctx.tracking_uri())
            before, after = rollback(ctx.output("ChampionParameterName"), settings)
        except LookupError as exc:  # NoChampion, NothingToRollBack
            st.error(one_line(exc))
            return
        st.success(f"champion rolled back: version {before.version} -> version {after.version}")
