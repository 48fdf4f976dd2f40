"""The deployer's policy and the monitor's role, proven under moto's IAM enforcement.

A second moto server of our own (the emulator's, with its fixes, scripts/moto_enforcing_server.py)
runs with IAM enforcement on: every request must be signed by a known access key and be allowed by
that identity's policies.
As a user that holds ONLY the moto form of docs/iam/deployer-policy.json (scripts/moto_iam.py says
why the form differs, from moto's code: moto checks actions, never resources or conditions), the
whole stack converges (site.yml, the moto-served services; DynamoDB and S3 stay on LocalStack,
which enforces nothing), verify.yml and destroy.yml pass; less one statement, the converge fails
naming an action of that statement. Then the monitor's handler runs in-process with the ASSUMED
credentials of the live monitor role: its PutMetricData and Route53 GetHealthCheckStatus succeed,
and without the PutMetricData statement its metrics are refused. (Its DynamoDB heartbeats go to
LocalStack, which enforces nothing: the access-path tests in tests/unit/policies/ cover them.)

What this cannot prove: resource and condition scoping (moto checks neither), KMS key policies,
bucket policies. The IAM policy evaluator's tests (tests/unit/policies/) prove those on the
rendered documents.
"""

import contextlib
import importlib.util
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest
import yaml
from conftest import REGIONS, recap, run_site, write_inventory

ROOT = Path(__file__).resolve().parents[2]
POLICY = ROOT / "docs" / "iam" / "deployer-policy.json"
HOST = "127.0.0.1"
ACCOUNT_ID = "000000000000"


def _load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


moto_iam = _load("moto_iam_under_test", ROOT / "scripts" / "moto_iam.py")


def _free_port():
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def _http_ok(url):
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:  # noqa: S310 (loopback)
            return answer.status == 200
    except OSError:
        return False


class EnforcingMoto:
    """Our own moto server: IAM enforcement off while it is set up, then on (/moto-api/reset-auth)."""

    def __init__(self, workdir):
        state = Path(os.environ.get("FINPROC_EMULATOR_DIR", ROOT / ".emulator"))
        python = state / "moto-venv" / "bin" / "python"
        if not python.exists():
            pytest.fail(f"{python} is missing: the emulator is installed by 'make emulator-up' (make integration)")
        self.port = _free_port()
        self.endpoint = f"http://{HOST}:{self.port}"
        # moto/settings.py reads INITIAL_NO_AUTH_ACTION_COUNT once (default: infinite = no enforcement).
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "INITIAL_NO_AUTH"))}
        env.update(MOTO_ACCOUNT_ID=ACCOUNT_ID, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test")  # noqa: S106
        self.log = workdir / "moto.log"
        with open(self.log, "wb") as out:
            self.process = subprocess.Popen(  # noqa: S603 (our own interpreter and script)
                [str(python), str(ROOT / "scripts" / "moto_enforcing_server.py"), "-H", HOST, "-p", str(self.port)],
                cwd=workdir,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 60
        while not _http_ok(f"{self.endpoint}/moto-api/"):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"the enforcing moto server did not start: {self.log.read_text()[-2000:]}")
            time.sleep(0.3)
        self.credentials = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}  # before enforcement

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)

    def enforce(self, on):
        """moto/moto_api/_internal/responses.py reset_auth_response: the count of requests let
        through unchecked (0 = every request checked from now on; inf = none)."""
        # A body without a form content type: werkzeug would parse a form and leave request.data empty.
        request = urllib.request.Request(  # noqa: S310 (loopback)
            f"{self.endpoint}/moto-api/reset-auth",
            data=b"0" if on else b"inf",
            headers={"Content-Type": "application/octet-stream"},
        )
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 (loopback)
            assert answer.status == 200

    def client(self, service, credentials=None, region=REGIONS[0]):
        return boto3.client(
            service, endpoint_url=self.endpoint, region_name=region, **(credentials or self.credentials)
        )


def _user(moto, name, policy):
    iam = moto.client("iam")
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName=name, PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return {"aws_access_key_id": key["AccessKeyId"], "aws_secret_access_key": key["SecretAccessKey"]}


