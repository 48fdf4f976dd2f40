"""failover_probe against botocore Stubbers with a fake clock, and against moto in-process.

Every request is checked against the API model and its expected parameters; every reply against
the model. A request nobody queued fails, and the Stubbers must be drained. The fake clock makes
the waits instant: sleeping advances the module's monotonic clock.
"""

import json
import socket
import threading
import time
import uuid

import boto3
import pytest
from ansible.module_utils.testing import patch_module_args
from ansible_collections.amazon.aws.plugins.module_utils import modules as aws_modules
from ansible_collections.finproc.dr.plugins.modules import failover_probe
from aws_stub import fake_clock, record_requests, run_module, stubbed_client
from botocore.stub import ANY

HC_ID = "0a1b2c3d-4e5f-4a7b-8c9d-0e1f2a3b4c5d"
ZONE = "Z0123456789ABCDEFGHIJ"
RECORD = "app.finproc.example"
PRIMARY = "finproc-prod-alb-1111111111.us-east-2.elb.amazonaws.com"
SECONDARY = "finproc-prod-alb-2222222222.us-west-2.elb.amazonaws.com"
PRIMARY_IPS = ["192.0.2.10", "192.0.2.11"]
SECONDARY_IPS = ["198.51.100.7", "198.51.100.8"]
# The secondary's name resolves here to another pair than the answer: ALB addresses rotate.
SECONDARY_RESOLVED = ["198.51.100.8", "198.51.100.9"]
DNS_ARGS = {
    "measure": "dns_failover",
    "health_check_id": HC_ID,
    "expect_health": "unhealthy",
    "hosted_zone_id": ZONE,
    "record_name": RECORD,
    "expect_answer_from": SECONDARY,
}
DNS_QUERY = {"HostedZoneId": ZONE, "RecordName": RECORD, "RecordType": "A"}
STATUS_QUERY = {"HealthCheckId": HC_ID}
TABLE = "finproc-prod-ledger"
CANARY_UUID = uuid.UUID("7c9e6679-7425-40de-944b-e07fc1f90ae7")
CANARY = f"finproc-drill#canary#{CANARY_UUID}"
KEY = {"pk": {"S": CANARY}}
REPLICATION_ARGS = {
    "measure": "replication",
    "table_name": TABLE,
    "key_name": "pk",
    "source_region": "us-east-2",
    "destination_region": "us-west-2",
}
GET_QUERY = {
    "TableName": TABLE,
    "Key": KEY,
    "ConsistentRead": True,
    "ProjectionExpression": "#k",
    "ExpressionAttributeNames": {"#k": "pk"},
}


# -- harness ---------------------------------------------------------------------------------------
@pytest.fixture
def clock(monkeypatch):
    return fake_clock(monkeypatch, failover_probe)


@pytest.fixture
def sent(route53):
    return record_requests(route53[0])


@pytest.fixture
def resolved(monkeypatch):
    """socket.getaddrinfo for the load balancers; each call is recorded (name, family)."""
    calls = []
    addresses = {PRIMARY: PRIMARY_IPS, SECONDARY: SECONDARY_RESOLVED}

    def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
        calls.append((host, family))
        if host not in addresses:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, 0)) for ip in addresses[host]]

    monkeypatch.setattr(failover_probe.socket, "getaddrinfo", getaddrinfo)
    return calls


def run_dns(route53, monkeypatch, capsys, **args):
    return run_module(failover_probe.main, dict(DNS_ARGS, **args), route53[0], monkeypatch, capsys)


def health_check(stub, inverted=False):
    """GetHealthCheck, read once at the start of every dns_failover run: the check and its Inverted flag."""
    check = {
        "Id": HC_ID,
        "CallerReference": "finproc-prod-us-east-2",
        "HealthCheckConfig": {
            "Type": "HTTPS",
            "FullyQualifiedDomainName": PRIMARY,
            "Port": 443,
            "ResourcePath": "/health",
            "Inverted": inverted,
        },
        "HealthCheckVersion": 3,
    }
    stub.add_response("get_health_check", {"HealthCheck": check}, STATUS_QUERY)


