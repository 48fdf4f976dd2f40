"""ec2_vpc_nat_gateways against a botocore Stubber, and against moto in-process.

Every request is checked against the EC2 API model and its expected parameters; every reply
against the model. A request nobody queued fails, and the Stubber must be drained.
"""

import copy
import datetime
import hashlib

import boto3
import pytest
from botocore.stub import ANY
from ansible_collections.finproc.dr.plugins.modules import ec2_vpc_nat_gateways
from aws_stub import record_requests, run_module

VPC = "vpc-0123456789abcdef0"
SUBNET_A, SUBNET_B = "subnet-0000000000000000a", "subnet-0000000000000000b"
GW_A, GW_B = "nat-0000000000000000a", "nat-0000000000000000b"
ALLOC_A, ALLOC_B = "eipalloc-000000000000000a", "eipalloc-000000000000000b"
TAGS_A = {"Name": "finproc-dev-nat-us-east-2a", "App": "finproc"}
TAGS_B = {"Name": "finproc-dev-nat-us-east-2b", "App": "finproc"}
ARGS = {
    "vpc_id": VPC,
    "gateways": [{"subnet_id": SUBNET_A, "tags": TAGS_A}, {"subnet_id": SUBNET_B, "tags": TAGS_B}],
}
BY_VPC = {"Filter": [{"Name": "vpc-id", "Values": [VPC]}, {"Name": "state", "Values": ["pending", "available"]}]}
WRITES = {"AllocateAddress", "CreateNatGateway", "ReleaseAddress", "CreateTags", "DeleteTags"}


def tag_list(tags):
    return [{"Key": key, "Value": value} for key, value in tags.items()]


def gateway(gateway_id, subnet_id, allocation, tags, state="available", created=1, **extra):
    described = {
        "NatGatewayId": gateway_id,
        "SubnetId": subnet_id,
        "VpcId": VPC,
        "State": state,
        "ConnectivityType": "public",
        "CreateTime": datetime.datetime(2026, 11, created, tzinfo=datetime.timezone.utc),
        "NatGatewayAddresses": [
            {
                "AllocationId": allocation,
                "PublicIp": "203.0.113.%d" % (10 + created),
                "PrivateIp": "10.0.0.%d" % (10 + created),
                "NetworkInterfaceId": "eni-000000000000000%02d" % created,
                "IsPrimary": True,
                "Status": "succeeded",
            }
        ],
        "Tags": tag_list(tags),
    }
    described.update(extra)
    return described


def address(allocation, tags):
    return {"AllocationId": allocation, "PublicIp": "203.0.113.1", "Domain": "vpc", "Tags": tag_list(tags)}


GATEWAY_A = gateway(GW_A, SUBNET_A, ALLOC_A, TAGS_A, created=1)
GATEWAY_B = gateway(GW_B, SUBNET_B, ALLOC_B, TAGS_B, created=2)


def token(subnet_id, allocation):
    # idempotency.client_token("CreateNatGateway", VPC, subnet, allocation), written out
    return hashlib.sha256(("CreateNatGateway\x1f%s\x1f%s\x1f%s" % (VPC, subnet_id, allocation)).encode()).hexdigest()


def free_lookup(tags):
    """The parameters of the look-up of a free Elastic IP with the gateway's tags."""
    filters = [{"Name": "domain", "Values": ["vpc"]}]
    return {"Filters": filters + [{"Name": "tag:%s" % k, "Values": [v]} for k, v in sorted(tags.items())]}


@pytest.fixture(autouse=True)
def instant_sleep(monkeypatch):
    """AWSRetry back-off and the waiter's delay return at once."""
    monkeypatch.setattr("time.sleep", lambda seconds: None)


@pytest.fixture
def sent(ec2):
    return record_requests(ec2[0])


def run(ec2, monkeypatch, capsys, args=None, **kw):
    return run_module(ec2_vpc_nat_gateways.main, args or ARGS, ec2[0], monkeypatch, capsys, **kw)


def describe(stub, gateways, addresses):
    """The two reads of every run: the VPC's NAT gateways, then their Elastic IPs."""
    stub.add_response("describe_nat_gateways", {"NatGateways": gateways}, BY_VPC)
    if addresses:
        stub.add_response(
            "describe_addresses",
            {"Addresses": [address(a, t) for a, t in addresses]},
            {"AllocationIds": [a for a, _t in addresses]},
        )