@pytest.fixture(scope="module")
def enforcing(tmp_path_factory):
    """The enforcing moto with two users: an administrator (our test's eyes) and the deployer."""
    moto = EnforcingMoto(tmp_path_factory.mktemp("enforcing-moto"))
    try:
        admin = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
        moto.admin = _user(moto, "finproc-test-administrator", admin)
        moto.policy = json.loads(POLICY.read_text())
        moto.deployer = _user(moto, "finproc-test-deployer", moto_iam.moto_form(moto.policy))
        moto.enforce(True)
        moto.credentials = moto.admin
        # Enforcement is on: an unknown key is refused, and the deployer may not go beyond its policy.
        with pytest.raises(Exception, match="InvalidClientTokenId"):
            moto.client("iam", {"aws_access_key_id": "test", "aws_secret_access_key": "test"}).list_users()
        with pytest.raises(Exception, match="AccessDenied"):
            moto.client("iam", moto.deployer).list_users()
        moto.client("iam", moto.deployer).list_roles()  # in its policy
        yield moto
    finally:
        moto.stop()


def set_deployer_policy(moto, policy):
    moto.client("iam").put_user_policy(
        UserName="finproc-test-deployer", PolicyName="finproc-test-deployer", PolicyDocument=json.dumps(policy)
    )


@contextlib.contextmanager
def as_deployer(moto):
    """The standard AWS SDK variables of the deployer on the enforcing moto; LocalStack as usual."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_ENDPOINT_URL", moto.endpoint)
        patch.setenv("AWS_ACCESS_KEY_ID", moto.deployer["aws_access_key_id"])
        patch.setenv("AWS_SECRET_ACCESS_KEY", moto.deployer["aws_secret_access_key"])
        patch.delenv("AWS_SESSION_TOKEN", raising=False)
        yield


DENIED = re.compile(r"is not authorized to perform:? ([a-z0-9-]+:[A-Za-z0-9]+)")


@pytest.fixture(scope="module")
def stack(enforcing, tmp_path_factory):
    """site.yml as the deployer, in a fresh environment; the seconds each run took."""
    workdir = tmp_path_factory.mktemp("permissions")
    environment = "it" + uuid.uuid4().hex[:8]
    inventory = write_inventory(workdir, yaml.safe_load((ROOT / "inventories/local/hosts.yml").read_text()))
    stack = {"environment": environment, "inventory": inventory, "workdir": workdir, "seconds": {}}
    started = time.monotonic()
    with as_deployer(enforcing):
        stack["converge"] = run_site(inventory, extra_vars={"dr_environment": environment})
    stack["seconds"]["converge"] = round(time.monotonic() - started, 1)
    return stack


def test_the_stack_converges_as_a_user_holding_only_the_deployer_policy(enforcing, stack):
    converge = stack["converge"]
    assert converge.returncode == 0, converge.stdout[-6000:]
    assert sorted(recap(converge.stdout)) == sorted(REGIONS)
    assert not DENIED.search(converge.stdout)
    # The stack is there (the deployer's requests were checked: see the enforcing fixture).
    role = f"finproc-{stack['environment']}-monitor-{REGIONS[0]}"
    assert enforcing.client("iam").get_role(RoleName=role)["Role"]["RoleName"] == role
    print(f"converge under enforcement: {stack['seconds']['converge']} s")


def test_verify_passes_as_the_deployer(enforcing, stack):
    reports = stack["workdir"] / "reports"
    started = time.monotonic()
    with as_deployer(enforcing):
        verified = run_site(
            stack["inventory"],
            extra_vars={"dr_environment": stack["environment"], "dr_reports_dir": str(reports)},
            playbook="playbooks/verify.yml",
        )
    print(f"verify under enforcement: {time.monotonic() - started:.1f} s")
    assert verified.returncode == 0, verified.stdout[-6000:]
    assert not DENIED.search(verified.stdout)


def test_the_failover_drill_passes_as_the_deployer(enforcing, stack):
    """The drill inverts the primary's health check and puts a canary item (LocalStack), measures,
    and restores the primary: every call it makes on moto is allowed."""
    started = time.monotonic()
    with as_deployer(enforcing):
        drilled = run_site(
            stack["inventory"],
            extra_vars={
                "dr_environment": stack["environment"],
                "confirm_drill": stack["environment"],
                "dr_reports_dir": str(stack["workdir"] / "reports"),
            },
            playbook="playbooks/failover_drill.yml",
        )
    print(f"drill under enforcement: {time.monotonic() - started:.1f} s")
    assert drilled.returncode == 0, drilled.stdout[-6000:]
    assert not DENIED.search(drilled.stdout)


# --- The monitor's role: the handler in-process with the role's assumed credentials -------------


_CREATE_CONNECTION = socket.create_connection


def _refuse_the_network(address, *args, **kwargs):
    """The load balancers and the service name are not served here; loopback is (the emulators)."""
    host, _port = address
    if host in (HOST, "localhost"):
        return _CREATE_CONNECTION(address, *args, **kwargs)
    raise socket.gaierror(socket.EAI_NONAME, f"{host} is not served by the emulator")


def _run_handler(monkeypatch, function_env, credentials, region):
    """files/health_check.py's handler, freshly imported (its boto3 session is per module)."""
    health_check = _load(f"health_check_{uuid.uuid4().hex[:8]}", ROOT / "files" / "health_check.py")
    monkeypatch.setattr(health_check.socket, "create_connection", _refuse_the_network)
    for name, value in function_env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_REGION", region)
    monkeypatch.setenv("FINPROC_DEADLINE_SECONDS", "10")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", credentials["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", credentials["SecretAccessKey"])
    monkeypatch.setenv("AWS_SESSION_TOKEN", credentials["SessionToken"])
    try:
        return health_check.handler({}, None)
    finally:
        sys.modules.pop(health_check.__name__, None)


