"""finproc DR monitor: an AWS Lambda handler that checks the service from every region.

The function runs every 2 minutes in EVERY region, so that monitoring survives the loss of the
primary region. Each invocation reads its configuration from environment variables, runs all
checks in parallel, logs one JSON line per check plus one summary line, publishes CloudWatch
custom metrics in its own region and returns a JSON-serialisable summary. It never raises:
configuration problems, failed checks and a failed PutMetricData are all reported, not thrown.

Checks
    endpoint       HTTPS GET of each configured URL (certificate verified; optional ``server_name``
                   used for SNI, verification and the Host header, so an ALB can be probed by its DNS
                   name while presenting the service's certificate). Only 2xx is healthy; redirects
                   are not followed.
    health-check   Route53 GetHealthCheckStatus; healthy by Route53's own rule (more than 18% of
                   the checkers report a status starting with "Success").
    heartbeat-write / replication-lag / heartbeat-age
                   The DynamoDB global table. This region writes its own heartbeat item
                   (``finproc-monitor#heartbeat#<own region>``) and then measures two things:

                   * ReplicationLagSeconds (Region = the peer that receives): the round trip of the
                     item just written. The peer replica is polled (strongly consistent GetItem,
                     every 0.5 s) until it holds this invocation's token; the lag is the time it was
                     first seen minus the time it was written, both read from THIS region's clock,
                     so clock skew between regions does not enter. This is the replication lag
                     itself, i.e. the RPO the global table currently offers. If the item has not
                     arrived when polling must stop (1 s before the checks are cut, so that the
                     result is still collected), the elapsed time is reported in the result as a
                     lower bound with ``arrived: false`` but NOT put as the metric: a lower bound is
                     below the RPO target whenever the wait is, so it would keep the RPO alarm quiet
                     while nothing replicates. No value is put, and the replication-lag alarm
                     treats missing data as breaching. If the write failed, no lag is put for that
                     run either (HeartbeatWriteFailed=1 instead).
                   * HeartbeatAgeSeconds (Region = the peer that wrote): the age of the newest
                     heartbeat written BY the peer that this region's replica holds. It includes the
                     peer's schedule (up to 2 minutes between writes), so it is not a lag measure;
                     it detects what the round trip cannot see: a dead peer monitor, or a stream that
                     stopped replicating towards this region. No item: a ``missing`` result, no value.

    A check that fails (any exception, or the deadline) is reported unhealthy with a short reason;
    its Healthy metric, if it has one, is 0.

Deadline
    The invocation ends within min(FINPROC_DEADLINE_SECONDS, remaining Lambda time - 3 s). Checks
    are waited for with ``concurrent.futures.wait(timeout=...)`` until that deadline minus a reserve
    for PutMetricData (2 s, or half the budget when the budget is under 4 s). Timeouts are never
    summed: a check still running then is reported failed with reason ``deadline`` and its thread
    is abandoned (it ends by its own socket timeouts; in Lambda it may finish while the environment
    is frozen or during a later invocation, its result is discarded). AWS clients use bounded
    connect/read timeouts and at most 2 attempts per call (one retry), so an unreachable region
    costs a bounded time. PutMetricData runs after the checks, within the reserve, with the same
    timeouts.

Configuration (environment variables, read at every invocation; see ``load_config``)
    FINPROC_NAMESPACE, FINPROC_ENDPOINTS, FINPROC_HEALTH_CHECKS, FINPROC_TABLE_NAME,
    FINPROC_TABLE_KEY, FINPROC_PEER_REGIONS, FINPROC_CONNECT_TIMEOUT, FINPROC_READ_TIMEOUT,
    FINPROC_DEADLINE_SECONDS, FINPROC_CA_BUNDLE, and AWS_REGION (fallback AWS_DEFAULT_REGION).
    Bad configuration is reported once per invocation (one ``configuration`` log line and the
    metric ConfigurationError=1, in the fallback namespace if the namespace itself is unusable),
    and no check runs.

Metrics (every datum has exactly the dimensions Region and Target)
    EndpointHealthy (Count), EndpointLatency (Milliseconds): Region/Target of the endpoint.
    HealthCheckHealthy (Count), HealthCheckCheckersHealthyPercent (Percent): Target route53-health-check.
    ReplicationLagSeconds, HeartbeatAgeSeconds (Seconds): Region = peer, Target global-table.
    HeartbeatWriteFailed (Count): Region = own, Target global-table (every run when a table is set).
    ConfigurationError (Count): Region = own, Target monitor (every run).

Only the standard library and boto3/botocore are used (Lambda Python 3.12 runtime; imports on 3.11).
"""

from __future__ import annotations

