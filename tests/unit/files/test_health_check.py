"""files/health_check.py (the DR monitor Lambda) against real HTTPS servers on 127.0.0.1 and in-process moto."""

import datetime
import importlib.util
import json
import os
import socket
import ssl
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import NamedTuple

import boto3
import pytest
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from moto import mock_aws

ROOT = Path(__file__).resolve().parents[3]
spec = importlib.util.spec_from_file_location("finproc_health_check", ROOT / "files" / "health_check.py")
health_check = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = health_check  # dataclasses resolve the module's annotations through sys.modules
spec.loader.exec_module(health_check)

OWN = "us-east-2"
PEER = "us-west-2"
NAMESPACE = "finproc/test/dr"
SERVER_NAME = "api.test.invalid"
TABLE = "finproc-test-data"
TABLE_KEY = "pk"


# --------------------------------------------------------------------------------------------
# A private CA and an HTTPS server on 127.0.0.1 whose certificate names SERVER_NAME only
# --------------------------------------------------------------------------------------------


def _certificate(subject, issuer, public_key, signing_key, extensions):
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
    )
    for extension, critical in extensions:
        builder = builder.add_extension(extension, critical=critical)
    return builder.sign(signing_key, hashes.SHA256())


def _key_usage(**enabled):
    flags = dict.fromkeys(
        (
            "digital_signature",
            "content_commitment",
            "key_encipherment",
            "data_encipherment",
            "key_agreement",
            "key_cert_sign",
            "crl_sign",
            "encipher_only",
            "decipher_only",
        ),
        False,
    )
    flags.update(enabled)
    return x509.KeyUsage(**flags)


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory):
    """ca.pem (a test CA) and server.pem/server.key (a certificate for SERVER_NAME issued by it)."""
    directory = tmp_path_factory.mktemp("tls")
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "finproc health check test CA")])
    ca = _certificate(
        ca_name,
        ca_name,
        ca_key.public_key(),
        ca_key,
        [
            (x509.BasicConstraints(ca=True, path_length=0), True),
            (_key_usage(digital_signature=True, key_cert_sign=True, crl_sign=True), True),
            (x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False),
        ],
    )
    server_key = ec.generate_private_key(ec.SECP256R1())
    server = _certificate(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, SERVER_NAME)]),
        ca_name,
        server_key.public_key(),
        ca_key,
        [
            (x509.BasicConstraints(ca=False, path_length=None), True),
            (_key_usage(digital_signature=True), True),
            (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False),
            (x509.SubjectAlternativeName([x509.DNSName(SERVER_NAME)]), False),
            (x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False),
        ],
    )
    paths = {name: directory / f"{name}.pem" for name in ("ca", "server", "key")}
    paths["ca"].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths["server"].write_bytes(server.public_bytes(serialization.Encoding.PEM))
    paths["key"].write_bytes(
        server_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return paths


class _Handler(BaseHTTPRequestHandler):
    """/health answers 200, /down 503, /hang never answers (until the test ends)."""

    protocol_version = "HTTP/1.1"

    # do_GET is the name http.server calls
    def do_GET(self):  # noqa: N802 # pylint: disable=invalid-name
        self.server.hosts.append(self.headers.get("Host"))
        if self.path == "/hang":
            self.server.stop.wait(60)
            return  # the client sent "Connection: close": the server closes the connection now
        status = {"/health": 200, "/down": 503}.get(self.path, 404)
        body = b"ok\n"
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        """Quiet."""


class _HttpsServer(ThreadingHTTPServer):
    """A TLS server; the handshake happens in the request thread, so a stuck client blocks nobody."""

    daemon_threads = True

    def __init__(self, context):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.context = context
        self.stop = threading.Event()
        self.hosts = []
        self.sni = []
        context.sni_callback = self._record_sni

    def _record_sni(self, ssl_socket, server_name, context):
        self.sni.append(server_name)

    def get_request(self):
        connection, address = super().get_request()
        return self.context.wrap_socket(connection, server_side=True, do_handshake_on_connect=False), address

    def handle_error(self, request, client_address):
        """Failed handshakes are expected (wrong names); keep stderr quiet."""


@pytest.fixture
def https_server(tls_files):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tls_files["server"], tls_files["key"])
    server = _HttpsServer(context)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.stop.set()  # /hang handlers return and close: an abandoned probe thread ends now
    server.shutdown()
    server.server_close()