def status(healthy, total=8):
    """GetHealthCheckStatus: `healthy` of `total` checkers report Success."""
    observations = []
    for index in range(total):
        text = "Success: HTTP Status Code 200, OK" if index < healthy else "Failure: HTTP Status Code 503"
        observations.append({"Region": "us-east-1", "IPAddress": f"15.177.0.{index}", "StatusReport": {"Status": text}})
    return {"HealthCheckObservations": observations}


def answer(ips, code="NOERROR"):
    return {
        "Nameserver": "ns-1.awsdns-01.org",
        "RecordName": RECORD,
        "RecordType": "A",
        "RecordData": ips,
        "ResponseCode": code,
        "Protocol": "UDP",
    }


def poll(stub, healthy, ips, query=None):
    stub.add_response("get_health_check_status", status(healthy), STATUS_QUERY)
    stub.add_response("test_dns_answer", answer(ips), query or DNS_QUERY)


def not_implemented(stub):
    """What moto 5.2.5 answers TestDNSAnswer with (see test_moto_dns_failover_*): a bare HTTP 404."""
    stub.add_client_error(
        "test_dns_answer",
        service_error_code="404",
        service_message="Not Found",
        http_status_code=404,
        expected_params=DNS_QUERY,
    )


# -- dns_failover ----------------------------------------------------------------------------------
def test_failover_measured_from_the_start(route53, monkeypatch, capsys, clock, resolved):
    client, stub = route53
    health_check(stub)
    for index in range(6):  # polls 0..5, every 10 s
        poll(stub, healthy=8 if index < 3 else 0, ips=SECONDARY_IPS if index >= 5 else PRIMARY_IPS)
    result, code = run_dns(route53, monkeypatch, capsys)
    assert code == 0, result
    assert result["changed"] is False
    assert result["supported"] is True
    assert result["unsupported_reason"] is None
    assert result["inverted"] is False
    assert result["health_seconds"] == 30.0  # unhealthy at poll 3
    assert result["dns_seconds"] == 50.0  # the secondary's address at poll 5: 5 intervals
    assert result["timed_out"] is False
    assert result["polls"] == 6
    assert clock.sleeps == [10.0] * 5
    assert [e["t"] for e in result["timeline"]] == [0.0, 10.0, 20.0, 30.0, 40.0, 50.0]
    assert [e["health_status"] for e in result["timeline"]] == ["healthy"] * 3 + ["unhealthy"] * 3
    assert [e["checkers_healthy_percent"] for e in result["timeline"]] == [100.0] * 3 + [0.0] * 3
    assert [e["inverted"] for e in result["timeline"]] == [False] * 6
    assert [e["serves_expected"] for e in result["timeline"]] == [False] * 5 + [True]
    assert result["timeline"][5]["dns_answer"] == SECONDARY_IPS
    assert result["timeline"][5]["target_addresses"] == SECONDARY_RESOLVED
    assert result["timeline"][5]["dns_response_code"] == "NOERROR"
    assert resolved == [(SECONDARY, socket.AF_INET)] * 6  # resolved again at every poll


def test_failback_to_the_primary(route53, monkeypatch, capsys, clock, resolved):
    client, stub = route53
    health_check(stub)
    poll(stub, healthy=0, ips=SECONDARY_IPS)
    poll(stub, healthy=8, ips=SECONDARY_IPS)
    poll(stub, healthy=8, ips=PRIMARY_IPS[:1])
    result, code = run_dns(route53, monkeypatch, capsys, expect_health="healthy", expect_answer_from=PRIMARY)
    assert code == 0, result
    assert (result["health_seconds"], result["dns_seconds"], result["polls"]) == (10.0, 20.0, 3)


def test_already_failed_over_is_zero_seconds(route53, monkeypatch, capsys, clock, resolved):
    client, stub = route53
    health_check(stub)
    poll(stub, healthy=0, ips=SECONDARY_IPS)
    result, code = run_dns(route53, monkeypatch, capsys)
    assert code == 0, result
    assert (result["health_seconds"], result["dns_seconds"], result["polls"]) == (0.0, 0.0, 1)
    assert clock.sleeps == []