import concurrent.futures
import http.client
import json
import math
import os
import re
import socket
import ssl
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import boto3
from botocore.config import Config as BotocoreConfig
from botocore.exceptions import ClientError

FALLBACK_NAMESPACE = "finproc/monitor-misconfigured"
DEFAULT_CONNECT_TIMEOUT = 3.0
DEFAULT_READ_TIMEOUT = 5.0
DEFAULT_DEADLINE_SECONDS = 50.0
LAMBDA_SAFETY_SECONDS = 3.0  # kept between our deadline and Lambda's own timeout
PUBLISH_RESERVE_SECONDS = 2.0  # kept at the end of the budget for PutMetricData
POLL_INTERVAL_SECONDS = 0.5
POLL_MARGIN_SECONDS = 1.0  # the lag poll ends this long before checks are cut, so its lower bound is reported
ROUTE53_REGION = "us-east-1"  # Route53 is global; its API lives in us-east-1
ROUTE53_HEALTHY_PERCENT = 18.0
HEARTBEAT_PREFIX = "finproc-monitor#heartbeat#"
HEARTBEAT_ATTRIBUTES = ("region", "written_at", "token")
METRIC_CHUNK = 150  # PutMetricData accepts 1000 data per call; stay far below
USER_AGENT = "finproc-dr-health-check/1"

TARGET_MONITOR = "monitor"
TARGET_ROUTE53 = "route53-health-check"
TARGET_TABLE = "global-table"

_REGION_NAME = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")
_NAMESPACE_CHARS = re.compile(r"^[A-Za-z0-9.\-_/#: ]{1,255}$")
_ENDPOINT_KEYS = {"region": True, "target": True, "url": True, "server_name": False}
_HEALTH_CHECK_KEYS = {"region": True, "id": True}

# The only state kept across (warm) invocations: one boto3 session and one client per service,
# region and timeout pair, so that a warm execution environment reuses connection pools. Checks
# create clients from worker threads and boto3 client creation is not thread-safe, hence the lock.
# Nothing else at module level changes during an invocation.
_CLIENTS: dict[tuple[str, str, float, float], Any] = {}
_SESSION: list[boto3.session.Session] = []  # zero or one element; a list so that it is never rebound
_CLIENTS_LOCK = threading.Lock()


# --------------------------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    """One HTTPS URL to probe, with the Region/Target dimensions of its metrics."""

    region: str
    target: str
    url: str
    host: str
    port: int
    path: str
    server_name: str | None

    @property
    def tls_name(self) -> str:
        """The name used for SNI and certificate verification."""
        return self.server_name or self.host

    @property
    def host_header(self) -> str:
        """The HTTP Host header: the TLS name, with the port when it is not 443."""
        return self.tls_name if self.port == 443 else f"{self.tls_name}:{self.port}"


@dataclass(frozen=True)
class HealthCheck:
    """One Route53 health check, reported under the given region."""

    region: str
    check_id: str


@dataclass(frozen=True)
class Config:  # pylint: disable=too-many-instance-attributes
    """A complete, valid configuration for one invocation."""

    namespace: str
    region: str
    endpoints: tuple[Endpoint, ...]
    health_checks: tuple[HealthCheck, ...]
    table_name: str | None
    table_key: str | None
    peer_regions: tuple[str, ...]
    connect_timeout: float
    read_timeout: float
    deadline_seconds: float
    ca_bundle: str | None


