"""Adding a region adds a replica; removing it keeps the replica (its data) until purge is asked."""

import copy
import time
import uuid

import boto3
from conftest import hosts_of, recap, run_site, write_inventory

EU = {
    "dr_role": "secondary",
    "dr_vpc_cidr": "10.2.0.0/16",
    "dr_azs": ["eu-west-1a", "eu-west-1b"],
    "dr_public_subnet_cidrs": ["10.2.0.0/24", "10.2.1.0/24"],
    "dr_private_subnet_cidrs": ["10.2.10.0/24", "10.2.11.0/24"],
}


def replicas(table_name):
    table = boto3.client("dynamodb", region_name="us-east-2").describe_table(TableName=table_name)["Table"]
    assert table["TableStatus"] == "ACTIVE"
    return {r["RegionName"]: r["ReplicaStatus"] for r in table.get("Replicas", [])}


REGIONS_THREE = ("us-east-2", "us-west-2", "eu-west-1")


def failover_records(environment):
    """{set identifier: failover role} of the service name's records."""
    route53 = boto3.client("route53", region_name="us-east-1")
    zone = f"{environment}.finproc.example."
    zone_id = next(z["Id"] for z in route53.list_hosted_zones()["HostedZones"] if z["Name"] == zone)
    return {
        r["SetIdentifier"]: r["Failover"]
        for r in route53.list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]
        if r["Name"] == "api." + zone
    }


def health_check_names(environment):
    route53 = boto3.client("route53", region_name="us-east-1")
    names = set()
    for check in route53.list_health_checks()["HealthChecks"]:
        tags = route53.list_tags_for_resource(ResourceType="healthcheck", ResourceId=check["Id"])["ResourceTagSet"]
        names.update(t["Value"] for t in tags.get("Tags", []) if t["Key"] == "Name" and environment in t["Value"])
    return names


def monitor_alarms(environment, region):
    """The monitoring role's alarms in a region, less their prefix."""
    prefix = f"finproc-{environment}-{region}-monitor-"
    alarms = boto3.client("cloudwatch", region_name=region).describe_alarms(AlarmNamePrefix=prefix)["MetricAlarms"]
    return {a["AlarmName"][len(prefix) :] for a in alarms}


def converge(inventory, env, **extra):
    result = run_site(inventory, extra_vars=dict(env, **extra))
    assert result.returncode == 0, result.stdout[-4000:]
    return recap(result.stdout)


def test_a_third_region_joins_and_leaves_only_when_purged(tmp_path, local_inventory, environment_name):
    env = {"dr_environment": environment_name}
    table_name = f"finproc-{environment_name}-transactions"
    three = copy.deepcopy(local_inventory)
    hosts_of(three)["eu-west-1"] = copy.deepcopy(EU)
    # Two secondaries: the inventory names the one that takes the SECONDARY failover record (the
    # newcomer here; the switch to the other one follows).
    three["all"]["children"]["regions"]["vars"]["dr_failover_secondary"] = "eu-west-1"
    (tmp_path / "three").mkdir()
    three_path = write_inventory(tmp_path / "three", three)
    two_path = write_inventory(tmp_path, local_inventory)

    counts = converge(three_path, env)
    assert set(counts) == {"us-east-2", "us-west-2", "eu-west-1"}
    assert replicas(table_name) == {"us-west-2": "ACTIVE", "eu-west-1": "ACTIVE"}
    item = {"transactionId": {"S": "regions-" + uuid.uuid4().hex}}
    boto3.client("dynamodb", region_name="us-east-2").put_item(TableName=table_name, Item=item)
    eu = boto3.client("dynamodb", region_name="eu-west-1")
    deadline = time.monotonic() + 60
    while not eu.get_item(TableName=table_name, Key=item).get("Item") and time.monotonic() < deadline:
        time.sleep(1)
    assert eu.get_item(TableName=table_name, Key=item).get("Item") == item
    assert all(c["changed"] == 0 for c in converge(three_path, env).values()), "second run changed something"
    # Only the named secondary takes the SECONDARY record; the other one is checked, not routed to.
    assert failover_records(environment_name) == {"us-east-2": "PRIMARY", "eu-west-1": "SECONDARY"}
    assert health_check_names(environment_name) >= {f"finproc-{environment_name}-{r}" for r in REGIONS_THREE}
    # Every region watches the new one: its endpoint, and the replication into its replica.
    watching_eu = {"endpoint-eu-west-1", "replication-lag-eu-west-1", "heartbeat-age-eu-west-1"}
    for region in ("us-east-2", "us-west-2"):
        assert monitor_alarms(environment_name, region) >= watching_eu
    assert "s3-replication-failures-to-eu-west-1" in monitor_alarms(environment_name, "us-east-2")

    # Another secondary is named: the one that took the SECONDARY record gives it up first.
    three["all"]["children"]["regions"]["vars"]["dr_failover_secondary"] = "us-west-2"
    converge(write_inventory(tmp_path / "three", three), env)
    assert failover_records(environment_name) == {"us-east-2": "PRIMARY", "us-west-2": "SECONDARY"}

    # The region leaves the inventory: its replica, and the data in it, stay.
    converge(two_path, env)
    assert replicas(table_name) == {"us-west-2": "ACTIVE", "eu-west-1": "ACTIVE"}
    assert eu.get_item(TableName=table_name, Key=item).get("Item") == item
    assert all(c["changed"] == 0 for c in converge(two_path, env).values()), "run after leaving changed something"
    # Its endpoint and bucket rule are no longer watched; the replica it left still is.
    left = monitor_alarms(environment_name, "us-east-2")
    assert "endpoint-eu-west-1" not in left and "s3-replication-failures-to-eu-west-1" not in left
    assert "replication-lag-eu-west-1" in left

    # Only when asked is the replica removed, and what watched it goes in the same run (the
    # two-region stack left is the one whose idempotence the molecule default scenario checks).
    converge(two_path, env, data_table_purge_replicas="true")
    assert replicas(table_name) == {"us-west-2": "ACTIVE"}
    for region in ("us-east-2", "us-west-2"):
        assert not [a for a in monitor_alarms(environment_name, region) if "eu-west-1" in a]
