"""Stubbed clients shared by the module tests: each fails the test if a queued reply is left over."""

import pytest
from aws_stub import stubbed_client


def _stubbed(service):
    client, stub = stubbed_client(service)
    with stub:
        yield client, stub
        stub.assert_no_pending_responses()


@pytest.fixture
def ec2():
    yield from _stubbed("ec2")


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