@pytest.fixture
def closed_port():
    """A port on 127.0.0.1 that refuses connections (bound, not listening)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    yield sock.getsockname()[1]
    sock.close()


# --------------------------------------------------------------------------------------------
# AWS (moto in-process) and the handler's environment
# --------------------------------------------------------------------------------------------


@pytest.fixture
def aws(monkeypatch, tmp_path):
    for key in list(os.environ):
        if key.startswith(("AWS_", "FINPROC_")):
            monkeypatch.delenv(key)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_REGION", OWN)
    health_check.reset_clients()
    with mock_aws():
        yield
    health_check.reset_clients()


@pytest.fixture
def env(aws, monkeypatch, tls_files):
    """A valid configuration without checks; set(NAME=value) changes it (lists and dicts as JSON)."""
    monkeypatch.setenv("FINPROC_NAMESPACE", NAMESPACE)
    monkeypatch.setenv("FINPROC_ENDPOINTS", "[]")
    monkeypatch.setenv("FINPROC_CA_BUNDLE", str(tls_files["ca"]))

    def set_env(**values):
        for name, value in values.items():
            if value is None:
                monkeypatch.delenv(name, raising=False)
            else:
                monkeypatch.setenv(name, value if isinstance(value, str) else json.dumps(value))

    return set_env


class Invocation(NamedTuple):
    result: dict
    lines: list
    elapsed: float


def invoke(capsys, context=None):
    """Run the handler: its result, its JSON log lines, and its wall time in seconds."""
    capsys.readouterr()
    started = time.monotonic()
    result = health_check.handler({}, context)
    elapsed = time.monotonic() - started
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]
    json.dumps(result)  # the return value is JSON-serialisable
    return Invocation(result, lines, elapsed)


def by_target(result, event):
    return {(check["region"], check["target"]): check for check in result["checks"] if check["event"] == event}


def metric(name, region, target, unit, namespace=NAMESPACE):
    """The values put for one metric with exactly these dimensions and unit (read back from moto)."""
    now = datetime.datetime.now(datetime.timezone.utc)
    datapoints = boto3.client("cloudwatch", region_name=OWN).get_metric_statistics(
        Namespace=namespace,
        MetricName=name,
        Dimensions=[{"Name": "Region", "Value": region}, {"Name": "Target", "Value": target}],
        StartTime=now - datetime.timedelta(hours=1),
        EndTime=now + datetime.timedelta(hours=1),
        Period=3600,
        Statistics=["Maximum", "SampleCount"],
        Unit=unit,
    )["Datapoints"]
    assert all(point["SampleCount"] == 1 for point in datapoints), datapoints
    return [point["Maximum"] for point in datapoints]


def metric_names(namespace=NAMESPACE):
    """{metric name: [(Region, Target), ...]}; asserts that every metric has exactly those two dimensions."""
    names = {}
    for listed in boto3.client("cloudwatch", region_name=OWN).list_metrics(Namespace=namespace)["Metrics"]:
        dimensions = {d["Name"]: d["Value"] for d in listed["Dimensions"]}
        assert sorted(dimensions) == ["Region", "Target"], listed
        names.setdefault(listed["MetricName"], []).append((dimensions["Region"], dimensions["Target"]))
    return names


def events(lines):
    return [line["event"] for line in lines]


def endpoint(target, url, region=OWN, server_name=SERVER_NAME):
    entry = {"region": region, "target": target, "url": url}
    if server_name:
        entry["server_name"] = server_name
    return entry


# --------------------------------------------------------------------------------------------
# Pure parts
# --------------------------------------------------------------------------------------------


def test_load_config_reads_the_contract(tls_files):
    environ = {
        "AWS_REGION": OWN,
        "FINPROC_NAMESPACE": NAMESPACE,
        "FINPROC_ENDPOINTS": json.dumps(
            [
                endpoint("load-balancer", "https://alb.example:8443/health?deep=1"),
                {"region": "global", "target": "service-name", "url": "https://api.example/"},
            ]
        ),
        "FINPROC_HEALTH_CHECKS": json.dumps([{"region": PEER, "id": "abc"}]),
        "FINPROC_TABLE_NAME": TABLE,
        "FINPROC_TABLE_KEY": TABLE_KEY,
        "FINPROC_PEER_REGIONS": json.dumps([PEER, OWN, PEER]),
        "FINPROC_READ_TIMEOUT": "7.5",
        "FINPROC_CA_BUNDLE": str(tls_files["ca"]),
    }
    config = health_check.load_config(environ)
    assert not isinstance(config, list), config
    alb, service = config.endpoints
    assert (alb.host, alb.port, alb.path, alb.tls_name, alb.host_header) == (
        "alb.example",
        8443,
        "/health?deep=1",
        SERVER_NAME,
        f"{SERVER_NAME}:8443",
    )
    assert (service.region, service.tls_name, service.host_header, service.path) == (
        "global",
        "api.example",
        "api.example",
        "/",
    )
    assert config.health_checks == (health_check.HealthCheck(PEER, "abc"),)
    assert config.peer_regions == (PEER,)  # the own region and repeats are dropped
    assert (config.connect_timeout, config.read_timeout, config.deadline_seconds) == (3.0, 7.5, 50.0)
    environ["AWS_REGION"] = ""
    environ["AWS_DEFAULT_REGION"] = "eu-west-1"
    environ["FINPROC_TABLE_NAME"] = ""
    config = health_check.load_config(environ)
    assert (config.region, config.table_name, config.peer_regions) == ("eu-west-1", None, ())


@pytest.mark.parametrize(
    ("statuses", "healthy"),
    [
        (["Success: HTTP Status Code 200"] * 8, True),
        (["Success: ok"] * 2 + ["Failure: timeout"] * 6, True),  # 25 %
        (["Success: ok"] + ["Failure: timeout"] * 7, False),  # 12.5 %
        (["Success: ok"] * 9 + ["Failure: x"] * 41, False),  # exactly 18 % is not more than 18 %
        (["Success: ok"] * 181 + ["Failure: x"] * 819, True),  # 18.1 %
        (["Success: ok"] * 1801 + ["Failure: x"] * 8199, True),  # 18.01 %, reported rounded as 18.0
        ([], False),
    ],
)
def test_route53_rule_more_than_18_percent_of_checkers(statuses, healthy):
    observations = [{"StatusReport": {"Status": status}} for status in statuses]
    assert health_check.route53_verdict(observations)[0] is healthy


class _Context:
    def __init__(self, remaining_ms):
        self.remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self):
        return self.remaining_ms


def test_budget_is_the_smaller_of_the_deadline_and_lambda_time_minus_3_s():
    assert health_check.invocation_budget(50, None) == 50
    assert health_check.invocation_budget(50, _Context(30_000)) == 27
    assert health_check.invocation_budget(10, _Context(30_000)) == 10
    assert health_check.invocation_budget(10, _Context(1_000)) == 0
    assert health_check.publish_reserve(50) == 2
    assert health_check.publish_reserve(3) == 1.5


def test_clients_are_cached_bounded_and_keep_the_sdk_endpoint_configuration(aws, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:4566")
    client = health_check.aws_client("dynamodb", PEER, 3.0, 5.0)
    assert health_check.aws_client("dynamodb", PEER, 3.0, 5.0) is client
    assert health_check.aws_client("dynamodb", OWN, 3.0, 5.0) is not client
    assert client.meta.endpoint_url == "http://127.0.0.1:4566"
    assert client.meta.region_name == PEER
    assert (client.meta.config.connect_timeout, client.meta.config.read_timeout) == (3.0, 5.0)
    # One retry: an unreachable region costs at most two connect + read timeouts per call.
    assert client.meta.config.retries == {"total_max_attempts": 2, "mode": "standard"}


# --------------------------------------------------------------------------------------------
# Endpoints
# --------------------------------------------------------------------------------------------


def test_endpoint_results_and_metrics(env, capsys, https_server, closed_port):
    port = https_server.server_address[1]
    env(
        FINPROC_ENDPOINTS=[
            endpoint("healthy", f"https://127.0.0.1:{port}/health"),
            endpoint("down", f"https://127.0.0.1:{port}/down"),
            endpoint("refused", f"https://127.0.0.1:{closed_port}/health"),
            endpoint("wrong-name", f"https://127.0.0.1:{port}/health", server_name="other.test.invalid"),
            endpoint("no-server-name", f"https://127.0.0.1:{port}/health", server_name=None),
            endpoint("dns", "https://nothing.invalid/health", region="global"),
        ]
    )
    result, lines, elapsed = invoke(capsys)

    checks = by_target(result, "endpoint")
    assert len(checks) == 6 and not result["healthy"]
    healthy = checks[(OWN, "healthy")]
    assert (healthy["healthy"], healthy["status"], healthy["reason"]) == (True, 200, None)
    assert 0 < healthy["latency_ms"] < 2000
    down = checks[(OWN, "down")]
    assert (down["healthy"], down["status"], down["reason"]) == (False, 503, "http-503")
    assert down["latency_ms"] > 0
    assert checks[(OWN, "refused")]["reason"] == "connect-refused"
    assert checks[(OWN, "wrong-name")]["reason"] == "tls"
    assert checks[(OWN, "no-server-name")]["reason"] == "tls"  # the certificate does not name 127.0.0.1
    assert checks[("global", "dns")]["reason"] == "dns"
    for target in ("refused", "wrong-name", "no-server-name"):
        assert checks[(OWN, target)]["latency_ms"] is None
    # server_name is the SNI and the Host header; the connection went to the URL's host
    assert SERVER_NAME in https_server.sni
    assert https_server.hosts.count(f"{SERVER_NAME}:{port}") == 2
    assert elapsed < 5

    assert events(lines).count("endpoint") == 6 and events(lines)[-1] == "summary" and len(lines) == 7
    assert metric("EndpointHealthy", OWN, "healthy", "Count") == [1]
    assert metric("EndpointLatency", OWN, "healthy", "Milliseconds") == [pytest.approx(healthy["latency_ms"])]
    assert metric("EndpointHealthy", OWN, "down", "Count") == [0]
    assert metric("EndpointLatency", OWN, "down", "Milliseconds") == [pytest.approx(down["latency_ms"])]
    for region, target in ((OWN, "refused"), (OWN, "wrong-name"), (OWN, "no-server-name"), ("global", "dns")):
        assert metric("EndpointHealthy", region, target, "Count") == [0]
        assert metric("EndpointLatency", region, target, "Milliseconds") == []
    assert metric("ConfigurationError", OWN, "monitor", "Count") == [0]
    assert set(metric_names()) == {"EndpointHealthy", "EndpointLatency", "ConfigurationError"}
    assert result["metrics"] == {"namespace": NAMESPACE, "published": 9, "total": 9}


def test_without_a_ca_bundle_the_system_trust_store_is_used(env, capsys, https_server):
    port = https_server.server_address[1]
    env(FINPROC_CA_BUNDLE=None, FINPROC_ENDPOINTS=[endpoint("private-ca", f"https://127.0.0.1:{port}/health")])
    result = invoke(capsys).result
    check = by_target(result, "endpoint")[(OWN, "private-ca")]
    assert (check["healthy"], check["reason"]) == (False, "tls")
    assert "certificate verify failed" in check["detail"]


def test_a_hanging_endpoint_is_cut_at_the_deadline_and_the_others_still_report(env, capsys, https_server):
    port = https_server.server_address[1]
    route53 = boto3.client("route53", region_name="us-east-1")
    check_id = route53.create_health_check(
        CallerReference=str(uuid.uuid4()),
        HealthCheckConfig={"Type": "HTTPS", "FullyQualifiedDomainName": SERVER_NAME, "ResourcePath": "/health"},
    )["HealthCheck"]["Id"]
    env(
        FINPROC_DEADLINE_SECONDS="3",
        FINPROC_READ_TIMEOUT="30",
        FINPROC_ENDPOINTS=[
            endpoint("hangs", f"https://127.0.0.1:{port}/hang"),
            endpoint("healthy", f"https://127.0.0.1:{port}/health"),
        ],
        FINPROC_HEALTH_CHECKS=[{"region": OWN, "id": check_id}],
    )
    result, lines, elapsed = invoke(capsys, context=_Context(900_000))

    assert elapsed < 3 + 1.5
    checks = by_target(result, "endpoint")
    assert checks[(OWN, "hangs")]["reason"] in ("timeout", "deadline")
    assert checks[(OWN, "hangs")]["healthy"] is False
    assert checks[(OWN, "healthy")]["healthy"] is True
    assert by_target(result, "health-check")[(OWN, "route53-health-check")]["healthy"] is True
    assert events(lines).count("endpoint") == 2 and events(lines).count("health-check") == 1
    assert metric("EndpointHealthy", OWN, "hangs", "Count") == [0]
    assert metric("EndpointHealthy", OWN, "healthy", "Count") == [1]
    assert metric("HealthCheckHealthy", OWN, "route53-health-check", "Count") == [1]


def test_the_lambda_remaining_time_bounds_the_invocation(env, capsys, https_server):
    port = https_server.server_address[1]
    env(FINPROC_READ_TIMEOUT="30", FINPROC_ENDPOINTS=[endpoint("hangs", f"https://127.0.0.1:{port}/hang")])
    result, elapsed = invoke(capsys, context=_Context(5_000))[::2]  # budget 5 - 3 = 2 s
    assert elapsed < 2 + 1.0
    assert by_target(result, "endpoint")[(OWN, "hangs")]["reason"] == "deadline"


# --------------------------------------------------------------------------------------------
# Route53 health checks
# --------------------------------------------------------------------------------------------


def test_route53_health_check_status(env, capsys):
    route53 = boto3.client("route53", region_name="us-east-1")
    check_id = route53.create_health_check(
        CallerReference=str(uuid.uuid4()),
        HealthCheckConfig={"Type": "HTTPS", "FullyQualifiedDomainName": SERVER_NAME, "ResourcePath": "/health"},
    )["HealthCheck"]["Id"]
    unknown = str(uuid.uuid4())
    env(FINPROC_HEALTH_CHECKS=[{"region": OWN, "id": check_id}, {"region": PEER, "id": unknown}])
    result, lines = invoke(capsys)[:2]

    checks = by_target(result, "health-check")
    good = checks[(OWN, "route53-health-check")]
    assert (good["healthy"], good["checkers_healthy_percent"], good["id"]) == (True, 100.0, check_id)
    bad = checks[(PEER, "route53-health-check")]
    assert (bad["healthy"], bad["reason"]) == (False, "NoSuchHealthCheck")
    assert events(lines).count("health-check") == 2
    assert metric("HealthCheckHealthy", OWN, "route53-health-check", "Count") == [1]
    assert metric("HealthCheckCheckersHealthyPercent", OWN, "route53-health-check", "Percent") == [100]
    assert metric("HealthCheckHealthy", PEER, "route53-health-check", "Count") == [0]
    assert metric("HealthCheckCheckersHealthyPercent", PEER, "route53-health-check", "Percent") == []


# --------------------------------------------------------------------------------------------
# Global table replication
# --------------------------------------------------------------------------------------------


def _tables(*regions):
    for region in regions:
        boto3.client("dynamodb", region_name=region).create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": TABLE_KEY, "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": TABLE_KEY, "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )


def _heartbeat_key(region):
    return {TABLE_KEY: {"S": f"finproc-monitor#heartbeat#{region}"}}


def _heartbeat(region, written_at):
    return {
        **_heartbeat_key(region),
        "region": {"S": region},
        "written_at": {"N": f"{written_at:.3f}"},
        "token": {"S": str(uuid.uuid4())},
    }


def _put_stale_heartbeats():
    """What earlier invocations left: the own heartbeat replicated to the peer, the peer's 42 s ago (returns now)."""
    now = time.time()
    boto3.client("dynamodb", region_name=PEER).put_item(TableName=TABLE, Item=_heartbeat(OWN, now - 120))
    boto3.client("dynamodb", region_name=OWN).put_item(TableName=TABLE, Item=_heartbeat(PEER, now - 42))
    return now


