"""Each bad inventory fails in preflight, naming the problem, and nothing reaches the emulator."""

import copy
import json
import re

import pytest
from conftest import hosts_of, ours, recap, run_site, snapshot, write_inventory


def two_primaries(inv):
    hosts_of(inv)["us-west-2"]["dr_role"] = "primary"


def no_primary(inv):
    hosts_of(inv)["us-east-2"]["dr_role"] = "secondary"


def overlapping_cidrs(inv):
    west = hosts_of(inv)["us-west-2"]
    west["dr_vpc_cidr"] = "10.0.0.0/16"
    west["dr_public_subnet_cidrs"] = ["10.0.0.0/24", "10.0.1.0/24"]
    west["dr_private_subnet_cidrs"] = ["10.0.10.0/24", "10.0.11.0/24"]


def malformed_cidr(inv):
    hosts_of(inv)["us-east-2"]["dr_vpc_cidr"] = "10.0.0.300/16"


def subnet_outside_vpc(inv):
    hosts_of(inv)["us-east-2"]["dr_private_subnet_cidrs"] = ["10.0.10.0/24", "10.9.11.0/24"]


def unknown_region(inv):
    hosts = hosts_of(inv)
    hosts["mars-north-1"] = hosts.pop("us-west-2")
    hosts["mars-north-1"]["dr_azs"] = ["mars-north-1a", "mars-north-1b"]


def ambiguous_secondary(inv):
    hosts_of(inv)["eu-west-1"] = {
        "dr_role": "secondary",
        "dr_vpc_cidr": "10.2.0.0/16",
        "dr_azs": ["eu-west-1a", "eu-west-1b"],
        "dr_public_subnet_cidrs": ["10.2.0.0/24", "10.2.1.0/24"],
        "dr_private_subnet_cidrs": ["10.2.10.0/24", "10.2.11.0/24"],
    }


def zone_ec2_does_not_list(inv):
    # A zone of the region by its name, that the account does not have: only EC2 can tell
    # (DescribeAvailabilityZones, roles/preflight/tasks/zones.yml); us-east-2 has a, b and c.
    hosts_of(inv)["us-east-2"]["dr_azs"] = ["us-east-2a", "us-east-2d"]


CASES = {
    "two primaries": (two_primaries, None, "more than one primary region: us-east-2, us-west-2"),
    "no primary": (no_primary, None, "no region has dr_role: primary"),
    "overlapping CIDRs": (
        overlapping_cidrs,
        None,
        "VPC CIDRs overlap: us-east-2 (10.0.0.0/16) and us-west-2 (10.0.0.0/16)",
    ),
    "malformed CIDR": (malformed_cidr, None, "host us-east-2: dr_vpc_cidr '10.0.0.300/16' is not a valid IPv4 CIDR"),
    "subnet outside its VPC": (
        subnet_outside_vpc,
        None,
        "host us-east-2: dr_private_subnet_cidrs[1] 10.9.11.0/24 is outside its VPC 10.0.0.0/16",
    ),
    "unknown region": (unknown_region, None, "host mars-north-1: 'mars-north-1' is not an AWS region"),
    "missing required tag": (
        None,
        {"dr_tags": {"Environment": "dev", "App": "finproc", "ManagedBy": "ansible"}},
        "required tag CostCenter is missing from dr_tags",
    ),
    # A tag value EC2, KMS, DynamoDB and S3 accept and CloudWatch Logs, IAM, ACM, ELBv2 and Lambda refuse
    # (their models' TagValue pattern): without preflight the network role would fail at the flow-log group.
    "tag value a service refuses": (
        None,
        {"dr_tags": {"Environment": "dev", "App": "finproc", "ManagedBy": "ansible", "CostCenter": "R&D"}},
        "dr_tags: tag 'CostCenter' value 'R&D' has '&', which CloudWatch Logs, IAM, ACM, ELBv2 and Lambda refuse",
    ),
    # Hosts in inventory order (write_inventory sorts them: eu-west-1 comes first).
    "ambiguous secondary": (
        ambiguous_secondary,
        None,
        "2 secondary regions (eu-west-1, us-west-2) and dr_failover_secondary does not say which one takes the "
        "SECONDARY failover record; set it to one of them",
    ),
    "zone EC2 does not list": (
        zone_ec2_does_not_list,
        None,
        "host us-east-2: dr_azs[1] us-east-2d is not a zone this account has in us-east-2; EC2 "
        "DescribeAvailabilityZones listed us-east-2a (available), us-east-2b (available), us-east-2c (available)",
    ),
    # A number, from a JSON extra-vars file (-e key=value would pass the string "180").
    "RTO budget": (
        None,
        {"dr_rto_target_seconds": 180},
        "RTO budget: health checks 30 s \u00d7 3 failures = 90 s + record TTL 60 s + resolver allowance 60 s "
        "= 210 s, more than dr_rto_target_seconds 180 s; lower dr_health_check_interval_seconds or "
        "dr_health_check_failure_threshold, or raise the target",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_inventory_fails_in_preflight_and_creates_nothing(case, tmp_path, local_inventory, environment_name):
    mutate, extra, message = CASES[case]
    inventory = copy.deepcopy(local_inventory)
    if mutate:
        mutate(inventory)
    extra_vars = {"dr_environment": environment_name}
    if extra:
        extra_file = tmp_path / "extra.json"
        extra_file.write_text(json.dumps(extra))
        extra_vars["_extra"] = extra_file
    before = snapshot()

    result = run_site(write_inventory(tmp_path, inventory), extra_vars=extra_vars)

    output = result.stdout + result.stderr
    assert result.returncode != 0, output[-3000:]
    assert "Preflight found" in output, output[-3000:]
    assert message in output, output[-3000:]
    # Preflight stopped the play on every host: no later task ran anywhere (preflight itself reads each
    # role's settings through its "Expose the role's settings" entry point, which runs nothing).
    later = [
        line
        for line in re.findall(r"^TASK \[finproc\.dr\.(?!preflight|common)[a-z_]+ : .*$", output, re.M)
        if "Expose the role's settings to the play" not in line
    ]
    assert later == [], later
    for host, counts in recap(output).items():
        assert counts["changed"] == 0, host
    after = snapshot()
    assert after == before
    assert ours(after, environment_name) == []


def test_every_problem_is_reported_at_once(tmp_path, local_inventory, environment_name):
    inventory = copy.deepcopy(local_inventory)
    two_primaries(inventory)
    malformed_cidr(inventory)
    hosts_of(inventory)["us-west-2"]["dr_public_subnet_cidrs"] = ["10.1.0.0/24", "10.7.1.0/24"]
    result = run_site(write_inventory(tmp_path, inventory), extra_vars={"dr_environment": environment_name})
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "Preflight found 3 problem(s)" in output, output[-3000:]
    assert "more than one primary region: us-east-2, us-west-2" in output
    assert "host us-east-2: dr_vpc_cidr '10.0.0.300/16' is not a valid IPv4 CIDR" in output
    assert "host us-west-2: dr_public_subnet_cidrs[1] 10.7.1.0/24 is outside its VPC 10.1.0.0/16" in output


def test_local_inventory_refuses_a_non_loopback_endpoint(tmp_path, local_inventory, environment_name, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL_KMS", "https://kms.us-east-2.amazonaws.com")
    result = run_site(write_inventory(tmp_path, local_inventory), extra_vars={"dr_environment": environment_name})
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "AWS_ENDPOINT_URL_KMS=https://kms.us-east-2.amazonaws.com is not on loopback" in output
