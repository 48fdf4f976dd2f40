"""ec2_vpc_subnets against a botocore Stubber (every request checked), and against moto in-process."""

import copy

import boto3
import pytest
from ansible_collections.finproc.dr.plugins.modules import ec2_vpc_subnets
from aws_stub import record_requests, run_module

VPC = "vpc-0123456789abcdef0"
BY_VPC = {"Filters": [{"Name": "vpc-id", "Values": [VPC]}]}
WRITES = ("CreateSubnet", "CreateTags", "DeleteTags", "ModifySubnetAttribute")


def tags(**pairs):
    return [{"Key": key, "Value": value} for key, value in pairs.items()]


def subnet(subnet_id, cidr, az, map_public=False, state="available", **tag_pairs):
    return {
        "SubnetId": subnet_id,
        "SubnetArn": "arn:aws:ec2:us-east-2:123456789012:subnet/" + subnet_id,
        "CidrBlock": cidr,
        "AvailabilityZone": az,
        "AvailabilityZoneId": {"us-east-2a": "use2-az1", "us-east-2b": "use2-az2"}[az],
        "VpcId": VPC,
        "State": state,
        "MapPublicIpOnLaunch": map_public,
        "DefaultForAz": False,
        "AvailableIpAddressCount": 251,
        "OwnerId": "123456789012",
        "Tags": tags(**tag_pairs),
    }


PUBLIC_A = subnet("subnet-000000000000000a1", "10.0.0.0/24", "us-east-2a", Name="public-a", Tier="public")
PUBLIC_B = subnet("subnet-000000000000000b1", "10.0.1.0/24", "us-east-2b", Name="public-b", Tier="public")
PRIVATE_A = subnet("subnet-000000000000000a2", "10.0.10.0/24", "us-east-2a", Name="private-a", Tier="private")
OTHER = subnet("subnet-00000000000000099", "10.0.99.0/24", "us-east-2b", Name="someone-else")


def spec(cidr, az, map_public=False, **tag_pairs):
    return {"cidr": cidr, "az": az, "tags": dict(tag_pairs), "map_public": map_public}


# Listed in another order than DescribeSubnets answers.
ARGS = {
    "vpc_id": VPC,
    "subnets": [
        spec("10.0.10.0/24", "us-east-2a", Name="private-a", Tier="private"),
        spec("10.0.0.0/24", "us-east-2a", Name="public-a", Tier="public"),
        spec("10.0.1.0/24", "us-east-2b", Name="public-b", Tier="public"),
    ],
}


def run(ec2, monkeypatch, capsys, args=None, **kw):
    return run_module(ec2_vpc_subnets.main, args or ARGS, ec2[0], monkeypatch, capsys, **kw)


def operations(calls):
    return [name for name, _params in calls]


def test_a_converged_vpc_costs_one_describe_and_nothing_else(ec2, monkeypatch, capsys):
    client, stub = ec2
    calls = record_requests(client)
    stub.add_response("describe_subnets", {"Subnets": [PUBLIC_A, OTHER, PUBLIC_B, PRIVATE_A]}, BY_VPC)
    result, code = run(ec2, monkeypatch, capsys, diff=True)
    assert code == 0, result
    assert result["changed"] is False
    assert calls == [("DescribeSubnets", BY_VPC)]
    assert [s["id"] for s in result["subnets"]] == [PRIVATE_A["SubnetId"], PUBLIC_A["SubnetId"], PUBLIC_B["SubnetId"]]
    assert [s["subnet_id"] for s in result["subnets"]] == [s["id"] for s in result["subnets"]]
    first = result["subnets"][0]
    assert first["cidr_block"] == "10.0.10.0/24"
    assert first["availability_zone"] == "us-east-2a"
    assert first["map_public_ip_on_launch"] is False
    assert first["tags"] == {"Name": "private-a", "Tier": "private"}
    assert result["unlisted_subnet_ids"] == [OTHER["SubnetId"]]
    assert result["diff"]["before"] == result["diff"]["after"]
    assert result["diff"]["before"]["10.0.0.0/24"] == {
        "az": "us-east-2a",
        "map_public": False,
        "tags": {"Name": "public-a", "Tier": "public"},
    }