def test_timeout_returns_the_timeline(route53, monkeypatch, capsys, clock, resolved):
    client, stub = route53
    health_check(stub)
    for _index in range(4):  # 0, 10, 20 and the last poll at the deadline, 25
        poll(stub, healthy=8, ips=PRIMARY_IPS)
    result, code = run_dns(route53, monkeypatch, capsys, timeout=25)
    assert code == 0, result
    assert "failed" not in result
    assert result["timed_out"] is True
    assert result["supported"] is True
    assert (result["health_seconds"], result["dns_seconds"]) == (None, None)
    assert result["polls"] == 4
    assert [e["t"] for e in result["timeline"]] == [0.0, 10.0, 20.0, 25.0]
    assert clock.sleeps == [10.0, 10.0, 5.0]


def test_health_reached_but_not_dns_times_out(route53, monkeypatch, capsys, clock, resolved):
    client, stub = route53
    health_check(stub)
    for _index in range(3):
        poll(stub, healthy=0, ips=PRIMARY_IPS)
    result, code = run_dns(route53, monkeypatch, capsys, timeout=20)
    assert code == 0, result
    assert (result["timed_out"], result["health_seconds"], result["dns_seconds"]) == (True, 0.0, None)


def test_it_stops_once_dns_serves_the_target_even_if_the_health_was_not_seen(
    route53, monkeypatch, capsys, clock, resolved
):
    client, stub = route53
    health_check(stub)
    poll(stub, healthy=8, ips=PRIMARY_IPS)
    poll(stub, healthy=8, ips=SECONDARY_IPS)
    result, code = run_dns(route53, monkeypatch, capsys)
    assert code == 0, result
    assert (result["timed_out"], result["health_seconds"], result["dns_seconds"]) == (False, None, 10.0)


def test_a_slow_poll_keeps_the_cadence(route53, monkeypatch, capsys, clock, resolved):
    client, stub = route53
    health_check(stub)
    poll(stub, healthy=8, ips=PRIMARY_IPS)
    poll(stub, healthy=0, ips=SECONDARY_IPS)
    client.meta.events.register("before-parameter-build.route-53.TestDNSAnswer", lambda **kw: clock.sleep(3))
    result, code = run_dns(route53, monkeypatch, capsys)
    assert code == 0, result
    assert clock.sleeps == [3, 7.0, 3]  # the first answer took 3 s: the next poll is still at 10 s
    assert result["dns_seconds"] == 13.0  # the end of the poll that saw it


def test_unresolvable_target_never_serves(route53, monkeypatch, capsys, clock, resolved):
    client, stub = route53
    health_check(stub)
    poll(stub, healthy=0, ips=SECONDARY_IPS)
    poll(stub, healthy=0, ips=SECONDARY_IPS)
    result, code = run_dns(route53, monkeypatch, capsys, expect_answer_from="gone.invalid", timeout=10)
    assert code == 0, result
    assert result["timed_out"] is True
    assert result["timeline"][0]["target_addresses"] == []
    assert result["timeline"][0]["serves_expected"] is False


def test_an_address_or_a_cname_target_is_matched_as_it_is(route53, monkeypatch, capsys, clock):
    client, stub = route53
    health_check(stub)
    monkeypatch.setattr(failover_probe.socket, "getaddrinfo", lambda *a, **kw: [])
    cname = dict(DNS_QUERY, RecordType="CNAME")
    stub.add_response("get_health_check_status", status(0), STATUS_QUERY)
    stub.add_response("test_dns_answer", dict(answer([SECONDARY.upper() + "."]), RecordType="CNAME"), cname)
    result, code = run_dns(route53, monkeypatch, capsys, record_type="cname")
    assert code == 0, result
    assert result["dns_seconds"] == 0.0


def test_resolver_and_client_subnet_are_passed(route53, monkeypatch, capsys, clock, resolved):
    client, stub = route53
    health_check(stub)
    query = dict(DNS_QUERY, ResolverIP="203.0.113.53", EDNS0ClientSubnetIP="203.0.113.0", EDNS0ClientSubnetMask="24")
    poll(stub, healthy=0, ips=SECONDARY_IPS, query=query)
    result, code = run_dns(
        route53,
        monkeypatch,
        capsys,
        hosted_zone_id=f"/hostedzone/{ZONE}",
        resolver_ip="203.0.113.53",
        edns0_client_subnet="203.0.113.0/24",
    )
    assert code == 0, result
    assert result["dns_seconds"] == 0.0


