"""No role of the stack can modify or delete raw data: read from the roles' own policies, as AWS would
create them (template.yaml expanded by SAM's own transform, tests/support/sam_expand.py), not from a
naming convention. Raw reviews are the evidence every model was trained on; only the people who upload
them (with their own credentials) write there."""

from __future__ import annotations

import json
import os
import subprocess
from fnmatch import fnmatchcase

import pytest

from local_cloud.deploy import sam_executable
from local_cloud.settings import REPO_ROOT

# Every S3 action that changes or removes an object, its metadata or the bucket's protection.
RAW_MUTATIONS = (
    "s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion", "s3:PutObjectAcl", "s3:PutObjectTagging",
    "s3:PutObjectRetention", "s3:PutObjectLegalHold", "s3:RestoreObject", "s3:ReplicateObject",
    "s3:DeleteBucket", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy", "s3:PutBucketVersioning",
    "s3:PutLifecycleConfiguration", "s3:PutBucketAcl", "s3:PutEncryptionConfiguration",
)  # fmt: skip
# AWS managed policies the roles may carry, and why none reaches the raw bucket.
MANAGED_POLICIES = {
    "AWSLambdaBasicExecutionRole": "CloudWatch Logs only",
    "AWSXrayWriteOnlyAccess": "X-Ray only",
    "AWSGlueServiceRole": "S3 only on buckets named aws-glue-* (the raw bucket's name is generated)",
    "AmazonECSTaskExecutionRolePolicy": "ECR image pulls and CloudWatch Logs only",
}


def _listed(value) -> list:
    return value if isinstance(value, list) else [value]


def raw_mutations(statement: dict) -> list[str]:
    """The RAW_MUTATIONS an IAM statement allows on the raw bucket (its resources name RawBucket, or
    are a wildcard); NotAction / NotResource count as allowing everything."""
    if statement.get("Effect") != "Allow":
        return []
    resources = _listed(statement.get("Resource", []))
    on_raw = "NotResource" in statement or any(
        "RawBucket" in json.dumps(r) or (isinstance(r, str) and r in ("*", "arn:aws:s3:::*", "arn:*:s3:::*"))
        for r in resources
    )
    if not on_raw:
        return []
    if "NotAction" in statement:
        return list(RAW_MUTATIONS)
    patterns = [a.lower() for a in _listed(statement.get("Action", []))]
    return [m for m in RAW_MUTATIONS if any(fnmatchcase(m.lower(), p) for p in patterns)]


@pytest.fixture(scope="module")
def expanded() -> dict:
    sam_python = sam_executable().parent / "python"
    env = os.environ | {"AWS_DEFAULT_REGION": "us-east-1"}
    done = subprocess.run(
        [sam_python, REPO_ROOT / "tests" / "support" / "sam_expand.py", REPO_ROOT / "template.yaml"],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)["Resources"]


def _statements(resources: dict):
    for name, resource in resources.items():
        properties = resource.get("Properties", {})
        if resource["Type"] == "AWS::IAM::Role":
            for policy in properties.get("Policies", []):
                for statement in _listed(policy["PolicyDocument"]["Statement"]):
                    yield name, statement
        elif resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            for statement in _listed(properties["PolicyDocument"]["Statement"]):
                yield name, statement


def test_no_role_can_modify_or_delete_raw_data(expanded):
    # GIVEN every role and policy of the stack as CloudFormation would create them
    roles = [name for name, r in expanded.items() if r["Type"] == "AWS::IAM::Role"]
    assert len(roles) >= 10  # the Lambdas, Glue, Batch, Step Functions, Firehose, log delivery
    # THEN no inline statement allows a change to the raw bucket or its objects
    allowed = {(name, m) for name, statement in _statements(expanded) for m in raw_mutations(statement)}
    assert not allowed, sorted(allowed)
    # AND every managed policy is one whose reach is known not to include it
    for name in roles:
        for arn in expanded[name]["Properties"].get("ManagedPolicyArns", []):
            policy = json.dumps(arn).rsplit("/", 1)[-1].strip('"}')
            assert policy in MANAGED_POLICIES, f"{name} carries {arn}: say why it cannot write raw data"


RAW_OBJECTS = {"Fn::Sub": "${RawBucket.Arn}/*"}


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        ({"Effect": "Allow", "Action": "s3:*", "Resource": {"Fn::GetAtt": ["RawBucket", "Arn"]}}, "all"),
        ({"Effect": "Allow", "Action": ["s3:Put*"], "Resource": "*"}, "some"),
        ({"Effect": "Allow", "Action": "s3:DeleteObject", "Resource": RAW_OBJECTS}, "some"),
        ({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}, "all"),
        ({"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": RAW_OBJECTS}, "none"),
        ({"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::processed/*"}, "none"),
        ({"Effect": "Deny", "Action": "s3:*", "Resource": RAW_OBJECTS}, "none"),
    ],
)  # fmt: skip
def test_the_check_sees_wildcards_and_sub_strings(statement, expected):
    found = raw_mutations(statement)
    assert {"all": found == list(RAW_MUTATIONS), "some": bool(found), "none": not found}[expected], found
