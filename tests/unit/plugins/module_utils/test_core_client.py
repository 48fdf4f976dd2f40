"""client.py: the retrying client factory (throttling, just-created codes, cache) and paginate."""

import botocore.session
import pytest
from botocore.exceptions import ClientError
from core_fakes import Failed, FakeModule, stubbed

from ansible_collections.finproc.dr.plugins.module_utils import client as core_client

SUBNET = {"SubnetId": "subnet-1", "VpcId": "vpc-1", "CidrBlock": "10.0.0.0/24", "State": "available"}


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch):
    """AWSRetry's back-off sleeps return at once."""
    monkeypatch.setattr("time.sleep", lambda seconds: None)


@pytest.fixture
def ec2():
    client, stub = stubbed("ec2")
    with stub:
        yield client, stub
        stub.assert_no_pending_responses()


def test_every_service_with_just_created_codes_lists_some():
    for service, codes in core_client.JUST_CREATED_CODES.items():
        assert codes and all(isinstance(code, str) for code in codes), service
    assert "InvalidSubnetID.NotFound" in core_client.JUST_CREATED_CODES["ec2"]


def test_a_client_is_made_once_per_service_region_and_kind(ec2):
    module = FakeModule(clients={"ec2": ec2[0]})
    first = core_client.aws_client(module, "ec2")
    assert core_client.aws_client(module, "ec2") is first
    fresh = core_client.aws_client(module, "ec2", just_created=True)
    other_region = core_client.aws_client(module, "ec2", region="eu-west-1")
    assert fresh is not first and other_region is not first
    assert core_client.aws_client(module, "ec2", extra_codes=["X"]) is not first
    assert len(module.client_calls) == 4
    assert module.client_calls[2][2] == {"region": "eu-west-1"}
    assert module.client_calls[0][2] == {}


def test_the_just_created_client_retries_a_not_yet_visible_subnet(ec2):
    client, stub = ec2
    module = FakeModule(clients={"ec2": client})
    stub.add_client_error("describe_subnets", "InvalidSubnetID.NotFound")
    stub.add_response("describe_subnets", {"Subnets": [SUBNET]}, {"SubnetIds": ["subnet-1"]})
    fresh = core_client.aws_client(module, "ec2", just_created=True)
    assert fresh.describe_subnets(aws_retry=True, SubnetIds=["subnet-1"])["Subnets"] == [SUBNET]


def test_the_ordinary_client_does_not_retry_a_missing_subnet(ec2):
    client, stub = ec2
    module = FakeModule(clients={"ec2": client})
    stub.add_client_error("describe_subnets", "InvalidSubnetID.NotFound")
    with pytest.raises(ClientError):
        core_client.aws_client(module, "ec2").describe_subnets(aws_retry=True, SubnetIds=["subnet-1"])


def test_throttling_and_extra_codes_are_retried(ec2):
    client, stub = ec2
    module = FakeModule(clients={"ec2": client})
    stub.add_client_error("describe_vpcs", "ThrottlingException")
    stub.add_client_error("describe_vpcs", "Busy")
    stub.add_response("describe_vpcs", {"Vpcs": []})
    reply = core_client.aws_client(module, "ec2", extra_codes=["Busy"]).describe_vpcs(aws_retry=True)
    assert reply["Vpcs"] == []


def test_retries_and_delay_set_the_back_off_of_a_client_of_its_own(ec2, monkeypatch):
    client, stub = ec2
    module = FakeModule(clients={"ec2": client})
    slept = []
    monkeypatch.setattr("time.sleep", slept.append)
    stub.add_client_error("describe_vpcs", "Busy")
    stub.add_client_error("describe_vpcs", "Busy")
    patient = core_client.aws_client(module, "ec2", extra_codes=["Busy"], retries=2, delay=7)
    assert patient is not core_client.aws_client(module, "ec2", extra_codes=["Busy"])
    with pytest.raises(ClientError):
        patient.describe_vpcs(aws_retry=True)  # two attempts (AWSRetry's retries), then the error
    assert len(slept) == 1 and 0 <= slept[0] <= 7


