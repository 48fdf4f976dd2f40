"""ec2_vpc against a botocore Stubber (every request checked), and against moto in-process."""

import boto3
import pytest
from ansible_collections.finproc.dr.plugins.modules import ec2_vpc
from aws_stub import record_requests, run_module

NAME = "finproc-dev-vpc"
CIDR = "10.0.0.0/16"
VPC_ID = "vpc-0123456789abcdef0"
IGW_ID = "igw-0123456789abcdef0"
STACK = {"finproc:stack": "finproc-dev", "CostCenter": "CC-1"}
VPC_TAGS = dict(STACK, Name=NAME)
IGW_TAGS = dict(STACK, Name="finproc-dev-igw")
ARGS = {
    "name": NAME,
    "cidr_block": CIDR,
    "tags": STACK,
    "internet_gateway": {"name": "finproc-dev-igw", "tags": STACK},
}
# The VPC's identity: its primary CIDR block, its Name tag and the finproc:stack tag.
BY_IDENTITY = {
    "Filters": [
        {"Name": "cidr", "Values": [CIDR]},
        {"Name": "tag:Name", "Values": [NAME]},
        {"Name": "tag:finproc:stack", "Values": ["finproc-dev"]},
    ]
}
BY_ID = {"VpcIds": [VPC_ID]}
ATTACHED = {"Filters": [{"Name": "attachment.vpc-id", "Values": [VPC_ID]}]}
DETACHED_OF_IDENTITY = {
    "Filters": [
        {"Name": "tag:Name", "Values": ["finproc-dev-igw"]},
        {"Name": "tag:finproc:stack", "Values": ["finproc-dev"]},
    ]
}
WRITES = (
    "CreateVpc",
    "CreateInternetGateway",
    "AttachInternetGateway",
    "DetachInternetGateway",
    "DeleteInternetGateway",
    "DeleteVpc",
    "ModifyVpcAttribute",
    "CreateTags",
    "DeleteTags",
)


def tag_list(tags):
    return [{"Key": key, "Value": value} for key, value in sorted(tags.items())]


def vpc(state="available", tags=None):
    return {
        "VpcId": VPC_ID,
        "CidrBlock": CIDR,
        "State": state,
        "DhcpOptionsId": "dopt-0123456789abcdef0",
        "InstanceTenancy": "default",
        "IsDefault": False,
        "OwnerId": "123456789012",
        "CidrBlockAssociationSet": [
            {"AssociationId": "vpc-cidr-assoc-0123", "CidrBlock": CIDR, "CidrBlockState": {"State": "associated"}}
        ],
        "Tags": tag_list(VPC_TAGS if tags is None else tags),
    }


def gateway(attached=True, gateway_id=IGW_ID, tags=None):
    return {
        "InternetGatewayId": gateway_id,
        "OwnerId": "123456789012",
        "Attachments": [{"VpcId": VPC_ID, "State": "available"}] if attached else [],
        "Tags": tag_list(IGW_TAGS if tags is None else tags),
    }


def attribute(name, value):
    key = name[0].upper() + name[1:]
    return {"VpcId": VPC_ID, key: {"Value": value}}


def expect_read(stub, found=None, support=True, hostnames=True, gateways=None, detached=None, by_id=False):
    """The reads of a VPC: DescribeVpcs (by identity, or by ID once known), both DNS attributes,
    the attached gateway (and, when there is none, the detached ones of the gateway's identity)."""
    found = vpc() if found is None else found
    stub.add_response("describe_vpcs", {"Vpcs": [found]}, BY_ID if by_id else BY_IDENTITY)
    stub.add_response(
        "describe_vpc_attribute",
        attribute("enableDnsSupport", support),
        {"Attribute": "enableDnsSupport", "VpcId": VPC_ID},
    )
    stub.add_response(
        "describe_vpc_attribute",
        attribute("enableDnsHostnames", hostnames),
        {"Attribute": "enableDnsHostnames", "VpcId": VPC_ID},
    )
    gateways = [gateway()] if gateways is None else gateways
    stub.add_response("describe_internet_gateways", {"InternetGateways": gateways}, ATTACHED)
    if not gateways:
        stub.add_response("describe_internet_gateways", {"InternetGateways": detached or []}, DETACHED_OF_IDENTITY)


