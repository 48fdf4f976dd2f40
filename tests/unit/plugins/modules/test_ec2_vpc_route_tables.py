"""ec2_vpc_route_tables against a botocore Stubber: every request checked against the EC2 model and the
expected parameters, every reply against the model; a request nobody queued fails, the Stubber drained.

Proven here: a table is created with a deterministic ClientToken (the same for the same identity, another
for another VPC); a converged VPC is read once and nothing written; a route to another target is replaced,
an extra one deleted, and check mode writes nothing but names it in the diff (and only it); a subnet is
associated, moved from another table, or disassociated; tags drift is repaired; absent disassociates and
deletes the stack's tables but never the main one; and lost answers: CreateRouteTable answered 500 -> found
by identity -> ONE create; CreateRoute, AssociateRouteTable answered 500 -> the table read again -> not sent
again.
"""

import copy

import pytest
from ansible_collections.finproc.dr.plugins.module_utils import idempotency
from ansible_collections.finproc.dr.plugins.module_utils.idempotency import run_token
from ansible_collections.finproc.dr.plugins.modules import ec2_vpc_route_tables as module
from aws_stub import record_requests, run_module

VPC = "vpc-0123456789abcdef0"
IGW, NAT, NAT2 = "igw-0123456789abcdef0", "nat-0123456789abcdef0", "nat-0fedcba9876543210"
PUB_A, PUB_B, PRIV_A = "subnet-000000000000000a1", "subnet-000000000000000b1", "subnet-000000000000000a2"
PUBLIC, PRIVATE, MAIN = "rtb-000000000000000a1", "rtb-000000000000000a2", "rtb-00000000000000000"
BY_VPC = {"Filters": [{"Name": "vpc-id", "Values": [VPC]}]}
STACK = {"finproc:stack": "finproc-dev", "CostCentre": "42"}
ARGS = {
    "vpc_id": VPC,
    "tags": STACK,
    "identity_tags": ["finproc:stack"],
    "route_tables": [
        {
            "name": "finproc-dev-public",
            "tags": {"finproc:tier": "public"},
            "subnets": [PUB_A, PUB_B],
            "routes": [{"dest": "0.0.0.0/0", "gateway_id": IGW}],
        },
        {
            "name": "finproc-dev-private-us-east-2a",
            "tags": {"finproc:tier": "private"},
            "subnets": [PRIV_A],
            "routes": [{"dest": "0.0.0.0/0", "nat_gateway_id": NAT}],
        },
    ],
}
LOCAL = {"DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local", "Origin": "CreateRouteTable", "State": "active"}


def tag_list(tags):
    return [{"Key": key, "Value": value} for key, value in sorted(tags.items())]


def table(table_id, name, tier, subnets, target, key="GatewayId", **extra_tags):
    tags = dict(STACK, Name=name, **{"finproc:tier": tier})
    tags.update(extra_tags)
    return {
        "RouteTableId": table_id,
        "VpcId": VPC,
        "OwnerId": "123456789012",
        "Routes": [LOCAL]
        + (
            [{"DestinationCidrBlock": "0.0.0.0/0", key: target, "Origin": "CreateRoute", "State": "active"}]
            if target
            else []
        ),
        "Associations": [
            {
                "Main": False,
                "RouteTableAssociationId": "rtbassoc-%s" % subnet[-3:],
                "RouteTableId": table_id,
                "SubnetId": subnet,
                "AssociationState": {"State": "associated"},
            }
            for subnet in subnets
        ],
        "Tags": tag_list(tags),
        "PropagatingVgws": [],
    }


def public(**kw):
    return table(PUBLIC, "finproc-dev-public", "public", kw.pop("subnets", [PUB_A, PUB_B]), kw.pop("target", IGW), **kw)


def private(**kw):
    subnets, target = kw.pop("subnets", [PRIV_A]), kw.pop("target", NAT)
    return table(PRIVATE, "finproc-dev-private-us-east-2a", "private", subnets, target, key="NatGatewayId", **kw)


