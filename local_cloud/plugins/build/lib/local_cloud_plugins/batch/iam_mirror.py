"""moto's Batch looks roles up in moto's IAM, but LocalStack's IAM keeps its own: copy a role across."""

from __future__ import annotations

import json
import logging
from typing import Any

from moto.iam.models import iam_backends
from moto.utilities.utils import get_partition

from ..jobs.runtime import aws_client

LOG = logging.getLogger(__name__)

BATCH_SERVICE_LINKED_ROLE = "role/aws-service-role/batch.amazonaws.com/AWSServiceRoleForBatch"


def service_linked_role_arn(account_id: str, region: str) -> str:
    return f"arn:{get_partition(region)}:iam::{account_id}:{BATCH_SERVICE_LINKED_ROLE}"


def mirror_role(role_arn: str, account_id: str, region: str) -> None:
    """Make `role_arn` exist in moto's IAM: copied from LocalStack's IAM if it is there, created for
    Batch's service-linked role (AWS creates that one itself). Any other unknown role is left for moto
    to reject, as AWS would."""
    moto_iam = iam_backends[account_id][get_partition(region)]
    if any(role.arn == role_arn for role in moto_iam.get_roles()):
        return
    resource = role_arn.split(":", 5)[-1]  # role/<path...>/<name>
    path_and_name = resource.removeprefix("role")
    path, _, name = path_and_name.rpartition("/")
    path = f"{path}/" if path else "/"
    if resource == BATCH_SERVICE_LINKED_ROLE:
        trust = _trust("batch.amazonaws.com")
    else:
        try:
            role: dict[str, Any] = aws_client("iam", account_id, region).get_role(RoleName=name)["Role"]
        except Exception:
            LOG.info("role %s is not in LocalStack's IAM either", role_arn)
            return
        trust = role.get("AssumeRolePolicyDocument") or _trust("batch.amazonaws.com")
        path = role.get("Path", path)
    if not isinstance(trust, str):
        trust = json.dumps(trust)
    moto_iam.create_role(
        role_name=name,
        assume_role_policy_document=trust,
        path=path,
        permissions_boundary=None,
        description="mirrored from LocalStack IAM for Batch",
        tags=[],
        max_session_duration=None,
    )


def _trust(service: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}],
        }
    )
