"""The monitoring role's alarms (roles/monitoring/templates/alarms.yml.j2), rendered by Ansible's own Templar.

What the emulators cannot show: they store alarms but never evaluate them, so how an alarm treats missing
data only matters on AWS. CloudWatch user guide, "Configuring how CloudWatch alarms treat missing data"
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarms-and-missing-data.html): with
`missing`, an alarm whose data points are all missing goes to INSUFFICIENT_DATA, never to ALARM, and the
role's alarms notify on ALARM and OK only; with `breaching`, missing data counts as breaching the threshold.
"""

import pytest
import yaml
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
REGION, PEER = "us-west-2", "us-east-2"
PREFIX = f"finproc-dev-{REGION}-monitor-"
NAMESPACE = "finproc/dev/dr"


def alarms(peers=(PEER,)):
    """The alarms of REGION, by name (without the prefix), as the role hands them to cloudwatch_metric_alarms."""
    variables = {
        "monitoring_alarm_prefix": PREFIX,
        "monitoring_namespace": NAMESPACE,
        "monitoring_schedule_seconds": "120",
        "monitoring_rpo_target_seconds": "60",
        "monitoring_region": REGION,
        "monitoring_endpoints": [
            {"region": r, "target": "load-balancer", "url": f"https://alb.{r}.example/health"} for r in (REGION, *peers)
        ]
        + [{"region": "global", "target": "service-name", "url": "https://api.dev.finproc.example/health"}],
        "monitoring_peer_regions": list(peers),
        "monitoring_table_name": "finproc-dev-transactions",
        "monitoring_bucket_name": f"finproc-dev-000000000000-{REGION}",
        "monitoring_bucket_replication_rules": [],
        "monitoring_s3_replication_latency_threshold_seconds": 900,
        "monitoring_function_name": "finproc-dev-health-monitor",
    }
    text = (ROOT / "roles" / "monitoring" / "templates" / "alarms.yml.j2").read_text()
    rendered = Templar(loader=DataLoader(), variables=variables).template(trust_as_template(text))
    found = yaml.safe_load(rendered)
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
