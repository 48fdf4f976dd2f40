"""After playbooks/failover_drill.yml on the emulator (molecule failover scenario: side effect, then verify).

The emulator cannot evaluate health checks nor answer Route53 TestDNSAnswer: the report must say
so and give no RTO, while the RPO (DynamoDB replication) is measured for real. Everything the drill
touched must be as before: the primary's health check not inverted, no canary item left.
"""

import json
import os
from pathlib import Path
from types import SimpleNamespace

import boto3
import pytest


@pytest.fixture(scope="module")
def stack(request):
    """What the inventory asks for, as molecule verify writes it for tests/state (--expected-dir, one JSON
    per region): the failover pair, the table (data_table_name) and the zone, none of them built here."""
    folder = Path(request.config.getoption("--expected-dir"))
    regions = [json.loads(f.read_text()) for f in sorted(folder.glob("*.json"))]
    assert regions, f"no expected settings in {folder}"
    primary = next(r for r in regions if r["failover_record"] == "PRIMARY")
    secondary = next(r for r in regions if r["failover_record"] == "SECONDARY")
    return SimpleNamespace(
        primary=primary["region"],
        secondary=secondary["region"],
        regions=[r["region"] for r in regions],
        table=primary["table_name"],
        zone=primary["zone_name"],
    )


@pytest.fixture(scope="module")
def report():
    reports = sorted(Path(os.environ["FINPROC_REPORTS_DIR"]).glob("drill-*.json"))
    assert reports, "the drill wrote no report"
    assert reports[-1].with_suffix(".md").exists(), "the drill wrote no Markdown report"
    return json.loads(reports[-1].read_text())


def _primary_health_check(stack):
    route53 = boto3.client("route53", region_name="us-east-1")
    zone = next(z for z in route53.list_hosted_zones()["HostedZones"] if z["Name"] == stack.zone + ".")
    records = route53.list_resource_record_sets(HostedZoneId=zone["Id"])["ResourceRecordSets"]
    primary = next(r for r in records if r.get("Failover") == "PRIMARY")
    return route53.get_health_check(HealthCheckId=primary["HealthCheckId"])["HealthCheck"]


def test_the_report_names_the_pair_and_says_the_primary_was_restored(report, stack):
    assert (report["primary"], report["secondary"]) == (stack.primary, stack.secondary)
    assert report["restored"] is True
    assert report["missed"] == []


def test_the_rpo_was_measured_for_real_and_met(report):
    rpo = report["rpo"]
    assert rpo["measured"] is True and rpo["met"] is True
    assert 0 <= rpo["seconds"] <= rpo["target_seconds"]
    assert rpo["cleaned_up"] is True


def test_no_rto_is_made_up_where_route53_cannot_answer(report):
    for phase in ("failover", "failback"):
        assert report[phase]["measured"] is False
        assert report[phase]["seconds"] is None
        assert report[phase]["met"] is None
        assert "TestDNSAnswer" in report[phase]["why_not"]


def test_the_primary_health_check_is_not_inverted(stack):
    check = _primary_health_check(stack)
    assert check["HealthCheckConfig"].get("Inverted", False) is False
    assert check["HealthCheckConfig"]["Type"] == "HTTPS"


def test_no_canary_item_is_left_in_any_region(report, stack):
    for region in stack.regions:
        dynamodb = boto3.client("dynamodb", region_name=region)
        items = dynamodb.scan(
            TableName=stack.table,
            FilterExpression="begins_with(transactionId, :canary)",
            ExpressionAttributeValues={":canary": {"S": "finproc-drill#canary#"}},
        )["Items"]
        assert items == [], f"{region}: canary items left: {items}"