@pytest.mark.parametrize(
    "inverted, success, total, expected, percent",
    [
        pytest.param(False, 9, 50, "unhealthy", 18.0, id="18 percent is unhealthy"),
        pytest.param(False, 10, 50, "healthy", 20.0, id="20 percent is healthy"),
        pytest.param(False, 2, 16, "unhealthy", 12.5, id="12.5 percent is unhealthy"),
        pytest.param(False, 3, 16, "healthy", 18.8, id="18.75 percent is healthy"),
        pytest.param(False, 0, 0, "unknown", None, id="no checker reports"),
        pytest.param(True, 41, 50, "unhealthy", 18.0, id="inverted, 18 percent failing is unhealthy"),
        pytest.param(True, 40, 50, "healthy", 20.0, id="inverted, 20 percent failing is healthy"),
        pytest.param(True, 0, 0, "unknown", None, id="inverted, no checker reports"),
    ],
)
def test_route53_rule_of_18_percent(
    route53, monkeypatch, capsys, clock, resolved, inverted, success, total, expected, percent
):
    client, stub = route53
    health_check(stub, inverted=inverted)
    stub.add_response("get_health_check_status", status(success, total), STATUS_QUERY)
    stub.add_response("test_dns_answer", answer(SECONDARY_IPS), DNS_QUERY)
    result, code = run_dns(route53, monkeypatch, capsys)
    assert code == 0, result
    assert result["polls"] == 1
    assert result["inverted"] is inverted
    assert result["health_seconds"] == (0.0 if expected == "unhealthy" else None)
    entry = result["timeline"][0]
    assert entry["health_status"] == expected
    assert entry["checkers_healthy_percent"] == percent


def test_an_inverted_check_of_a_healthy_endpoint_reads_unhealthy(route53, monkeypatch, capsys, clock, resolved, sent):
    """The drill takes the primary out by inverting its check: every checker still sees the endpoint
    answer (Success), and Route53 evaluates the check unhealthy."""
    client, stub = route53
    health_check(stub, inverted=True)
    poll(stub, healthy=8, ips=PRIMARY_IPS)
    poll(stub, healthy=8, ips=SECONDARY_IPS)
    result, code = run_dns(route53, monkeypatch, capsys)
    assert code == 0, result
    assert result["inverted"] is True
    assert (result["health_seconds"], result["dns_seconds"], result["timed_out"]) == (0.0, 10.0, False)
    assert [e["health_status"] for e in result["timeline"]] == ["unhealthy"] * 2
    assert [e["checkers_healthy_percent"] for e in result["timeline"]] == [0.0] * 2
    assert [e["inverted"] for e in result["timeline"]] == [True] * 2
    # The configuration is read once, before the first poll; the status at every poll.
    assert [op for op, _params in sent] == [
        "GetHealthCheck",
        "GetHealthCheckStatus",
        "TestDNSAnswer",
        "GetHealthCheckStatus",
        "TestDNSAnswer",
    ]


def test_an_inverted_check_with_failing_checkers_reads_healthy(route53, monkeypatch, capsys, clock, resolved):
    client, stub = route53
    health_check(stub, inverted=True)
    poll(stub, healthy=0, ips=PRIMARY_IPS[:1])
    result, code = run_dns(route53, monkeypatch, capsys, expect_health="healthy", expect_answer_from=PRIMARY)
    assert code == 0, result
    assert result["inverted"] is True
    assert (result["health_seconds"], result["dns_seconds"]) == (0.0, 0.0)
    entry = result["timeline"][0]
    assert (entry["health_status"], entry["checkers_healthy_percent"], entry["inverted"]) == ("healthy", 100.0, True)


def test_unsupported_dns_test_still_polls_the_health(route53, monkeypatch, capsys, clock, resolved, sent):
    client, stub = route53
    health_check(stub)
    stub.add_response("get_health_check_status", status(8), STATUS_QUERY)
    not_implemented(stub)
    for _index in range(6):  # 10, 20, ... 60 s: health only
        stub.add_response("get_health_check_status", status(8), STATUS_QUERY)
    result, code = run_dns(route53, monkeypatch, capsys)
    assert code == 0, result
    assert result["supported"] is False
    assert result["unsupported_reason"] == (
        "Route53 TestDNSAnswer is not available at https://unit.invalid: "
        "An error occurred (404) when calling the TestDNSAnswer operation: Not Found"
    )
    assert result["dns_seconds"] is None
    assert result["health_seconds"] is None
    assert result["timed_out"] is True
    assert result["polls"] == 7
    assert result["timeline"][-1]["t"] == 60.0
    assert all(e["dns_answer"] is None and e["serves_expected"] is None for e in result["timeline"])
    assert [op for op, _params in sent].count("TestDNSAnswer") == 1
    assert resolved == []


