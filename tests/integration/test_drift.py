"""Drift named exactly (issue 13): six changes made behind the collection's back with boto3, as an
operator with console rights would, all at once on different resources of one converged stack; then
one `site.yml --check --diff` names each on its resource and nothing else, and changes nothing; one
`site.yml` repairs them; a further run changes nothing. One test per drift kind, over the results of
those runs (module-scoped fixtures), so that a failure names the drift kind.

Task results are read from a JSON-lines callback (callback_plugins/task_results.py), enabled for these
runs only; the default output is checked too (what the user reads).
"""

import datetime
import json
import uuid
from pathlib import Path

import boto3
import pytest
from conftest import ROOT, recap, run_site, snapshot, write_inventory

CALLBACKS = Path(__file__).resolve().parent / "callback_plugins"
PRIMARY, SECONDARY = "us-east-2", "us-west-2"
REGIONS = (PRIMARY, SECONDARY)
GLOBAL_REGION = "us-east-1"
ROGUE_RULE = {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}
ROGUE_COST_CENTER = "CC-ROGUE"


def stack_filter(environment):
    return [{"Name": "tag:finproc:stack", "Values": [f"finproc-{environment}"]}]


def app_group(environment, region=PRIMARY):
    ec2 = boto3.client("ec2", region_name=region)
    groups = ec2.describe_security_groups(
        Filters=stack_filter(environment) + [{"Name": "group-name", "Values": [f"finproc-{environment}-app"]}]
    )["SecurityGroups"]
    assert len(groups) == 1, groups
    return groups[0]


def public_subnet(environment, region=PRIMARY):
    ec2 = boto3.client("ec2", region_name=region)
    name = f"finproc-{environment}-public-{region}a"
    subnets = ec2.describe_subnets(Filters=[{"Name": "tag:Name", "Values": [name]}])["Subnets"]
    assert len(subnets) == 1, subnets
    return subnets[0]


def region_key(environment, region):
    return boto3.client("kms", region_name=region).describe_key(KeyId=f"alias/finproc-{environment}")["KeyMetadata"]


def table_name(environment):
    return f"finproc-{environment}-transactions"


def alarm_name(environment, region=SECONDARY):
    return f"finproc-{environment}-{region}-monitor-lambda-errors"


def health_check(environment, region=PRIMARY):
    """The health check tagged Name=finproc-<env>-<region> (exactly one), with its tags."""
    route53 = boto3.client("route53", region_name=GLOBAL_REGION)
    found = []
    for check in route53.list_health_checks()["HealthChecks"]:
        tags = route53.list_tags_for_resource(ResourceType="healthcheck", ResourceId=check["Id"])["ResourceTagSet"]
        tags = {t["Key"]: t["Value"] for t in tags.get("Tags", [])}
        if tags.get("Name") == f"finproc-{environment}-{region}":
            found.append(dict(check, Tags=tags))
    assert len(found) == 1, found
    return found[0]


def failover_record(environment, region=PRIMARY):
    route53 = boto3.client("route53", region_name=GLOBAL_REGION)
    zone = f"{environment}.finproc.example."
    zone_id = next(z["Id"] for z in route53.list_hosted_zones()["HostedZones"] if z["Name"] == zone)
    records = route53.list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]
    return zone_id, next(r for r in records if r["Name"] == "api." + zone and r.get("SetIdentifier") == region)


def health_alarm_name(environment, region=PRIMARY):
    return f"finproc-{environment}-{region}-endpoint-unhealthy"


def put_alarm_like(cloudwatch, alarm, **changes):
    """PutMetricAlarm with the configuration DescribeAlarms gave, `changes` applied (what the console does)."""
    keys = (
        "AlarmName",
        "AlarmDescription",
        "ActionsEnabled",
        "OKActions",
        "AlarmActions",
        "InsufficientDataActions",
        "MetricName",
        "Namespace",
        "Statistic",
        "Dimensions",
        "Period",
        "EvaluationPeriods",
        "DatapointsToAlarm",
        "Threshold",
        "ComparisonOperator",
        "TreatMissingData",
        "Unit",
    )
    request = {k: alarm[k] for k in keys if alarm.get(k) is not None}
    request.update(changes)
    cloudwatch.put_metric_alarm(**request)


