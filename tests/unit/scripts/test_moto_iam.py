"""scripts/moto_iam.py: the moto form of a policy, checked with moto's own IAM evaluator (in-process)."""

import importlib.util
import json
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.iam.access_control import IAMPolicy, PermissionResult

ROOT = Path(__file__).resolve().parents[3]


def _load():
    spec = importlib.util.spec_from_file_location("moto_iam_under_test", ROOT / "scripts" / "moto_iam.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


moto_iam = _load()
POLICY = json.loads((ROOT / "docs" / "iam" / "deployer-policy.json").read_text())


def moto_decides(policy, action):
    """What moto's server answers for an action: it checks every non-S3 request against "*"."""
    return IAMPolicy(json.dumps(policy)).is_action_permitted(action, "*")


def test_moto_refuses_the_real_policy_and_allows_its_moto_form():
    # A statement that names ARNs never matches in moto (it checks the resource "*").
    assert moto_decides(POLICY, "iam:CreateRole") == PermissionResult.NEUTRAL  # RolesOfTheStack: role/finproc-*
    assert moto_decides(POLICY, "kms:CreateKey") == PermissionResult.PERMITTED  # a "*" statement
    form = moto_iam.moto_form(POLICY)
    for statement in POLICY["Statement"]:
        for action in statement["Action"]:
            assert moto_decides(form, action) == PermissionResult.PERMITTED, (statement["Sid"], action)
    assert moto_decides(form, "iam:CreateUser") == PermissionResult.NEUTRAL


def test_the_form_keeps_actions_only_and_adds_cloudwatchs_signing_name():
    policy = {
        "Version": "2012-10-17",
        "Statement": {
            "Sid": "Metrics",
            "Effect": "Allow",
            "Action": "cloudwatch:PutMetricData",
            "Resource": "*",
            "Condition": {"StringEquals": {"cloudwatch:namespace": "finproc/dev/dr"}},
        },
    }
    form = moto_iam.moto_form(policy)
    assert form == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Metrics",
                "Effect": "Allow",
                "Action": ["cloudwatch:PutMetricData", "monitoring:PutMetricData"],
                "Resource": "*",
            }
        ],
    }
    # moto names a CloudWatch request after its signing name (credential scope .../monitoring/...).
    assert moto_decides(form, "monitoring:PutMetricData") == PermissionResult.PERMITTED
    assert moto_decides(moto_iam.moto_form({"Statement": []}), "monitoring:PutMetricData") == PermissionResult.NEUTRAL


@pytest.mark.parametrize(
    "condition",
    [
        {"StringEquals": {"cloudwatch:namespace": "finproc/dev/dr"}},
        {"StringLike": {"aws:ResourceTag/finproc:stack": "finproc-*"}},
        {"StringEquals": {"iam:PassedToService": ["lambda.amazonaws.com"]}},
    ],
)
def test_moto_finds_every_condition_met(condition):
    """Why a condition proves nothing in moto: with no request values it is always met."""
    statement = {"Effect": "Allow", "Action": "x:Y", "Resource": "*", "Condition": condition}
    assert moto_decides({"Statement": [statement]}, "x:Y") == PermissionResult.PERMITTED


@pytest.mark.parametrize(
    "statement",
    [
        {"Effect": "Deny", "Action": "s3:*", "Resource": "*"},
        {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"},
        {"Effect": "Allow", "Action": "s3:GetObject", "NotResource": "arn:aws:s3:::x/*"},
    ],
)
def test_what_has_no_moto_form_is_refused(statement):
    with pytest.raises(ValueError):
        moto_iam.moto_form({"Version": "2012-10-17", "Statement": [statement]})


def test_without_statement():
    less = moto_iam.without_statement(POLICY, "KeysOfTheStack")
    assert [s["Sid"] for s in less["Statement"]] == [
        s["Sid"] for s in POLICY["Statement"] if s["Sid"] != "KeysOfTheStack"
    ]
    with pytest.raises(KeyError):
        moto_iam.without_statement(POLICY, "NoSuchStatement")


def _enforcing_server(port):
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    return server


def test_the_enforcing_server_checks_signatures_of_requests_without_a_body(monkeypatch):
    """scripts/moto_enforcing_server.py: with enforcement on, moto refuses the good signature of
    every GET (Route53, Lambda); re-signed with the empty payload it accepts it, and still refuses a
    wrong secret. (In-process: enforcement is global in a process, so it is turned off after.)"""
    import socket

    import requests
    from moto.iam.access_control import IAMRequestBase

    spec = importlib.util.spec_from_file_location(
        "moto_enforcing_under_test", ROOT / "scripts" / "moto_enforcing_server.py"
    )
    enforcing = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(enforcing)  # no fix applied on import
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    endpoint = f"http://127.0.0.1:{port}"
    server = _enforcing_server(port)
    try:
        iam = boto3.client(
            "iam",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )
        iam.create_user(UserName="admin")
        everything = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
        iam.put_user_policy(UserName="admin", PolicyName="admin", PolicyDocument=json.dumps(everything))
        key = iam.create_access_key(UserName="admin")["AccessKey"]
        requests.post(f"{endpoint}/moto-api/reset-auth", data=b"0", timeout=10)
        try:

            def client(service, secret=key["SecretAccessKey"]):
                return boto3.client(
                    service,
                    endpoint_url=endpoint,
                    region_name="us-east-2",
                    aws_access_key_id=key["AccessKeyId"],
                    aws_secret_access_key=secret,
                )

            # (moto answers Route53 in a shape botocore does not parse: the code is in the response)
            with pytest.raises(ClientError) as refused:
                client("route53").list_health_checks()
            assert "SignatureDoesNotMatch" in str(refused.value.response)
            monkeypatch.setattr(IAMRequestBase, "_create_aws_request", IAMRequestBase._create_aws_request)
            enforcing.sign_empty_payloads()
            client("route53").list_health_checks()
            client("lambda").list_functions()
            client("elbv2").describe_load_balancers()  # a query-protocol POST, unchanged
            with pytest.raises(ClientError) as refused:
                client("route53", secret="wrong").list_health_checks()
            assert "SignatureDoesNotMatch" in str(refused.value.response)
        finally:
            requests.post(f"{endpoint}/moto-api/reset-auth", data=b"inf", timeout=10)
    finally:
        server.stop()