def main_table():
    found = table(MAIN, "", "", [], None)
    found["Tags"] = []
    found["Associations"] = [{"Main": True, "RouteTableAssociationId": "rtbassoc-main", "RouteTableId": MAIN}]
    return found


def by_id(table_id):
    return {"RouteTableIds": [table_id]}


@pytest.fixture
def sent(ec2):
    return record_requests(ec2[0])


@pytest.fixture(autouse=True)
def instant_backoff(monkeypatch):
    monkeypatch.setattr("time.sleep", lambda seconds: None)


def run(ec2, monkeypatch, capsys, args=None, **kw):
    return run_module(module.main, copy.deepcopy(args or ARGS), ec2[0], monkeypatch, capsys, **kw)


def writes(sent):
    return [(op, params) for op, params in sent if not op.startswith("Describe")]


def token(vpc=VPC, name="finproc-dev-private-us-east-2a", tier="private"):
    tags = dict(STACK, Name=name, **{"finproc:tier": tier})
    return run_token("CreateRouteTable", "us-east-2", vpc, name, tags)


def create_params(vpc=VPC):
    tags = dict(STACK, Name="finproc-dev-private-us-east-2a", **{"finproc:tier": "private"})
    return {
        "VpcId": vpc,
        "TagSpecifications": [{"ResourceType": "route-table", "Tags": tag_list(tags)}],
        "ClientToken": token(vpc),
    }


def by_identity(name="finproc-dev-private-us-east-2a"):
    return {
        "Filters": BY_VPC["Filters"]
        + [{"Name": "tag:Name", "Values": [name]}, {"Name": "tag:finproc:stack", "Values": ["finproc-dev"]}]
    }


def test_a_converged_vpc_is_read_once_and_left_alone(ec2, monkeypatch, capsys, sent):
    ec2[1].add_response("describe_route_tables", {"RouteTables": [main_table(), public(), private()]}, BY_VPC)
    result, code = run(ec2, monkeypatch, capsys, diff=True)
    assert code == 0, result
    assert result["changed"] is False
    assert result["diff"] == {"before": {}, "after": {}}
    assert writes(sent) == []
    assert [t["id"] for t in result["route_tables"]] == [PUBLIC, PRIVATE]
    assert result["route_table_ids_by_name"] == {
        "finproc-dev-public": PUBLIC,
        "finproc-dev-private-us-east-2a": PRIVATE,
    }
    assert result["route_tables"][1]["tags"]["finproc:tier"] == "private"
    assert result["route_tables"][1]["routes"][1]["nat_gateway_id"] == NAT


def test_a_missing_table_is_created_with_a_deterministic_token_tagged_routed_and_associated(
    ec2, monkeypatch, capsys, sent
):
    client, stub = ec2
    created = private(subnets=[], target=None)
    stub.add_response("describe_route_tables", {"RouteTables": [main_table(), public()]}, BY_VPC)
    stub.add_response("create_route_table", {"RouteTable": created}, create_params())
    stub.add_response(
        "create_route",
        {"Return": True},
        {"RouteTableId": PRIVATE, "DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": NAT},
    )
    stub.add_response(
        "associate_route_table", {"AssociationId": "rtbassoc-0a2"}, {"RouteTableId": PRIVATE, "SubnetId": PRIV_A}
    )
    stub.add_response("describe_route_tables", {"RouteTables": [private()]}, by_id(PRIVATE))
    result, code = run(ec2, monkeypatch, capsys, diff=True)
    assert code == 0, result
    assert result["changed"] is True
    assert [op for op, _params in writes(sent)] == ["CreateRouteTable", "CreateRoute", "AssociateRouteTable"]
    assert result["route_table_ids_by_name"]["finproc-dev-private-us-east-2a"] == PRIVATE
    assert result["diff"]["before"] == {}
    assert result["diff"]["after"]["finproc-dev-private-us-east-2a"]["routes"] == {"0.0.0.0/0": NAT}


def test_the_client_token_is_the_same_for_the_same_table_and_differs_for_another_vpc_or_name():
    assert token() == token()
    assert len(token()) == 64
    assert token() != token(vpc="vpc-0fedcba9876543210")
    assert token() != token(name="finproc-dev-private-us-east-2b")