def make_drifts(environment):
    """The six drifts; returns what each changed (ids, keys) for the assertions."""
    made = {}
    # 1. An ingress rule added to the app's security group (SSH from the private range).
    ec2 = boto3.client("ec2", region_name=PRIMARY)
    group = app_group(environment)
    ec2.authorize_security_group_ingress(GroupId=group["GroupId"], IpPermissions=[ROGUE_RULE])
    made["security_group"] = group["GroupId"]
    # 2. Key rotation turned off on the secondary region's key.
    key = region_key(environment, SECONDARY)
    boto3.client("kms", region_name=SECONDARY).disable_key_rotation(KeyId=key["KeyId"])
    made["key"] = key["KeyId"]
    # 3. A tag changed on a public subnet of the primary.
    subnet = public_subnet(environment)
    ec2.create_tags(Resources=[subnet["SubnetId"]], Tags=[{"Key": "CostCenter", "Value": ROGUE_COST_CENTER}])
    made["subnet"] = subnet["SubnetId"]
    # 4. The replica in the secondary region re-keyed with another key of that region.
    other = boto3.client("kms", region_name=SECONDARY).create_key(Description="rogue")["KeyMetadata"]["Arn"]
    ddb = boto3.client("dynamodb", region_name=PRIMARY)
    ddb.update_table(
        TableName=table_name(environment),
        ReplicaUpdates=[{"Update": {"RegionName": SECONDARY, "KMSMasterKeyId": other}}],
    )
    made["rogue_key"] = other
    # 5. An alarm of the secondary's monitoring loses its SNS action.
    cloudwatch = boto3.client("cloudwatch", region_name=SECONDARY)
    alarm = cloudwatch.describe_alarms(AlarmNames=[alarm_name(environment)])["MetricAlarms"][0]
    put_alarm_like(cloudwatch, alarm, AlarmActions=[])
    made["alarm_actions"] = alarm["AlarmActions"]
    # 6. The primary's health check replaced by one checking every 10 s (RequestInterval cannot be
    # updated): created with the same settings and tags, the failover record and the alarm pointed at
    # it, the old one deleted.
    route53 = boto3.client("route53", region_name=GLOBAL_REGION)
    old = health_check(environment)
    config = dict(old["HealthCheckConfig"], RequestInterval=10)
    new = route53.create_health_check(CallerReference=str(uuid.uuid4()), HealthCheckConfig=config)["HealthCheck"]
    route53.change_tags_for_resource(
        ResourceType="healthcheck",
        ResourceId=new["Id"],
        AddTags=[{"Key": k, "Value": v} for k, v in sorted(old["Tags"].items())],
    )
    zone_id, record = failover_record(environment)
    route53.change_resource_record_sets(
        HostedZoneId=zone_id,
        ChangeBatch={"Changes": [{"Action": "UPSERT", "ResourceRecordSet": dict(record, HealthCheckId=new["Id"])}]},
    )
    global_watch = boto3.client("cloudwatch", region_name=GLOBAL_REGION)
    alarm = global_watch.describe_alarms(AlarmNames=[health_alarm_name(environment)])["MetricAlarms"][0]
    put_alarm_like(global_watch, alarm, Dimensions=[{"Name": "HealthCheckId", "Value": new["Id"]}])
    route53.delete_health_check(HealthCheckId=old["Id"])
    made["health_check"] = (old["Id"], new["Id"])
    return made


# -- what each drift touches, read back --------------------------------------------------------------
def replica_keys(environment):
    """The secondary replica's key as the home region's Replicas[] and the replica's own DescribeTable name it."""
    home = boto3.client("dynamodb", region_name=PRIMARY).describe_table(TableName=table_name(environment))["Table"]
    own = boto3.client("dynamodb", region_name=SECONDARY).describe_table(TableName=table_name(environment))["Table"]
    listed = next(r for r in home.get("Replicas", []) if r["RegionName"] == SECONDARY)
    return {"listed": listed.get("KMSMasterKeyId"), "own": (own.get("SSEDescription") or {}).get("KMSMasterKeyArn")}


def attributes(environment):
    """Each drifted attribute as AWS describes it."""
    group = app_group(environment)
    key = region_key(environment, SECONDARY)
    check = health_check(environment)
    _zone, record = failover_record(environment)
    health_alarm = boto3.client("cloudwatch", region_name=GLOBAL_REGION).describe_alarms(
        AlarmNames=[health_alarm_name(environment)]
    )["MetricAlarms"][0]
    alarm = boto3.client("cloudwatch", region_name=SECONDARY).describe_alarms(AlarmNames=[alarm_name(environment)])
    return {
        "security_group": sorted(
            (p["IpProtocol"], p.get("FromPort"), p.get("ToPort"), r["CidrIp"])
            for p in group["IpPermissions"]
            for r in p.get("IpRanges", [])
        ),
        "key_rotation": boto3.client("kms", region_name=SECONDARY).get_key_rotation_status(KeyId=key["KeyId"])[
            "KeyRotationEnabled"
        ],
        "subnet_tags": {t["Key"]: t["Value"] for t in public_subnet(environment)["Tags"]},
        "replica_key": replica_keys(environment),
        "alarm_actions": alarm["MetricAlarms"][0]["AlarmActions"],
        "health_check": {
            "id": check["Id"],
            "interval": check["HealthCheckConfig"]["RequestInterval"],
            "record": record.get("HealthCheckId"),
            "alarm": [d["Value"] for d in health_alarm["Dimensions"] if d["Name"] == "HealthCheckId"],
        },
    }


