"""The runner (plugins/module_utils/controls/runner.py) through dr_controls_info: every control passes on
the compliant stack, in the registered order, read only; AWS errors fail only what met them."""

import botocore.exceptions
import json
import pytest

from ansible_collections.finproc.dr.plugins.module_utils.controls.runner import CONTROL_IDS
from live_stack import (
    PREFIX,
    FLOW_LOG,
    PRIMARY,
    REGIONS,
    SECONDARY,
    assert_read_only,
    bucket_name,
    by_id,
    dr_controls_info,
    replicas,
    run,
)


class TestTheIntactStack:
    """The module never writes (every run checks it): these runs share one stack."""

    @pytest.fixture
    def stack(self, intact_stack):
        return intact_stack

    @pytest.mark.parametrize("region", REGIONS)
    def test_every_control_passes_on_the_compliant_stack(self, stack, monkeypatch, capsys, region):
        result, code, calls = run(stack, monkeypatch, capsys, region)
        assert code == 0, result
        failures = [e for e in result["controls"] if not e["passed"]]
        assert not failures, json.dumps(failures, indent=1)
        assert result["passed"] is True and result["failed_controls"] == [] and result["changed"] is False
        expected = [
            c
            for c in dr_controls_info.SELECTORS[: len(CONTROL_IDS)]
            if region == PRIMARY or c != "table-replica-active"
        ]
        assert list(dict.fromkeys(e["id"] for e in result["controls"])) == expected
        assert all(e["region"] == region and e["title"] and e["detail"] and e["resource"] for e in result["controls"])
        assert len(by_id(result, "security-groups")) == 2
        assert len(by_id(result, "log-groups")) == 3
        assert len(by_id(result, "tags")) == 14
        assert len(by_id(result, "alarm-actions")) == (2 if region == PRIMARY else 1)
        assert len(by_id(result, "bucket-replication-rtc")) == 1
        (rto,) = by_id(result, "rto-budget")
        assert rto["detail"] == (
            "health checks 30 s \u00d7 3 failures = 90 s + record TTL 60 s + resolver allowance 60 s = 210 s, "
            "within the RTO target 300 s"
        )
        (sse,) = by_id(result, "table-sse-kms")
        assert sse["detail"] == f"encrypted with {stack[region].key} (read from DescribeTable in {region})"
        subnets = [e for e in by_id(result, "tags") if e["resource"] == "subnets (4)"]
        assert subnets[0]["detail"] == (
            "all 4 subnets carry App=finproc, CostCenter=CC-0000, Environment=dev, ManagedBy=ansible-finproc.dr, "
            "finproc:stack=finproc-dev"
        )
        assert_read_only(calls)
        # Each resource is read once: the number of calls stays near the number of resources.
        assert len(calls) < 90, len(calls)
        assert len({c for c in calls if c[2] == "DescribeTable" and c[1] == region}) == 1

    def test_check_mode_reads_the_same_and_changes_nothing(self, stack, monkeypatch, capsys):
        result, code, calls = run(stack, monkeypatch, capsys, SECONDARY, check_mode=True)
        assert code == 0 and result["passed"] is True and result["changed"] is False
        assert_read_only(calls)

    def test_only_the_controls_asked_for_are_evaluated(self, stack, monkeypatch, capsys):
        result, code, calls = run(stack, monkeypatch, capsys, PRIMARY, controls=["bucket-versioning", "rto-budget"])
        assert code == 0 and result["passed"] is True
        assert [e["id"] for e in result["controls"]] == ["bucket-versioning", "rto-budget"]
        assert {service for service, _r, _op in calls} == {"sts", "s3", "route53"}

    @pytest.mark.parametrize("region", REGIONS)
    def test_the_foundation_areas_call_only_the_foundation_services(self, stack, monkeypatch, capsys, region):
        """controls [kms, data, network] (molecule localstack, which converges only the encryption, network
        and data roles): their controls and the tags of their resources, all passing; no call to ELBv2,
        Route53, Lambda, EventBridge, SNS or CloudWatch, which LocalStack community does not serve or the
        stack does not have there. (Their access paths: test_controls_access.py.)"""
        result, code, calls = run(stack, monkeypatch, capsys, region, controls=["kms", "data", "network"])
        assert code == 0, result
        assert result["passed"] is True, json.dumps([e for e in result["controls"] if not e["passed"]], indent=1)
        foundation = [
            c
            for c in CONTROL_IDS[: CONTROL_IDS.index("listener-tls-policy")]
            if region == PRIMARY or c != "table-replica-active"
        ]
        assert list(dict.fromkeys(e["id"] for e in result["controls"])) == foundation + ["tags"]
        assert [e["resource"] for e in by_id(result, "tags")] == [
            stack[region].key,
            stack[region].vpc,
            "subnets (4)",
            "security groups (2)",
            by_id(result, "table-pitr")[0]["resource"],
            bucket_name(region),
            FLOW_LOG,
        ]
        services = {service for service, _r, _op in calls}
        assert services == {"sts", "kms", "dynamodb", "s3", "ec2", "logs"}, services
        assert_read_only(calls)

    def test_an_area_and_a_control_id_together(self, stack, monkeypatch, capsys):
        """An id adds its control to the areas'; `tags` by id reads every area's resources."""
        result, code, calls = run(
            stack, monkeypatch, capsys, SECONDARY, controls=["kms", "rto-budget"], access_paths=False
        )
        assert code == 0 and result["passed"] is True
        assert [e["id"] for e in result["controls"]] == ["kms-key-rotation", "kms-key-policy", "rto-budget", "tags"]
        assert [e["resource"] for e in by_id(result, "tags")] == [stack[SECONDARY].key]
        result, code, calls = run(stack, monkeypatch, capsys, SECONDARY, controls=["kms", "tags"])
        assert code == 0 and result["passed"] is True
        assert len(by_id(result, "tags")) == 14
        assert {s for s, _r, _op in calls} >= {"elbv2", "route53", "lambda", "events"}

    def test_an_unknown_control_fails_naming_the_valid_ones(self, stack, monkeypatch, capsys):
        result, code, calls = run(stack, monkeypatch, capsys, PRIMARY, controls=["kms", "encryption"])
        assert code == 1
        assert "value of controls must be one or more of: kms-key-rotation, kms-key-policy," in result["msg"]
        assert "access-paths, kms, data, network, traffic, monitoring. Got no match for: encryption" in result["msg"]
        assert calls == []

    def test_inconsistent_peers_fail_before_any_call(self, stack, monkeypatch, capsys):
        result, code, calls = run(
            stack, monkeypatch, capsys, PRIMARY, peers=[{"region": SECONDARY, "dr_role": "primary"}]
        )
        assert code == 1
        assert "peers must include this region us-east-2" in result["msg"]
        assert calls == []

    def test_a_replica_not_yet_active(self, stack, monkeypatch, capsys):
        result, _code, _calls = run(stack, monkeypatch, capsys, PRIMARY, replies=replicas(stack, status="CREATING"))
        assert result["failed_controls"] == ["table-replica-active"]
        (entry,) = by_id(result, "table-replica-active")
        assert entry["detail"] == f"replica in {SECONDARY} is CREATING"

    def test_a_table_without_replicas(self, stack, monkeypatch, capsys):
        result, _code, _calls = run(stack, monkeypatch, capsys, PRIMARY, replies={})
        assert result["failed_controls"] == ["table-replica-active"]
        assert by_id(result, "table-replica-active")[0]["detail"] == f"no replica in {SECONDARY}"

    def test_an_aws_error_fails_only_the_control_that_met_it(self, stack, monkeypatch, capsys):
        result, code, _calls = run(stack, monkeypatch, capsys, PRIMARY, errors={"GetBucketPolicy": "AccessDenied"})
        assert code == 0
        # Both controls that read a bucket policy met the error (the data bucket's, the log bucket's).
        assert result["failed_controls"] == ["bucket-tls-only", "alb-access-logs"]
        (entry,) = by_id(result, "bucket-tls-only")
        assert entry["resource"] == bucket_name(PRIMARY)
        assert entry["detail"] == "AWS error: GetBucketPolicy failed: injected AccessDenied (AccessDenied)"
        (entry,) = by_id(result, "alb-access-logs")
        assert entry["resource"] == f"{PREFIX}-alb"
        assert entry["detail"] == "AWS error: GetBucketPolicy failed: injected AccessDenied (AccessDenied)"

    def test_an_aws_error_on_one_resource_fails_only_its_entry(self, stack, monkeypatch, capsys):
        result, _code, _calls = run(
            stack, monkeypatch, capsys, SECONDARY, errors={"ListTagsForResource": "AccessDeniedException"}
        )
        failed = [e for e in result["controls"] if not e["passed"]]
        # CloudWatch, SNS, EventBridge and Logs all call it ListTagsForResource.
        assert {e["resource"].split(" (")[0] for e in failed} >= {"log groups", "monitoring alarms"}
        assert result["failed_controls"] == ["tags"]
        assert all("AccessDeniedException" in e["detail"] for e in failed)
        assert [e["passed"] for e in by_id(result, "tags") if e["resource"].startswith("subnets")] == [True]

    @pytest.mark.parametrize(
        "error",
        [
            botocore.exceptions.EndpointConnectionError(endpoint_url="https://dynamodb.us-east-2.amazonaws.com"),
            "UnrecognizedClientException",
        ],
        ids=["endpoint unreachable", "credentials refused"],
    )
    def test_credential_and_endpoint_errors_fail_the_module(self, stack, monkeypatch, capsys, error):
        result, code, _calls = run(stack, monkeypatch, capsys, PRIMARY, errors={"DescribeTable": error})
        assert code == 1
        assert "the credentials or the endpoint failed" in result["msg"]

    def test_without_the_caller_identity_the_module_fails(self, stack, monkeypatch, capsys):
        result, code, calls = run(stack, monkeypatch, capsys, PRIMARY, errors={"GetCallerIdentity": "AccessDenied"})
        assert code == 1
        assert "GetCallerIdentity failed" in result["msg"]
        assert [op for _s, _r, op in calls] == ["GetCallerIdentity"]