def test_no_diff_key_without_diff_mode(ec2, monkeypatch, capsys):
    client, stub = ec2
    stub.add_response("describe_subnets", {"Subnets": [PUBLIC_A, PUBLIC_B, PRIVATE_A]}, BY_VPC)
    result, code = run(ec2, monkeypatch, capsys)
    assert code == 0
    assert "diff" not in result
    assert result["unlisted_subnet_ids"] == []


def test_a_missing_subnet_is_created_waited_for_and_described(ec2, monkeypatch, capsys):
    client, stub = ec2
    calls = record_requests(client)
    created = subnet("subnet-000000000000000b2", "10.0.11.0/24", "us-east-2b", state="pending")
    created["Tags"] = tags(Name="private-b", Tier="private")
    args = dict(ARGS, subnets=ARGS["subnets"] + [spec("10.0.11.0/24", "us-east-2b", Name="private-b", Tier="private")])
    stub.add_response("describe_subnets", {"Subnets": [PUBLIC_A, PUBLIC_B, PRIVATE_A]}, BY_VPC)
    create = {
        "VpcId": VPC,
        "CidrBlock": "10.0.11.0/24",
        "AvailabilityZone": "us-east-2b",
        "TagSpecifications": [{"ResourceType": "subnet", "Tags": tags(Name="private-b", Tier="private")}],
    }
    stub.add_response("create_subnet", {"Subnet": created}, create)
    available = dict(created, State="available")
    by_id = {"SubnetIds": [created["SubnetId"]]}
    stub.add_response("describe_subnets", {"Subnets": [available]}, by_id)  # the waiter
    stub.add_response("describe_subnets", {"Subnets": [available]}, by_id)  # the result
    result, code = run(ec2, monkeypatch, capsys, args=args, diff=True)
    assert code == 0, result
    assert result["changed"] is True
    assert operations(calls) == ["DescribeSubnets", "CreateSubnet", "DescribeSubnets", "DescribeSubnets"]
    new = result["subnets"][3]
    assert new["id"] == new["subnet_id"] == "subnet-000000000000000b2"
    assert new["state"] == "available"
    assert new["tags"] == {"Name": "private-b", "Tier": "private"}
    assert [s["id"] for s in result["subnets"][:3]] == [
        PRIVATE_A["SubnetId"],
        PUBLIC_A["SubnetId"],
        PUBLIC_B["SubnetId"],
    ]
    assert "10.0.11.0/24" not in result["diff"]["before"]
    assert result["diff"]["after"]["10.0.11.0/24"] == {
        "az": "us-east-2b",
        "map_public": False,
        "tags": {"Name": "private-b", "Tier": "private"},
    }


@pytest.mark.parametrize(
    ("code", "status"),
    [("InternalError", 500), ("ServiceUnavailable", 503), ("InvalidSubnet.Conflict", 400)],
)
def test_a_lost_create_answer_is_adopted_by_vpc_and_cidr_not_created_twice(ec2, monkeypatch, capsys, code, status):
    """CreateSubnet answered 5xx (AWS may have made it) or Conflict (it exists): looked up, ONE CreateSubnet."""
    client, stub = ec2
    calls = record_requests(client)
    created = subnet("subnet-000000000000000b2", "10.0.11.0/24", "us-east-2b", Name="private-b", Tier="private")
    args = dict(ARGS, subnets=ARGS["subnets"] + [spec("10.0.11.0/24", "us-east-2b", Name="private-b", Tier="private")])
    stub.add_response("describe_subnets", {"Subnets": [PUBLIC_A, PUBLIC_B, PRIVATE_A]}, BY_VPC)
    stub.add_client_error("create_subnet", service_error_code=code, http_status_code=status)
    by_cidr = {"Filters": BY_VPC["Filters"] + [{"Name": "cidr-block", "Values": ["10.0.11.0/24"]}]}
    stub.add_response("describe_subnets", {"Subnets": [created]}, by_cidr)
    stub.add_response("describe_subnets", {"Subnets": [created]}, {"SubnetIds": [created["SubnetId"]]})
    result, code = run(ec2, monkeypatch, capsys, args=args)
    assert code == 0, result
    assert result["changed"] is True
    assert operations(calls) == ["DescribeSubnets", "CreateSubnet", "DescribeSubnets", "DescribeSubnets"]
    assert result["subnets"][3]["id"] == created["SubnetId"]