def test_a_later_run_never_sends_the_token_of_a_table_deleted_since(monkeypatch):
    """A table deleted behind our back (or by a destroy whose VPC survived) must not come back as the
    deleted one: EC2 answers a token it has seen with the first call's table. The token holds for this
    module run only; a later run finds the table by its identity first."""
    this_run = token()
    monkeypatch.setattr(idempotency, "RUN_NONCE", "another module run")
    assert token() != this_run


@pytest.mark.parametrize(("code", "status"), [("InternalError", 500), ("ServiceUnavailable", 503)])
def test_a_lost_create_route_table_answer_is_found_by_identity_and_created_once(
    ec2, monkeypatch, capsys, sent, code, status
):
    client, stub = ec2
    stub.add_response("describe_route_tables", {"RouteTables": [main_table(), public()]}, BY_VPC)
    stub.add_client_error(
        "create_route_table", service_error_code=code, http_status_code=status, expected_params=create_params()
    )
    # AWS made it: the look-up by VPC, Name and identity tag finds it (with no route nor subnet yet).
    stub.add_response("describe_route_tables", {"RouteTables": [private(subnets=[], target=None)]}, by_identity())
    stub.add_response(
        "create_route",
        {"Return": True},
        {"RouteTableId": PRIVATE, "DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": NAT},
    )
    stub.add_response(
        "associate_route_table", {"AssociationId": "rtbassoc-0a2"}, {"RouteTableId": PRIVATE, "SubnetId": PRIV_A}
    )
    stub.add_response("describe_route_tables", {"RouteTables": [private()]}, by_id(PRIVATE))
    result, code = run(ec2, monkeypatch, capsys)
    assert code == 0, result
    assert [op for op, _params in writes(sent)].count("CreateRouteTable") == 1
    assert result["route_tables"][1]["id"] == PRIVATE


def test_two_tables_of_one_identity_fail_naming_them_before_any_write(ec2, monkeypatch, capsys, sent):
    twin = private()
    twin["RouteTableId"] = "rtb-0000000000000twin"
    ec2[1].add_response("describe_route_tables", {"RouteTables": [public(), private(), twin]}, BY_VPC)
    result, code = run(ec2, monkeypatch, capsys)
    assert code == 1
    assert PRIVATE in result["msg"] and twin["RouteTableId"] in result["msg"]
    assert writes(sent) == []


def test_a_lost_create_route_answer_is_read_back_and_not_sent_again(ec2, monkeypatch, capsys, sent):
    client, stub = ec2
    stub.add_response("describe_route_tables", {"RouteTables": [main_table(), public(), private(target=None)]}, BY_VPC)
    route = {"RouteTableId": PRIVATE, "DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": NAT}
    stub.add_client_error(
        "create_route", service_error_code="InternalError", http_status_code=500, expected_params=route
    )
    stub.add_response("describe_route_tables", {"RouteTables": [private()]}, by_id(PRIVATE))  # it is there
    stub.add_response("describe_route_tables", {"RouteTables": [private()]}, by_id(PRIVATE))  # the result
    result, code = run(ec2, monkeypatch, capsys)
    assert code == 0, result
    assert [op for op, _params in writes(sent)] == ["CreateRoute"]


def test_route_already_exists_with_the_wanted_target_counts_as_done(ec2, monkeypatch, capsys, sent):
    client, stub = ec2
    stub.add_response("describe_route_tables", {"RouteTables": [public(), private(target=None)]}, BY_VPC)
    stub.add_client_error("create_route", service_error_code="RouteAlreadyExists", http_status_code=400)
    stub.add_response("describe_route_tables", {"RouteTables": [private()]}, by_id(PRIVATE))
    stub.add_response("describe_route_tables", {"RouteTables": [private()]}, by_id(PRIVATE))
    result, code = run(ec2, monkeypatch, capsys)
    assert code == 0, result
    assert [op for op, _params in writes(sent)] == ["CreateRoute"]