def operations(sent):
    return [name for name, _params in sent]


# --------------------------------------------------------------------------------------------
# Stubber
# --------------------------------------------------------------------------------------------


def test_converged_makes_exactly_two_reads_and_keeps_the_order(ec2, sent, monkeypatch, capsys):
    client, stub = ec2
    # Described in the other order: the result follows `gateways`.
    stub.add_response("describe_nat_gateways", {"NatGateways": [GATEWAY_B, GATEWAY_A]}, BY_VPC)
    stub.add_response(
        "describe_addresses",
        {"Addresses": [address(ALLOC_B, TAGS_B), address(ALLOC_A, TAGS_A)]},
        {"AllocationIds": [ALLOC_A, ALLOC_B]},
    )
    result, code = run(ec2, monkeypatch, capsys, diff=True)
    assert code == 0, result
    assert result["changed"] is False
    assert operations(sent) == ["DescribeNatGateways", "DescribeAddresses"]
    assert sent[0][1] == BY_VPC
    assert [g["nat_gateway_id"] for g in result["nat_gateways"]] == [GW_A, GW_B]
    first = result["nat_gateways"][0]
    assert first["subnet_id"] == SUBNET_A and first["vpc_id"] == VPC and first["state"] == "available"
    assert first["tags"] == TAGS_A and first["address_tags"] == TAGS_A
    assert first["nat_gateway_addresses"][0]["allocation_id"] == ALLOC_A
    assert first["nat_gateway_addresses"][0]["public_ip"] == "203.0.113.11"
    assert first["create_time"] == "2026-11-01T00:00:00+00:00"
    assert result["diff"]["before"] == result["diff"]["after"]
    assert result["diff"]["before"][SUBNET_B] == {"nat_gateway_id": GW_B, "tags": TAGS_B, "address_tags": TAGS_B}


def test_converged_with_wait_does_not_wait_for_available_gateways(ec2, sent, monkeypatch, capsys):
    client, stub = ec2
    describe(stub, [GATEWAY_A, GATEWAY_B], [(ALLOC_A, TAGS_A), (ALLOC_B, TAGS_B)])
    result, code = run(ec2, monkeypatch, capsys, args=dict(ARGS, wait=True))
    assert code == 0, result
    assert result["changed"] is False
    assert operations(sent) == ["DescribeNatGateways", "DescribeAddresses"]


def test_a_missing_gateway_is_created_with_a_tagged_elastic_ip(ec2, sent, monkeypatch, capsys):
    client, stub = ec2
    describe(stub, [GATEWAY_A], [(ALLOC_A, TAGS_A)])
    stub.add_response("describe_addresses", {"Addresses": []}, free_lookup(TAGS_B))
    stub.add_response(
        "allocate_address",
        {"AllocationId": ALLOC_B, "PublicIp": "203.0.113.12", "Domain": "vpc"},
        {"Domain": "vpc", "TagSpecifications": [{"ResourceType": "elastic-ip", "Tags": tag_list(TAGS_B)}]},
    )
    pending_b = gateway(GW_B, SUBNET_B, ALLOC_B, TAGS_B, state="pending", created=2)
    stub.add_response(
        "create_nat_gateway",
        {"NatGateway": pending_b, "ClientToken": token(SUBNET_B, ALLOC_B)},
        {
            "SubnetId": SUBNET_B,
            "AllocationId": ALLOC_B,
            "ClientToken": token(SUBNET_B, ALLOC_B),
            "TagSpecifications": [{"ResourceType": "natgateway", "Tags": tag_list(TAGS_B)}],
        },
    )
    stub.add_response("describe_nat_gateways", {"NatGateways": [GATEWAY_A, pending_b]}, {"NatGatewayIds": [GW_A, GW_B]})
    result, code = run(ec2, monkeypatch, capsys, diff=True)
    assert code == 0, result
    assert result["changed"] is True
    # Not waiting by default: no DescribeNatGateways between the creation and the final read.
    assert operations(sent) == [
        "DescribeNatGateways",
        "DescribeAddresses",
        "DescribeAddresses",  # a free Elastic IP with the gateway's tags (none)
        "AllocateAddress",
        "CreateNatGateway",
        "DescribeNatGateways",
    ]
    assert len(token(SUBNET_B, ALLOC_B)) == 64
    created = result["nat_gateways"][1]
    assert created["nat_gateway_id"] == GW_B
    assert created["state"] == "pending"
    assert created["tags"] == TAGS_B and created["address_tags"] == TAGS_B
    assert created["nat_gateway_addresses"][0]["allocation_id"] == ALLOC_B
    assert result["nat_gateways"][0]["nat_gateway_id"] == GW_A
    assert SUBNET_B not in result["diff"]["before"]
    assert result["diff"]["after"][SUBNET_B] == {"nat_gateway_id": GW_B, "tags": TAGS_B, "address_tags": TAGS_B}