def test_a_subnet_without_tags_is_created_without_tag_specifications_and_public(ec2, monkeypatch, capsys):
    client, stub = ec2
    created = subnet("subnet-000000000000000c1", "10.0.2.0/24", "us-east-2a")
    created["Tags"] = []
    args = {"vpc_id": VPC, "subnets": [spec("10.0.2.0/24", "us-east-2a", map_public=True)], "wait": False}
    stub.add_response("describe_subnets", {"Subnets": []}, BY_VPC)
    stub.add_response(
        "create_subnet",
        {"Subnet": dict(created, State="pending")},
        {"VpcId": VPC, "CidrBlock": "10.0.2.0/24", "AvailabilityZone": "us-east-2a"},
    )
    # wait: false: no waiter; the public mapping is written at once.
    stub.add_response(
        "modify_subnet_attribute",
        {},
        {"SubnetId": created["SubnetId"], "MapPublicIpOnLaunch": {"Value": True}},
    )
    stub.add_response(
        "describe_subnets", {"Subnets": [dict(created, MapPublicIpOnLaunch=True)]}, {"SubnetIds": [created["SubnetId"]]}
    )
    result, code = run(ec2, monkeypatch, capsys, args=args)
    assert code == 0, result
    assert result["changed"] is True
    assert result["subnets"][0]["map_public_ip_on_launch"] is True
    assert result["subnets"][0]["tags"] == {}


def test_a_new_subnet_not_yet_known_is_retried(ec2, monkeypatch, capsys):
    """EC2's eventual consistency: right after CreateSubnet, its ID may be unknown for a moment."""
    client, stub = ec2
    monkeypatch.setattr("time.sleep", lambda seconds: None)
    created = subnet("subnet-000000000000000c1", "10.0.2.0/24", "us-east-2a")
    args = {"vpc_id": VPC, "subnets": [spec("10.0.2.0/24", "us-east-2a", map_public=True)]}
    modify = {"SubnetId": created["SubnetId"], "MapPublicIpOnLaunch": {"Value": True}}
    by_id = {"SubnetIds": [created["SubnetId"]]}
    stub.add_response("describe_subnets", {"Subnets": []}, BY_VPC)
    stub.add_response(
        "create_subnet",
        {"Subnet": dict(created, Tags=[])},  # available at once: no waiter
        {"VpcId": VPC, "CidrBlock": "10.0.2.0/24", "AvailabilityZone": "us-east-2a"},
    )
    stub.add_client_error(
        "modify_subnet_attribute", service_error_code="InvalidSubnetID.NotFound", expected_params=modify
    )
    stub.add_response("modify_subnet_attribute", {}, modify)
    stub.add_client_error("describe_subnets", service_error_code="InvalidSubnetID.NotFound", expected_params=by_id)
    stub.add_response("describe_subnets", {"Subnets": [dict(created, MapPublicIpOnLaunch=True, Tags=[])]}, by_id)
    result, code = run(ec2, monkeypatch, capsys, args=args)
    assert code == 0, result
    assert result["subnets"][0]["id"] == created["SubnetId"]