def run(ec2, monkeypatch, capsys, args=None, **kw):
    monkeypatch.setattr("time.sleep", lambda seconds: None)
    return run_module(ec2_vpc.main, ARGS if args is None else args, ec2[0], monkeypatch, capsys, **kw)


def writes(calls):
    return [name for name, _params in calls if name in WRITES]


CREATE_VPC = {
    "CidrBlock": CIDR,
    "InstanceTenancy": "default",
    "TagSpecifications": [{"ResourceType": "vpc", "Tags": tag_list(VPC_TAGS)}],
}
CREATE_IGW = {"TagSpecifications": [{"ResourceType": "internet-gateway", "Tags": tag_list(IGW_TAGS)}]}
ATTACH = {"InternetGatewayId": IGW_ID, "VpcId": VPC_ID}


def expect_create_rest(stub):
    """After CreateVpc: the new VPC read by ID (a new VPC has DNS hostnames off), DNS hostnames on,
    the gateway created tagged and attached, then the whole read again."""
    expect_read(stub, hostnames=False, gateways=[], by_id=True)
    stub.add_response("modify_vpc_attribute", {}, {"VpcId": VPC_ID, "EnableDnsHostnames": {"Value": True}})
    stub.add_response("create_internet_gateway", {"InternetGateway": gateway(attached=False)}, CREATE_IGW)
    stub.add_response("attach_internet_gateway", {}, ATTACH)
    expect_read(stub, by_id=True)


def test_creates_the_vpc_tagged_at_creation_with_dns_and_an_attached_gateway(ec2, monkeypatch, capsys):
    client, stub = ec2
    calls = record_requests(client)
    stub.add_response("describe_vpcs", {"Vpcs": []}, BY_IDENTITY)
    stub.add_response("create_vpc", {"Vpc": vpc()}, CREATE_VPC)
    expect_create_rest(stub)
    result, code = run(ec2, monkeypatch, capsys, diff=True)
    assert code == 0, result
    assert result["changed"] is True
    assert writes(calls) == ["CreateVpc", "ModifyVpcAttribute", "CreateInternetGateway", "AttachInternetGateway"]
    assert result["vpc"]["id"] == result["vpc"]["vpc_id"] == VPC_ID
    assert result["vpc"]["name"] == NAME
    assert result["vpc"]["tags"] == VPC_TAGS
    assert result["vpc"]["cidr_block"] == CIDR
    assert result["vpc"]["enable_dns_hostnames"] is True
    assert result["internet_gateway"]["gateway_id"] == IGW_ID
    assert result["internet_gateway"]["vpc_id"] == VPC_ID
    assert result["internet_gateway"]["tags"] == IGW_TAGS
    assert result["diff"]["before"] == {}
    assert result["diff"]["after"] == {
        "cidr_block": CIDR,
        "tenancy": "default",
        "dns_support": True,
        "dns_hostnames": True,
        "tags": VPC_TAGS,
        "internet_gateway": {"tags": IGW_TAGS, "attached": True},
    }


def test_a_converged_vpc_is_only_read(ec2, monkeypatch, capsys):
    client, stub = ec2
    calls = record_requests(client)
    expect_read(stub)
    result, code = run(ec2, monkeypatch, capsys, diff=True)
    assert code == 0, result
    assert result["changed"] is False
    assert writes(calls) == []
    assert result["diff"] == {"before": {}, "after": {}}
    assert result["vpc"]["id"] == VPC_ID and result["internet_gateway"]["gateway_id"] == IGW_ID


def test_check_mode_on_no_vpc_writes_nothing_and_returns_no_id(ec2, monkeypatch, capsys):
    client, stub = ec2
    calls = record_requests(client)
    stub.add_response("describe_vpcs", {"Vpcs": []}, BY_IDENTITY)
    result, code = run(ec2, monkeypatch, capsys, check_mode=True, diff=True)
    assert code == 0, result
    assert result["changed"] is True
    assert writes(calls) == []
    # The role's "does not exist yet" report keys on vpc.id being undefined.
    assert result["vpc"] == {}
    assert result["internet_gateway"] == {"gateway_id": None}
    assert result["diff"]["after"]["tags"] == VPC_TAGS