def created_b(stub, client_token=None):
    """CreateNatGateway of subnet B on ALLOC_B, and the final read."""
    pending_b = gateway(GW_B, SUBNET_B, ALLOC_B, TAGS_B, state="pending", created=2)
    request = {
        "SubnetId": SUBNET_B,
        "AllocationId": ALLOC_B,
        "ClientToken": client_token or token(SUBNET_B, ALLOC_B),
        "TagSpecifications": [{"ResourceType": "natgateway", "Tags": tag_list(TAGS_B)}],
    }
    stub.add_response("create_nat_gateway", {"NatGateway": pending_b}, request)
    stub.add_response("describe_nat_gateways", {"NatGateways": [GATEWAY_A, pending_b]}, {"NatGatewayIds": [GW_A, GW_B]})


def test_a_free_elastic_ip_with_the_tags_is_used_not_a_second_one_allocated(ec2, sent, monkeypatch, capsys):
    """A run stopped between AllocateAddress and CreateNatGateway left a free address: the next one uses it."""
    client, stub = ec2
    describe(stub, [GATEWAY_A], [(ALLOC_A, TAGS_A)])
    associated = dict(address("eipalloc-0000000000000in00", TAGS_B), AssociationId="eipassoc-1")
    stub.add_response("describe_addresses", {"Addresses": [associated, address(ALLOC_B, TAGS_B)]}, free_lookup(TAGS_B))
    created_b(stub, client_token=ANY)
    result, code = run(ec2, monkeypatch, capsys)
    assert code == 0, result
    assert "AllocateAddress" not in operations(sent)
    assert result["nat_gateways"][1]["nat_gateway_addresses"][0]["allocation_id"] == ALLOC_B
    # The reused address may have been a deleted gateway's: not that gateway's token (EC2 would answer with it).
    sent_token = [params for op, params in sent if op == "CreateNatGateway"][0]["ClientToken"]
    assert sent_token != token(SUBNET_B, ALLOC_B) and len(sent_token) == 64


@pytest.mark.parametrize(("code", "status"), [("InternalError", 500), ("Unavailable", 503)])
def test_a_lost_allocate_answer_adopts_the_address_instead_of_allocating_twice(
    ec2, sent, monkeypatch, capsys, code, status
):
    client, stub = ec2
    describe(stub, [GATEWAY_A], [(ALLOC_A, TAGS_A)])
    stub.add_response("describe_addresses", {"Addresses": []}, free_lookup(TAGS_B))
    stub.add_client_error("allocate_address", service_error_code=code, http_status_code=status)
    stub.add_response("describe_addresses", {"Addresses": [address(ALLOC_B, TAGS_B)]}, free_lookup(TAGS_B))
    created_b(stub)
    result, code = run(ec2, monkeypatch, capsys)
    assert code == 0, result
    assert operations(sent).count("AllocateAddress") == 1
    assert operations(sent)[-2:] == ["CreateNatGateway", "DescribeNatGateways"]


def test_no_tags_means_no_tag_specifications(ec2, sent, monkeypatch, capsys):
    client, stub = ec2
    describe(stub, [], [])
    stub.add_response("allocate_address", {"AllocationId": ALLOC_A, "Domain": "vpc"}, {"Domain": "vpc"})
    bare = gateway(GW_A, SUBNET_A, ALLOC_A, {}, state="pending")
    stub.add_response(
        "create_nat_gateway",
        {"NatGateway": bare},
        {"SubnetId": SUBNET_A, "AllocationId": ALLOC_A, "ClientToken": token(SUBNET_A, ALLOC_A)},
    )
    stub.add_response("describe_nat_gateways", {"NatGateways": [bare]}, {"NatGatewayIds": [GW_A]})
    result, code = run(ec2, monkeypatch, capsys, args={"vpc_id": VPC, "gateways": [{"subnet_id": SUBNET_A}]})
    assert code == 0, result
    assert result["nat_gateways"][0]["tags"] == {} and result["nat_gateways"][0]["address_tags"] == {}