def test_unsupported_dns_test_stops_once_the_health_is_seen(route53, monkeypatch, capsys, clock, resolved):
    client, stub = route53
    health_check(stub)
    stub.add_response("get_health_check_status", status(8), STATUS_QUERY)
    not_implemented(stub)
    stub.add_response("get_health_check_status", status(0), STATUS_QUERY)
    result, code = run_dns(route53, monkeypatch, capsys, unsupported_health_timeout=30)
    assert code == 0, result
    assert (result["supported"], result["health_seconds"], result["dns_seconds"]) == (False, 10.0, None)
    assert result["timed_out"] is False


def test_unsupported_health_timeout_is_bounded_by_timeout(route53, monkeypatch, capsys, clock, resolved):
    client, stub = route53
    health_check(stub)
    stub.add_response("get_health_check_status", status(8), STATUS_QUERY)
    not_implemented(stub)
    stub.add_response("get_health_check_status", status(8), STATUS_QUERY)
    result, code = run_dns(route53, monkeypatch, capsys, timeout=5)
    assert code == 0, result
    assert [e["t"] for e in result["timeline"]] == [0.0, 5.0]


@pytest.mark.parametrize("error_code, http", [("InvalidAction", 400), ("NotImplemented", 501), ("501", 501)])
def test_other_not_implemented_answers_are_unsupported(route53, monkeypatch, capsys, clock, resolved, error_code, http):
    client, stub = route53
    health_check(stub)
    stub.add_response("get_health_check_status", status(0), STATUS_QUERY)
    stub.add_client_error("test_dns_answer", service_error_code=error_code, http_status_code=http)
    result, code = run_dns(route53, monkeypatch, capsys)
    assert code == 0, result
    assert result["supported"] is False
    assert f"({error_code})" in result["unsupported_reason"]


def test_a_missing_hosted_zone_fails_although_it_is_a_404(route53, monkeypatch, capsys, clock, resolved):
    """AWS answers NoSuchHostedZone with HTTP 404: that is an error, not a missing TestDNSAnswer."""
    client, stub = route53
    health_check(stub)
    stub.add_response("get_health_check_status", status(0), STATUS_QUERY)
    stub.add_client_error(
        "test_dns_answer",
        service_error_code="NoSuchHostedZone",
        http_status_code=404,
        service_message=f"No hosted zone found with ID: {ZONE}",
    )
    result, code = run_dns(route53, monkeypatch, capsys)
    assert code == 1
    assert result["msg"].startswith(f"TestDNSAnswer failed for A {RECORD} in hosted zone {ZONE}")


def test_a_missing_health_check_fails_clearly(route53, monkeypatch, capsys, clock, resolved):
    client, stub = route53
    stub.add_client_error("get_health_check", service_error_code="NoSuchHealthCheck", http_status_code=404)
    result, code = run_dns(route53, monkeypatch, capsys)
    assert code == 1
    assert result["msg"] == f"Route53 health check {HC_ID} does not exist (NoSuchHealthCheck)"


def test_a_health_check_deleted_during_the_run_fails_clearly(route53, monkeypatch, capsys, clock, resolved):
    client, stub = route53
    health_check(stub)
    stub.add_client_error("get_health_check_status", service_error_code="NoSuchHealthCheck", http_status_code=404)
    result, code = run_dns(route53, monkeypatch, capsys)
    assert code == 1
    assert result["msg"] == f"Route53 health check {HC_ID} does not exist (NoSuchHealthCheck)"


def test_other_get_health_check_errors_fail_with_the_operation(route53, monkeypatch, capsys, clock, resolved):
    client, stub = route53
    stub.add_client_error("get_health_check", service_error_code="AccessDenied", http_status_code=403)
    result, code = run_dns(route53, monkeypatch, capsys)
    assert code == 1
    assert result["msg"].startswith(f"GetHealthCheck failed for health check {HC_ID}")


