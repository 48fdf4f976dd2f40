"""The monitoring role's state: the health-monitor function, its schedule and permission, its role
and policy, log groups, topic, alarms and dashboard; then the handler itself, run in-process with
the function's deployed configuration (monitoring issue).

The emulators cannot run a Lambda function (no Docker here) and EventBridge schedules never fire,
so the last tests import files/health_check.py and call its handler with the environment the role
gave the deployed function, against the emulator, and read back the metrics it put.

What verify.yml does not check: the function's handler, role, timeout, log group, code and configuration; the
schedule's only target and the function's only invoker; the role's trust, policy name and the resources each
statement names; exactly the designed alarms and what each watches; the dashboard; the handler's run; Name
tags. The rest is verify.yml's (monitor-function, log-groups, monitor-role-least-privilege, alarm-actions,
tags, the access paths: see conftest.py).
"""

import importlib.util
import json
import os
import socket
import ssl
import sys
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import Aws, assert_named, assert_tagged, tags_of

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / ".collections"))


def _names(expected):
    prefix = expected["name_prefix"]
    return {
        "function": f"{prefix}-health-monitor",
        "log_group": f"/aws/lambda/{prefix}-health-monitor",
        "role": f"{prefix}-monitor-{expected['region']}",
        "rule": f"{prefix}-health-monitor",
        "topic": f"{prefix}-monitoring",
        "dashboard": f"{prefix}-{expected['region']}",
        "alarm_prefix": f"{prefix}-{expected['region']}-monitor-",
    }


def _alb_dns_name(region, expected):
    name = f"{expected['name_prefix']}-alb"
    return Aws(region).elbv2.describe_load_balancers(Names=[name])["LoadBalancers"][0]["DNSName"]


def _health_check_id(region, expected):
    route53 = Aws("us-east-1").route53
    wanted = f"{expected['name_prefix']}-{region}"
    for check in route53.list_health_checks()["HealthChecks"]:
        tags = route53.list_tags_for_resource(ResourceType="healthcheck", ResourceId=check["Id"])
        if tags_of(tags["ResourceTagSet"]).get("Name") == wanted:
            return check["Id"]
    raise AssertionError(f"no health check named {wanted}")


def _table_regions(all_expected):
    """Every region of the play holds a replica of the global table."""
    return sorted(e["region"] for e in all_expected)


@pytest.fixture
def lam(aws):
    """The Lambda client ('lambda' is a Python keyword)."""
    return getattr(aws, "lambda")


def test_the_function_runs_the_repository_handler_with_its_role_key_and_log_group(aws, lam, expected):
    names = _names(expected)
    function = lam.get_function(FunctionName=names["function"])
    config = function["Configuration"]
    # Active, its runtime, its environment encrypted with the region's key: monitor-function.
    assert config["Handler"] == "health_check.handler"
    assert config["Role"].endswith(f":role/{names['role']}")
    assert config["Timeout"] > 50, "the handler's deadline (50 s) must fit in the function's timeout"
    assert config["LoggingConfig"]["LogGroup"] == names["log_group"]
    from ansible_collections.finproc.dr.plugins.modules import lambda_function

    source = (ROOT / "files" / "health_check.py").read_bytes()
    local = lambda_function.code_sha256(lambda_function.build_package({"health_check.py": source}))
    assert config["CodeSha256"] == local, "the deployed code is not files/health_check.py"
    # Required tags: tags.
    assert_named("function", function.get("Tags", {}), names["function"])


