"""plugins/filter/specs.py: what the roles hand to the collection's modules.

The monitoring role's alarms (finproc.dr.monitor_alarms; these tests rendered roles/monitoring/templates/alarms.yml.j2
with Ansible's Templar before the filter replaced it, every assertion kept).

What the emulators cannot show: they store alarms but never evaluate them, so how an alarm treats missing
data only matters on AWS. CloudWatch user guide, "Configuring how CloudWatch alarms treat missing data"
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarms-and-missing-data.html): with
`missing`, an alarm whose data points are all missing goes to INSUFFICIENT_DATA, never to ALARM, and the
role's alarms notify on ALARM and OK only; with `breaching`, missing data counts as breaching the threshold.
"""

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.finproc.dr.plugins.filter.specs import (
    FilterModule,
    health_check_alarms,
    monitor_alarms,
    nat_gateway_specs,
    subnet_specs,
)

REGION, PEER = "us-west-2", "us-east-2"
PREFIX = f"finproc-dev-{REGION}-monitor-"
NAMESPACE = "finproc/dev/dr"


def alarms(peers=(PEER,)):
    """The alarms of REGION, by name (without the prefix), as the role hands them to cloudwatch_metric_alarms."""
    settings = {
        "alarm_prefix": PREFIX,
        "namespace": NAMESPACE,
        "schedule_seconds": "120",
        "rpo_target_seconds": "60",
        "region": REGION,
        "endpoints": [
            {"region": r, "target": "load-balancer", "url": f"https://alb.{r}.example/health"} for r in (REGION, *peers)
        ]
        + [{"region": "global", "target": "service-name", "url": "https://api.dev.finproc.example/health"}],
        "peer_regions": list(peers),
        "table_name": "finproc-dev-transactions",
        "bucket_name": f"finproc-dev-000000000000-{REGION}",
        "bucket_replication_rules": [],
        "s3_replication_latency_threshold_seconds": 900,
        "function_name": "finproc-dev-health-monitor",
    }
    found = monitor_alarms(settings)
    assert all(a["name"].startswith(PREFIX) for a in found)
    return {a["name"][len(PREFIX) :]: a for a in found}


def test_heartbeat_write_failures_alarm():
    """files/health_check.py puts HeartbeatWriteFailed (Count, Region = own region, Target global-table) on
    every run with a table; a failed write (IAM or the replica's KMS key refusing it) is 1."""
    alarm = alarms()["heartbeat-write"]
    assert (alarm["namespace"], alarm["metric_name"]) == (NAMESPACE, "HeartbeatWriteFailed")
    assert alarm["dimensions"] == {"Region": REGION, "Target": "global-table"}
    assert (alarm["statistic"], alarm["comparison"], alarm["threshold"]) == (
        "Maximum",
        "GreaterThanOrEqualToThreshold",
        1,
    )
    assert (alarm["period"], alarm["evaluation_periods"]) == (alarms()["self"]["period"], 1)
    # A silent monitor is the `self` alarm's (missing = breaching there); this one does not repeat it.
    assert alarm["treat_missing_data"] == "missing"
    assert alarms()["self"]["treat_missing_data"] == "breaching"
    assert f"{PREFIX}self" in alarm["description"]


@pytest.mark.parametrize("kind", ["replication-lag", "heartbeat-age"])
def test_a_missing_lag_or_heartbeat_age_is_breaching(kind):
    """ReplicationLagSeconds is not put when the heartbeat write failed or the peer could not be read, and
    HeartbeatAgeSeconds not when no heartbeat of the peer is here or the read failed: both are faults, so
    the RPO alarm must not stay silent (INSUFFICIENT_DATA notifies nobody)."""
    alarm = alarms()[f"{kind}-{PEER}"]
    assert alarm["treat_missing_data"] == "breaching"