def own_region(environ: Mapping[str, str]) -> str | None:
    """The region the function runs in: AWS_REGION (set by Lambda), else AWS_DEFAULT_REGION."""
    return (environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION") or "").strip() or None


def namespace_problem(namespace: str | None) -> str | None:
    """Why FINPROC_NAMESPACE cannot be used as a CloudWatch namespace, or None if it can."""
    if not namespace:
        return "FINPROC_NAMESPACE is required (the CloudWatch namespace of the metrics, e.g. finproc/dev/dr)"
    if namespace.startswith("AWS/"):
        return f"FINPROC_NAMESPACE {namespace!r} must not start with 'AWS/' (reserved for AWS services)"
    if not _NAMESPACE_CHARS.match(namespace):
        return f"FINPROC_NAMESPACE {namespace!r} is not a valid CloudWatch namespace (1-255 of A-Za-z0-9._-/#: )"
    return None


def usable_namespace(environ: Mapping[str, str]) -> str:
    """FINPROC_NAMESPACE when usable, else the fallback namespace for ConfigurationError."""
    namespace = environ.get("FINPROC_NAMESPACE", "").strip()
    return FALLBACK_NAMESPACE if namespace_problem(namespace) else namespace


def load_config(environ: Mapping[str, str]) -> Config | list[str]:
    """Read the configuration from ``environ``: a Config, or the list of every problem found.

    Optional variables that are empty count as unset. Endpoint and health-check entries accept only
    their documented keys (an unknown key, e.g. a misspelt ``server_name``, is a problem), and a
    repeated endpoint region/target pair is a problem (their metrics would mix). FINPROC_PEER_REGIONS
    must hold region names; the own region and repeats in it are ignored. Peer regions are used only
    when FINPROC_TABLE_NAME is set.
    """
    problems: list[str] = []
    namespace = environ.get("FINPROC_NAMESPACE", "").strip()
    _add(problems, namespace_problem(namespace))
    region = own_region(environ)
    if region is None:
        problems.append("AWS_REGION (or AWS_DEFAULT_REGION) is not set: the function's own region is unknown")
    endpoints = _parse_endpoints(_json_list(environ, "FINPROC_ENDPOINTS", True, problems), problems)
    health_checks = _parse_health_checks(_json_list(environ, "FINPROC_HEALTH_CHECKS", False, problems), problems)
    table_name, table_key = _parse_table(environ, problems)
    peers = _parse_peer_regions(_json_list(environ, "FINPROC_PEER_REGIONS", False, problems), region, problems)
    connect_timeout = _positive_number(environ, "FINPROC_CONNECT_TIMEOUT", DEFAULT_CONNECT_TIMEOUT, problems)
    read_timeout = _positive_number(environ, "FINPROC_READ_TIMEOUT", DEFAULT_READ_TIMEOUT, problems)
    deadline = _positive_number(environ, "FINPROC_DEADLINE_SECONDS", DEFAULT_DEADLINE_SECONDS, problems)
    ca_bundle = environ.get("FINPROC_CA_BUNDLE", "").strip() or None
    if ca_bundle and not os.path.isfile(ca_bundle):
        problems.append(f"FINPROC_CA_BUNDLE {ca_bundle!r} is not a readable file (a PEM bundle of trusted CAs)")
    if problems:
        return problems
    return Config(
        namespace=namespace,
        region=region or "",
        endpoints=endpoints,
        health_checks=health_checks,
        table_name=table_name,
        table_key=table_key,
        peer_regions=peers if table_name else (),
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        deadline_seconds=deadline,
        ca_bundle=ca_bundle,
    )


def _add(problems: list[str], problem: str | None) -> None:
    """Append ``problem`` unless it is None."""
    if problem:
        problems.append(problem)


def _json_list(environ: Mapping[str, str], name: str, required: bool, problems: list[str]) -> list[Any]:
    """The JSON list in variable ``name`` ([] when optional and unset or empty)."""
    raw = environ.get(name, "").strip()
    if not raw:
        if required:
            problems.append(f"{name} is required (a JSON list, [] for none)")
        return []
    try:
        value = json.loads(raw)
    except ValueError as exc:
        problems.append(f"{name} is not valid JSON ({exc})")
        return []
    if not isinstance(value, list):
        problems.append(f"{name} must be a JSON list, got {type(value).__name__}")
        return []
    return value


def _positive_number(environ: Mapping[str, str], name: str, default: float, problems: list[str]) -> float:
    """The positive, finite number of seconds in variable ``name`` (``default`` when unset or empty)."""
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        problems.append(f"{name} {raw!r} is not a positive number of seconds")
        return default
    return value


def _object_fields(item: Any, where: str, keys: Mapping[str, bool], problems: list[str]) -> dict[str, str] | None:
    """The string fields of one JSON object of a list, or None (with problems) when it is malformed."""
    if not isinstance(item, dict):
        problems.append(f"{where} must be a JSON object, got {type(item).__name__}")
        return None
    found = len(problems)
    for key in sorted(set(item) - set(keys)):
        problems.append(f"{where} has an unknown key {key!r} (allowed: {', '.join(keys)})")
    for key, required in keys.items():
        if key not in item:
            if required:
                problems.append(f"{where} is missing the key {key!r}")
        elif not isinstance(item[key], str) or not item[key].strip():
            problems.append(f"{where}.{key} must be a non-empty string, got {item[key]!r}")
    if len(problems) > found:
        return None
    return {key: item[key].strip() for key in keys if key in item}


def _parse_endpoints(items: list[Any], problems: list[str]) -> tuple[Endpoint, ...]:
    """FINPROC_ENDPOINTS entries as Endpoints; each problem names the entry."""
    endpoints = []
    seen: set[tuple[str, str]] = set()
    for index, item in enumerate(items):
        where = f"FINPROC_ENDPOINTS[{index}]"
        fields = _object_fields(item, where, _ENDPOINT_KEYS, problems)
        if fields is None:
            continue
        endpoint = _endpoint(fields, where, problems)
        if endpoint is None:
            continue
        if (endpoint.region, endpoint.target) in seen:
            problems.append(f"{where} repeats region {endpoint.region!r} and target {endpoint.target!r}")
        seen.add((endpoint.region, endpoint.target))
        endpoints.append(endpoint)
    return tuple(endpoints)


def _endpoint(fields: dict[str, str], where: str, problems: list[str]) -> Endpoint | None:
    """One Endpoint from its validated fields, or None when its URL is not an https URL with a host."""
    url = fields["url"]
    try:
        parts = urlsplit(url)
        port = parts.port or 443
    except ValueError as exc:
        problems.append(f"{where}.url {url!r} is not a valid URL ({exc})")
        return None
    if parts.scheme.lower() != "https" or not parts.hostname:
        problems.append(f"{where}.url {url!r} must be an https:// URL with a host name")
        return None
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Endpoint(
        region=fields["region"],
        target=fields["target"],
        url=url,
        host=parts.hostname,
        port=port,
        path=path,
        server_name=fields.get("server_name"),
    )


def _parse_health_checks(items: list[Any], problems: list[str]) -> tuple[HealthCheck, ...]:
    """FINPROC_HEALTH_CHECKS entries as HealthChecks; each problem names the entry."""
    checks = []
    for index, item in enumerate(items):
        fields = _object_fields(item, f"FINPROC_HEALTH_CHECKS[{index}]", _HEALTH_CHECK_KEYS, problems)
        if fields is not None:
            checks.append(HealthCheck(region=fields["region"], check_id=fields["id"]))
    return tuple(checks)


def _parse_table(environ: Mapping[str, str], problems: list[str]) -> tuple[str | None, str | None]:
    """FINPROC_TABLE_NAME and FINPROC_TABLE_KEY: (None, None) when replication checks are disabled."""
    table_name = environ.get("FINPROC_TABLE_NAME", "").strip() or None
    table_key = environ.get("FINPROC_TABLE_KEY", "").strip() or None
    if table_name is None:
        return None, None
    if table_key is None:
        problems.append("FINPROC_TABLE_KEY is required when FINPROC_TABLE_NAME is set (the partition key's name)")
    elif table_key in HEARTBEAT_ATTRIBUTES:
        problems.append(f"FINPROC_TABLE_KEY {table_key!r} clashes with a heartbeat attribute {HEARTBEAT_ATTRIBUTES}")
    return table_name, table_key


def _parse_peer_regions(items: list[Any], region: str | None, problems: list[str]) -> tuple[str, ...]:
    """FINPROC_PEER_REGIONS as region names, in order, without duplicates or the own region."""
    peers: list[str] = []
    for index, item in enumerate(items):
        if not isinstance(item, str) or not _REGION_NAME.match(item):
            problems.append(f"FINPROC_PEER_REGIONS[{index}] {item!r} is not an AWS region name")
        elif item != region and item not in peers:
            peers.append(item)
    return tuple(peers)


# --------------------------------------------------------------------------------------------
# AWS clients
# --------------------------------------------------------------------------------------------


def aws_client(service: str, region: str, connect_timeout: float, read_timeout: float) -> Any:
    """A cached boto3 client with bounded timeouts and 2 attempts.

    No endpoint_url is passed: botocore itself honours AWS_ENDPOINT_URL and
    AWS_ENDPOINT_URL_<SERVICE> (the standard SDK endpoint configuration).
    """
    key = (service, region, connect_timeout, read_timeout)
    with _CLIENTS_LOCK:
        client = _CLIENTS.get(key)
        if client is None:
            if not _SESSION:
                _SESSION.append(boto3.session.Session())
            # At most 2 attempts of connect + read timeout each (total_max_attempts counts the first).
            config = BotocoreConfig(
                connect_timeout=connect_timeout,
                read_timeout=read_timeout,
                retries={"total_max_attempts": 2, "mode": "standard"},
            )
            client = _SESSION[0].client(service, region_name=region, config=config)
            _CLIENTS[key] = client
    return client


def reset_clients() -> None:
    """Forget the cached session and clients (tests; credentials or endpoints changed)."""
    with _CLIENTS_LOCK:
        _CLIENTS.clear()
        _SESSION.clear()


def _client(service: str, region: str, config: Config) -> Any:
    """The cached client of ``service`` in ``region`` with the configuration's timeouts."""
    return aws_client(service, region, config.connect_timeout, config.read_timeout)


# --------------------------------------------------------------------------------------------
# Checks and their results
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    """One check to run in a worker thread: ``function(check, *args)`` returns the check's result dict."""

    event: str
    region: str
    target: str
    function: Callable[..., dict[str, Any]]
    args: tuple[Any, ...] = ()

    def run(self) -> dict[str, Any]:
        """Run the check (exceptions propagate; see run_guarded)."""
        return self.function(self, *self.args)

    def result(self, healthy: bool, reason: str | None = None, **values: Any) -> dict[str, Any]:
        """A result of this check (also its log line): event, region, target, healthy, reason, values."""
        return result(self.event, self.region, self.target, healthy, reason, **values)


def result(event: str, region: str, target: str, healthy: bool, reason: str | None, **values: Any) -> dict[str, Any]:
    """One check result: JSON-serialisable, logged as is."""
    return {"event": event, "region": region, "target": target, "healthy": healthy, "reason": reason, **values}


def run_guarded(check: Check) -> dict[str, Any]:
    """Run one check; any exception becomes that check's failure result with a short reason."""
    try:
        return check.run()
    # Deliberately broad: whatever one check raises must become its own failure result and never
    # stop the other checks or the metrics.
    except Exception as exc:  # pylint: disable=broad-exception-caught
        return check.result(False, exception_reason(exc), detail=short_text(exc))


def exception_reason(exc: BaseException) -> str:
    """A short reason for an exception: the AWS error code, else the exception's class name."""
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code") or "ClientError")
    return type(exc).__name__


def short_text(exc: BaseException, limit: int = 300) -> str:
    """The exception's message, cut to ``limit`` characters for the log."""
    text = str(exc) or type(exc).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."


class _ProbeError(Exception):
    """An endpoint probe failure of a known kind (dns, connect-refused, timeout, tls, ...)."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind


def check_endpoint(check: Check, config: Config, endpoint: Endpoint) -> dict[str, Any]:
    """HTTPS GET of the endpoint: healthy on 2xx; latency in ms whenever a response came."""
    started = time.monotonic()
    try:
        status = https_status(endpoint, config.connect_timeout, config.read_timeout, config.ca_bundle)
    except _ProbeError as failure:
        return check.result(False, failure.kind, url=endpoint.url, status=None, latency_ms=None, detail=str(failure))
    latency_ms = round((time.monotonic() - started) * 1000, 1)
    healthy = 200 <= status < 300
    reason = None if healthy else f"http-{status}"
    return check.result(healthy, reason, url=endpoint.url, status=status, latency_ms=latency_ms)


def tls_context(ca_bundle: str | None) -> ssl.SSLContext:
    """Certificate and host name verification on; FINPROC_CA_BUNDLE replaces the system trust store."""
    return ssl.create_default_context(cafile=ca_bundle) if ca_bundle else ssl.create_default_context()


def https_status(endpoint: Endpoint, connect_timeout: float, read_timeout: float, ca_bundle: str | None) -> int:
    """Connect to the URL's host, TLS with the endpoint's TLS name, GET; the status, or _ProbeError."""
    try:
        context = tls_context(ca_bundle)
    except (OSError, ValueError) as exc:
        raise _ProbeError("tls-config", f"trust store: {exc}") from exc
    try:
        raw = socket.create_connection((endpoint.host, endpoint.port), timeout=connect_timeout)
    except OSError as exc:
        raise _ProbeError(connect_failure_kind(exc), f"connect to {endpoint.host}:{endpoint.port}: {exc}") from exc
    with raw:
        raw.settimeout(read_timeout)
        try:
            tls = context.wrap_socket(raw, server_hostname=endpoint.tls_name)
        except TimeoutError as exc:
            raise _ProbeError("timeout", f"TLS handshake timed out after {read_timeout:g} s") from exc
        except OSError as exc:  # ssl.SSLError, certificate verification, reset during the handshake
            raise _ProbeError("tls", f"TLS as {endpoint.tls_name}: {exc}") from exc
        with tls:
            return http_get(tls, endpoint, read_timeout)


def connect_failure_kind(exc: OSError) -> str:
    """The failure kind of a TCP connect: dns, timeout, connect-refused or connect-error."""
    if isinstance(exc, socket.gaierror):
        return "dns"
    if isinstance(exc, TimeoutError):
        return "timeout"
    if isinstance(exc, ConnectionRefusedError):
        return "connect-refused"
    return "connect-error"


def http_get(tls: ssl.SSLSocket, endpoint: Endpoint, read_timeout: float) -> int:
    """Send GET over the established TLS socket and return the status (redirects not followed)."""
    connection = http.client.HTTPConnection(endpoint.host, endpoint.port, timeout=read_timeout)
    connection.sock = tls  # already connected and verified; http.client only frames the request
    headers = {"Host": endpoint.host_header, "User-Agent": USER_AGENT, "Accept": "*/*", "Connection": "close"}
    try:
        connection.request("GET", endpoint.path, headers=headers)
        response = connection.getresponse()
        response.close()
        return response.status
    except TimeoutError as exc:
        raise _ProbeError("timeout", f"no response within the read timeout of {read_timeout:g} s") from exc
    except http.client.HTTPException as exc:  # includes RemoteDisconnected
        raise _ProbeError("protocol", f"bad or no HTTP response: {exc!r}") from exc
    except ssl.SSLError as exc:
        raise _ProbeError("tls", f"TLS error during the request: {exc}") from exc
    except OSError as exc:
        raise _ProbeError("network", f"network error during the request: {exc}") from exc
    finally:
        connection.close()


def checkers_healthy_percent(observations: list[dict[str, Any]]) -> float:
    """Percentage of Route53 checkers whose last status starts with "Success" (0 without checkers)."""
    if not observations:
        return 0.0
    healthy = sum(
        1 for observation in observations if observation.get("StatusReport", {}).get("Status", "").startswith("Success")
    )
    return 100.0 * healthy / len(observations)


def route53_verdict(observations: list[dict[str, Any]]) -> tuple[bool, float]:
    """Route53's rule: healthy when MORE than 18% of the checkers report success; (healthy, percent)."""
    percent = checkers_healthy_percent(observations)
    return percent > ROUTE53_HEALTHY_PERCENT, round(percent, 1)  # decided before rounding for the report


def check_route53(check: Check, config: Config, health_check: HealthCheck) -> dict[str, Any]:
    """Route53 GetHealthCheckStatus: healthy when more than 18% of the checkers report success."""
    client = _client("route53", ROUTE53_REGION, config)
    observations = client.get_health_check_status(HealthCheckId=health_check.check_id)["HealthCheckObservations"]
    healthy, percent = route53_verdict(observations)
    reason = None if healthy else ("no-checkers" if not observations else "checkers-unhealthy")
    return check.result(
        healthy, reason, id=health_check.check_id, checkers=len(observations), checkers_healthy_percent=percent
    )


class Heartbeat:
    """This invocation's heartbeat write, shared by the write check and the replication-lag checks."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.token: str | None = None
        self.written_at: float | None = None

    def record(self, token: str, written_at: float) -> None:
        """Remember a successful write (before ``done`` is set)."""
        self.token = token
        self.written_at = written_at


def heartbeat_key(config: Config, region: str) -> dict[str, dict[str, str]]:
    """The key of the heartbeat item written by ``region``."""
    return {str(config.table_key): {"S": f"{HEARTBEAT_PREFIX}{region}"}}


def write_heartbeat(check: Check, config: Config, heartbeat: Heartbeat) -> dict[str, Any]:
    """Write the own region's heartbeat (region, written_at, token) to the table in the own region."""
    try:
        client = _client("dynamodb", config.region, config)
        token = str(uuid.uuid4())
        written_at = round(time.time(), 3)  # taken after the client exists, as close to the write as possible
        item = {
            **heartbeat_key(config, config.region),
            "region": {"S": config.region},
            "written_at": {"N": f"{written_at:.3f}"},
            "token": {"S": token},
        }
        client.put_item(TableName=config.table_name, Item=item)
        heartbeat.record(token, written_at)
    finally:
        heartbeat.done.set()  # the lag checks stop waiting, whether the write worked or not
    return check.result(True, table=config.table_name, token=heartbeat.token, written_at=heartbeat.written_at)


def measure_replication_lag(check: Check, config: Config, heartbeat: Heartbeat, poll_deadline: float) -> dict[str, Any]:
    """Poll the peer replica until it holds this invocation's heartbeat: the replication lag in seconds."""
    if not heartbeat.done.wait(timeout=max(0.0, poll_deadline - time.monotonic())):
        return check.result(False, "deadline", detail="the heartbeat write did not finish in time", lag_seconds=None)
    if heartbeat.token is None or heartbeat.written_at is None:
        return check.result(False, "heartbeat-write-failed", lag_seconds=None)
    client = _client("dynamodb", check.region, config)
    key = heartbeat_key(config, config.region)
    while True:
        item = client.get_item(TableName=config.table_name, Key=key, ConsistentRead=True).get("Item") or {}
        lag = round(max(0.0, time.time() - heartbeat.written_at), 3)
        if item.get("token", {}).get("S") == heartbeat.token:
            return check.result(True, lag_seconds=lag, arrived=True)
        remaining = poll_deadline - time.monotonic()
        if remaining <= 0:
            return check.result(False, "not-arrived", lag_seconds=lag, arrived=False, lower_bound=True)
        time.sleep(min(POLL_INTERVAL_SECONDS, remaining))  # the last poll falls on the poll deadline


def read_heartbeat_age(check: Check, config: Config) -> dict[str, Any]:
    """Age in seconds of the newest heartbeat written by the peer that the own region's replica holds."""
    client = _client("dynamodb", config.region, config)
    key = heartbeat_key(config, check.region)
    item = client.get_item(TableName=config.table_name, Key=key, ConsistentRead=True).get("Item")
    if not item:
        return check.result(False, "missing", age_seconds=None)
    try:
        written_at = float(item["written_at"]["N"])
    except (KeyError, TypeError, ValueError):
        return check.result(False, "malformed", age_seconds=None, detail="no numeric written_at attribute")
    return check.result(True, age_seconds=round(time.time() - written_at, 3), written_at=written_at)


def plan_checks(config: Config, poll_deadline: float) -> list[Check]:
    """Every check of this invocation (the heartbeat write before the lag checks that wait for it)."""
    checks = [Check("endpoint", e.region, e.target, check_endpoint, (config, e)) for e in config.endpoints]
    checks += [
        Check("health-check", h.region, TARGET_ROUTE53, check_route53, (config, h)) for h in config.health_checks
    ]
    if config.table_name:
        heartbeat = Heartbeat()
        checks.append(Check("heartbeat-write", config.region, TARGET_TABLE, write_heartbeat, (config, heartbeat)))
        for peer in config.peer_regions:
            lag_args = (config, heartbeat, poll_deadline)
            checks.append(Check("replication-lag", peer, TARGET_TABLE, measure_replication_lag, lag_args))
        for peer in config.peer_regions:
            checks.append(Check("heartbeat-age", peer, TARGET_TABLE, read_heartbeat_age, (config,)))
    return checks


def run_checks(config: Config, checks_deadline: float) -> list[dict[str, Any]]:
    """Run every check in parallel until ``checks_deadline`` (monotonic); late checks fail with ``deadline``."""
    checks = plan_checks(config, checks_deadline - POLL_MARGIN_SECONDS)
    if not checks:
        return []
    executor = concurrent.futures.ThreadPoolExecutor(max_workers=len(checks), thread_name_prefix="finproc-check")
    futures = [executor.submit(run_guarded, check) for check in checks]
    finished = concurrent.futures.wait(futures, timeout=max(0.0, checks_deadline - time.monotonic())).done
    # Checks still running are abandoned, never waited for: they end by their own timeouts.
    executor.shutdown(wait=False, cancel_futures=True)
    return [
        future.result() if future in finished else late_result(check)
        for check, future in zip(checks, futures, strict=True)
    ]


def late_result(check: Check) -> dict[str, Any]:
    """The failure result of a check that did not finish before the deadline."""
    return check.result(False, "deadline", detail="not finished before the invocation's deadline")


# --------------------------------------------------------------------------------------------
# Metrics
# --------------------------------------------------------------------------------------------


def datum(name: str, value: float, unit: str, region: str, target: str) -> dict[str, Any]:
    """One PutMetricData datum with exactly the dimensions Region and Target."""
    dimensions = [{"Name": "Region", "Value": region}, {"Name": "Target", "Value": target}]
    return {"MetricName": name, "Dimensions": dimensions, "Value": float(value), "Unit": unit}


def result_metrics(check: dict[str, Any], own: str) -> list[dict[str, Any]]:
    """The metric data one check result contributes (values missing from the result are not put)."""
    event, region, target, healthy = check["event"], check["region"], check["target"], check["healthy"]
    data = []
    if event == "endpoint":
        data.append(datum("EndpointHealthy", int(healthy), "Count", region, target))
        if check.get("latency_ms") is not None:
            data.append(datum("EndpointLatency", check["latency_ms"], "Milliseconds", region, target))
    elif event == "health-check":
        data.append(datum("HealthCheckHealthy", int(healthy), "Count", region, target))
        if check.get("checkers_healthy_percent") is not None:
            data.append(
                datum("HealthCheckCheckersHealthyPercent", check["checkers_healthy_percent"], "Percent", region, target)
            )
    elif event == "heartbeat-write":
        data.append(datum("HeartbeatWriteFailed", int(not healthy), "Count", own, target))
    elif event == "replication-lag" and check.get("lag_seconds") is not None and check.get("arrived"):
        # Only a heartbeat that arrived is a lag; a lower bound is left out (missing = breaching).
        data.append(datum("ReplicationLagSeconds", check["lag_seconds"], "Seconds", region, target))
    elif event == "heartbeat-age" and check.get("age_seconds") is not None:
        data.append(datum("HeartbeatAgeSeconds", check["age_seconds"], "Seconds", region, target))
    return data


def build_metrics(results: list[dict[str, Any]], own: str) -> list[dict[str, Any]]:
    """Every datum of a run with a valid configuration (ConfigurationError=0 first)."""
    data = [datum("ConfigurationError", 0, "Count", own, TARGET_MONITOR)]
    for check in results:
        data.extend(result_metrics(check, own))
    return data


def chunks(items: list[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    """``items`` in consecutive lists of at most ``size``."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def publish_metrics(
    namespace: str, region: str | None, data: list[dict[str, Any]], connect_timeout: float, read_timeout: float
) -> dict[str, Any]:
    """PutMetricData in the own region; a failure is logged (one ERROR line) and returned, never raised."""
    published = 0
    try:
        if region is None:
            raise ValueError("the own region is unknown (AWS_REGION unset)")
        client = aws_client("cloudwatch", region, connect_timeout, read_timeout)
        for chunk in chunks(data, METRIC_CHUNK):
            client.put_metric_data(Namespace=namespace, MetricData=chunk)
            published += len(chunk)
    # Deliberately broad: a metrics failure is reported in the log and the summary; the handler
    # still returns its result.
    except Exception as exc:  # pylint: disable=broad-exception-caught
        outcome = {"namespace": namespace, "published": published, "total": len(data)}
        outcome.update(reason=exception_reason(exc), detail=short_text(exc))
        log({"event": "metrics", "level": "ERROR", "region": region, **outcome})
        return outcome
    return {"namespace": namespace, "published": published, "total": len(data)}


# --------------------------------------------------------------------------------------------
# Logging and the handler
# --------------------------------------------------------------------------------------------


def log(record: dict[str, Any]) -> None:
    """One JSON line on stdout (Lambda sends stdout to CloudWatch Logs)."""
    print(json.dumps(record, default=str, sort_keys=False), flush=True)


def log_check(check: dict[str, Any]) -> None:
    """The one log line of a check result."""
    log({"level": "INFO" if check["healthy"] else "WARNING", **check})


def invocation_budget(deadline_seconds: float, context: Any) -> float:
    """Seconds this invocation may take: min(deadline, Lambda's remaining time - safety margin)."""
    budget = deadline_seconds
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if callable(remaining):
        budget = min(budget, remaining() / 1000.0 - LAMBDA_SAFETY_SECONDS)
    return max(0.0, budget)


def publish_reserve(budget: float) -> float:
    """Seconds kept at the end of the budget for PutMetricData: 2 s, at most half the budget."""
    return min(PUBLISH_RESERVE_SECONDS, budget / 2.0)


def report_configuration(problems: list[str], environ: Mapping[str, str], started: float) -> dict[str, Any]:
    """Log the configuration problems once, put ConfigurationError=1, and return the summary."""
    region = own_region(environ)
    namespace = usable_namespace(environ)
    log({"event": "configuration", "level": "ERROR", "region": region, "namespace": namespace, "problems": problems})
    error = datum("ConfigurationError", 1, "Count", region or "unknown", TARGET_MONITOR)
    metrics = publish_metrics(namespace, region, [error], DEFAULT_CONNECT_TIMEOUT, DEFAULT_READ_TIMEOUT)
    return summarise(region, [], metrics, started, problems)


def summarise(
    region: str | None, results: list[dict[str, Any]], metrics: dict[str, Any], started: float, problems: list[str]
) -> dict[str, Any]:
    """The invocation's summary (logged as one line, and returned with the check results)."""
    summary = {
        "event": "summary",
        "level": "INFO" if not problems and all(check["healthy"] for check in results) else "WARNING",
        "region": region,
        "healthy": not problems and all(check["healthy"] for check in results),
        "configuration_problems": problems,
        "checks_total": len(results),
        "checks_unhealthy": [
            f"{check['event']}:{check['region']}:{check['target']}" for check in results if not check["healthy"]
        ],
        "metrics": metrics,
        "duration_ms": round((time.monotonic() - started) * 1000, 1),
    }
    log(summary)
    return {**summary, "checks": results}


def handler(event: Any, context: Any) -> dict[str, Any]:  # pylint: disable=unused-argument
    """Lambda entry point: check everything, publish the metrics, return a summary. Never raises.

    ``event`` (the schedule's payload) is not used; ``context`` may be None outside Lambda.
    """
    started = time.monotonic()
    loaded = load_config(os.environ)
    if isinstance(loaded, list):
        return report_configuration(loaded, os.environ, started)
    config = loaded
    budget = invocation_budget(config.deadline_seconds, context)
    results = run_checks(config, started + budget - publish_reserve(budget))
    for check in results:
        log_check(check)
    data = build_metrics(results, config.region)
    metrics = publish_metrics(config.namespace, config.region, data, config.connect_timeout, config.read_timeout)
    return summarise(config.region, results, metrics, started, [])