def test_the_function_is_configured_to_watch_every_region(aws, lam, expected, all_expected):
    env = lam.get_function(FunctionName=_names(expected)["function"])["Configuration"]["Environment"]["Variables"]
    assert env["FINPROC_NAMESPACE"] == expected["monitoring_namespace"]
    endpoints = json.loads(env["FINPROC_ENDPOINTS"])
    path = expected["health_check_path"]
    wanted = [
        {
            "region": peer["region"],
            "target": "load-balancer",
            "url": f"https://{_alb_dns_name(peer['region'], expected)}{path}",
            "server_name": expected["service_name"],
        }
        for peer in all_expected
    ] + [{"region": "global", "target": "service-name", "url": f"https://{expected['service_name']}{path}"}]
    assert sorted(endpoints, key=json.dumps) == sorted(wanted, key=json.dumps)
    checks = json.loads(env["FINPROC_HEALTH_CHECKS"])
    assert sorted(c["id"] for c in checks) == sorted(_health_check_id(p["region"], expected) for p in all_expected)
    assert env["FINPROC_TABLE_NAME"] == expected["table_name"]
    assert env["FINPROC_TABLE_KEY"] == expected["table_hash_key"]
    peers = json.loads(env["FINPROC_PEER_REGIONS"])
    assert sorted(peers) == [r for r in _table_regions(all_expected) if r != expected["region"]]
    assert float(env["FINPROC_DEADLINE_SECONDS"]) < 60


def test_the_schedule_is_the_only_target_of_its_rule_and_the_only_invoker_of_the_function(aws, lam, expected):
    """The rule ENABLED on the schedule, targeting the function: monitor-function; its required tags: tags."""
    names = _names(expected)
    rule = aws.events.describe_rule(Name=names["rule"])
    targets = aws.events.list_targets_by_rule(Rule=names["rule"])["Targets"]
    function_arn = lam.get_function(FunctionName=names["function"])["Configuration"]["FunctionArn"]
    assert [t["Arn"] for t in targets] == [function_arn]
    tags = aws.events.list_tags_for_resource(ResourceARN=rule["Arn"])["Tags"]
    assert_named("schedule rule", tags_of({"Tags": tags}), names["rule"])
    policy = json.loads(lam.get_policy(FunctionName=names["function"])["Policy"])
    statements = policy["Statement"]
    assert len(statements) == 1, f"only the schedule may invoke the function: {statements}"
    (statement,) = statements
    assert statement["Effect"] == "Allow"
    assert statement["Action"] == "lambda:InvokeFunction"
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}
    assert statement["Condition"]["ArnLike"]["AWS:SourceArn"] == rule["Arn"]


def test_the_log_groups_are_named(aws, expected):
    """Present, encrypted with the region's key and kept the retention: log-groups; required tags: tags."""
    for name in (_names(expected)["log_group"], expected["application_log_group"]):
        tags = aws.logs.list_tags_log_group(logGroupName=name)["tags"]
        assert_named(f"log group {name}", tags, name)


def test_the_role_is_assumed_by_lambda_only_and_names_every_resource_it_may_touch(aws, expected, all_expected):
    names = _names(expected)
    role = aws.iam.get_role(RoleName=names["role"])["Role"]
    trust = role["AssumeRolePolicyDocument"]
    trust = json.loads(trust) if isinstance(trust, str) else trust
    assert [s["Principal"] for s in trust["Statement"]] == [{"Service": "lambda.amazonaws.com"}]
    # No managed policy, no wildcard action, the resource * only for cloudwatch:PutMetricData held to the
    # namespace by a StringEquals condition: monitor-role-least-privilege.
    assert aws.iam.list_role_policies(RoleName=names["role"])["PolicyNames"] == ["health-monitor"]
    document = aws.iam.get_role_policy(RoleName=names["role"], PolicyName="health-monitor")["PolicyDocument"]
    document = json.loads(document) if isinstance(document, str) else document
    statements = {s["Sid"]: s for s in document["Statement"]}
    account = role["Arn"].split(":")[4]
    logs = statements["WriteItsOwnLogGroup"]
    assert logs["Resource"] == f"arn:aws:logs:{expected['region']}:{account}:log-group:{names['log_group']}:*"
    route53 = statements["ReadTheRegionsHealthChecks"]
    assert route53["Action"] == "route53:GetHealthCheckStatus"
    assert sorted(route53["Resource"]) == sorted(
        f"arn:aws:route53:::healthcheck/{_health_check_id(p['region'], expected)}" for p in all_expected
    )
    table = statements["WriteAndReadHeartbeatItemsOnly"]
    assert sorted(table["Action"]) == ["dynamodb:GetItem", "dynamodb:PutItem"]
    assert sorted(table["Resource"]) == sorted(
        f"arn:aws:dynamodb:{r}:{account}:table/{expected['table_name']}" for r in _table_regions(all_expected)
    )
    assert table["Condition"] == {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["finproc-monitor#heartbeat#*"]}}
    assert_tagged("monitor role", tags_of(role), expected, name=names["role"])