def test_a_region_without_peers_has_no_table_alarm_that_missing_data_would_set_off():
    """Without peers the monitor has no table (FINPROC_TABLE_NAME is empty): it puts none of these metrics,
    so none of their alarms exists (a breaching one would be in ALARM for ever)."""
    names = set(alarms(peers=()))
    assert not {n for n in names if n.startswith(("heartbeat-", "replication-lag-", "dynamodb-"))}
    assert {"self", "lambda-errors", "service-name", f"endpoint-{REGION}"} <= names


def test_the_monitor_alarms_look_at_two_runs_and_hold_the_rpo_target():
    """The schedule (120 s) and the RPO target (60 s) come from the settings: a period of two runs, the
    lag threshold the RPO, the heartbeat age one schedule plus the RPO, DynamoDB's latency in milliseconds."""
    found = alarms()
    assert {a["period"] for n, a in found.items() if a["namespace"] == NAMESPACE} == {240}
    assert found[f"replication-lag-{PEER}"]["threshold"] == 60
    assert found[f"heartbeat-age-{PEER}"]["threshold"] == 180
    latency = found[f"dynamodb-replication-latency-{PEER}"]
    assert (latency["threshold"], latency["period"]) == (60000, 300)
    assert latency["dimensions"] == {"TableName": "finproc-dev-transactions", "ReceivingRegion": PEER}


def test_each_replication_rule_of_the_bucket_has_a_failure_and_a_latency_alarm():
    rules = [{"id": "to-us-east-2", "destination": {"bucket": "finproc-dev-000000000000-us-east-2"}}]
    settings = {
        "alarm_prefix": PREFIX,
        "namespace": NAMESPACE,
        "schedule_seconds": 120,
        "rpo_target_seconds": 60,
        "region": REGION,
        "endpoints": [],
        "peer_regions": [],
        "table_name": "",
        "bucket_name": "finproc-dev-000000000000-us-west-2",
        "bucket_replication_rules": rules,
        "s3_replication_latency_threshold_seconds": "900",
        "function_name": "finproc-dev-health-monitor",
    }
    found = {a["name"][len(PREFIX) :]: a for a in monitor_alarms(settings)}
    dimensions = {
        "SourceBucket": "finproc-dev-000000000000-us-west-2",
        "DestinationBucket": "finproc-dev-000000000000-us-east-2",
        "RuleId": "to-us-east-2",
    }
    failures, latency = found["s3-replication-failures-to-us-east-2"], found["s3-replication-latency-to-us-east-2"]
    assert (failures["metric_name"], failures["dimensions"], failures["threshold"]) == (
        "OperationsFailedReplication",
        dimensions,
        0,
    )
    assert (latency["metric_name"], latency["dimensions"], latency["threshold"]) == (
        "ReplicationLatency",
        dimensions,
        900,
    )
    assert failures["dimensions"] is not latency["dimensions"]


def test_a_setting_missing_or_not_a_number_is_named():
    with pytest.raises(AnsibleFilterError, match="'alarm_prefix' is missing"):
        monitor_alarms({})
    with pytest.raises(AnsibleFilterError, match="evaluation_periods must be a whole number"):
        health_check_alarms([], {"name_prefix": "p", "topic_arn": "t", "evaluation_periods": "often"})


HEALTH_CHECKS = [
    {
        "host": "us-east-2",
        "region": "us-east-2",
        "name": "finproc-dev-us-east-2",
        "health_check_id": "hc-1",
        "record": "PRIMARY",
    },
    {
        "host": "eu-west-1",
        "region": "eu-west-1",
        "name": "finproc-dev-eu-west-1",
        "health_check_id": "hc-3",
        "record": "",
    },
    {
        "host": "us-west-2",
        "region": "us-west-2",
        "name": "finproc-dev-us-west-2",
        "health_check_id": "",
        "record": "SECONDARY",
    },
]
TOPIC = "arn:aws:sns:us-east-1:000000000000:finproc-dev-dns-health"