def test_dns_failover_runs_in_check_mode(route53, monkeypatch, capsys, clock, resolved):
    client, stub = route53
    health_check(stub)
    poll(stub, healthy=0, ips=SECONDARY_IPS)
    result, code = run_module(failover_probe.main, DNS_ARGS, client, monkeypatch, capsys, check_mode=True)
    assert code == 0, result
    assert (result["changed"], result["dns_seconds"]) == (False, 0.0)


@pytest.mark.parametrize(
    "args, message",
    [
        pytest.param({"expect_answer_from": None}, "options are empty: expect_answer_from", id="a null option"),
        pytest.param({"measure": "replication"}, "but all of the following are missing: table_name", id="missing"),
        pytest.param({"timeout": 0}, "timeout must be more than 0", id="timeout"),
        pytest.param({"poll_interval": -1}, "poll_interval must be more than 0", id="poll_interval"),
        pytest.param({"edns0_client_subnet": "1/2/3"}, "edns0_client_subnet", id="subnet"),
    ],
)
def test_bad_options_fail_before_any_call(route53, monkeypatch, capsys, clock, args, message):
    client, stub = route53
    result, code = run_dns(route53, monkeypatch, capsys, **args)
    assert code == 1
    assert message in result["msg"]


# -- replication -----------------------------------------------------------------------------------
@pytest.fixture
def dynamodb(monkeypatch):
    """Stubbed DynamoDB clients of the source and destination regions, {region: (client, stub)}."""
    clients = {region: stubbed_client("dynamodb", region) for region in ("us-east-2", "us-west-2")}
    for _client, stub in clients.values():
        stub.activate()
    monkeypatch.setattr(failover_probe.uuid, "uuid4", lambda: CANARY_UUID)
    yield clients
    for _client, stub in clients.values():
        stub.deactivate()
        stub.assert_no_pending_responses()


def run_replication(dynamodb, monkeypatch, capsys, check_mode=False, **args):
    """Run the module with the client of the region each module.client() asks for."""

    def connect(module, conn_type=None, resource=None, region=None, **kw):
        assert resource == "dynamodb"
        return dynamodb[region][0]

    monkeypatch.setattr(aws_modules, "boto3_conn", connect)
    module_args = dict(REPLICATION_ARGS, region="eu-west-1", _ansible_check_mode=check_mode, **args)
    with patch_module_args(module_args), pytest.raises(SystemExit) as exit_info:
        failover_probe.main()
    return json.loads(capsys.readouterr().out), exit_info.value.code


def put(stub):
    stub.add_response(
        "put_item",
        {},
        {
            "TableName": TABLE,
            "Item": ANY,
            "ConditionExpression": "attribute_not_exists(#k)",
            "ExpressionAttributeNames": {"#k": "pk"},
        },
    )


def reads(stub, *present):
    for here in present:
        stub.add_response("get_item", {"Item": KEY} if here else {}, GET_QUERY)


def delete(stub):
    stub.add_response("delete_item", {}, {"TableName": TABLE, "Key": KEY})


def test_replication_arrives_at_the_fourth_read(dynamodb, monkeypatch, capsys, clock):
    source, destination = dynamodb["us-east-2"], dynamodb["us-west-2"]
    written = record_requests(source[0])
    put(source[1])
    reads(destination[1], False, False, False, True)
    delete(source[1])
    reads(destination[1], True, False)  # the deletion arrives at the second read
    result, code = run_replication(dynamodb, monkeypatch, capsys)
    assert code == 0, result
    assert result["changed"] is False
    assert result["arrived"] is True
    assert result["timed_out"] is False
    assert result["seconds"] == 0.6  # 3 intervals of 0.2 s
    assert result["polls"] == 4
    assert result["canary_key"] == CANARY
    assert result["cleaned_up"] is True
    assert clock.sleeps == pytest.approx([0.2, 0.2, 0.2, 0.2])
    (operation, request), _delete = written
    assert operation == "PutItem"
    item = request["Item"]
    assert set(item) == {"pk", "written_at", "purpose"}
    assert item["pk"] == {"S": CANARY}
    assert item["purpose"] == {"S": "failover drill canary"}
    assert abs(int(item["written_at"]["N"]) - time.time()) < 60