def _metric_points(cloudwatch, namespace, region, since):
    stats = cloudwatch.get_metric_statistics(
        Namespace=namespace,
        MetricName="ConfigurationError",
        Dimensions=[{"Name": "Region", "Value": region}, {"Name": "Target", "Value": "monitor"}],
        StartTime=since,
        EndTime=datetime.now(UTC) + timedelta(minutes=5),
        Period=60,
        Statistics=["SampleCount"],
    )["Datapoints"]
    return sum(p["SampleCount"] for p in stats)


def test_the_monitor_role_lets_the_handler_put_its_metrics_and_read_the_health_checks(enforcing, stack, monkeypatch):
    """The live monitor role (made by the converge), its live policy in moto form, assumed while
    enforcement is off (moto checks a role's trust policy only for AWS principals: Lambda's cannot
    be shown to it), then the handler under enforcement with those credentials."""
    assert stack["converge"].returncode == 0, "the converge failed (see the first test)"
    region = REGIONS[0]
    name = f"finproc-{stack['environment']}"
    iam = enforcing.client("iam")
    role = f"{name}-monitor-{region}"
    (policy_name,) = iam.list_role_policies(RoleName=role)["PolicyNames"]
    live = iam.get_role_policy(RoleName=role, PolicyName=policy_name)["PolicyDocument"]
    live = json.loads(live) if isinstance(live, str) else live
    sids = {s.get("Sid") for s in live["Statement"]}
    metrics_sid = next(s["Sid"] for s in live["Statement"] if "cloudwatch:PutMetricData" in str(s["Action"]))
    assert "ReadTheRegionsHealthChecks" in sids, live

    enforcing.enforce(False)
    try:
        assumed = enforcing.client("sts").assume_role(
            RoleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/{role}", RoleSessionName="health-monitor"
        )["Credentials"]
    finally:
        enforcing.enforce(True)
    lam = enforcing.client("lambda", region=region)
    function_env = lam.get_function(FunctionName=f"{name}-health-monitor")["Configuration"]["Environment"]["Variables"]
    cloudwatch = enforcing.client("cloudwatch", region=region)
    namespace = function_env["FINPROC_NAMESPACE"]
    since = datetime.now(UTC) - timedelta(minutes=5)

    def run(policy):
        """The handler with the role holding the moto form of ``policy``."""
        iam.put_role_policy(
            RoleName=role, PolicyName=policy_name, PolicyDocument=json.dumps(moto_iam.moto_form(policy))
        )
        with monkeypatch.context() as patch:
            patch.setenv("AWS_ENDPOINT_URL", enforcing.endpoint)
            return _run_handler(patch, function_env, assumed, region)

    def health_checks_read(summary):
        # A Route53 check that read its status reports the checkers; a refused one has a detail.
        checks = [c for c in summary["checks"] if c["target"] == "route53-health-check"]
        assert checks, summary["checks"]
        return [("checkers" in c and "detail" not in c) for c in checks]

    try:
        summary = run(live)
        assert summary["metrics"].get("reason") is None, summary["metrics"]
        assert summary["metrics"]["published"] == summary["metrics"]["total"] > 0
        assert all(health_checks_read(summary)), summary["checks"]
        put = _metric_points(cloudwatch, namespace, region, since)
        assert put >= 1

        # Less its PutMetricData statement, its metrics are refused (and the health checks still read).
        refused = run(moto_iam.without_statement(live, metrics_sid))
        # moto answers the refusal in the query protocol's XML, which botocore's CloudWatch client
        # (JSON protocol) cannot parse: the code is then the HTTP status, the XML is in the detail.
        assert refused["metrics"]["reason"] in ("AccessDenied", "403"), refused["metrics"]
        assert "AccessDenied" in refused["metrics"]["detail"], refused["metrics"]
        assert "PutMetricData" in refused["metrics"]["detail"], refused["metrics"]
        assert refused["metrics"]["published"] == 0
        assert all(health_checks_read(refused)), refused["checks"]
        assert _metric_points(cloudwatch, namespace, region, since) == put

        # Less its Route53 statement, no health check can be read (moto's 403 for Route53 carries
        # no code botocore parses: our server's log shows the refusals), and the metrics still go.
        status_refusals = re.compile(r"healthcheck/\S+/status HTTP/1\.1\S*\" 403")
        before = len(status_refusals.findall(enforcing.log.read_text()))
        blind = run(moto_iam.without_statement(live, "ReadTheRegionsHealthChecks"))
        assert not any(health_checks_read(blind)), blind["checks"]
        assert len(status_refusals.findall(enforcing.log.read_text())) > before
        assert blind["metrics"]["published"] == blind["metrics"]["total"], blind["metrics"]
    finally:
        iam.put_role_policy(RoleName=role, PolicyName=policy_name, PolicyDocument=json.dumps(live))