def test_a_failed_creation_releases_the_elastic_ip(ec2, sent, monkeypatch, capsys):
    client, stub = ec2
    describe(stub, [], [])
    stub.add_response("describe_addresses", {"Addresses": []}, free_lookup(TAGS_A))
    stub.add_response(
        "allocate_address",
        {"AllocationId": ALLOC_A, "Domain": "vpc"},
        {"Domain": "vpc", "TagSpecifications": [{"ResourceType": "elastic-ip", "Tags": tag_list(TAGS_A)}]},
    )
    stub.add_client_error(
        "create_nat_gateway",
        service_error_code="InvalidSubnet",
        service_message="The subnet has no route to an internet gateway",
        expected_params={
            "SubnetId": SUBNET_A,
            "AllocationId": ALLOC_A,
            "ClientToken": token(SUBNET_A, ALLOC_A),
            "TagSpecifications": [{"ResourceType": "natgateway", "Tags": tag_list(TAGS_A)}],
        },
    )
    stub.add_response("release_address", {}, {"AllocationId": ALLOC_A})
    args = {"vpc_id": VPC, "gateways": [{"subnet_id": SUBNET_A, "tags": TAGS_A}]}
    result, code = run(ec2, monkeypatch, capsys, args=args)
    assert code == 1
    assert result["failed"] is True
    assert operations(sent)[-2:] == ["CreateNatGateway", "ReleaseAddress"]
    assert "CreateNatGateway failed for %s; Elastic IP %s released" % (SUBNET_A, ALLOC_A) in result["msg"]
    assert result["error"]["code"] == "InvalidSubnet"


def test_tag_drift_on_the_gateway_only_retags_the_gateway(ec2, sent, monkeypatch, capsys):
    client, stub = ec2
    drifted = copy.deepcopy(GATEWAY_A)
    drifted["Tags"] = tag_list(
        {"Name": TAGS_A["Name"], "App": "old", "Owner": "someone", "aws:cloudformation:stack-name": "x"}
    )
    describe(stub, [drifted, GATEWAY_B], [(ALLOC_A, TAGS_A), (ALLOC_B, TAGS_B)])
    stub.add_response("delete_tags", {}, {"Resources": [GW_A], "Tags": [{"Key": "Owner"}]})
    stub.add_response("create_tags", {}, {"Resources": [GW_A], "Tags": [{"Key": "App", "Value": "finproc"}]})
    retagged = copy.deepcopy(GATEWAY_A)
    retagged["Tags"] = tag_list(dict(TAGS_A, **{"aws:cloudformation:stack-name": "x"}))
    stub.add_response("describe_nat_gateways", {"NatGateways": [retagged, GATEWAY_B]}, {"NatGatewayIds": [GW_A, GW_B]})
    result, code = run(ec2, monkeypatch, capsys, diff=True)
    assert code == 0, result
    assert result["changed"] is True
    assert [op for op in operations(sent) if op in WRITES] == ["DeleteTags", "CreateTags"]
    assert result["nat_gateways"][0]["tags"] == dict(TAGS_A, **{"aws:cloudformation:stack-name": "x"})
    assert result["diff"]["before"][SUBNET_A]["tags"]["Owner"] == "someone"
    assert result["diff"]["after"][SUBNET_A]["tags"] == dict(TAGS_A, **{"aws:cloudformation:stack-name": "x"})
    assert result["diff"]["after"][SUBNET_A]["address_tags"] == TAGS_A


def test_tag_drift_on_the_elastic_ip_only_retags_the_allocation(ec2, sent, monkeypatch, capsys):
    client, stub = ec2
    describe(stub, [GATEWAY_A, GATEWAY_B], [(ALLOC_A, TAGS_A), (ALLOC_B, {"Name": TAGS_B["Name"]})])
    stub.add_response("create_tags", {}, {"Resources": [ALLOC_B], "Tags": [{"Key": "App", "Value": "finproc"}]})
    stub.add_response("describe_nat_gateways", {"NatGateways": [GATEWAY_A, GATEWAY_B]}, {"NatGatewayIds": [GW_A, GW_B]})
    result, code = run(ec2, monkeypatch, capsys, diff=True)
    assert code == 0, result
    assert result["changed"] is True
    assert [op for op in operations(sent) if op in WRITES] == ["CreateTags"]
    assert result["nat_gateways"][1]["address_tags"] == TAGS_B
    assert result["diff"]["before"][SUBNET_B]["address_tags"] == {"Name": TAGS_B["Name"]}