def test_a_subnet_not_found_when_it_existed_is_not_retried(ec2, monkeypatch, capsys):
    client, stub = ec2
    monkeypatch.setattr("time.sleep", lambda seconds: pytest.fail("no retry"))
    args = {
        "vpc_id": VPC,
        "subnets": [spec("10.0.0.0/24", "us-east-2a", map_public=True, Name="public-a", Tier="public")],
    }
    stub.add_response("describe_subnets", {"Subnets": [PUBLIC_A]}, BY_VPC)
    stub.add_client_error(
        "modify_subnet_attribute",
        service_error_code="InvalidSubnetID.NotFound",
        expected_params={"SubnetId": PUBLIC_A["SubnetId"], "MapPublicIpOnLaunch": {"Value": True}},
    )
    result, code = run(ec2, monkeypatch, capsys, args=args)
    assert code == 1
    assert "ModifySubnetAttribute failed for %s (10.0.0.0/24)" % PUBLIC_A["SubnetId"] in result["msg"]


def test_a_timeout_names_the_subnets(ec2, monkeypatch, capsys):
    client, stub = ec2
    sleeps = []
    monkeypatch.setattr("time.sleep", sleeps.append)
    created = subnet("subnet-000000000000000c1", "10.0.2.0/24", "us-east-2a", state="pending")
    args = {"vpc_id": VPC, "subnets": [spec("10.0.2.0/24", "us-east-2a")], "wait_timeout": 10}
    stub.add_response("describe_subnets", {"Subnets": []}, BY_VPC)
    stub.add_response(
        "create_subnet",
        {"Subnet": created},
        {"VpcId": VPC, "CidrBlock": "10.0.2.0/24", "AvailabilityZone": "us-east-2a"},
    )
    for _attempt in range(3):  # 10 s at 5 s a poll: at 0, 5 and 10 s
        stub.add_response("describe_subnets", {"Subnets": [created]}, {"SubnetIds": [created["SubnetId"]]})
    result, code = run(ec2, monkeypatch, capsys, args=args)
    assert code == 1
    assert result["msg"].startswith(
        "timed out after 10 s waiting for subnets subnet-000000000000000c1 (10.0.2.0/24) to become available"
    )
    assert sleeps == [5, 5]


def test_tag_drift_sets_the_changed_tags_and_removes_the_extras(ec2, monkeypatch, capsys):
    client, stub = ec2
    calls = record_requests(client)
    drifted = copy.deepcopy(PUBLIC_A)
    drifted["Tags"] = tags(
        Name="public-a", Tier="old", Owner="someone", Extra="x", **{"aws:cloudformation:stack-name": "stack"}
    )
    stub.add_response("describe_subnets", {"Subnets": [drifted, PUBLIC_B, PRIVATE_A]}, BY_VPC)
    resource = [PUBLIC_A["SubnetId"]]
    stub.add_response("delete_tags", {}, {"Resources": resource, "Tags": [{"Key": "Extra"}, {"Key": "Owner"}]})
    stub.add_response("create_tags", {}, {"Resources": resource, "Tags": tags(Tier="public")})
    after = dict(PUBLIC_A, Tags=tags(Name="public-a", Tier="public", **{"aws:cloudformation:stack-name": "stack"}))
    stub.add_response("describe_subnets", {"Subnets": [after]}, {"SubnetIds": resource})
    result, code = run(ec2, monkeypatch, capsys, diff=True)
    assert code == 0, result
    assert result["changed"] is True
    assert operations(calls) == ["DescribeSubnets", "DeleteTags", "CreateTags", "DescribeSubnets"]
    assert result["subnets"][1]["tags"] == {
        "Name": "public-a",
        "Tier": "public",
        "aws:cloudformation:stack-name": "stack",
    }
    assert result["diff"]["before"]["10.0.0.0/24"]["tags"]["Owner"] == "someone"
    assert result["diff"]["after"]["10.0.0.0/24"]["tags"] == result["subnets"][1]["tags"]
    assert result["diff"]["before"]["10.0.1.0/24"] == result["diff"]["after"]["10.0.1.0/24"]