def _replicate_after(delay, source, destination, stop, copied):
    """Stand-in for the global table: copy the source's heartbeat to the destination `delay` s after it appears.

    ``copied`` receives the wall-clock times just before and just after the copy.
    """
    own = boto3.client("dynamodb", region_name=source)
    peer = boto3.client("dynamodb", region_name=destination)
    while not stop.is_set():
        item = own.get_item(TableName=TABLE, Key=_heartbeat_key(source)).get("Item")
        if item:  # the own table had no heartbeat of the source before the invocation
            time.sleep(delay)
            copied.append(time.time())
            peer.put_item(TableName=TABLE, Item=item)
            copied.append(time.time())
            return
        time.sleep(0.02)


def test_replication_lag_and_heartbeat_age(env, capsys):
    _tables(OWN, PEER)
    put_at = _put_stale_heartbeats()
    env(
        FINPROC_TABLE_NAME=TABLE,
        FINPROC_TABLE_KEY=TABLE_KEY,
        FINPROC_PEER_REGIONS=[PEER],
        FINPROC_DEADLINE_SECONDS="10",
    )
    stop = threading.Event()
    copied = []
    copier = threading.Thread(target=_replicate_after, args=(0.5, OWN, PEER, stop, copied), daemon=True)
    copier.start()
    try:
        result, lines, elapsed = invoke(capsys)
    finally:
        stop.set()
        copier.join(5)

    written = boto3.client("dynamodb", region_name=OWN).get_item(TableName=TABLE, Key=_heartbeat_key(OWN))["Item"]
    write = by_target(result, "heartbeat-write")[(OWN, "global-table")]
    assert write["healthy"] is True
    assert written["region"] == {"S": OWN}
    assert written["token"] == {"S": write["token"]} and uuid.UUID(write["token"]).version == 4
    assert float(written["written_at"]["N"]) == pytest.approx(write["written_at"])
    assert abs(float(written["written_at"]["N"]) - time.time()) < 10

    lag = by_target(result, "replication-lag")[(PEER, "global-table")]
    assert (lag["healthy"], lag["arrived"]) == (True, True)
    # seen after the copy began (0.5 s after the write at least), and at most one poll interval after it ended
    arrival_started, arrival_ended = (moment - write["written_at"] for moment in copied)
    assert 0.45 <= arrival_started - 0.01 <= lag["lag_seconds"] <= arrival_ended + 0.5 + 0.3
    # 42 s, plus the time between the test's write and the handler's read
    age = by_target(result, "heartbeat-age")[(PEER, "global-table")]
    assert age["healthy"] is True
    assert 42 - 0.01 <= age["age_seconds"] <= 42 + (time.time() - put_at) + 0.01
    assert elapsed < 10 - 2  # returned as soon as every check was done, before the checks' deadline
    assert sorted(events(lines)) == ["heartbeat-age", "heartbeat-write", "replication-lag", "summary"]

    assert metric("ReplicationLagSeconds", PEER, "global-table", "Seconds") == [pytest.approx(lag["lag_seconds"])]
    assert metric("HeartbeatAgeSeconds", PEER, "global-table", "Seconds") == [pytest.approx(age["age_seconds"])]
    assert metric("HeartbeatWriteFailed", OWN, "global-table", "Count") == [0]
    assert metric("ConfigurationError", OWN, "monitor", "Count") == [0]