def test_a_lost_associate_answer_is_read_back_and_not_sent_again(ec2, monkeypatch, capsys, sent):
    client, stub = ec2
    stub.add_response("describe_route_tables", {"RouteTables": [main_table(), public(), private(subnets=[])]}, BY_VPC)
    stub.add_client_error(
        "associate_route_table",
        service_error_code="InternalError",
        http_status_code=500,
        expected_params={"RouteTableId": PRIVATE, "SubnetId": PRIV_A},
    )
    stub.add_response("describe_route_tables", {"RouteTables": [private()]}, by_id(PRIVATE))
    stub.add_response("describe_route_tables", {"RouteTables": [private()]}, by_id(PRIVATE))
    result, code = run(ec2, monkeypatch, capsys)
    assert code == 0, result
    assert [op for op, _params in writes(sent)] == ["AssociateRouteTable"]


def test_a_route_to_another_target_is_named_in_check_mode_without_a_write_then_replaced(ec2, monkeypatch, capsys, sent):
    client, stub = ec2
    stub.add_response("describe_route_tables", {"RouteTables": [public(), private(target=NAT2)]}, BY_VPC)
    result, code = run(ec2, monkeypatch, capsys, check_mode=True, diff=True)
    assert code == 0, result
    assert result["changed"] is True
    assert writes(sent) == []
    assert result["diff"] == {
        "before": {"finproc-dev-private-us-east-2a": {"routes": {"0.0.0.0/0": NAT2}}},
        "after": {"finproc-dev-private-us-east-2a": {"routes": {"0.0.0.0/0": NAT}}},
    }

    stub.add_response("describe_route_tables", {"RouteTables": [public(), private(target=NAT2)]}, BY_VPC)
    route = {"RouteTableId": PRIVATE, "DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": NAT}
    stub.add_response("replace_route", {}, route)
    stub.add_response("describe_route_tables", {"RouteTables": [private()]}, by_id(PRIVATE))
    result, code = run(ec2, monkeypatch, capsys)
    assert code == 0, result
    assert result["changed"] is True
    assert writes(sent) == [("ReplaceRoute", route)]


def test_an_extra_route_is_deleted_and_the_local_route_never(ec2, monkeypatch, capsys, sent):
    client, stub = ec2
    extra = public()
    extra["Routes"].append(
        {"DestinationCidrBlock": "192.168.0.0/16", "GatewayId": IGW, "Origin": "CreateRoute", "State": "active"}
    )
    extra["Routes"].append(
        {"DestinationCidrBlock": "172.16.0.0/12", "GatewayId": "vgw-1", "Origin": "EnableVgwRoutePropagation"}
    )
    stub.add_response("describe_route_tables", {"RouteTables": [extra, private()]}, BY_VPC)
    result, code = run(ec2, monkeypatch, capsys, check_mode=True, diff=True)
    assert result["diff"] == {
        "before": {"finproc-dev-public": {"routes": {"0.0.0.0/0": IGW, "192.168.0.0/16": IGW}}},
        "after": {"finproc-dev-public": {"routes": {"0.0.0.0/0": IGW}}},
    }
    assert writes(sent) == []

    stub.add_response("describe_route_tables", {"RouteTables": [extra, private()]}, BY_VPC)
    stub.add_response("delete_route", {}, {"RouteTableId": PUBLIC, "DestinationCidrBlock": "192.168.0.0/16"})
    stub.add_response("describe_route_tables", {"RouteTables": [public()]}, by_id(PUBLIC))
    result, code = run(ec2, monkeypatch, capsys)
    assert code == 0, result
    assert [op for op, _params in writes(sent)] == ["DeleteRoute"]