def _alarms(aws, expected):
    prefix = _names(expected)["alarm_prefix"]
    return {a["AlarmName"]: a for a in aws.cloudwatch.describe_alarms(AlarmNamePrefix=prefix)["MetricAlarms"]}


def test_exactly_the_designed_alarms(aws, expected, all_expected):
    """The topic encrypted with the region's key, the alarms it needs at least present and each notifying the
    topic on ALARM and OK with actions enabled: alarm-actions; the topic's and the alarms' required tags: tags."""
    names = _names(expected)
    topic_arn = next(
        t["TopicArn"] for t in aws.sns.list_topics()["Topics"] if t["TopicArn"].endswith(f":{names['topic']}")
    )
    assert_named("topic", tags_of(aws.sns.list_tags_for_resource(ResourceArn=topic_arn)), names["topic"])
    alarms = _alarms(aws, expected)
    prefix = names["alarm_prefix"]
    peers = [r for r in _table_regions(all_expected) if r != expected["region"]]
    wanted = {"self", "service-name", "lambda-errors"}
    wanted |= {"heartbeat-write"} if peers else set()
    wanted |= {f"endpoint-{p['region']}" for p in all_expected}
    wanted |= {
        f"{kind}-{peer}"
        for peer in peers
        for kind in ("replication-lag", "heartbeat-age", "dynamodb-replication-latency")
    }
    # The primary replicates its bucket to every secondary; a secondary back to the primary.
    destinations = (
        peers if expected["dr_role"] == "primary" else [p["region"] for p in all_expected if p["dr_role"] == "primary"]
    )
    wanted |= {f"s3-replication-{kind}-to-{d}" for d in destinations for kind in ("failures", "latency")}
    assert set(alarms) == {prefix + w for w in wanted}