def test_purge_deletes_extra_tags_on_the_elastic_ip_but_not_aws_ones(ec2, sent, monkeypatch, capsys):
    client, stub = ec2
    extra = dict(TAGS_A, Owner="someone", **{"aws:ec2:managed": "yes"})
    describe(stub, [GATEWAY_A], [(ALLOC_A, extra)])
    stub.add_response("delete_tags", {}, {"Resources": [ALLOC_A], "Tags": [{"Key": "Owner"}]})
    stub.add_response("describe_nat_gateways", {"NatGateways": [GATEWAY_A]}, {"NatGatewayIds": [GW_A]})
    args = {"vpc_id": VPC, "gateways": [{"subnet_id": SUBNET_A, "tags": TAGS_A}]}
    result, code = run(ec2, monkeypatch, capsys, args=args)
    assert code == 0, result
    assert [op for op in operations(sent) if op in WRITES] == ["DeleteTags"]
    assert result["nat_gateways"][0]["address_tags"] == dict(TAGS_A, **{"aws:ec2:managed": "yes"})


def test_without_purge_extra_tags_stay(ec2, sent, monkeypatch, capsys):
    client, stub = ec2
    drifted = copy.deepcopy(GATEWAY_A)
    drifted["Tags"] = tag_list({"Name": TAGS_A["Name"], "Owner": "someone"})
    describe(stub, [drifted], [(ALLOC_A, dict(TAGS_A, Owner="someone"))])
    stub.add_response("create_tags", {}, {"Resources": [GW_A], "Tags": [{"Key": "App", "Value": "finproc"}]})
    stub.add_response("describe_nat_gateways", {"NatGateways": [drifted]}, {"NatGatewayIds": [GW_A]})
    args = {"vpc_id": VPC, "gateways": [{"subnet_id": SUBNET_A, "tags": TAGS_A}], "purge_tags": False}
    result, code = run(ec2, monkeypatch, capsys, args=args, diff=True)
    assert code == 0, result
    assert [op for op in operations(sent) if op in WRITES] == ["CreateTags"]
    assert result["diff"]["after"][SUBNET_A]["tags"] == dict(TAGS_A, Owner="someone")
    assert result["diff"]["after"][SUBNET_A]["address_tags"] == dict(TAGS_A, Owner="someone")


def test_wait_fails_with_the_failure_of_the_gateway(ec2, sent, monkeypatch, capsys):
    client, stub = ec2
    describe(stub, [GATEWAY_A], [(ALLOC_A, TAGS_A)])
    stub.add_response("describe_addresses", {"Addresses": []}, free_lookup(TAGS_B))
    stub.add_response("allocate_address", {"AllocationId": ALLOC_B, "Domain": "vpc"})
    pending_b = gateway(GW_B, SUBNET_B, ALLOC_B, TAGS_B, state="pending", created=2)
    stub.add_response("create_nat_gateway", {"NatGateway": pending_b})
    failed_b = gateway(
        GW_B,
        SUBNET_B,
        ALLOC_B,
        TAGS_B,
        state="failed",
        created=2,
        FailureCode="Gateway.NotAttached",
        FailureMessage="Network vpc-0123456789abcdef0 has no Internet gateway attached",
    )
    stub.add_response("describe_nat_gateways", {"NatGateways": [pending_b]}, {"NatGatewayIds": [GW_B]})
    stub.add_response("describe_nat_gateways", {"NatGateways": [failed_b]}, {"NatGatewayIds": [GW_B]})
    result, code = run(ec2, monkeypatch, capsys, args=dict(ARGS, wait=True))
    assert code == 1
    assert "Gateway.NotAttached: Network vpc-0123456789abcdef0 has no Internet gateway attached" in result["msg"]
    assert GW_B in result["msg"]