def test_the_controls_are_registered_in_their_area_files_in_the_report_order():
    """Each control is registered where it is defined (base.control); the report keeps the order it
    had before the split, area by area (runner.AREAS)."""
    from ansible_collections.finproc.dr.plugins.module_utils.controls import base, runner

    assert runner.CONTROL_IDS == [
        "kms-key-rotation",
        "kms-key-policy",
        "table-replica-active",
        "table-sse-kms",
        "table-pitr",
        "table-deletion-protection",
        "table-streams",
        "bucket-versioning",
        "bucket-sse-kms",
        "bucket-public-access-blocked",
        "bucket-tls-only",
        "bucket-replication-rtc",
        "vpc-cidr",
        "security-groups",
        "flow-logs",
        "listener-tls-policy",
        "listener-http-redirect",
        "alb-access-logs",
        "health-check",
        "failover-record",
        "rto-budget",
        "alarm-actions",
        "log-groups",
        "monitor-function",
        "monitor-role-least-privilege",
        "tags",
    ]
    areas = [c.evaluate.__module__.rsplit(".", 1)[1] for c in base.REGISTRY]
    assert list(dict.fromkeys(areas)) == [m.__name__.rsplit(".", 1)[1] for m in runner.AREAS]
    # The module's choices are the registry's ids, then access-paths and the areas (runner.SELECTORS).
    assert dr_controls_info.SELECTORS is runner.SELECTORS
    assert runner.SELECTORS == runner.CONTROL_IDS + ["access-paths", "kms", "data", "network", "traffic", "monitoring"]
    with pytest.raises(ValueError, match="registered twice"):
        base.control("tags", "again")(lambda ctx: iter(()))