# -- the runs --------------------------------------------------------------------------------------
def self_signed(tmp_path, environment):
    """A certificate for *.<environment>.finproc.example (the service name api.<zone>), valid 90 days."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    zone = f"{environment}.finproc.example"
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, zone)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=90))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("*." + zone), x509.DNSName(zone)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
        )
    )
    return cert_file, key_file


class Run:
    """One ansible-playbook run: its process result, recap and task results (from the callback)."""

    def __init__(self, inventory, directory, label, *extra):
        results = directory / f"{label}.jsonl"
        env = {
            "ANSIBLE_CALLBACKS_ENABLED": "task_results",
            "ANSIBLE_CALLBACK_PLUGINS": str(CALLBACKS),
            "FINPROC_TASK_RESULTS": str(results),
        }
        self.process = run_site(inventory, *extra, env=env)
        self.output = self.process.stdout
        (directory / f"{label}.out").write_text(self.output)  # kept for whoever reads a failure
        assert self.process.returncode == 0, f"{label}: " + self.output[-4000:]
        self.recap = recap(self.output)
        lines = results.read_text().splitlines() if results.exists() else []
        self.tasks = [json.loads(line) for line in lines]
        # One line per task and host (not per loop item).
        self.changed = sorted(
            (t["host"], t["task"]) for t in self.tasks if t["status"] in ("ok", "failed") and t["changed"]
        )

    def result(self, host, task):
        found = [t for t in self.tasks if t["host"] == host and t["task"] == task and t["status"] == "ok"]
        assert len(found) == 1, (host, task, found)
        return found[0]


@pytest.fixture(scope="module")
def stack(tmp_path_factory, local_inventory_module):
    """A converged stack of its own, drifted six ways, then checked, repaired and run again."""
    directory = tmp_path_factory.mktemp("drift")
    environment = "dr" + uuid.uuid4().hex[:8]
    cert_file, key_file = self_signed(directory, environment)
    inventory = local_inventory_module
    inventory["all"]["vars"] = dict(inventory["all"].get("vars") or {}, dr_environment=environment)
    # The certificate of this environment's service name, where the local inventory names the emulator's.
    regions = inventory["all"]["children"]["regions"]["vars"]
    regions.update(dr_certificate_file=str(cert_file), dr_certificate_key_file=str(key_file))
    path = write_inventory(directory, inventory)
    Run(path, directory, "converge")
    converged = attributes(environment)
    made = make_drifts(environment)
    drifted = attributes(environment)
    before_check = snapshot()
    check = Run(path, directory, "check", "--check", "--diff")
    after_check = (snapshot(), attributes(environment))
    repair = Run(path, directory, "repair")
    repaired = attributes(environment)
    again = Run(path, directory, "again")
    return {
        "environment": environment,
        "made": made,
        "converged": converged,
        "drifted": drifted,
        "check": check,
        "check_changed_nothing": (before_check, drifted) == after_check,
        "repair": repair,
        "repaired": repaired,
        "again": again,
    }


@pytest.fixture(scope="module")
def local_inventory_module():
    import yaml

    return yaml.safe_load((ROOT / "inventories/local/hosts.yml").read_text())


# -- the tasks that name each drift ---------------------------------------------------------------
SG_TASK = "finproc.dr.network : Create or update the ALB and app security groups and their rules " + (
    "(ALB 80/443 in, app port out; app port from the ALB, HTTPS out)"
)
KEY_TASK = "finproc.dr.encryption : Create or update the KMS keys (the region's; the global region's on the primary)"
SUBNETS_TASK = "finproc.dr.network : Create or update the subnets (public and private, one of each per AZ)"
TABLE_TASK_PREFIX = "finproc.dr.data : Create or update the global table"
ALARMS_TASK = "finproc.dr.monitoring : Create or update the alarms " + (
    "(each notifies the topic when it fires and when it clears)"
)
HEALTH_CHECK_TASK = "finproc.dr.dns_failover : Create or update the region's health check " + (
    "(HTTPS on the load balancer, latency measured)"
)
# The monitor of every region names every region's health check by ID (its environment and its role's
# policy): a health check replaced behind our back leaves them naming a deleted one, which is a
# difference too, and the check run must say so.
MONITOR_TASKS = (
    "finproc.dr.monitoring : Create or update the health monitor function (packaged from files/health_check.py)",
    "finproc.dr.monitoring : Create or update the function's role (assumed by Lambda only), limited to its log group, "
    "its namespace, the health checks and the heartbeat items",
)
EXPECTED = {
    "security_group": {(PRIMARY, SG_TASK)},
    "key_rotation": {(SECONDARY, KEY_TASK)},
    "tag": {(PRIMARY, SUBNETS_TASK)},
    "replica_key": set(),  # LocalStack does not show it: see test_replica_key_changed
    "alarm_action": {(SECONDARY, ALARMS_TASK)},
    "health_check_interval": {(PRIMARY, HEALTH_CHECK_TASK)} | {(h, t) for h in REGIONS for t in MONITOR_TASKS},
}


def leaves(value, path=()):
    """{path: value} of every leaf of a dict (lists are leaves)."""
    if isinstance(value, dict):
        found = {}
        for key, item in value.items():
            found.update(leaves(item, path + (key,)))
        return found
    return {path: value}


def differing(diff):
    """The paths whose values differ between a diff's before and after (one diff, or a list of them)."""
    diffs = diff if isinstance(diff, list) else [diff]
    paths = set()
    for one in diffs:
        before, after = leaves(one.get("before") or {}), leaves(one.get("after") or {})
        paths |= {p for p in set(before) | set(after) if before.get(p, "<absent>") != after.get(p, "<absent>")}
    return paths