def test_wait_timeout_names_the_pending_gateways(ec2, sent, monkeypatch, capsys):
    client, stub = ec2
    pending_a = gateway(GW_A, SUBNET_A, ALLOC_A, TAGS_A, state="pending")
    describe(stub, [pending_a, GATEWAY_B], [(ALLOC_A, TAGS_A), (ALLOC_B, TAGS_B)])
    # wait_timeout 10 with a 5 second delay: reads at 0, 5 and 10 s (the core's waiters.wait_for).
    for _attempt in range(3):
        stub.add_response("describe_nat_gateways", {"NatGateways": [pending_a]}, {"NatGatewayIds": [GW_A]})
    result, code = run(ec2, monkeypatch, capsys, args=dict(ARGS, wait=True, wait_timeout=10))
    assert code == 1
    assert "timed out after 10 s" in result["msg"]
    assert "%s (pending)" % GW_A in result["msg"]
    assert GW_B not in result["msg"]


def test_wait_success_reads_the_gateways_again(ec2, sent, monkeypatch, capsys):
    client, stub = ec2
    pending_a = gateway(GW_A, SUBNET_A, ALLOC_A, TAGS_A, state="pending")
    describe(stub, [pending_a], [(ALLOC_A, TAGS_A)])
    stub.add_response("describe_nat_gateways", {"NatGateways": [GATEWAY_A]}, {"NatGatewayIds": [GW_A]})
    stub.add_response("describe_nat_gateways", {"NatGateways": [GATEWAY_A]}, {"NatGatewayIds": [GW_A]})
    args = {"vpc_id": VPC, "gateways": [{"subnet_id": SUBNET_A, "tags": TAGS_A}], "wait": True}
    result, code = run(ec2, monkeypatch, capsys, args=args)
    assert code == 0, result
    assert result["changed"] is False
    assert result["nat_gateways"][0]["state"] == "available"


def test_duplicate_subnets_fail_before_any_call(ec2, sent, monkeypatch, capsys):
    args = {"vpc_id": VPC, "gateways": [{"subnet_id": SUBNET_A}, {"subnet_id": SUBNET_B}, {"subnet_id": SUBNET_A}]}
    result, code = run(ec2, monkeypatch, capsys, args=args)
    assert code == 1
    assert "repeated: " + SUBNET_A in result["msg"]
    assert sent == []


def test_check_mode_reports_a_missing_gateway_without_writing(ec2, sent, monkeypatch, capsys):
    client, stub = ec2
    describe(stub, [GATEWAY_A], [(ALLOC_A, TAGS_A)])
    result, code = run(ec2, monkeypatch, capsys, check_mode=True, diff=True)
    assert code == 0, result
    assert result["changed"] is True
    assert operations(sent) == ["DescribeNatGateways", "DescribeAddresses"]
    planned = result["nat_gateways"][1]
    assert "nat_gateway_id" not in planned
    assert planned == {
        "subnet_id": SUBNET_B,
        "vpc_id": VPC,
        "state": "pending",
        "tags": TAGS_B,
        "address_tags": TAGS_B,
    }
    assert result["nat_gateways"][0]["nat_gateway_id"] == GW_A
    assert SUBNET_B not in result["diff"]["before"]
    assert result["diff"]["after"][SUBNET_B] == {"tags": TAGS_B, "address_tags": TAGS_B}


def test_check_mode_reports_tag_drift_without_writing(ec2, sent, monkeypatch, capsys):
    client, stub = ec2
    describe(stub, [GATEWAY_A], [(ALLOC_A, {"Name": "old"})])
    args = {"vpc_id": VPC, "gateways": [{"subnet_id": SUBNET_A, "tags": TAGS_A}]}
    result, code = run(ec2, monkeypatch, capsys, args=args, check_mode=True)
    assert code == 0, result
    assert result["changed"] is True
    assert operations(sent) == ["DescribeNatGateways", "DescribeAddresses"]
    assert result["nat_gateways"][0]["address_tags"] == TAGS_A


def test_several_gateways_on_a_subnet_use_the_oldest_and_warn(ec2, sent, monkeypatch, capsys):
    client, stub = ec2
    newer = gateway("nat-00000000000000new", SUBNET_A, "eipalloc-0000000000000new", TAGS_A, created=5)
    describe(stub, [newer, GATEWAY_A], [(ALLOC_A, TAGS_A)])
    args = {"vpc_id": VPC, "gateways": [{"subnet_id": SUBNET_A, "tags": TAGS_A}]}
    result, code = run(ec2, monkeypatch, capsys, args=args)
    assert code == 0, result
    assert result["changed"] is False
    assert result["nat_gateways"][0]["nat_gateway_id"] == GW_A
    assert "using the oldest, %s" % GW_A in str(result["warnings"])


