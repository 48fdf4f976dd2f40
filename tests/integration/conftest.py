"""Integration tests: site.yml against the emulator named by the environment (make integration).

Each test deploys under an environment name of its own (dr_environment), so it can tell its
resources from any others the emulator holds, and it also compares whole-account snapshots.
"""

import copy
import importlib.util
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import boto3
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
REGIONS = ("us-east-2", "us-west-2")
# Route53 health-check metrics, their alarms and the alarms' topic (and its key) live here.
GLOBAL_REGION = "us-east-1"


# make integration runs these tests in two shards at once (FINPROC_TEST_SHARD=k/2, scripts/shards.py), each
# on an emulator of its own, so that one shard's whole-account snapshots never see the other's stacks:
# shard 1 uses the emulator the environment names, shard k >= 2 the embedded emulator's instance k-1
# (scripts/emulator.py FINPROC_EMULATOR_INSTANCE), started here if it is not running and stopped at the
# end if started here. A shard runs whole files, so a file's module fixtures are built once.
SHARD = os.environ.get("FINPROC_TEST_SHARD", "")
# Seconds of each file in a serial run on 2 cores (make integration's --durations): the shards' balance.
WEIGHTS = {
    "test_regions.py": 330,
    "test_drift.py": 300,
    "test_lifecycle.py": 285,
    "test_permissions.py": 210,
    "test_lost_answers.py": 170,
    "test_preflight.py": 75,
    "test_check_mode.py": 36,
    "test_own_playbook.py": 22,
    "test_certificate_request.py": 21,
}


def _load_script(name):
    spec = importlib.util.spec_from_file_location(f"finproc_{name}", ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _shard():
    """(k, n) of FINPROC_TEST_SHARD, or (1, 1)."""
    if not SHARD:
        return 1, 1
    try:
        return _load_script("shards").parse(SHARD)
    except ValueError as problem:
        raise pytest.UsageError(f"FINPROC_TEST_SHARD: {problem}") from None


def _emulator_command(command, instance):
    env = dict(os.environ, FINPROC_EMULATOR_INSTANCE=str(instance))
    return subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "emulator.py"), command],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def pytest_configure(config):
    instance = _shard()[0] - 1
    if instance == 0 or not os.environ.get("AWS_ENDPOINT_URL"):
        return
    if os.environ.get("FINPROC_EMULATOR") != "embedded":
        raise pytest.UsageError("shards need the embedded emulator (an account of their own each)")
    started = _emulator_command("up", instance)
    if started.returncode != 0:
        raise pytest.UsageError(f"emulator instance {instance} did not start: {started.stdout}{started.stderr}")
    config.finproc_started_instance = instance if "started" in started.stdout else None
    lines = _emulator_command("env", instance).stdout.splitlines()
    for key in [k for k in os.environ if k.startswith("AWS_ENDPOINT_URL_")]:
        del os.environ[key]
    for line in lines:
        if line.startswith("export "):
            key, value = line[len("export ") :].split("=", 1)
            os.environ[key] = value


def pytest_unconfigure(config):
    if getattr(config, "finproc_started_instance", None):
        _emulator_command("down", config.finproc_started_instance)


def pytest_collection_modifyitems(config, items):
    index, count = _shard()
    if count == 1:
        return
    files = list(dict.fromkeys(Path(str(item.fspath)).name for item in items))
    mine = set(_load_script("shards").assign(files, WEIGHTS, count)[index - 1])
    config.hook.pytest_deselected(items=[item for item in items if Path(str(item.fspath)).name not in mine])
    items[:] = [item for item in items if Path(str(item.fspath)).name in mine]


@pytest.fixture(scope="session", autouse=True)
def _emulator():
    url = os.environ.get("AWS_ENDPOINT_URL", "")
    if not re.match(r"^https?://(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?/?$", url):
        pytest.exit("integration tests need an emulator on loopback: run them with 'make integration'", 2)


@pytest.fixture
def environment_name():
    return "it" + uuid.uuid4().hex[:8]


@pytest.fixture
def local_inventory():
    return yaml.safe_load((ROOT / "inventories/local/hosts.yml").read_text())


def hosts_of(inventory):
    return inventory["all"]["children"]["regions"]["hosts"]


def write_inventory(tmp_path, inventory):
    path = tmp_path / "hosts.yml"
    path.write_text(yaml.safe_dump(inventory))
    return path


