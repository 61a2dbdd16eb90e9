"""Predict: one review (with its optional rating) or a CSV / JSON-lines file through the deployed API;
each answer with its probabilities and the model version, and the request as `curl`."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from console.context import Console
from console.soft import panel
from console.sources import api

SAMPLE = "I could not put this book down, the characters are wonderful."
RATINGS = (None, 1, 2, 3, 4, 5)
CURL_PREVIEW = 3  # reviews shown in the batch's curl


def render(ctx: Console) -> None:
    st.title("Predict")
    with panel("Inference API"):
        base_url = ctx.api_url
        st.caption(f"API: `{base_url}` (POST /predict, POST /batch_predict)")
        _one_review(base_url, ctx.api_key)
        st.divider()
        _batch(base_url, ctx.api_key)


def _one_review(base_url: str, api_key: str | None) -> None:
    st.subheader("One review")
    with st.form("predict"):
        text = st.text_area("Review text", value=SAMPLE, height=110)
        left, right = st.columns(2)
        rating = left.selectbox(
            "Rating (optional, 1-5 stars; not used to predict)",
            RATINGS,
            format_func=lambda r: "none" if r is None else f"{r} stars",
        )
        summary = right.text_input("Summary (optional)")
        sent = st.form_submit_button("Predict", type="primary")
    if sent:
        body = api.review_body(text, rating, summary)
        st.session_state["predict_last"] = (body, api.predict(base_url, body, api_key=api_key))
    if "predict_last" in st.session_state:
        body, answer = st.session_state["predict_last"]
        _show_answer(answer)
        st.code(api.curl_for(base_url, "/predict", body, api_key), language="bash", wrap_lines=True)


def _show_answer(answer: api.ApiAnswer) -> None:
    body = answer.body if isinstance(answer.body, dict) else {}
    if not answer.ok:
        st.error(f"HTTP {answer.status}: {body.get('detail') or body.get('title') or answer.body}")
        for error in body.get("errors") or []:
            st.write(f"- `{error.get('field')}`: {error.get('message')}")
        return
    model = body.get("model") or {}
    probabilities = body.get("probabilities") or {}
    cols = st.columns(4)
    cols[0].metric("Label", body.get("label", "?"))
    cols[1].metric("P(positive)", f"{probabilities.get('positive', float('nan')):.3f}")
    cols[2].metric("Model version", str(model.get("version", "?")))
    cols[3].metric("Round trip", f"{answer.elapsed_ms:.0f} ms")
    st.markdown(
        f"Answered by **{model.get('name', '?')} version {model.get('version', '?')}** "
        f"({model.get('kind', '?')}), request id `{body.get('requestId', '')}`"
    )
    if probabilities:
        st.bar_chart(pd.DataFrame({"probability": probabilities}), horizontal=True, height=140)


def _batch(base_url: str, api_key: str | None) -> None:
    st.subheader("A file of reviews")
    st.caption(
        "CSV with a header row or JSON lines, in the Kindle schema (`reviewText` required; `overall` or "
        "`rating`, `summary`, `asin`, ... optional). Sent 100 reviews a request to /batch_predict."
    )
    upload = st.file_uploader("Reviews file", type=["csv", "jsonl", "json", "ndjson"])
    if upload is None:
        return
    try:
        reviews, notes = api.parse_upload(upload.getvalue(), upload.name)
    except api.UploadError as exc:
        st.error(str(exc))
        return
    for note in notes:
        st.caption(note)
    if not reviews:
        st.warning("the file holds no reviews")
        return
    if st.button(f"Predict {len(reviews)} reviews", type="primary"):
        answers = api.batch_predict(base_url, reviews, api_key=api_key)
        rows = pd.DataFrame(api.batch_rows(reviews, answers))
        predicted = rows["label"].notna().sum()
        versions = ", ".join(sorted(rows["model_version"].dropna().astype(str).unique())) or "none"
        st.success(f"{predicted} of {len(rows)} predicted by model version {versions}")
        st.dataframe(rows, hide_index=True)
    shown = {"reviews": reviews[:CURL_PREVIEW]}
    st.caption(
        f"the first request as curl ({min(len(reviews), CURL_PREVIEW)} of {len(reviews)} reviews shown)"
    )
    st.code(api.curl_for(base_url, "/batch_predict", shown, api_key), language="bash", wrap_lines=True)
