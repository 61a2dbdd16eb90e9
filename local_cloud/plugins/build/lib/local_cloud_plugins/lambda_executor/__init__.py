"""A LocalStack Lambda runtime executor that runs handlers as local processes instead of containers.

Each execution environment is one process of the runtime's local interpreter running the official
runtime interface client (`python -m awslambdaric <handler>`), talking the Lambda Runtime API to a
small server this plugin runs for it inside LocalStack. Selected with
`LAMBDA_RUNTIME_EXECUTOR=local-process`.
"""