def environment_certificate(inventory_path, extra_vars):
    """-e dr_certificate_file=<a certificate of the run's environment>, when the run imports the emulator's.

    Preflight refuses a certificate that does not cover the service name api.<environment>.finproc.example
    (plugins/module_utils/certificates.py); the emulator's covers *.dev.finproc.example, and each test
    deploys under an environment of its own: scripts/emulator.py environment_certificate makes it one
    with the emulator's key (tls/key.pem, still the key imported), once per environment.
    Nothing when the run sets the certificate itself, or the inventory names a certificate of its own.
    """
    extra_vars = extra_vars or {}
    try:
        inventory = yaml.safe_load(Path(inventory_path).read_text()) or {}
        group = inventory["all"]["children"]["regions"].get("vars") or {}
    except (OSError, KeyError, TypeError, AttributeError, yaml.YAMLError):
        return []
    environment = extra_vars.get("dr_environment") or (inventory["all"].get("vars") or {}).get("dr_environment")
    if not environment or environment == "dev" or "dr_certificate_file" in extra_vars:
        return []
    if "FINPROC_EMULATOR_DIR" not in str(group.get("dr_certificate_file", "")):
        return []
    return ["-e", f"dr_certificate_file={_load_script('emulator').environment_certificate(environment)}"]


def site_command(inventory_path, *extra, extra_vars=None, playbook="site.yml", env=None):
    """(command, environment) of ansible-playbook with the repository's ansible.cfg, no colour; `env`:
    more environment variables."""
    cmd = ["ansible-playbook", "-i", str(inventory_path), playbook, *extra]
    for key, value in (extra_vars or {}).items():
        cmd += ["-e", "@" + str(value) if key == "_extra" else f"{key}={value}"]
    cmd += environment_certificate(inventory_path, extra_vars)
    env = dict(
        os.environ,
        ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_FORCE_COLOR="0",
        **(env or {}),
    )
    return cmd, env


def run_site(inventory_path, *extra, extra_vars=None, playbook="site.yml", env=None):
    """Run ansible-playbook (site_command) to its end."""
    cmd, env = site_command(inventory_path, *extra, extra_vars=extra_vars, playbook=playbook, env=env)
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900, check=False)


def kill_site_at(inventory_path, marker, delay, extra_vars=None, env=None):
    """Start ansible-playbook (site_command) and kill it and every process it started (SIGKILL to its
    process group: a machine or a CI runner dying, nothing cleaned up) `delay` seconds after a line
    containing `marker` appears. Returns the output up to then; fails if the run ended first."""
    cmd, env = site_command(inventory_path, extra_vars=extra_vars, env=env)
    run = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
    )
    output = []
    try:
        for line in run.stdout:
            output.append(line)
            if marker in line:
                time.sleep(delay)
                break
        assert run.poll() is None, "the run ended before it could be interrupted:\n" + "".join(output[-60:])
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
        run.wait(timeout=60)
    return "".join(output)


def recap(output):
    """{host: {ok, changed, failed, ...}} from the PLAY RECAP."""
    result = {}
    for host, counts in re.findall(r"^(\S+)\s+:\s+(ok=.*)$", output, re.M):
        result[host] = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", counts)}
    return result


def snapshot():
    """Everything of the account the foundation could create, in every region of the inventory."""
    state = {}
    for region in REGIONS:
        ec2 = boto3.client("ec2", region_name=region)
        logs = boto3.client("logs", region_name=region)
        state[region] = {
            "vpcs": sorted(v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]),
            "subnets": sorted(s["SubnetId"] for s in ec2.describe_subnets()["Subnets"]),
            "security_groups": sorted(g["GroupId"] for g in ec2.describe_security_groups()["SecurityGroups"]),
            "nat_gateways": sorted(
                n["NatGatewayId"] for n in ec2.describe_nat_gateways()["NatGateways"] if n["State"] != "deleted"
            ),
            "addresses": sorted(a.get("AllocationId", "") for a in ec2.describe_addresses()["Addresses"]),
            "route_tables": sorted(t["RouteTableId"] for t in ec2.describe_route_tables()["RouteTables"]),
            "flow_logs": sorted(f["FlowLogId"] for f in ec2.describe_flow_logs()["FlowLogs"]),
            **_kms_snapshot(region),
            "log_groups": sorted(g["logGroupName"] for g in logs.describe_log_groups()["logGroups"]),
            "tables": sorted(boto3.client("dynamodb", region_name=region).list_tables()["TableNames"]),
            **traffic_snapshot(region),
            **monitoring_snapshot(region),
        }
    state["global"] = global_snapshot()
    iam = boto3.client("iam", region_name=REGIONS[0])
    state["iam_roles"] = sorted(r["RoleName"] for r in iam.list_roles()["Roles"])
    state["buckets"] = sorted(b["Name"] for b in boto3.client("s3", region_name=REGIONS[0]).list_buckets()["Buckets"])
    return state