def test_a_heartbeat_that_never_arrives_is_a_lower_bound_and_puts_no_lag(env, capsys):
    _tables(OWN, PEER)
    # the peer holds an earlier invocation's heartbeat (another token); the peer never wrote one
    boto3.client("dynamodb", region_name=PEER).put_item(TableName=TABLE, Item=_heartbeat(OWN, time.time() - 120))
    env(
        FINPROC_TABLE_NAME=TABLE, FINPROC_TABLE_KEY=TABLE_KEY, FINPROC_PEER_REGIONS=[PEER], FINPROC_DEADLINE_SECONDS="6"
    )
    started = time.time()
    result, lines, elapsed = invoke(capsys)

    # budget 6 s: checks are cut at 6 - 2 = 4 s, the lag poll ends 1 s before that: the lower bound is
    # the time from the write to the poll's end
    written_at = by_target(result, "heartbeat-write")[(OWN, "global-table")]["written_at"]
    lag = by_target(result, "replication-lag")[(PEER, "global-table")]
    assert (lag["healthy"], lag["arrived"], lag["reason"], lag["lower_bound"]) == (False, False, "not-arrived", True)
    assert started + 3.0 - written_at - 0.05 <= lag["lag_seconds"] <= started + 3.0 - written_at + 0.5
    assert elapsed < 6 + 0.5
    age = by_target(result, "heartbeat-age")[(PEER, "global-table")]
    assert (age["healthy"], age["reason"], age["age_seconds"]) == (False, "missing", None)
    assert [line["reason"] for line in lines if line["event"] == "heartbeat-age"] == ["missing"]
    # A lower bound (about 3 s here) is below any RPO target: put as the metric it would keep the RPO
    # alarm quiet while nothing replicates. No value is put: the alarm treats missing data as breaching.
    assert metric("ReplicationLagSeconds", PEER, "global-table", "Seconds") == []
    assert metric("HeartbeatAgeSeconds", PEER, "global-table", "Seconds") == []
    assert metric("HeartbeatWriteFailed", OWN, "global-table", "Count") == [0]


