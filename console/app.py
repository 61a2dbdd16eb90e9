"""The console's Streamlit entry: `streamlit run console/app.py` (`make ui` starts it in the background).

Wiring only: one `Console` (settings and clients, console.context) per server process, five pages
(console/views/), and the other UIs' addresses in the sidebar when `make ui`/`make run` passed them.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:  # `streamlit run console/app.py` puts console/ itself on the path
    sys.path.insert(0, str(REPO_ROOT))

import streamlit as st  # noqa: E402

from console.context import Console, ConsoleSettings  # noqa: E402
from console.views import drift, model, pipeline, predict, service  # noqa: E402

# Environment variables naming the other UIs (stack.uis sets them); shown as links in the sidebar.
UI_LINKS = {
    "CONSOLE_MLFLOW_UI_URL": "MLflow UI",
    "CONSOLE_OPTUNA_DASHBOARD_URL": "Optuna dashboard",
    "CONSOLE_PROMETHEUS_URL": "Prometheus",
}


@st.cache_resource
def console() -> Console:
    return Console(ConsoleSettings.from_env())


def main() -> None:
    st.set_page_config(
        page_title="Review sentiment console", page_icon=":material/monitoring:", layout="wide"
    )
    ctx = console()

    def predict_page() -> None:
        predict.render(ctx)

    def model_page() -> None:
        model.render(ctx)

    def drift_page() -> None:
        drift.render(ctx)

    def pipeline_page() -> None:
        pipeline.render(ctx)

    def service_page() -> None:
        service.render(ctx)

    pages = [
        st.Page(
            predict_page, title="Predict", icon=":material/rate_review:", url_path="predict", default=True
        ),
        st.Page(model_page, title="Model", icon=":material/model_training:", url_path="model"),
        st.Page(drift_page, title="Drift", icon=":material/query_stats:", url_path="drift"),
        st.Page(pipeline_page, title="Pipeline", icon=":material/account_tree:", url_path="pipeline"),
        st.Page(service_page, title="Service", icon=":material/speed:", url_path="service"),
    ]
    current = st.navigation(pages)
    with st.sidebar:
        st.caption(f"stack `{ctx.settings.stack_name}` at `{ctx.settings.endpoint_url or 'AWS'}`")
        links = [f"[{name}]({os.environ[var]})" for var, name in UI_LINKS.items() if os.environ.get(var)]
        if links:
            st.caption(" · ".join(links))
    current.run()


main()