# --- One statement less: the converge fails on it -------------------------------------------------


def test_without_one_statement_the_converge_fails_naming_its_action(enforcing, stack):
    """KeysOfTheStack goes: the encryption role (the first after preflight) needs it at once."""
    assert stack["converge"].returncode == 0, "the converge failed (see the first test)"
    dropped = "KeysOfTheStack"
    policy = enforcing.policy
    only_there = set(next(s for s in policy["Statement"] if s["Sid"] == dropped)["Action"]) - {
        action for s in policy["Statement"] if s["Sid"] != dropped for action in s["Action"]
    }
    set_deployer_policy(enforcing, moto_iam.moto_form(moto_iam.without_statement(policy, dropped)))
    started = time.monotonic()
    try:
        with as_deployer(enforcing):
            failed = run_site(stack["inventory"], extra_vars={"dr_environment": stack["environment"]})
    finally:
        set_deployer_policy(enforcing, moto_iam.moto_form(policy))
    print(f"converge less {dropped}: {time.monotonic() - started:.1f} s")
    assert failed.returncode != 0
    assert "AccessDenied" in failed.stdout, failed.stdout[-4000:]
    denied = set(DENIED.findall(failed.stdout))
    assert denied, failed.stdout[-4000:]
    assert denied <= only_there, f"denied {denied}, but only {sorted(only_there)} went with {dropped}"
    assert "finproc.dr.encryption" in failed.stdout


def test_destroy_passes_as_the_deployer(enforcing, stack):
    assert stack["converge"].returncode == 0, "the converge failed (see the first test)"
    started = time.monotonic()
    with as_deployer(enforcing):
        destroyed = run_site(
            stack["inventory"],
            extra_vars={
                "dr_environment": stack["environment"],
                "confirm_destroy": stack["environment"],
                "destroy_data": "true",
            },
            playbook="playbooks/destroy.yml",
        )
    print(f"destroy under enforcement: {time.monotonic() - started:.1f} s")
    assert destroyed.returncode == 0, destroyed.stdout[-6000:]
    assert not DENIED.search(destroyed.stdout)
