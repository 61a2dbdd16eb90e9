"""CloudWatch metrics that AWS publishes by itself, published in the local cloud too.

On AWS, CloudWatch turns Embedded Metric Format (EMF) lines of a function's log into metrics, and Lambda,
API Gateway and Step Functions publish their own service metrics. LocalStack community does none of this
except Lambda's Invocations/Errors. This package adds, through one `on_infra_start` hook (`hook.py`) that
wraps three LocalStack internals and never touches the Lambda executor:

- `lambda_metrics`: EMF lines of each invocation's log -> PutMetricData in the EMF's namespace, and
  AWS/Lambda Duration (from the REPORT line) and Throttles per invocation (FunctionName dimension).
- `apigateway_metrics`: a request and a response handler in the REST API handler chain -> AWS/ApiGateway
  Count, Latency, IntegrationLatency, 4XXError, 5XXError (ApiName + Stage dimensions).
- `stepfunctions_metrics`: the execution status-change event -> AWS/States ExecutionsStarted, Succeeded,
  Failed, TimedOut, Aborted and ExecutionTime (StateMachineArn dimension).
- `metric_data`: GetMetricData statistics in one grouped query per metric instead of one per period,
  and percentile statistics (`p99`), which LocalStack's CloudWatch does not compute.

Every datum goes through one background publisher (`publisher.py`) so no request waits for CloudWatch.
"""