def test_association_drift_a_subnet_moved_back_and_a_stray_one_disassociated(ec2, monkeypatch, capsys, sent):
    client, stub = ec2
    # PUB_B was moved to the private table behind our back.
    stub.add_response(
        "describe_route_tables",
        {"RouteTables": [main_table(), public(subnets=[PUB_A]), private(subnets=[PRIV_A, PUB_B])]},
        BY_VPC,
    )
    result, code = run(ec2, monkeypatch, capsys, check_mode=True, diff=True)
    assert result["diff"] == {
        "before": {
            "finproc-dev-public": {"subnets": [PUB_A]},
            "finproc-dev-private-us-east-2a": {"subnets": [PRIV_A, PUB_B]},
        },
        "after": {
            "finproc-dev-public": {"subnets": [PUB_A, PUB_B]},
            "finproc-dev-private-us-east-2a": {"subnets": [PRIV_A]},
        },
    }
    assert writes(sent) == []

    stub.add_response(
        "describe_route_tables",
        {"RouteTables": [main_table(), public(subnets=[PUB_A]), private(subnets=[PRIV_A, PUB_B])]},
        BY_VPC,
    )
    # Moved in one call (the association of the private table replaced): never on the main table between.
    stub.add_response(
        "replace_route_table_association",
        {"NewAssociationId": "rtbassoc-new"},
        {"AssociationId": "rtbassoc-0b1", "RouteTableId": PUBLIC},
    )
    stub.add_response("describe_route_tables", {"RouteTables": [public()]}, by_id(PUBLIC))
    # The private table no longer has it (moved): nothing sent about it there.
    stub.add_response("describe_route_tables", {"RouteTables": [private()]}, by_id(PRIVATE))
    result, code = run(ec2, monkeypatch, capsys)
    assert code == 0, result
    assert [op for op, _params in writes(sent)] == ["ReplaceRouteTableAssociation"]


def test_a_subnet_associated_behind_our_back_is_disassociated(ec2, monkeypatch, capsys, sent):
    client, stub = ec2
    stub.add_response(
        "describe_route_tables",
        {"RouteTables": [public(), private(subnets=[PRIV_A, "subnet-0000000000000ccc"])]},
        BY_VPC,
    )
    stub.add_response("disassociate_route_table", {}, {"AssociationId": "rtbassoc-ccc"})
    stub.add_response("describe_route_tables", {"RouteTables": [private()]}, by_id(PRIVATE))
    result, code = run(ec2, monkeypatch, capsys)
    assert code == 0, result
    assert writes(sent) == [("DisassociateRouteTable", {"AssociationId": "rtbassoc-ccc"})]


def test_tag_drift_is_named_and_repaired_the_identity_kept(ec2, monkeypatch, capsys, sent):
    client, stub = ec2
    drifted = private(Owner="someone")
    drifted["Tags"] = [tag for tag in drifted["Tags"] if tag["Key"] != "CostCentre"]
    stub.add_response("describe_route_tables", {"RouteTables": [public(), drifted]}, BY_VPC)
    result, code = run(ec2, monkeypatch, capsys, check_mode=True, diff=True)
    before = result["diff"]["before"]["finproc-dev-private-us-east-2a"]
    after = result["diff"]["after"]["finproc-dev-private-us-east-2a"]
    assert list(before) == list(after) == ["tags"]
    assert before["tags"]["Owner"] == "someone" and "Owner" not in after["tags"]
    assert after["tags"]["CostCentre"] == "42"
    assert writes(sent) == []

    stub.add_response("describe_route_tables", {"RouteTables": [public(), drifted]}, BY_VPC)
    stub.add_response("delete_tags", {}, {"Resources": [PRIVATE], "Tags": [{"Key": "Owner"}]})
    stub.add_response("create_tags", {}, {"Resources": [PRIVATE], "Tags": [{"Key": "CostCentre", "Value": "42"}]})
    stub.add_response("describe_route_tables", {"RouteTables": [private()]}, by_id(PRIVATE))
    result, code = run(ec2, monkeypatch, capsys)
    assert code == 0, result
    assert sorted(op for op, _params in writes(sent)) == ["CreateTags", "DeleteTags"]


