"""Prints template.yaml as CloudFormation sees it after SAM's transform, as JSON.

Runs in SAM CLI's interpreter (.venv-sam, which has samtranslator): `python sam_expand.py <template>`.
Managed policy names (`Policies: [AWSLambdaBasicExecutionRole]`) are resolved to their ARNs offline,
without IAM. The project's tests read roles and policies from this rather than from the SAM source, so
what they check is what AWS would create.
"""

import json
import sys
from pathlib import Path

from samcli.yamlhelper import yaml_parse
from samtranslator.translator.transform import transform


class OfflinePolicyLoader:
    """SAM asks IAM for the ARN of each AWS managed policy it is given by name; answer without IAM."""

    def load(self):
        return {}


LOCAL_PATHS = {  # as `sam validate` does: local code paths stand for the S3 objects `sam deploy` uploads
    "AWS::Serverless::Function": "CodeUri",
    "AWS::Serverless::LayerVersion": "ContentUri",
    "AWS::Serverless::StateMachine": "DefinitionUri",
}

template = yaml_parse(Path(sys.argv[1]).read_text())
for resource in template["Resources"].values():
    key = LOCAL_PATHS.get(resource["Type"])
    if key and isinstance(resource.get("Properties", {}).get(key), str):
        resource["Properties"][key] = "s3://bucket/key"
expanded = transform(template, {}, OfflinePolicyLoader())
print(json.dumps(expanded, default=str))
