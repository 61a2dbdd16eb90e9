"""CloudFormation resource types LocalStack community lacks: AWS::Glue::Job and the Batch trio.

Each provider calls the API through `request.aws_client_factory`, whose clients match CloudFormation's
PascalCase property names to the API's member names (camelCase for Batch) by the operation's shape and
drop properties the API does not take, so properties pass through unchanged; free-form maps (Tags,
Parameters, DefaultArguments) are left as written.
"""