def test_the_alarms_watch_the_monitor_metrics_against_the_rpo_target(aws, expected):
    alarms = _alarms(aws, expected)
    prefix = _names(expected)["alarm_prefix"]
    namespace = expected["monitoring_namespace"]
    rpo = float(expected["rpo_target_seconds"])
    this = alarms[prefix + "self"]
    assert (this["Namespace"], this["MetricName"], this["TreatMissingData"]) == (
        namespace,
        "ConfigurationError",
        "breaching",
    )
    endpoint = alarms[f"{prefix}endpoint-{expected['region']}"]
    assert endpoint["MetricName"] == "EndpointHealthy"
    assert {d["Name"]: d["Value"] for d in endpoint["Dimensions"]} == {
        "Region": expected["region"],
        "Target": "load-balancer",
    }
    assert (endpoint["ComparisonOperator"], endpoint["Threshold"]) == ("LessThanThreshold", 1.0)
    # CloudWatch user guide, "Configuring how CloudWatch alarms treat missing data"
    # (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarms-and-missing-data.html): with
    # `missing` an alarm without data goes to INSUFFICIENT_DATA, which notifies nobody; `breaching` raises it.
    heartbeat_write = alarms.get(prefix + "heartbeat-write")
    if heartbeat_write is not None:
        assert (heartbeat_write["Namespace"], heartbeat_write["MetricName"], heartbeat_write["Statistic"]) == (
            namespace,
            "HeartbeatWriteFailed",
            "Maximum",
        )
        assert {d["Name"]: d["Value"] for d in heartbeat_write["Dimensions"]} == {
            "Region": expected["region"],
            "Target": "global-table",
        }
        assert (heartbeat_write["ComparisonOperator"], heartbeat_write["Threshold"]) == (
            "GreaterThanOrEqualToThreshold",
            1.0,
        )
        assert heartbeat_write["Period"] == this["Period"]
        assert heartbeat_write["TreatMissingData"] == "missing"  # a silent monitor is the self alarm's
    for name, alarm in alarms.items():
        if "-replication-lag-" in name:
            # Its threshold, the RPO target, and its missing data breaching: alarm-actions.
            assert (alarm["Namespace"], alarm["MetricName"]) == (namespace, "ReplicationLagSeconds")
        if "-heartbeat-age-" in name:
            assert alarm["TreatMissingData"] == "breaching", f"{name}: no heartbeat of the peer must raise it"
        if "-dynamodb-replication-latency-" in name:
            dims = {d["Name"]: d["Value"] for d in alarm["Dimensions"]}
            assert alarm["Namespace"] == "AWS/DynamoDB" and alarm["Threshold"] == rpo * 1000
            assert dims == {
                "TableName": expected["table_name"],
                "ReceivingRegion": name.rsplit("latency-", 1)[1],
            }
        if "-s3-replication-failures-" in name:
            assert (alarm["Namespace"], alarm["MetricName"], alarm["Statistic"]) == (
                "AWS/S3",
                "OperationsFailedReplication",
                "Sum",
            )


def test_the_dashboard_shows_the_alarms_and_the_monitor_metrics(aws, expected):
    names = _names(expected)
    dashboard = aws.cloudwatch.get_dashboard(DashboardName=names["dashboard"])
    tags = aws.cloudwatch.list_tags_for_resource(ResourceARN=dashboard["DashboardArn"])["Tags"]
    assert_tagged("dashboard", tags_of({"Tags": tags}), expected, name=names["dashboard"])
    body = json.loads(dashboard["DashboardBody"])
    widgets = body["widgets"]
    alarm_widget = next(w for w in widgets if w["type"] == "alarm")
    assert sorted(a.rsplit(":", 1)[1] for a in alarm_widget["properties"]["alarms"]) == sorted(_alarms(aws, expected))
    metrics = [m for w in widgets if w["type"] == "metric" for m in w["properties"]["metrics"]]
    shown = {(m[0], m[1]) for m in metrics}
    namespace = expected["monitoring_namespace"]
    for metric in (
        "EndpointHealthy",
        "EndpointLatency",
        "HealthCheckHealthy",
        "ReplicationLagSeconds",
        "HeartbeatAgeSeconds",
    ):
        assert (namespace, metric) in shown, f"dashboard does not show {metric}"
    assert ("AWS/Lambda", "Errors") in shown
    if any(name.endswith("-heartbeat-write") for name in _alarms(aws, expected)):
        assert (namespace, "HeartbeatWriteFailed") in shown, "dashboard does not show HeartbeatWriteFailed"


# --- The handler, in-process, with the deployed configuration -------------------------------------


def _load_handler():
    spec = importlib.util.spec_from_file_location("health_check_under_test", ROOT / "files" / "health_check.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


class _Health(BaseHTTPRequestHandler):
    """The application's /health as a load balancer would answer it: 200 from one region."""

    def do_GET(self):  # noqa: N802 (http.server's name)
        body = b'{"status":"ok"}'
        self.send_response(200 if self.path == "/health" else 404)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):  # noqa: A002 (http.server's signature)
        return


@pytest.fixture
def healthy_endpoint():
    """An HTTPS server on 127.0.0.1 with the emulator's certificate (*.<zone>)."""
    tls_dir = Path(os.environ["FINPROC_EMULATOR_DIR"]) / "tls"
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tls_dir / "cert.pem", tls_dir / "key.pem")
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], str(tls_dir / "cert.pem")
    server.shutdown()
    server.server_close()