def test_without_purge_tags_extra_tags_stay(ec2, monkeypatch, capsys):
    client, stub = ec2
    calls = record_requests(client)
    drifted = copy.deepcopy(PUBLIC_A)
    drifted["Tags"] = tags(Name="public-a", Tier="old", Owner="someone")
    stub.add_response("describe_subnets", {"Subnets": [drifted, PUBLIC_B, PRIVATE_A]}, BY_VPC)
    stub.add_response("create_tags", {}, {"Resources": [PUBLIC_A["SubnetId"]], "Tags": tags(Tier="public")})
    after = dict(PUBLIC_A, Tags=tags(Name="public-a", Tier="public", Owner="someone"))
    stub.add_response("describe_subnets", {"Subnets": [after]}, {"SubnetIds": [PUBLIC_A["SubnetId"]]})
    result, code = run(ec2, monkeypatch, capsys, args=dict(ARGS, purge_tags=False))
    assert code == 0, result
    assert "DeleteTags" not in operations(calls)
    assert result["subnets"][1]["tags"] == {"Name": "public-a", "Tier": "public", "Owner": "someone"}


def test_map_public_drift_is_modified(ec2, monkeypatch, capsys):
    client, stub = ec2
    calls = record_requests(client)
    args = copy.deepcopy(ARGS)
    args["subnets"][1]["map_public"] = True
    stub.add_response("describe_subnets", {"Subnets": [PUBLIC_A, PUBLIC_B, PRIVATE_A]}, BY_VPC)
    stub.add_response(
        "modify_subnet_attribute", {}, {"SubnetId": PUBLIC_A["SubnetId"], "MapPublicIpOnLaunch": {"Value": True}}
    )
    stub.add_response(
        "describe_subnets",
        {"Subnets": [dict(PUBLIC_A, MapPublicIpOnLaunch=True)]},
        {"SubnetIds": [PUBLIC_A["SubnetId"]]},
    )
    result, code = run(ec2, monkeypatch, capsys, args=args, diff=True)
    assert code == 0, result
    assert result["changed"] is True
    assert operations(calls) == ["DescribeSubnets", "ModifySubnetAttribute", "DescribeSubnets"]
    assert [s["map_public_ip_on_launch"] for s in result["subnets"]] == [False, True, False]
    assert result["diff"]["before"]["10.0.0.0/24"]["map_public"] is False
    assert result["diff"]["after"]["10.0.0.0/24"]["map_public"] is True


def test_a_subnet_in_another_az_fails_before_any_change(ec2, monkeypatch, capsys):
    client, stub = ec2
    calls = record_requests(client)
    args = copy.deepcopy(ARGS)
    args["subnets"].append(spec("10.0.20.0/24", "us-east-2a"))  # missing: would be created
    args["subnets"][2]["az"] = "us-east-2a"  # 10.0.1.0/24 is in us-east-2b
    stub.add_response("describe_subnets", {"Subnets": [PUBLIC_A, PUBLIC_B, PRIVATE_A]}, BY_VPC)
    result, code = run(ec2, monkeypatch, capsys, args=args)
    assert code == 1
    assert result["msg"] == (
        "Subnet 10.0.1.0/24 (subnet-000000000000000b1) exists in availability zone us-east-2b, "
        "not in the requested us-east-2a; a subnet cannot move"
    )
    assert operations(calls) == ["DescribeSubnets"]


def test_a_subnet_overlapping_an_existing_one_fails_before_any_change(ec2, monkeypatch, capsys):
    client, stub = ec2
    args = {"vpc_id": VPC, "subnets": [spec("10.0.2.0/24", "us-east-2a"), spec("10.0.0.0/23", "us-east-2a")]}
    stub.add_response("describe_subnets", {"Subnets": [PUBLIC_A]}, BY_VPC)
    result, code = run(ec2, monkeypatch, capsys, args=args)
    assert code == 1
    assert "10.0.0.0/23 cannot be created: it overlaps the existing subnet subnet-000000000000000a1" in result["msg"]