def test_tag_drift_is_written_back_and_named_in_the_diff(ec2, monkeypatch, capsys):
    client, stub = ec2
    calls = record_requests(client)
    drifted = dict(VPC_TAGS, CostCenter="CC-0", Extra="x")
    expect_read(stub, found=vpc(tags=drifted))
    stub.add_response("delete_tags", {}, {"Resources": [VPC_ID], "Tags": [{"Key": "Extra"}]})
    stub.add_response("create_tags", {}, {"Resources": [VPC_ID], "Tags": [{"Key": "CostCenter", "Value": "CC-1"}]})
    expect_read(stub, by_id=True)
    result, code = run(ec2, monkeypatch, capsys, diff=True)
    assert code == 0, result
    assert result["changed"] is True
    assert writes(calls) == ["DeleteTags", "CreateTags"]
    assert result["diff"] == {"before": {"tags": drifted}, "after": {"tags": VPC_TAGS}}


def test_gateway_tag_drift_is_written_to_the_gateway(ec2, monkeypatch, capsys):
    client, stub = ec2
    calls = record_requests(client)
    expect_read(stub, gateways=[gateway(tags=dict(IGW_TAGS, CostCenter="CC-0"))])
    stub.add_response("create_tags", {}, {"Resources": [IGW_ID], "Tags": [{"Key": "CostCenter", "Value": "CC-1"}]})
    expect_read(stub, by_id=True)
    result, code = run(ec2, monkeypatch, capsys, diff=True)
    assert code == 0, result
    assert writes(calls) == ["CreateTags"]
    assert result["diff"]["before"] == {
        "internet_gateway": {"tags": dict(IGW_TAGS, CostCenter="CC-0"), "attached": True}
    }
    assert result["diff"]["after"] == {"internet_gateway": {"tags": IGW_TAGS, "attached": True}}


def test_dns_drift_in_check_mode_writes_nothing_and_names_the_attribute(ec2, monkeypatch, capsys):
    client, stub = ec2
    calls = record_requests(client)
    expect_read(stub, hostnames=False)
    result, code = run(ec2, monkeypatch, capsys, check_mode=True, diff=True)
    assert code == 0, result
    assert result["changed"] is True
    assert writes(calls) == []
    assert result["diff"] == {"before": {"dns_hostnames": False}, "after": {"dns_hostnames": True}}


def test_dns_drift_is_repaired_support_before_hostnames(ec2, monkeypatch, capsys):
    client, stub = ec2
    calls = record_requests(client)
    expect_read(stub, support=False, hostnames=False)
    stub.add_response("modify_vpc_attribute", {}, {"VpcId": VPC_ID, "EnableDnsSupport": {"Value": True}})
    stub.add_response("modify_vpc_attribute", {}, {"VpcId": VPC_ID, "EnableDnsHostnames": {"Value": True}})
    expect_read(stub, by_id=True)
    result, code = run(ec2, monkeypatch, capsys)
    assert code == 0, result
    assert writes(calls) == ["ModifyVpcAttribute", "ModifyVpcAttribute"]


def test_absent_detaches_and_deletes_the_gateway_then_the_vpc(ec2, monkeypatch, capsys):
    client, stub = ec2
    calls = record_requests(client)
    expect_read(stub)
    stub.add_response("detach_internet_gateway", {}, ATTACH)
    stub.add_response("delete_internet_gateway", {}, {"InternetGatewayId": IGW_ID})
    stub.add_response("delete_vpc", {}, {"VpcId": VPC_ID})
    result, code = run(ec2, monkeypatch, capsys, args=dict(ARGS, state="absent"), diff=True)
    assert code == 0, result
    assert result["changed"] is True
    assert writes(calls) == ["DetachInternetGateway", "DeleteInternetGateway", "DeleteVpc"]
    assert result["vpc"] == {}
    assert result["diff"]["after"] == {}
    assert result["diff"]["before"]["tags"] == VPC_TAGS


def test_absent_by_id_of_a_vpc_already_gone_changes_nothing(ec2, monkeypatch, capsys):
    client, stub = ec2
    stub.add_client_error("describe_vpcs", service_error_code="InvalidVpcID.NotFound", expected_params=BY_ID)
    result, code = run(ec2, monkeypatch, capsys, args={"vpc_id": VPC_ID, "state": "absent"})
    assert code == 0, result
    assert result["changed"] is False