def test_every_region_with_a_health_check_gets_an_alarm_that_notifies_the_topic_both_ways():
    found = health_check_alarms(
        HEALTH_CHECKS, {"name_prefix": "finproc-dev", "evaluation_periods": 1, "topic_arn": TOPIC}
    )
    assert [a["name"] for a in found] == [
        "finproc-dev-us-east-2-endpoint-unhealthy",
        "finproc-dev-eu-west-1-endpoint-unhealthy",
    ]
    first = found[0]
    assert (first["namespace"], first["metric_name"], first["dimensions"]) == (
        "AWS/Route53",
        "HealthCheckStatus",
        {"HealthCheckId": "hc-1"},
    )
    assert (first["statistic"], first["comparison"], first["threshold"], first["period"]) == (
        "Minimum",
        "LessThanThreshold",
        1.0,
        60,
    )
    # A health check whose status metric stops is as bad as an unhealthy one.
    assert first["treat_missing_data"] == "breaching"
    assert (first["alarm_actions"], first["ok_actions"]) == ([TOPIC], [TOPIC])
    assert first["tags"] == {"Name": "us-east-2 endpoint health"}
    assert "(PRIMARY)" in first["description"] and "(no failover record)" in found[1]["description"]


SUBNETS = {
    "azs": ["us-east-2a", "us-east-2b"],
    "public_subnet_cidrs": ["10.0.0.0/24", "10.0.1.0/24"],
    "private_subnet_cidrs": ["10.0.10.0/24", "10.0.11.0/24"],
    "name_prefix": "finproc-dev",
    "tags": {"App": "finproc", "Name": "overridden"},
}


def test_subnets_public_first_then_private_one_per_az_never_mapping_public_ips():
    found = subnet_specs(SUBNETS)
    assert [(s["cidr"], s["az"], s["tags"]["finproc:tier"]) for s in found] == [
        ("10.0.0.0/24", "us-east-2a", "public"),
        ("10.0.1.0/24", "us-east-2b", "public"),
        ("10.0.10.0/24", "us-east-2a", "private"),
        ("10.0.11.0/24", "us-east-2b", "private"),
    ]
    assert {s["map_public"] for s in found} == {False}
    assert found[2]["tags"] == {"App": "finproc", "Name": "finproc-dev-private-us-east-2a", "finproc:tier": "private"}
    assert SUBNETS["tags"] == {"App": "finproc", "Name": "overridden"}, "the settings' tags are not changed"


def test_fewer_cidrs_than_azs_is_named():
    with pytest.raises(AnsibleFilterError, match="1 private subnet CIDRs for 2 AZs"):
        subnet_specs(dict(SUBNETS, private_subnet_cidrs=["10.0.10.0/24"]))


@pytest.mark.parametrize(("count", "wanted"), [(2, ["us-east-2a", "us-east-2b"]), ("1", ["us-east-2a"])])
def test_a_nat_gateway_in_the_public_subnet_of_each_of_the_first_count_azs(count, wanted):
    found = nat_gateway_specs(
        {
            "count": count,
            "public_subnet_ids": ["subnet-a", "subnet-b"],
            "azs": SUBNETS["azs"],
            "name_prefix": "finproc-dev",
            "tags": {"App": "finproc"},
        }
    )
    assert [g["subnet_id"] for g in found] == ["subnet-a", "subnet-b"][: len(wanted)]
    assert [g["tags"] for g in found] == [{"App": "finproc", "Name": f"finproc-dev-nat-{az}"} for az in wanted]


def test_more_nat_gateways_than_public_subnets_is_named():
    with pytest.raises(AnsibleFilterError, match="2 NAT gateways for 1 public subnets in 2 AZs"):
        nat_gateway_specs(
            {"count": 2, "public_subnet_ids": ["subnet-a"], "azs": SUBNETS["azs"], "name_prefix": "p", "tags": {}}
        )


def test_the_filters_are_registered_under_their_names():
    assert FilterModule().filters() == {
        "monitor_alarms": monitor_alarms,
        "health_check_alarms": health_check_alarms,
        "subnet_specs": subnet_specs,
        "nat_gateway_specs": nat_gateway_specs,
    }
