"""The operator's console: a Streamlit app over the deployed stack (predict, model, drift, pipeline,
service).

It talks to the stack only through the clients and URLs the product uses: the inference API's URL, the
SSM champion pointer, the MLflow registry and tracking store, the drift reports bucket, Step Functions,
CloudWatch Logs and Prometheus' HTTP API. It loads no model. `console/sources/` reads each of them with
plain functions that take their client (no Streamlit: the command line and the tests call them too);
`console/views/` renders one page each; `console/app.py` is the Streamlit entry (`make ui`).
"""