def test_replication_never_arrives(dynamodb, monkeypatch, capsys, clock):
    source, destination = dynamodb["us-east-2"], dynamodb["us-west-2"]
    put(source[1])
    reads(destination[1], *[False] * 5)  # 0, 0.25, 0.5, 0.75 and 1 s
    delete(source[1])
    reads(destination[1], False)
    result, code = run_replication(dynamodb, monkeypatch, capsys, timeout=1, poll_interval=0.25)
    assert code == 0, result
    assert "failed" not in result
    assert (result["arrived"], result["timed_out"], result["seconds"]) == (False, True, None)
    assert result["polls"] == 5
    assert result["cleaned_up"] is True
    assert clock.sleeps == [0.25] * 4


def test_replication_without_cleanup_leaves_the_canary(dynamodb, monkeypatch, capsys, clock):
    source, destination = dynamodb["us-east-2"], dynamodb["us-west-2"]
    put(source[1])
    reads(destination[1], True)
    result, code = run_replication(dynamodb, monkeypatch, capsys, cleanup=False)
    assert code == 0, result
    assert (result["changed"], result["arrived"], result["seconds"], result["cleaned_up"]) == (True, True, 0.0, False)


def test_a_deletion_that_does_not_arrive_is_reported(dynamodb, monkeypatch, capsys, clock):
    source, destination = dynamodb["us-east-2"], dynamodb["us-west-2"]
    put(source[1])
    reads(destination[1], True)
    delete(source[1])
    reads(destination[1], True, True, True)
    result, code = run_replication(dynamodb, monkeypatch, capsys, timeout=1, poll_interval=0.5)
    assert code == 0, result
    assert (result["arrived"], result["cleaned_up"]) == (True, False)
    assert f"the deletion of canary {CANARY} did not reach us-west-2 within 1.0 s" in str(result["warnings"])


def test_a_missing_replica_fails_after_deleting_the_canary(dynamodb, monkeypatch, capsys, clock):
    source, destination = dynamodb["us-east-2"], dynamodb["us-west-2"]
    put(source[1])
    destination[1].add_client_error(
        "get_item",
        service_error_code="ResourceNotFoundException",
        service_message="Requested resource not found",
        http_status_code=400,
    )
    delete(source[1])
    result, code = run_replication(dynamodb, monkeypatch, capsys)
    assert code == 1
    assert result["msg"].startswith(f"GetItem failed for the canary in table {TABLE} in us-west-2")
    assert (result["canary_key"], result["arrived"], result["cleaned_up"]) == (CANARY, False, False)


def test_a_failed_write_fails(dynamodb, monkeypatch, capsys, clock):
    source, _destination = dynamodb["us-east-2"], dynamodb["us-west-2"]
    source[1].add_client_error("put_item", service_error_code="AccessDeniedException", http_status_code=400)
    result, code = run_replication(dynamodb, monkeypatch, capsys)
    assert code == 1
    assert result["msg"].startswith(f"PutItem failed for the canary in table {TABLE} in us-east-2")
    assert result["changed"] is False


def test_replication_in_check_mode_does_nothing(dynamodb, monkeypatch, capsys, clock):
    result, code = run_replication(dynamodb, monkeypatch, capsys, check_mode=True)
    assert code == 0, result
    assert result["skipped"] is True
    assert result["changed"] is False
    assert "would be written" in result["msg"]
    assert clock.sleeps == []


def test_replication_needs_two_regions(dynamodb, monkeypatch, capsys, clock):
    result, code = run_replication(dynamodb, monkeypatch, capsys, destination_region="us-east-2")
    assert code == 1
    assert "source_region and destination_region are both us-east-2" in result["msg"]


# -- moto in-process -------------------------------------------------------------------------------
def run_in_moto(capsys, args):
    with patch_module_args(dict(args, region="us-east-2")), pytest.raises(SystemExit) as exit_info:
        failover_probe.main()
    return json.loads(capsys.readouterr().out), exit_info.value.code