def test_an_api_error_fails_with_the_step(ec2, monkeypatch, capsys):
    client, stub = ec2
    stub.add_client_error(
        "describe_nat_gateways",
        service_error_code="UnauthorizedOperation",
        service_message="not allowed",
        expected_params=BY_VPC,
    )
    result, code = run(ec2, monkeypatch, capsys)
    assert code == 1
    assert "DescribeNatGateways failed for " + VPC in result["msg"]


# --------------------------------------------------------------------------------------------
# moto in-process
# --------------------------------------------------------------------------------------------


@pytest.fixture
def moto_ec2(moto_account):
    return boto3.client("ec2", region_name="us-east-2")


def public_vpc(client):
    vpc_id = client.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    igw = client.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    client.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc_id)
    table = client.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
    client.create_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    subnets = []
    for cidr, zone in (("10.0.0.0/24", "us-east-2a"), ("10.0.1.0/24", "us-east-2b")):
        subnet = client.create_subnet(VpcId=vpc_id, CidrBlock=cidr, AvailabilityZone=zone)["Subnet"]["SubnetId"]
        client.associate_route_table(RouteTableId=table, SubnetId=subnet)
        subnets.append(subnet)
    return vpc_id, subnets


def real_tags(client, vpc_id):
    """{nat id: (gateway tags, Elastic IP tags)} as moto reports them."""
    gateways = client.describe_nat_gateways(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["NatGateways"]
    allocations = {g["NatGatewayId"]: g["NatGatewayAddresses"][0]["AllocationId"] for g in gateways}
    addresses = client.describe_addresses(AllocationIds=list(allocations.values()))["Addresses"]
    eip_tags = {a["AllocationId"]: {t["Key"]: t["Value"] for t in a.get("Tags", [])} for a in addresses}
    return {
        g["NatGatewayId"]: ({t["Key"]: t["Value"] for t in g.get("Tags", [])}, eip_tags[allocations[g["NatGatewayId"]]])
        for g in gateways
    }


def test_moto_creates_converges_and_retags(moto_ec2, monkeypatch, capsys):
    client = moto_ec2
    vpc_id, (subnet_a, subnet_b) = public_vpc(client)
    args = {
        "vpc_id": vpc_id,
        "gateways": [{"subnet_id": subnet_a, "tags": TAGS_A}, {"subnet_id": subnet_b, "tags": TAGS_B}],
    }

    result, code = run_module(ec2_vpc_nat_gateways.main, args, client, monkeypatch, capsys)
    assert code == 0, result
    assert result["changed"] is True
    ids = [g["nat_gateway_id"] for g in result["nat_gateways"]]
    assert [g["subnet_id"] for g in result["nat_gateways"]] == [subnet_a, subnet_b]
    assert len(client.describe_addresses()["Addresses"]) == 2
    # moto 5.2.5 returns Tags in both DescribeNatGateways and DescribeAddresses.
    assert real_tags(client, vpc_id) == {ids[0]: (TAGS_A, TAGS_A), ids[1]: (TAGS_B, TAGS_B)}

    sent = record_requests(client)
    result, code = run_module(ec2_vpc_nat_gateways.main, args, client, monkeypatch, capsys)
    assert code == 0, result
    assert result["changed"] is False
    assert [name for name, _p in sent] == ["DescribeNatGateways", "DescribeAddresses"]
    assert [g["nat_gateway_id"] for g in result["nat_gateways"]] == ids

    del sent[:]
    args["gateways"][1]["tags"] = dict(TAGS_B, App="finproc-v2")
    result, code = run_module(ec2_vpc_nat_gateways.main, args, client, monkeypatch, capsys)
    assert code == 0, result
    assert result["changed"] is True
    assert [name for name, _p in sent if name in WRITES] == ["CreateTags", "CreateTags"]
    wanted = dict(TAGS_B, App="finproc-v2")
    assert real_tags(client, vpc_id) == {ids[0]: (TAGS_A, TAGS_A), ids[1]: (wanted, wanted)}
    assert result["nat_gateways"][1]["tags"] == wanted and result["nat_gateways"][1]["address_tags"] == wanted


def test_no_diff_unless_asked(ec2, monkeypatch, capsys):
    client, stub = ec2
    describe(stub, [GATEWAY_A, GATEWAY_B], [(ALLOC_A, TAGS_A), (ALLOC_B, TAGS_B)])
    result, code = run(ec2, monkeypatch, capsys)
    assert code == 0, result
    assert "diff" not in result