def _kms_snapshot(region):
    kms = boto3.client("kms", region_name=region)
    return {
        "kms_keys": sorted(
            k["KeyId"]
            for k in kms.list_keys()["Keys"]
            if kms.describe_key(KeyId=k["KeyId"])["KeyMetadata"]["KeyState"] != "PendingDeletion"
        ),
        "kms_aliases": sorted(a["AliasName"] for a in kms.list_aliases()["Aliases"]),
    }


def traffic_snapshot(region):
    """The load balancing of one region: load balancers, target groups, certificates."""
    elbv2 = boto3.client("elbv2", region_name=region)
    acm = boto3.client("acm", region_name=region)
    return {
        "load_balancers": sorted(b["LoadBalancerName"] for b in elbv2.describe_load_balancers()["LoadBalancers"]),
        "target_groups": sorted(g["TargetGroupName"] for g in elbv2.describe_target_groups()["TargetGroups"]),
        "certificates": sorted(c["CertificateArn"] for c in acm.list_certificates()["CertificateSummaryList"]),
    }


def monitoring_snapshot(region):
    """The monitoring of one region: functions, schedules, alarms, dashboards, topics."""
    cloudwatch = boto3.client("cloudwatch", region_name=region)
    return {
        "functions": sorted(
            f["FunctionName"] for f in boto3.client("lambda", region_name=region).list_functions()["Functions"]
        ),
        "rules": sorted(r["Name"] for r in boto3.client("events", region_name=region).list_rules()["Rules"]),
        "alarms": sorted(a["AlarmName"] for a in cloudwatch.describe_alarms()["MetricAlarms"]),
        "dashboards": sorted(d["DashboardName"] for d in cloudwatch.list_dashboards()["DashboardEntries"]),
        "topics": sorted(t["TopicArn"] for t in boto3.client("sns", region_name=region).list_topics()["Topics"]),
    }


def global_snapshot():
    """What lives in the global region and in Route53: key, alarms, topics, health checks, zones, records."""
    cloudwatch = boto3.client("cloudwatch", region_name=GLOBAL_REGION)
    sns = boto3.client("sns", region_name=GLOBAL_REGION)
    route53 = boto3.client("route53", region_name=GLOBAL_REGION)
    zones = route53.list_hosted_zones()["HostedZones"]
    records = []
    for zone in zones:
        for record in route53.list_resource_record_sets(HostedZoneId=zone["Id"])["ResourceRecordSets"]:
            if record["Type"] not in ("NS", "SOA"):
                records.append(f"{record['Name']} {record['Type']} {record.get('SetIdentifier', '')}")
    return {
        **_kms_snapshot(GLOBAL_REGION),
        "alarms": sorted(a["AlarmName"] for a in cloudwatch.describe_alarms()["MetricAlarms"]),
        "topics": sorted(t["TopicArn"] for t in sns.list_topics()["Topics"]),
        "health_checks": sorted(c["Id"] for c in route53.list_health_checks()["HealthChecks"]),
        "hosted_zones": sorted(z["Name"] for z in zones),
        "records": sorted(records),
    }


def ours(state, environment):
    """The resources named after this test's environment, in a snapshot."""
    marker = f"-{environment}"
    found = [
        name
        for region in REGIONS
        for name in state[region]["kms_aliases"] + state[region]["log_groups"]
        if environment in name
    ]
    found += [name for name in state["iam_roles"] + state["buckets"] if marker in name]
    found += [name for region in REGIONS for name in state[region]["tables"] if marker in name]
    found += [
        name
        for region in REGIONS
        for name in state[region]["load_balancers"] + state[region]["target_groups"]
        if marker in name
    ]
    found += [
        name
        for region in REGIONS
        for key in ("functions", "rules", "alarms", "dashboards", "topics")
        for name in state[region][key]
        if marker in name
    ]
    found += [
        name
        for key in ("kms_aliases", "alarms", "topics", "hosted_zones", "records")
        for name in state["global"][key]
        if environment in name
    ]
    return found


__all__ = ["copy", "hosts_of", "write_inventory", "run_site", "recap", "snapshot", "ours", "GLOBAL_REGION"]