def test_absent_disassociates_and_deletes_the_stack_tables_never_the_main_one(ec2, monkeypatch, capsys, sent):
    client, stub = ec2
    args = {
        "vpc_id": VPC,
        "tags": {"finproc:stack": "finproc-dev"},
        "identity_tags": ["finproc:stack"],
        "state": "absent",
    }
    others = table("rtb-0000000000000other", "someone-else", "x", [], None)
    others["Tags"] = tag_list({"Name": "someone-else"})
    stub.add_response("describe_route_tables", {"RouteTables": [main_table(), public(), private(), others]}, BY_VPC)
    for association in ("rtbassoc-0a1", "rtbassoc-0b1"):
        stub.add_response("disassociate_route_table", {}, {"AssociationId": association})
    stub.add_response("delete_route_table", {}, {"RouteTableId": PUBLIC})
    stub.add_response("disassociate_route_table", {}, {"AssociationId": "rtbassoc-0a2"})
    stub.add_response("delete_route_table", {}, {"RouteTableId": PRIVATE})
    result, code = run(ec2, monkeypatch, capsys, args=args)
    assert code == 0, result
    assert result["changed"] is True
    deleted = [params["RouteTableId"] for op, params in writes(sent) if op == "DeleteRouteTable"]
    assert deleted == [PUBLIC, PRIVATE]


def test_absent_in_check_mode_writes_nothing_and_without_tables_changes_nothing(ec2, monkeypatch, capsys, sent):
    client, stub = ec2
    args = {
        "vpc_id": VPC,
        "tags": {"finproc:stack": "finproc-dev"},
        "identity_tags": ["finproc:stack"],
        "state": "absent",
    }
    stub.add_response("describe_route_tables", {"RouteTables": [main_table(), public()]}, BY_VPC)
    result, code = run(ec2, monkeypatch, capsys, args=args, check_mode=True)
    assert result["changed"] is True and writes(sent) == []
    stub.add_response("describe_route_tables", {"RouteTables": [main_table()]}, BY_VPC)
    result, code = run(ec2, monkeypatch, capsys, args=args)
    assert result["changed"] is False and writes(sent) == []


def test_bad_input_is_refused_before_any_call(ec2, monkeypatch, capsys, sent):
    args = copy.deepcopy(ARGS)
    args["route_tables"][0]["routes"] = [{"dest": "0.0.0.0/0", "gateway_id": IGW, "nat_gateway_id": NAT}]
    args["identity_tags"] = ["missing"]
    result, code = run(ec2, monkeypatch, capsys, args=args)
    assert code == 1
    assert "exactly one of gateway_id and nat_gateway_id" in result["msg"]
    assert "identity_tags: missing is not a key of tags" in result["msg"]
    assert sent == []


def test_a_table_just_created_and_not_known_yet_to_create_route_gets_the_route_sent_again(
    ec2, monkeypatch, capsys, sent
):
    """InvalidRouteTableID.NotFound right after CreateRouteTable (EC2's eventual consistency): EC2 did nothing,
    the route is sent again; for a table that existed before the run, the same code fails the module."""
    client, stub = ec2
    stub.add_response("describe_route_tables", {"RouteTables": [main_table(), public()]}, BY_VPC)
    stub.add_response("create_route_table", {"RouteTable": private(subnets=[], target=None)}, create_params())
    route = {"RouteTableId": PRIVATE, "DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": NAT}
    stub.add_client_error(
        "create_route", service_error_code="InvalidRouteTableID.NotFound", http_status_code=400, expected_params=route
    )
    stub.add_response("create_route", {"Return": True}, route)
    stub.add_response(
        "associate_route_table", {"AssociationId": "rtbassoc-0a2"}, {"RouteTableId": PRIVATE, "SubnetId": PRIV_A}
    )
    stub.add_response("describe_route_tables", {"RouteTables": [private()]}, by_id(PRIVATE))
    result, code = run(ec2, monkeypatch, capsys)
    assert code == 0, result
    assert [op for op, _params in writes(sent)] == [
        "CreateRouteTable",
        "CreateRoute",
        "CreateRoute",
        "AssociateRouteTable",
    ]

    stub.add_response("describe_route_tables", {"RouteTables": [public(), private(target=None)]}, BY_VPC)
    stub.add_client_error("create_route", service_error_code="InvalidRouteTableID.NotFound", http_status_code=400)
    result, code = run(ec2, monkeypatch, capsys)
    assert code == 1 and "InvalidRouteTableID.NotFound" in result["msg"]