def test_absent_by_id_in_check_mode_deletes_nothing(ec2, monkeypatch, capsys):
    client, stub = ec2
    calls = record_requests(client)
    stub.add_response("describe_vpcs", {"Vpcs": [vpc()]}, BY_ID)
    stub.add_response(
        "describe_vpc_attribute",
        attribute("enableDnsSupport", True),
        {"Attribute": "enableDnsSupport", "VpcId": VPC_ID},
    )
    stub.add_response(
        "describe_vpc_attribute",
        attribute("enableDnsHostnames", True),
        {"Attribute": "enableDnsHostnames", "VpcId": VPC_ID},
    )
    stub.add_response("describe_internet_gateways", {"InternetGateways": [gateway()]}, ATTACHED)
    result, code = run(ec2, monkeypatch, capsys, args={"vpc_id": VPC_ID, "state": "absent"}, check_mode=True)
    assert code == 0, result
    assert result["changed"] is True
    assert writes(calls) == []


def test_two_vpcs_of_one_identity_fail_naming_both_and_change_nothing(ec2, monkeypatch, capsys):
    client, stub = ec2
    calls = record_requests(client)
    other = dict(vpc(), VpcId="vpc-0fedcba9876543210")
    stub.add_response("describe_vpcs", {"Vpcs": [vpc(), other]}, BY_IDENTITY)
    result, code = run(ec2, monkeypatch, capsys)
    assert code == 1
    assert VPC_ID in result["msg"] and "vpc-0fedcba9876543210" in result["msg"]
    assert "2 VPCs match" in result["msg"]
    assert writes(calls) == []


def test_a_vpc_of_another_tenancy_is_refused(ec2, monkeypatch, capsys):
    client, stub = ec2
    expect_read(stub, found=dict(vpc(), InstanceTenancy="dedicated"))
    result, code = run(ec2, monkeypatch, capsys)
    assert code == 1
    assert "instance tenancy dedicated, not default" in result["msg"]


def test_create_vpc_whose_answer_is_lost_is_found_by_identity_and_not_sent_again(ec2, monkeypatch, capsys):
    """CreateVpc takes no client token: after a 500, the VPC the lost call made is found by its
    identity (tagged at creation) and adopted; ONE CreateVpc in all (a second would fail the Stubber:
    AWSRetry or botocore would have sent it again)."""
    client, stub = ec2
    calls = record_requests(client)
    stub.add_response("describe_vpcs", {"Vpcs": []}, BY_IDENTITY)
    stub.add_client_error(
        "create_vpc", service_error_code="InternalError", http_status_code=500, expected_params=CREATE_VPC
    )
    stub.add_response("describe_vpcs", {"Vpcs": [vpc()]}, BY_IDENTITY)  # create_once's find
    expect_create_rest(stub)
    result, code = run(ec2, monkeypatch, capsys)
    assert code == 0, result
    assert [name for name, _params in calls].count("CreateVpc") == 1
    assert result["vpc"]["id"] == VPC_ID


def test_create_gateway_whose_answer_is_lost_is_found_detached_and_attached(ec2, monkeypatch, capsys):
    client, stub = ec2
    calls = record_requests(client)
    expect_read(stub, gateways=[])
    stub.add_client_error(
        "create_internet_gateway", service_error_code="InternalError", http_status_code=500, expected_params=CREATE_IGW
    )
    stub.add_response(
        "describe_internet_gateways", {"InternetGateways": [gateway(attached=False)]}, DETACHED_OF_IDENTITY
    )
    stub.add_response("attach_internet_gateway", {}, ATTACH)
    expect_read(stub, by_id=True)
    result, code = run(ec2, monkeypatch, capsys, diff=True)
    assert code == 0, result
    assert writes(calls) == ["CreateInternetGateway", "AttachInternetGateway"]
    assert result["internet_gateway"]["gateway_id"] == IGW_ID


def test_a_gateway_made_by_an_interrupted_run_is_attached_not_made_again(ec2, monkeypatch, capsys):
    client, stub = ec2
    calls = record_requests(client)
    expect_read(stub, gateways=[], detached=[gateway(attached=False)])
    stub.add_response("attach_internet_gateway", {}, ATTACH)
    expect_read(stub, by_id=True)
    result, code = run(ec2, monkeypatch, capsys, diff=True)
    assert code == 0, result
    assert writes(calls) == ["AttachInternetGateway"]
    assert result["diff"] == {
        "before": {"internet_gateway": {"tags": IGW_TAGS, "attached": False}},
        "after": {"internet_gateway": {"tags": IGW_TAGS, "attached": True}},
    }