def shown(output, sign, text):
    """Whether the default output has a diff line starting with `sign` (+ or -) that holds `text`."""
    return any(line.startswith(sign) and text in line for line in output.splitlines())


# -- the runs as a whole --------------------------------------------------------------------------
def test_check_reports_exactly_the_drifted_tasks_and_changes_nothing(stack):
    check = stack["check"]
    expected = set().union(*EXPECTED.values())
    assert set(check.changed) == expected, sorted(set(check.changed) ^ expected)
    for host, counts in check.recap.items():
        assert counts["changed"] == len([1 for h, _t in expected if h == host]), (host, counts)
    assert stack["check_changed_nothing"], "the --check run changed the account"


def test_further_run_changes_nothing(stack):
    again = stack["again"]
    assert again.changed == [], again.changed
    assert set(again.recap) == {PRIMARY, SECONDARY}
    assert all(counts["changed"] == 0 for counts in again.recap.values()), again.recap
    assert stack["repaired"] == attributes(stack["environment"])


def test_further_run_waits_for_nothing(stack):
    # The NAT module read every gateway as available: the wait (a module run per region, polling
    # DescribeNatGateways) is skipped (roles/network/tasks/wait_nat.yml).
    waits = [t for t in stack["again"].tasks if t["action"] == "amazon.aws.ec2_vpc_nat_gateway_info"]
    assert waits == [], waits


# -- one test per drift kind ----------------------------------------------------------------------
def test_security_group_rule_added(stack):
    rogue = ("tcp", 22, 22, "10.0.0.0/8")
    assert rogue in stack["drifted"]["security_group"]
    diff = stack["check"].result(PRIMARY, SG_TASK)["diff"]
    app = "finproc-%s-app" % stack["environment"]
    assert differing(diff) == {(app, "rules", "tcp 22 10.0.0.0/8")}, differing(diff)
    assert shown(stack["check"].output, "-", "10.0.0.0/8")
    assert rogue not in stack["repaired"]["security_group"]
    assert stack["repaired"]["security_group"] == stack["converged"]["security_group"]


def test_key_rotation_turned_off(stack):
    assert stack["drifted"]["key_rotation"] is False
    diff = stack["check"].result(SECONDARY, KEY_TASK)["diff"]
    paths = differing(diff)
    assert paths and all("rotation" in "/".join(map(str, p)) for p in paths), (paths, diff)
    assert shown(stack["check"].output, "+", "rotation")
    assert stack["repaired"]["key_rotation"] is True