@pytest.mark.parametrize(
    "subnets, message",
    [
        pytest.param(
            [spec("10.0.0.0/24", "us-east-2a"), spec("10.0.0.0/24", "us-east-2b")],
            "subnets[1]: cidr 10.0.0.0/24 is listed twice (also subnets[0])",
            id="duplicate",
        ),
        pytest.param(
            [spec("10.0.0.0/24", "us-east-2a"), spec("10.0.300.0/24", "us-east-2b")],
            "subnets[1]: cidr '10.0.300.0/24' is not a valid CIDR block",
            id="invalid address",
        ),
        pytest.param(
            [spec("10.0.0.5/24", "us-east-2a")],
            "subnets[0]: cidr '10.0.0.5/24' is not a valid CIDR block: 10.0.0.5/24 has host bits set",
            id="host bits",
        ),
        pytest.param(
            [spec("10.0.0.0/24", "us-east-2a"), spec("10.0.0.128/25", "us-east-2b")],
            "subnets[1]: cidr 10.0.0.128/25 overlaps subnets[0] (10.0.0.0/24)",
            id="overlap",
        ),
        pytest.param([spec("2001:db8::/64", "us-east-2a")], "subnets[0]: cidr '2001:db8::/64' is not an IPv4", id="v6"),
        pytest.param([spec("10.0.0.0/29", "us-east-2a")], "from /16 to /28", id="too small"),
    ],
)
def test_bad_input_fails_before_any_aws_call(ec2, monkeypatch, capsys, subnets, message):
    client, stub = ec2  # nothing queued: any call would fail the test
    calls = record_requests(client)
    result, code = run(ec2, monkeypatch, capsys, args={"vpc_id": VPC, "subnets": subnets})
    assert code == 1
    assert message in result["msg"]
    assert calls == []


def test_check_mode_reports_a_creation_without_writing(ec2, monkeypatch, capsys):
    client, stub = ec2
    calls = record_requests(client)
    args = dict(ARGS, subnets=ARGS["subnets"] + [spec("10.0.11.0/24", "us-east-2b", map_public=True, Name="b")])
    stub.add_response("describe_subnets", {"Subnets": [PUBLIC_A, PUBLIC_B, PRIVATE_A]}, BY_VPC)
    result, code = run(ec2, monkeypatch, capsys, args=args, check_mode=True, diff=True)
    assert code == 0, result
    assert result["changed"] is True
    assert operations(calls) == ["DescribeSubnets"]
    assert result["subnets"][3] == {
        "cidr_block": "10.0.11.0/24",
        "availability_zone": "us-east-2b",
        "vpc_id": VPC,
        "tags": {"Name": "b"},
        "map_public_ip_on_launch": True,
    }
    assert "id" not in result["subnets"][3]
    assert result["diff"]["after"]["10.0.11.0/24"] == {"az": "us-east-2b", "map_public": True, "tags": {"Name": "b"}}
    assert "10.0.11.0/24" not in result["diff"]["before"]


def test_check_mode_reports_drift_without_writing(ec2, monkeypatch, capsys):
    client, stub = ec2
    calls = record_requests(client)
    drifted = dict(PUBLIC_A, Tags=tags(Name="public-a", Owner="someone"), MapPublicIpOnLaunch=True)
    stub.add_response("describe_subnets", {"Subnets": [drifted, PUBLIC_B, PRIVATE_A]}, BY_VPC)
    result, code = run(ec2, monkeypatch, capsys, check_mode=True)
    assert code == 0, result
    assert result["changed"] is True
    assert operations(calls) == ["DescribeSubnets"]
    assert result["subnets"][1]["id"] == PUBLIC_A["SubnetId"]
    assert result["subnets"][1]["tags"] == {"Name": "public-a", "Tier": "public"}
    assert result["subnets"][1]["map_public_ip_on_launch"] is False