def _metric(aws, namespace, name, region, target, since):
    stats = aws.cloudwatch.get_metric_statistics(
        Namespace=namespace,
        MetricName=name,
        Dimensions=[{"Name": "Region", "Value": region}, {"Name": "Target", "Value": target}],
        StartTime=since,
        EndTime=datetime.now(UTC) + timedelta(minutes=5),
        Period=60,
        Statistics=["Maximum", "Minimum"],
    )["Datapoints"]
    return stats


def test_the_handler_with_the_deployed_configuration_puts_the_metrics_the_alarms_watch(
    aws, lam, expected, all_expected, healthy_endpoint, monkeypatch
):
    """Lambda cannot run here (no Docker): the handler runs in-process with the function's
    environment. The primary's load balancer name is routed to a local HTTPS server holding the
    emulator's certificate for the service name; every other name is refused, as an unreachable
    region would be (nothing leaves this machine)."""
    port, ca_bundle = healthy_endpoint
    function = lam.get_function(FunctionName=_names(expected)["function"])["Configuration"]
    env = function["Environment"]["Variables"]
    primary = next(p for p in all_expected if p["dr_role"] == "primary")
    healthy_host = _alb_dns_name(primary["region"], expected)
    real_create_connection = socket.create_connection

    def route(address, *args, **kwargs):
        host, remote_port = address
        if host == healthy_host and remote_port == 443:
            return real_create_connection(("127.0.0.1", port), *args, **kwargs)
        if host in ("127.0.0.1", "localhost"):
            return real_create_connection(address, *args, **kwargs)
        raise socket.gaierror(socket.EAI_NONAME, f"{host} is not served by the emulator")

    health_check = _load_handler()
    monkeypatch.setattr(health_check.socket, "create_connection", route)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_REGION", expected["region"])
    monkeypatch.setenv("FINPROC_CA_BUNDLE", ca_bundle)
    monkeypatch.setenv("FINPROC_DEADLINE_SECONDS", "15")
    since = datetime.now(UTC) - timedelta(minutes=5)

    summary = health_check.handler({}, None)

    namespace = env["FINPROC_NAMESPACE"]
    assert _metric(aws, namespace, "ConfigurationError", expected["region"], "monitor", since)[-1]["Maximum"] == 0
    healthy = _metric(aws, namespace, "EndpointHealthy", primary["region"], "load-balancer", since)
    assert healthy and max(p["Maximum"] for p in healthy) == 1, f"primary endpoint not healthy: {summary}"
    for peer in all_expected:
        if peer["dr_role"] != "primary":
            down = _metric(aws, namespace, "EndpointHealthy", peer["region"], "load-balancer", since)
            assert down and min(p["Minimum"] for p in down) == 0
        checks = _metric(aws, namespace, "HealthCheckHealthy", peer["region"], "route53-health-check", since)
        assert checks, f"no Route53 health-check metric for {peer['region']}"
    service = _metric(aws, namespace, "EndpointHealthy", "global", "service-name", since)
    assert service and min(p["Minimum"] for p in service) == 0
    for peer in json.loads(env["FINPROC_PEER_REGIONS"]):
        lag = _metric(aws, namespace, "ReplicationLagSeconds", peer, "global-table", since)
        assert lag, f"no replication lag measured into {peer}: {summary}"
        assert max(p["Maximum"] for p in lag) < float(expected["rpo_target_seconds"])
    if json.loads(env["FINPROC_PEER_REGIONS"]):  # what the heartbeat-write alarm watches
        written = _metric(aws, namespace, "HeartbeatWriteFailed", expected["region"], "global-table", since)
        assert written and max(p["Maximum"] for p in written) == 0, f"heartbeat write failed: {summary}"