def test_tag_changed(stack):
    assert stack["drifted"]["subnet_tags"]["CostCenter"] == ROGUE_COST_CENTER
    diff = stack["check"].result(PRIMARY, SUBNETS_TASK)["diff"]
    assert differing(diff) == {("10.0.0.0/24", "tags", "CostCenter")}, differing(diff)
    assert shown(stack["check"].output, "-", f'"CostCenter": "{ROGUE_COST_CENTER}"')
    assert stack["repaired"]["subnet_tags"] == stack["converged"]["subnet_tags"]


def test_replica_key_changed(stack):
    """UpdateTable ReplicaUpdates[].Update.KMSMasterKeyId is how an operator re-keys a replica ("The KMS key
    of the replica that should be used for KMS encryption", UpdateReplicationGroupMemberAction - Amazon
    DynamoDB, https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateReplicationGroupMemberAction.html).
    LocalStack accepts the call and keeps the old key, in the home region's Replicas[] and in the replica's own
    SSEDescription: the drift cannot be shown here. The module's check/diff and repair of it are proven by
    tests/unit/plugins/modules/test_dynamodb_global_table.py (test_drift_replica_key_*); here, that the
    emulator still hides it (else this test must assert the check run names it), and that the table is
    reported unchanged and keeps the region's key."""
    converged, drifted = stack["converged"]["replica_key"], stack["drifted"]["replica_key"]
    rogue = stack["made"]["rogue_key"]
    assert rogue not in drifted.values(), "the emulator now shows a replica's new key: assert the check names it"
    assert drifted == converged
    assert not [t for h, t in stack["check"].changed if t.startswith(TABLE_TASK_PREFIX)]
    key = region_key(stack["environment"], SECONDARY)["Arn"]
    assert stack["repaired"]["replica_key"] == {"listed": key, "own": key}


def test_alarm_action_removed(stack):
    environment = stack["environment"]
    assert stack["drifted"]["alarm_actions"] == []
    diff = stack["check"].result(SECONDARY, ALARMS_TASK)["diff"]
    assert differing(diff) == {(alarm_name(environment), "alarm_actions")}, differing(diff)
    topic = stack["made"]["alarm_actions"][0]
    assert shown(stack["check"].output, "+", topic)
    assert stack["repaired"]["alarm_actions"] == stack["made"]["alarm_actions"]


def test_health_check_interval_changed(stack):
    """RequestInterval cannot be updated ("You can't change the value of RequestInterval after you create a
    health check", HealthCheckConfig - Amazon Route 53,
    https://docs.aws.amazon.com/Route53/latest/APIReference/API_HealthCheckConfig.html; UpdateHealthCheck takes
    no RequestInterval, https://docs.aws.amazon.com/Route53/latest/APIReference/API_UpdateHealthCheck.html):
    "changed behind our back" is a replacement (make_drifts). The check run names the interval on that health
    check; the repair makes a new one at 30 s, points the record and the alarm at it and deletes the other."""
    old, rogue = stack["made"]["health_check"]
    drifted, repaired = stack["drifted"]["health_check"], stack["repaired"]["health_check"]
    assert drifted == {"id": rogue, "interval": 10, "record": rogue, "alarm": [rogue]}
    diff = stack["check"].result(PRIMARY, HEALTH_CHECK_TASK)["diff"]
    assert diff == {"before": {"request_interval": 10}, "after": {"request_interval": 30}}, diff
    assert shown(stack["check"].output, "-", '"request_interval": 10')
    assert shown(stack["check"].output, "+", '"request_interval": 30')
    # The monitor's references name the deleted check before and the operator's after, nothing else.
    for host in REGIONS:
        for task in MONITOR_TASKS:
            found = stack["check"].result(host, task)["diff"]
            found = found if isinstance(found, list) else [found]
            before = json.dumps([d["before"] for d in found])
            after = json.dumps([d["after"] for d in found])
            assert old in before and old not in after and rogue in after, (host, task)
            assert before.replace(old, rogue) == after, (host, task)
    assert repaired["interval"] == 30 and repaired["id"] not in (old, rogue)
    assert repaired["record"] == repaired["id"] and repaired["alarm"] == [repaired["id"]]
    route53 = boto3.client("route53", region_name=GLOBAL_REGION)
    ids = {c["Id"] for c in route53.list_health_checks()["HealthChecks"]}
    assert rogue not in ids and old not in ids
    for region in (PRIMARY, SECONDARY):
        function = f"finproc-{stack['environment']}-health-monitor"
        config = boto3.client("lambda", region_name=region).get_function_configuration(FunctionName=function)
        watched = json.loads(config["Environment"]["Variables"]["FINPROC_HEALTH_CHECKS"])
        assert {"region": PRIMARY, "id": repaired["id"]} in watched, watched
