"""State checks of a converged stack, against the emulator (or any endpoint the environment names).

Run by molecule's verify step, which writes one JSON file per region with what the inventory asks
for (rendered by Ansible). Every assertion reads the real state through boto3.

They hold only what playbooks/verify.yml does not check. verify.yml (finproc.dr.dr_controls_info, run right
after these by molecule's verify) checks the controls: KMS rotation and key policy, the table's replicas, key,
PITR, deletion protection and stream, the bucket's versioning, SSE-KMS key, public access block, TLS-only
policy and replication with RTC, the VPC's CIDR, the security groups' rules, the flow log, the listeners' TLS
policy and redirect, the ALB access logs and their bucket, the health check, the failover records, the RTO
budget, the alarms' actions and topics, the log groups, the monitor function and schedule, the monitor role's
least privilege, the required tags (and finproc:stack) of the resources its `tags` control reads, and every
access path. An assertion of one of those was removed from here; what a control does not check exactly (a
value it does not compare, a set it does not hold to be exact, a Name tag, a resource it does not read) stays.
"""

import json
from pathlib import Path

import boto3
import pytest


def pytest_addoption(parser):
    parser.addoption(
        "--expected-dir",
        action="store",
        required=True,
        help="folder with one <host>.json per region (written by molecule verify)",
    )


def _expected(config):
    folder = Path(config.getoption("--expected-dir"))
    files = sorted(folder.glob("*.json"))
    if not files:
        raise pytest.UsageError(f"no expected settings in {folder}")
    return [json.loads(f.read_text()) for f in files]


def pytest_generate_tests(metafunc):
    if "expected" in metafunc.fixturenames:
        regions = _expected(metafunc.config)
        metafunc.parametrize("expected", regions, ids=[r["host"] for r in regions])


class Aws:
    """boto3 clients for one region (endpoints and credentials come from the environment)."""

    def __init__(self, region):
        self.region = region
        self._clients = {}

    def __getattr__(self, service):
        if service.startswith("_"):
            raise AttributeError(service)
        if service not in self._clients:
            self._clients[service] = boto3.client(service, region_name=self.region)
        return self._clients[service]


@pytest.fixture
def all_expected(request):
    """Every region's expected settings (for cross-region checks)."""
    return _expected(request.config)


@pytest.fixture
def aws(expected):
    return Aws(expected["region"])


def key_arn(aws, expected):
    """The ARN of the region's key, found by its alias (encryption_key_alias, as the roles find it)."""
    alias = f"alias/{expected['key_alias']}"
    target = next(a["TargetKeyId"] for a in aws.kms.list_aliases()["Aliases"] if a["AliasName"] == alias)
    return aws.kms.describe_key(KeyId=target)["KeyMetadata"]["Arn"]


def tags_of(resource):
    return {t["Key"]: t["Value"] for t in resource.get("Tags") or []}


def assert_tagged(what, tags, expected, name=None):
    """Required tags, finproc:stack and the Name tag, for a resource verify.yml's `tags` control does not read."""
    missing = {k: v for k, v in expected["tags"].items() if tags.get(k) != v}
    assert not missing, f"{what}: tags missing or different: {missing} (has {tags})"
    assert tags.get("finproc:stack") == expected["name_prefix"], f"{what}: no finproc:stack tag"
    if name is not None:
        assert tags.get("Name") == name, f"{what}: Name tag {tags.get('Name')!r}, expected {name!r}"


def assert_named(what, tags, name):
    """The Name tag, for a resource whose required tags verify.yml's `tags` control checks."""
    assert tags.get("Name") == name, f"{what}: Name tag {tags.get('Name')!r}, expected {name!r}"


def assert_acls_disabled(s3, bucket):
    """ACLs disabled: the bucket owner owns every object. (The four public-access blocks are verify.yml's:
    bucket-public-access-blocked for the data bucket, alb-access-logs for the access-log bucket.)"""
    ownership = s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"]
    assert [r["ObjectOwnership"] for r in ownership] == ["BucketOwnerEnforced"], f"{bucket}: ownership {ownership}"