def test_throttling_is_retried(ec2, monkeypatch, capsys):
    client, stub = ec2
    monkeypatch.setattr("time.sleep", lambda seconds: None)
    stub.add_client_error("describe_subnets", service_error_code="RequestLimitExceeded", expected_params=BY_VPC)
    stub.add_response("describe_subnets", {"Subnets": [PUBLIC_A, PUBLIC_B, PRIVATE_A]}, BY_VPC)
    result, code = run(ec2, monkeypatch, capsys)
    assert code == 0, result
    assert result["changed"] is False


def test_an_api_error_fails_with_the_step(ec2, monkeypatch, capsys):
    client, stub = ec2
    stub.add_client_error(
        "describe_subnets", service_error_code="UnauthorizedOperation", service_message="no", expected_params=BY_VPC
    )
    result, code = run(ec2, monkeypatch, capsys)
    assert code == 1
    assert result["msg"].startswith("DescribeSubnets failed for " + VPC)
    assert result["error"]["code"] == "UnauthorizedOperation"


# -- moto in-process -------------------------------------------------------------------------------
MOTO_SUBNETS = [
    ("public", "us-east-2a", "10.20.0.0/24"),
    ("public", "us-east-2b", "10.20.1.0/24"),
    ("private", "us-east-2a", "10.20.10.0/24"),
    ("private", "us-east-2b", "10.20.11.0/24"),
]


@pytest.fixture
def moto_ec2(moto_account):
    return boto3.client("ec2", region_name="us-east-2")


def real_subnets(client, vpc_id):
    found = client.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"]
    return {
        s["CidrBlock"]: (s["SubnetId"], s["AvailabilityZone"], {t["Key"]: t["Value"] for t in s.get("Tags", [])})
        for s in found
    }


def test_moto_creates_four_subnets_then_changes_only_what_differs(moto_ec2, monkeypatch, capsys):
    client = moto_ec2
    vpc_id = client.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    args = {
        "vpc_id": vpc_id,
        "subnets": [
            spec(cidr, az, **{"Name": "finproc-dev-%s-%s" % (tier, az), "finproc:tier": tier})
            for tier, az, cidr in MOTO_SUBNETS
        ],
    }

    recorded = record_requests(client)

    def module_run(args):
        start = len(recorded)
        result, code = run_module(ec2_vpc_subnets.main, args, client, monkeypatch, capsys)
        assert code == 0, result
        return result, recorded[start:]

    result, calls = module_run(args)
    assert result["changed"] is True
    assert operations(calls).count("CreateSubnet") == 4
    real = real_subnets(client, vpc_id)  # recorded too, after the run's calls
    assert sorted(real) == sorted(cidr for _tier, _az, cidr in MOTO_SUBNETS)
    for (tier, az, cidr), returned in zip(MOTO_SUBNETS, result["subnets"], strict=True):
        subnet_id, real_az, real_tags = real[cidr]
        assert returned["id"] == subnet_id
        assert real_az == az == returned["availability_zone"]
        assert real_tags == {"Name": "finproc-dev-%s-%s" % (tier, az), "finproc:tier": tier} == returned["tags"]
    assert result["unlisted_subnet_ids"] == []

    again, calls = module_run(args)
    assert again["changed"] is False
    assert operations(calls) == ["DescribeSubnets"]
    assert [s["id"] for s in again["subnets"]] == [s["id"] for s in result["subnets"]]

    changed_args = copy.deepcopy(args)
    changed_args["subnets"][2]["tags"]["Name"] = "renamed"
    third, calls = module_run(changed_args)
    assert third["changed"] is True
    target = result["subnets"][2]["id"]
    writes = [(name, params) for name, params in calls if name in WRITES]
    assert writes == [("CreateTags", {"Resources": [target], "Tags": [{"Key": "Name", "Value": "renamed"}]})]
    after = real_subnets(client, vpc_id)
    assert after["10.20.10.0/24"][2] == {"Name": "renamed", "finproc:tier": "private"}
    for cidr in ("10.20.0.0/24", "10.20.1.0/24", "10.20.11.0/24"):
        assert after[cidr] == real[cidr]
    assert third["subnets"][2]["tags"] == {"Name": "renamed", "finproc:tier": "private"}