def test_a_missing_table_does_not_stop_the_endpoint_checks(env, capsys, https_server):
    port = https_server.server_address[1]
    env(
        FINPROC_TABLE_NAME=TABLE,
        FINPROC_TABLE_KEY=TABLE_KEY,
        FINPROC_PEER_REGIONS=[PEER],
        FINPROC_ENDPOINTS=[endpoint("healthy", f"https://127.0.0.1:{port}/health")],
    )
    result = invoke(capsys).result

    assert by_target(result, "endpoint")[(OWN, "healthy")]["healthy"] is True
    write = by_target(result, "heartbeat-write")[(OWN, "global-table")]
    assert (write["healthy"], write["reason"]) == (False, "ResourceNotFoundException")
    lag = by_target(result, "replication-lag")[(PEER, "global-table")]
    assert (lag["healthy"], lag["reason"]) == (False, "heartbeat-write-failed")
    age = by_target(result, "heartbeat-age")[(PEER, "global-table")]
    assert (age["healthy"], age["reason"]) == (False, "ResourceNotFoundException")
    assert "Traceback" not in capsys.readouterr().err
    assert metric("EndpointHealthy", OWN, "healthy", "Count") == [1]
    assert metric("HeartbeatWriteFailed", OWN, "global-table", "Count") == [1]
    assert metric("ReplicationLagSeconds", PEER, "global-table", "Seconds") == []
    assert metric("HeartbeatAgeSeconds", PEER, "global-table", "Seconds") == []


