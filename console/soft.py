"""Fail soft, one panel at a time: a part of the stack that is down (the API, MLflow, Prometheus, the
local cloud) costs the panels that read it one line each, never the page."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import streamlit as st


def one_line(exc: BaseException, limit: int = 300) -> str:
    """The exception as one line: its message (or its type when it has none), cut at `limit`; an AWS
    endpoint that does not answer gets what to run."""
    from botocore.exceptions import EndpointConnectionError

    text = " ".join(str(exc).split()) or type(exc).__name__
    if isinstance(exc, EndpointConnectionError):
        text += " (is the local cloud running? `make run` starts and deploys it)"
    return text if len(text) <= limit else text[: limit - 3] + "..."


@contextlib.contextmanager
def panel(title: str) -> Iterator[None]:
    """Runs a panel's body; an exception shows as `title: unavailable: <one line>` and the page goes on.
    (Streamlit's own stop and rerun signals are BaseExceptions and pass through.)"""
    try:
        yield
    except Exception as exc:  # any failure of one source; the message is for the operator
        st.warning(f"{title}: unavailable: {one_line(exc)}", icon=":material/cloud_off:")