@pytest.mark.parametrize(
    "inverted, health_status, percent, health_seconds, polls",
    [
        pytest.param(True, "unhealthy", 0.0, 0.0, 1, id="inverted: unhealthy at once"),
        pytest.param(False, "healthy", 100.0, None, 7, id="not inverted: healthy for 60 s"),
    ],
)
def test_moto_dns_failover_is_reported_unsupported(
    moto_account, monkeypatch, capsys, clock, inverted, health_status, percent, health_seconds, polls
):
    """moto 5.2.5 has no TestDNSAnswer (HTTP 404, code "404"), and its GetHealthCheckStatus always
    answers one checker with Success, the raw result, inverted or not: the Inverted flag read with
    GetHealthCheck makes an inverted check unhealthy, as Route53 evaluates it."""
    route53 = boto3.client("route53", region_name="us-east-1")
    zone = route53.create_hosted_zone(Name="finproc.example", CallerReference="zone")["HostedZone"]["Id"]
    hc_id = route53.create_health_check(
        CallerReference="drill",
        HealthCheckConfig={"Type": "HTTPS", "FullyQualifiedDomainName": PRIMARY, "Port": 443, "Inverted": inverted},
    )["HealthCheck"]["Id"]
    monkeypatch.setattr(failover_probe.socket, "getaddrinfo", lambda *a, **kw: pytest.fail("no DNS test, no lookup"))
    result, code = run_in_moto(capsys, dict(DNS_ARGS, health_check_id=hc_id, hosted_zone_id=zone))
    assert code == 0, result
    assert result["supported"] is False
    assert result["unsupported_reason"].startswith("Route53 TestDNSAnswer is not available at https://")
    assert result["unsupported_reason"].endswith(
        ": An error occurred (404) when calling the TestDNSAnswer operation: Not Found"
    )
    assert result["inverted"] is inverted
    assert (result["dns_seconds"], result["health_seconds"]) == (None, health_seconds)
    assert result["timed_out"] is (health_seconds is None)  # stops once the health check is seen at expect_health
    assert result["polls"] == polls
    assert {(e["health_status"], e["checkers_healthy_percent"]) for e in result["timeline"]} == {
        (health_status, percent)
    }


class Replicator(threading.Thread):
    """A global table's replication between two regional moto tables: what is written (or deleted)
    in the source shows in the destination 0.5 s later."""

    LAG = 0.5

    def __init__(self, table):
        super().__init__(daemon=True)
        self.source = boto3.client("dynamodb", region_name="us-east-2")
        self.destination = boto3.client("dynamodb", region_name="us-west-2")
        self.table, self.stop, self.pending = table, threading.Event(), {}

    def items(self, client):
        return {item["pk"]["S"]: item for item in client.scan(TableName=self.table).get("Items", [])}

    def run(self):
        while not self.stop.wait(0.02):
            source, destination = self.items(self.source), self.items(self.destination)
            now = time.monotonic()
            changes = {k: ("put", v) for k, v in source.items() if k not in destination}
            changes.update({k: ("delete", v) for k, v in destination.items() if k not in source})
            for key, (action, item) in changes.items():
                first_seen = self.pending.setdefault((key, action), now)
                if now - first_seen < self.LAG:
                    continue
                if action == "put":
                    self.destination.put_item(TableName=self.table, Item=item)
                else:
                    self.destination.delete_item(TableName=self.table, Key={"pk": item["pk"]})
                del self.pending[(key, action)]


def test_moto_replication_with_a_lag_of_half_a_second(moto_account, capsys):
    for region in ("us-east-2", "us-west-2"):
        boto3.client("dynamodb", region_name=region).create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
    replicator = Replicator(TABLE)
    replicator.start()
    try:
        result, code = run_in_moto(capsys, dict(REPLICATION_ARGS, timeout=10))
    finally:
        replicator.stop.set()
        replicator.join()
    assert code == 0, result
    assert result["arrived"] is True
    assert Replicator.LAG <= result["seconds"] < 5
    assert result["polls"] >= 3  # every 0.2 s
    assert result["canary_key"].startswith("finproc-drill#canary#")
    assert result["cleaned_up"] is True
    for region in ("us-east-2", "us-west-2"):
        assert boto3.client("dynamodb", region_name=region).scan(TableName=TABLE)["Items"] == []


def test_moto_replication_that_never_arrives(moto_account, capsys, clock):
    for region in ("us-east-2", "us-west-2"):
        boto3.client("dynamodb", region_name=region).create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
    result, code = run_in_moto(capsys, dict(REPLICATION_ARGS, timeout=2))
    assert code == 0, result
    assert (result["arrived"], result["timed_out"], result["seconds"], result["polls"]) == (False, True, None, 11)
    assert result["cleaned_up"] is True
    assert boto3.client("dynamodb", region_name="us-east-2").scan(TableName=TABLE)["Items"] == []