# --------------------------------------------------------------------------------------------
# Configuration problems and metric failures
# --------------------------------------------------------------------------------------------

BAD_CONFIGURATIONS = {
    "namespace-missing": ({"FINPROC_NAMESPACE": None}, "FINPROC_NAMESPACE", health_check.FALLBACK_NAMESPACE),
    "namespace-aws": ({"FINPROC_NAMESPACE": "AWS/EC2"}, "FINPROC_NAMESPACE", health_check.FALLBACK_NAMESPACE),
    "endpoints-missing": ({"FINPROC_ENDPOINTS": None}, "FINPROC_ENDPOINTS", NAMESPACE),
    "endpoints-json": ({"FINPROC_ENDPOINTS": "[{"}, "FINPROC_ENDPOINTS", NAMESPACE),
    "endpoints-object": ({"FINPROC_ENDPOINTS": {"url": "https://x"}}, "FINPROC_ENDPOINTS", NAMESPACE),
    "endpoint-http": (
        {"FINPROC_ENDPOINTS": [{"region": OWN, "target": "t", "url": "http://api.example/health"}]},
        "FINPROC_ENDPOINTS[0].url",
        NAMESPACE,
    ),
    "endpoint-no-target": (
        {"FINPROC_ENDPOINTS": [{"region": OWN, "url": "https://api.example/health"}]},
        "FINPROC_ENDPOINTS[0]",
        NAMESPACE,
    ),
    "endpoint-typo": (
        {"FINPROC_ENDPOINTS": [{"region": OWN, "target": "t", "url": "https://a.example/", "servername": "x"}]},
        "FINPROC_ENDPOINTS[0]",
        NAMESPACE,
    ),
    "health-check-id": (
        {"FINPROC_HEALTH_CHECKS": [{"region": OWN, "id": 7}]},
        "FINPROC_HEALTH_CHECKS[0].id",
        NAMESPACE,
    ),
    "timeout-zero": ({"FINPROC_CONNECT_TIMEOUT": "0"}, "FINPROC_CONNECT_TIMEOUT", NAMESPACE),
    "timeout-text": ({"FINPROC_READ_TIMEOUT": "soon"}, "FINPROC_READ_TIMEOUT", NAMESPACE),
    "deadline-negative": ({"FINPROC_DEADLINE_SECONDS": "-1"}, "FINPROC_DEADLINE_SECONDS", NAMESPACE),
    "table-without-key": ({"FINPROC_TABLE_NAME": TABLE}, "FINPROC_TABLE_KEY", NAMESPACE),
    "peer-regions-type": ({"FINPROC_PEER_REGIONS": {"us-west-2": 1}}, "FINPROC_PEER_REGIONS", NAMESPACE),
    "peer-region-name": ({"FINPROC_PEER_REGIONS": ["Oregon"]}, "FINPROC_PEER_REGIONS[0]", NAMESPACE),
    "ca-bundle-missing": ({"FINPROC_CA_BUNDLE": "/nonexistent/ca.pem"}, "FINPROC_CA_BUNDLE", NAMESPACE),
}