def test_an_attach_sent_again_after_a_lost_answer_counts_as_attached(ec2, monkeypatch, capsys):
    client, stub = ec2
    expect_read(stub, gateways=[], detached=[gateway(attached=False)])
    stub.add_client_error(
        "attach_internet_gateway", service_error_code="Resource.AlreadyAssociated", expected_params=ATTACH
    )
    expect_read(stub, by_id=True)
    result, code = run(ec2, monkeypatch, capsys)
    assert code == 0, result
    assert result["changed"] is True


@pytest.mark.parametrize(
    "args, message",
    [
        ({"name": NAME}, "cidr_block required"),
        ({"cidr_block": CIDR}, "name required"),
        ({"name": NAME, "cidr_block": "10.0.0.0/8"}, "from /16 to /28"),
        ({"name": NAME, "cidr_block": "10.0.0.1/16"}, "not a valid CIDR block"),
        ({"vpc_id": VPC_ID}, "only taken with state=absent"),
        ({"name": NAME, "cidr_block": CIDR, "dns_support": False}, "dns_hostnames needs dns_support"),
    ],
)
def test_bad_options_fail_before_any_call(ec2, monkeypatch, capsys, args, message):
    result, code = run(ec2, monkeypatch, capsys, args=args)
    assert code == 1
    assert message in result["msg"]


# -- moto in-process -----------------------------------------------------------------------------


@pytest.fixture
def moto_ec2(moto_account):
    return boto3.client("ec2", region_name="us-east-2")


def test_moto_create_converge_retag_and_delete(moto_ec2, monkeypatch, capsys):
    client = moto_ec2
    recorded = record_requests(client)

    def module_run(args, **kw):
        start = len(recorded)
        result, code = run_module(ec2_vpc.main, args, client, monkeypatch, capsys, **kw)
        assert code == 0, result
        return result, writes(recorded[start:])

    created, made = module_run(ARGS)
    assert made == ["CreateVpc", "ModifyVpcAttribute", "CreateInternetGateway", "AttachInternetGateway"]
    vpc_id = created["vpc"]["id"]
    described = client.describe_vpcs(VpcIds=[vpc_id])["Vpcs"][0]
    assert {t["Key"]: t["Value"] for t in described["Tags"]} == VPC_TAGS
    attribute = client.describe_vpc_attribute(VpcId=vpc_id, Attribute="enableDnsHostnames")
    assert attribute["EnableDnsHostnames"]["Value"] is True
    gateways = client.describe_internet_gateways(Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}])
    assert [g["InternetGatewayId"] for g in gateways["InternetGateways"]] == [created["internet_gateway"]["gateway_id"]]

    again, made = module_run(ARGS)
    assert again["changed"] is False and made == []
    assert again["vpc"]["id"] == vpc_id

    retag = dict(
        ARGS,
        tags=dict(STACK, CostCenter="CC-2"),
        internet_gateway={"name": "finproc-dev-igw", "tags": dict(STACK, CostCenter="CC-2")},
    )
    retagged, made = module_run(retag)
    assert retagged["changed"] is True and made == ["CreateTags", "CreateTags"]
    assert retagged["vpc"]["tags"]["CostCenter"] == "CC-2"
    assert retagged["internet_gateway"]["tags"]["CostCenter"] == "CC-2"
    assert len(client.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [NAME]}])["Vpcs"]) == 1

    gone, made = module_run({"vpc_id": vpc_id, "state": "absent", "internet_gateway": ARGS["internet_gateway"]})
    assert made == ["DetachInternetGateway", "DeleteInternetGateway", "DeleteVpc"]
    assert client.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [NAME]}])["Vpcs"] == []
    assert (
        client.describe_internet_gateways(Filters=[{"Name": "tag:Name", "Values": ["finproc-dev-igw"]}])[
            "InternetGateways"
        ]
        == []
    )
    _result, made = module_run({"vpc_id": vpc_id, "state": "absent"})
    assert made == []