def test_paginate_joins_two_pages(ec2):
    client, stub = ec2
    other = dict(SUBNET, SubnetId="subnet-2")
    filters = [{"Name": "vpc-id", "Values": ["vpc-1"]}]
    stub.add_response("describe_subnets", {"Subnets": [SUBNET], "NextToken": "t"}, {"Filters": filters})
    stub.add_response("describe_subnets", {"Subnets": [other]}, {"Filters": filters, "NextToken": "t"})
    assert core_client.paginate(client, "describe_subnets", "Subnets", Filters=filters) == [SUBNET, other]


def test_paginate_retries_with_the_clients_own_codes(ec2):
    client, stub = ec2
    module = FakeModule(clients={"ec2": client})
    fresh = core_client.aws_client(module, "ec2", just_created=True)
    stub.add_client_error("describe_subnets", "InvalidSubnetID.NotFound")
    stub.add_response("describe_subnets", {"Subnets": [SUBNET]}, {"SubnetIds": ["subnet-1"]})
    assert core_client.paginate(fresh, "describe_subnets", "Subnets", SubnetIds=["subnet-1"]) == [SUBNET]


def test_paginate_without_a_result_key_and_of_an_operation_that_cannot_paginate():
    sns, stub = stubbed("sns")
    arn = "arn:aws:sns:us-east-2:123456789012:t"
    with stub:
        stub.add_response("get_topic_attributes", {"Attributes": {"TopicArn": arn}}, {"TopicArn": arn})
        assert core_client.paginate(sns, "get_topic_attributes", TopicArn=arn)["Attributes"] == {"TopicArn": arn}
        stub.add_response("get_topic_attributes", {}, {"TopicArn": arn})
        assert core_client.paginate(sns, "get_topic_attributes", "Attributes", TopicArn=arn) == []
        stub.assert_no_pending_responses()


def test_paginate_or_fail_names_the_api_operation_and_the_resource(ec2):
    client, stub = ec2
    module = FakeModule(clients={"ec2": client})
    wrapped = core_client.aws_client(module, "ec2")
    stub.add_response("describe_subnets", {"Subnets": [SUBNET]}, {"SubnetIds": ["subnet-1"]})
    assert core_client.paginate_or_fail(
        module, wrapped, "describe_subnets", "Subnets", "x", SubnetIds=["subnet-1"]
    ) == [SUBNET]
    stub.add_client_error("describe_subnets", "UnauthorizedOperation", expected_params={"SubnetIds": ["subnet-1"]})
    with pytest.raises(Failed) as failed:
        core_client.paginate_or_fail(module, wrapped, "describe_subnets", "Subnets", "vpc-1", SubnetIds=["subnet-1"])
    assert failed.value.kwargs["msg"].startswith("DescribeSubnets failed for vpc-1 in us-east-2: ")


def test_every_just_created_code_is_an_error_of_the_service_model():
    """A typo in a code would never match: each is an exception of the botocore model (EC2 models none)."""
    session = botocore.session.get_session()
    for service, codes in core_client.JUST_CREATED_CODES.items():
        if service == "ec2":
            continue
        model = session.get_service_model(service)
        modelled = set()
        for name in model.shape_names:
            shape = model.shape_for(name)
            if shape.metadata.get("exception"):
                modelled.add(shape.metadata.get("error", {}).get("code", name))
        assert set(codes) <= modelled, (service, set(codes) - modelled)


def test_a_just_created_client_property_makes_its_client_only_when_read(ec2):
    """A run that creates nothing never makes the second client (ec2_security_groups, cloudwatch_log_groups,
    resource.VpcResources)."""

    class Resources(object):
        fresh = core_client.just_created_client("ec2")

        def __init__(self, module):
            self.module = module
            self.client = core_client.aws_client(module, "ec2")

    module = FakeModule(clients={"ec2": ec2[0]})
    resources = Resources(module)
    assert len(module.client_calls) == 1
    assert resources.fresh is resources.fresh is core_client.aws_client(module, "ec2", just_created=True)
    assert resources.fresh is not resources.client
    assert len(module.client_calls) == 2