@pytest.mark.parametrize(("changes", "variable", "namespace"), BAD_CONFIGURATIONS.values(), ids=BAD_CONFIGURATIONS)
def test_a_bad_configuration_is_reported_once_and_returns(env, capsys, changes, variable, namespace):
    env(**{"FINPROC_HEALTH_CHECKS": [{"region": OWN, "id": "never-checked"}], **changes})
    result, lines = invoke(capsys)[:2]

    assert result["healthy"] is False and result["checks"] == []
    assert any(variable in problem for problem in result["configuration_problems"])
    assert events(lines) == ["configuration", "summary"]
    assert lines[0]["level"] == "ERROR"
    assert lines[0]["problems"] == result["configuration_problems"]
    assert any(variable in problem for problem in lines[0]["problems"])
    assert metric("ConfigurationError", OWN, "monitor", "Count", namespace=namespace) == [1]
    assert metric_names(namespace) == {"ConfigurationError": [(OWN, "monitor")]}
    if namespace != NAMESPACE:
        assert not metric_names(NAMESPACE)


def test_a_failed_put_metric_data_is_logged_and_the_handler_still_returns(env, capsys, monkeypatch):
    class _Refusing:
        def put_metric_data(self, **kwargs):
            raise ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "PutMetricData")

    real = health_check.aws_client
    monkeypatch.setattr(
        health_check,
        "aws_client",
        lambda service, *args: _Refusing() if service == "cloudwatch" else real(service, *args),
    )
    result, lines = invoke(capsys)[:2]

    assert result["metrics"]["reason"] == "AccessDenied" and result["metrics"]["published"] == 0
    assert [line["level"] for line in lines if line["event"] == "metrics"] == ["ERROR"]
    assert events(lines)[-1] == "summary"
