"""Stubbed clients shared by the module tests: each fails the test if a queued reply is left over."""

import os

import pytest
from aws_stub import record_requests, stubbed_client
from moto import mock_aws


def _stubbed(service):
    client, stub = stubbed_client(service)
    with stub:
        yield client, stub
        stub.assert_no_pending_responses()


@pytest.fixture
def ec2():
    yield from _stubbed("ec2")


@pytest.fixture
def ec2_sent(ec2):
    """Every request the stubbed EC2 client makes (aws_stub.record_requests)."""
    return record_requests(ec2[0])


@pytest.fixture
def instant_backoff(monkeypatch):
    """Back-off and settle pauses (AWSRetry, create_once) return at once."""
    monkeypatch.setattr("time.sleep", lambda seconds: None)


@pytest.fixture
def s3():
    yield from _stubbed("s3")


@pytest.fixture
def acm():
    yield from _stubbed("acm")


@pytest.fixture
def sns():
    yield from _stubbed("sns")


@pytest.fixture
def cloudwatch():
    yield from _stubbed("cloudwatch")


@pytest.fixture
def elbv2():
    yield from _stubbed("elbv2")


@pytest.fixture
def awslambda():
    yield from _stubbed("lambda")


@pytest.fixture
def events():
    yield from _stubbed("events")


@pytest.fixture
def route53():
    yield from _stubbed("route53")


@pytest.fixture
def iam():
    yield from _stubbed("iam")


@pytest.fixture
def logs():
    yield from _stubbed("logs")


@pytest.fixture
def moto_account(monkeypatch, tmp_path):
    """In-process moto, with nothing of the machine's AWS set-up: no emulator endpoint, no real
    credentials, no config file."""
    for key in list(os.environ):
        if key.startswith("AWS_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
    with mock_aws():
        yield
