"""ec2_vpc_endpoints against a botocore Stubber: every request checked against the EC2 model and the expected
parameters, every reply against the model; a request nobody queued fails, the Stubber drained.

Proven here: two missing endpoints are created, each with a deterministic ClientToken (identity, parameters and
module run) and tagged at birth; a converged VPC costs ONE DescribeVpcEndpoints and no write (amazon.aws's two
runs: DescribeVpcEndpoints, DescribeTags, DescribeVpcEndpoints each); a route table removed behind our back is
named in the diff (only it) and added back with one ModifyVpcEndpoint; policy drift is compared as JSON and
repaired, an equal policy in another order is no drift; a lost CreateVpcEndpoint answer is found by (VPC,
service) and ONE endpoint adopted; a lost ModifyVpcEndpoint answer is read back, not sent again; check mode
writes nothing; two endpoints of one service are told apart by the identity tags, or the run fails naming
them; purge_endpoints deletes only unlisted endpoints carrying the identity tags.
"""

import copy
import json

import pytest
from ansible_collections.finproc.dr.plugins.module_utils import idempotency
from ansible_collections.finproc.dr.plugins.module_utils.idempotency import run_token
from ansible_collections.finproc.dr.plugins.modules import ec2_vpc_endpoints as module
from aws_stub import run_module, writes

VPC = "vpc-0123456789abcdef0"
S3, DDB = "com.amazonaws.us-east-2.s3", "com.amazonaws.us-east-2.dynamodb"
PUBLIC, PRIV_A, PRIV_B = "rtb-000000000000000a1", "rtb-000000000000000a2", "rtb-000000000000000b2"
TABLES = [PUBLIC, PRIV_A, PRIV_B]
VPCE_S3, VPCE_DDB = "vpce-000000000000000s3", "vpce-00000000000000ddb"
STACK = {"finproc:stack": "finproc-dev", "CostCentre": "42"}
FULL = {"Version": "2008-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]}
TABLE_ONLY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": "*",
            "Action": ["dynamodb:GetItem", "dynamodb:PutItem"],
            "Resource": "arn:aws:dynamodb:us-east-2:123456789012:table/finproc-dev",
        }
    ],
}
ARGS = {
    "vpc_id": VPC,
    "tags": STACK,
    "identity_tags": ["finproc:stack"],
    "endpoints": [
        {"service": S3, "route_table_ids": TABLES, "tags": {"Name": "finproc-dev-s3"}},
        {"service": DDB, "route_table_ids": TABLES, "tags": {"Name": "finproc-dev-dynamodb"}},
    ],
}
LISTED = {
    "Filters": [
        {"Name": "vpc-id", "Values": [VPC]},
        {"Name": "vpc-endpoint-type", "Values": ["Gateway"]},
        {"Name": "service-name", "Values": [S3, DDB]},
    ]
}


def by_service(service):
    return {"Filters": LISTED["Filters"][:2] + [{"Name": "service-name", "Values": [service]}]}


def tag_list(tags):
    return [{"Key": key, "Value": value} for key, value in sorted(tags.items())]


def endpoint(endpoint_id, service, tables=None, policy=None, state="available", **extra_tags):
    tables = TABLES if tables is None else tables
    policy = FULL if policy is None else policy
    name = "finproc-dev-" + service.rsplit(".", 1)[1]
    return {
        "VpcEndpointId": endpoint_id,
        "VpcEndpointType": "Gateway",
        "VpcId": VPC,
        "ServiceName": service,
        "State": state,
        "PolicyDocument": json.dumps(policy),
        "RouteTableIds": list(tables),
        "Tags": tag_list(dict(STACK, Name=name, **extra_tags)),
    }


def s3(**kw):
    return endpoint(VPCE_S3, S3, **kw)


def ddb(**kw):
    return endpoint(VPCE_DDB, DDB, **kw)


def token(service, name, policy=None, vpc=VPC):
    return run_token("CreateVpcEndpoint", "us-east-2", vpc, service, sorted(TABLES), policy, dict(STACK, Name=name))


def create_params(service, name, policy=None):
    params = {
        "VpcEndpointType": "Gateway",
        "VpcId": VPC,
        "ServiceName": service,
        "RouteTableIds": sorted(TABLES),
        "TagSpecifications": [{"ResourceType": "vpc-endpoint", "Tags": tag_list(dict(STACK, Name=name))}],
        "ClientToken": token(service, name, policy),
    }
    if policy is not None:
        params["PolicyDocument"] = policy
    return params


def run(ec2, monkeypatch, capsys, args=None, **kw):
    return run_module(module.main, copy.deepcopy(args or ARGS), ec2[0], monkeypatch, capsys, **kw)


pytestmark = pytest.mark.usefixtures("instant_backoff")


def test_a_converged_vpc_is_one_describe_and_no_write(ec2, monkeypatch, capsys, ec2_sent):
    ec2[1].add_response("describe_vpc_endpoints", {"VpcEndpoints": [ddb(), s3()]}, LISTED)
    result, code = run(ec2, monkeypatch, capsys, diff=True)
    assert code == 0, result
    assert result["changed"] is False
    assert result["diff"] == {"before": {}, "after": {}}
    assert [op for op, _params in ec2_sent] == ["DescribeVpcEndpoints"]
    # In the order of the list, as EC2 describes them: the role publishes vpc_endpoint_id.
    assert [e["vpc_endpoint_id"] for e in result["vpc_endpoints"]] == [VPCE_S3, VPCE_DDB]
    assert result["vpc_endpoints"][0]["tags"]["Name"] == "finproc-dev-s3"
    assert result["vpc_endpoints"][0]["route_table_ids"] == TABLES
    assert result["deleted_vpc_endpoints"] == []


def test_two_missing_endpoints_are_created_with_a_token_and_tagged_at_birth(ec2, monkeypatch, capsys, ec2_sent):
    stub = ec2[1]
    stub.add_response("describe_vpc_endpoints", {"VpcEndpoints": []}, LISTED)
    stub.add_response("create_vpc_endpoint", {"VpcEndpoint": s3(state="pending")}, create_params(S3, "finproc-dev-s3"))
    stub.add_response(
        "create_vpc_endpoint", {"VpcEndpoint": ddb(state="pending")}, create_params(DDB, "finproc-dev-dynamodb")
    )
    stub.add_response(
        "describe_vpc_endpoints", {"VpcEndpoints": [ddb(), s3()]}, {"VpcEndpointIds": [VPCE_S3, VPCE_DDB]}
    )
    result, code = run(ec2, monkeypatch, capsys, diff=True)
    assert code == 0, result
    assert result["changed"] is True
    assert [op for op, _params in writes(ec2_sent)] == ["CreateVpcEndpoint", "CreateVpcEndpoint"]
    assert [e["vpc_endpoint_id"] for e in result["vpc_endpoints"]] == [VPCE_S3, VPCE_DDB]
    assert [e["state"] for e in result["vpc_endpoints"]] == ["available", "available"]
    assert result["diff"]["before"] == {}
    assert result["diff"]["after"][S3] == {
        "route_table_ids": sorted(TABLES),
        "tags": dict(STACK, Name="finproc-dev-s3"),
    }


def test_the_client_token_is_the_same_for_the_same_endpoint_and_differs_for_another_or_a_later_run(monkeypatch):
    first = token(S3, "finproc-dev-s3")
    assert first == token(S3, "finproc-dev-s3")
    assert len(first) == 64
    assert first != token(DDB, "finproc-dev-s3")
    assert first != token(S3, "finproc-dev-s3", vpc="vpc-0fedcba9876543210")
    assert first != token(S3, "finproc-dev-s3", policy=json.dumps(TABLE_ONLY))
    # EC2 answers a token it has seen with the first call's endpoint, even deleted: a later run never sends it.
    monkeypatch.setattr(idempotency, "RUN_NONCE", "another module run")
    assert token(S3, "finproc-dev-s3") != first


@pytest.mark.parametrize(("code", "status"), [("InternalError", 500), ("ServiceUnavailable", 503)])
def test_a_lost_create_answer_is_found_by_vpc_and_service_and_one_endpoint_adopted(
    ec2, monkeypatch, capsys, ec2_sent, code, status
):
    stub = ec2[1]
    stub.add_response("describe_vpc_endpoints", {"VpcEndpoints": [ddb()]}, LISTED)
    stub.add_client_error(
        "create_vpc_endpoint",
        service_error_code=code,
        http_status_code=status,
        expected_params=create_params(S3, "finproc-dev-s3"),
    )
    # The first call made it: found by (VPC, service) before any new attempt.
    stub.add_response("describe_vpc_endpoints", {"VpcEndpoints": [s3()]}, by_service(S3))
    stub.add_response("describe_vpc_endpoints", {"VpcEndpoints": [s3()]}, {"VpcEndpointIds": [VPCE_S3]})
    result, code_ = run(ec2, monkeypatch, capsys)
    assert code_ == 0, result
    assert [op for op, _params in writes(ec2_sent)] == ["CreateVpcEndpoint"]
    assert [e["vpc_endpoint_id"] for e in result["vpc_endpoints"]] == [VPCE_S3, VPCE_DDB]


def test_a_route_table_removed_behind_our_back_is_named_then_added_back(ec2, monkeypatch, capsys, ec2_sent):
    stub = ec2[1]
    stub.add_response("describe_vpc_endpoints", {"VpcEndpoints": [s3(tables=[PUBLIC, PRIV_A]), ddb()]}, LISTED)
    result, code = run(ec2, monkeypatch, capsys, check_mode=True, diff=True)
    assert code == 0, result
    assert result["changed"] is True
    assert result["diff"] == {
        "before": {S3: {"route_table_ids": [PUBLIC, PRIV_A]}},
        "after": {S3: {"route_table_ids": sorted(TABLES)}},
    }
    assert writes(ec2_sent) == []
    assert result["vpc_endpoints"][0]["route_table_ids"] == sorted(TABLES)

    stub.add_response("describe_vpc_endpoints", {"VpcEndpoints": [s3(tables=[PUBLIC, PRIV_A]), ddb()]}, LISTED)
    stub.add_response("modify_vpc_endpoint", {"Return": True}, {"VpcEndpointId": VPCE_S3, "AddRouteTableIds": [PRIV_B]})
    stub.add_response("describe_vpc_endpoints", {"VpcEndpoints": [s3()]}, {"VpcEndpointIds": [VPCE_S3]})
    result, code = run(ec2, monkeypatch, capsys, diff=True)
    assert code == 0, result
    assert result["changed"] is True
    assert writes(ec2_sent) == [("ModifyVpcEndpoint", {"VpcEndpointId": VPCE_S3, "AddRouteTableIds": [PRIV_B]})]


def test_a_route_table_added_behind_our_back_is_removed(ec2, monkeypatch, capsys, ec2_sent):
    stray = "rtb-0000000000000stray"
    stub = ec2[1]
    stub.add_response("describe_vpc_endpoints", {"VpcEndpoints": [s3(), ddb(tables=TABLES + [stray])]}, LISTED)
    stub.add_response(
        "modify_vpc_endpoint", {"Return": True}, {"VpcEndpointId": VPCE_DDB, "RemoveRouteTableIds": [stray]}
    )
    stub.add_response("describe_vpc_endpoints", {"VpcEndpoints": [ddb()]}, {"VpcEndpointIds": [VPCE_DDB]})
    result, code = run(ec2, monkeypatch, capsys, diff=True)
    assert code == 0, result
    assert result["diff"]["before"] == {DDB: {"route_table_ids": sorted(TABLES + [stray])}}
    assert [op for op, _params in writes(ec2_sent)] == ["ModifyVpcEndpoint"]


def with_policy(policy):
    args = copy.deepcopy(ARGS)
    args["endpoints"][1]["policy"] = json.dumps(policy)
    return args


def test_policy_drift_is_named_and_repaired(ec2, monkeypatch, capsys, ec2_sent):
    stub = ec2[1]
    stub.add_response("describe_vpc_endpoints", {"VpcEndpoints": [s3(), ddb(policy=FULL)]}, LISTED)
    stub.add_response(
        "modify_vpc_endpoint",
        {"Return": True},
        {"VpcEndpointId": VPCE_DDB, "PolicyDocument": json.dumps(TABLE_ONLY)},
    )
    stub.add_response(
        "describe_vpc_endpoints", {"VpcEndpoints": [ddb(policy=TABLE_ONLY)]}, {"VpcEndpointIds": [VPCE_DDB]}
    )
    result, code = run(ec2, monkeypatch, capsys, args=with_policy(TABLE_ONLY), diff=True)
    assert code == 0, result
    assert result["changed"] is True
    assert result["diff"] == {"before": {DDB: {"policy": FULL}}, "after": {DDB: {"policy": TABLE_ONLY}}}
    assert [op for op, _params in writes(ec2_sent)] == ["ModifyVpcEndpoint"]
    assert json.loads(result["vpc_endpoints"][1]["policy_document"]) == TABLE_ONLY


def test_the_same_policy_in_another_order_is_no_drift(ec2, monkeypatch, capsys, ec2_sent):
    reordered = copy.deepcopy(TABLE_ONLY)
    reordered["Statement"][0]["Action"].reverse()
    ec2[1].add_response("describe_vpc_endpoints", {"VpcEndpoints": [s3(), ddb(policy=reordered)]}, LISTED)
    result, code = run(ec2, monkeypatch, capsys, args=with_policy(TABLE_ONLY), diff=True)
    assert code == 0, result
    assert result["changed"] is False
    assert writes(ec2_sent) == []


def test_a_new_endpoint_gets_its_policy_at_creation(ec2, monkeypatch, capsys, ec2_sent):
    stub = ec2[1]
    policy = json.dumps(TABLE_ONLY)
    stub.add_response("describe_vpc_endpoints", {"VpcEndpoints": [s3()]}, LISTED)
    stub.add_response(
        "create_vpc_endpoint",
        {"VpcEndpoint": ddb(policy=TABLE_ONLY)},
        create_params(DDB, "finproc-dev-dynamodb", policy=policy),
    )
    stub.add_response(
        "describe_vpc_endpoints", {"VpcEndpoints": [ddb(policy=TABLE_ONLY)]}, {"VpcEndpointIds": [VPCE_DDB]}
    )
    result, code = run(ec2, monkeypatch, capsys, args=with_policy(TABLE_ONLY))
    assert code == 0, result
    assert [op for op, _params in writes(ec2_sent)] == ["CreateVpcEndpoint"]


def test_a_lost_modify_answer_is_read_back_and_not_sent_again(ec2, monkeypatch, capsys, ec2_sent):
    stub = ec2[1]
    stub.add_response("describe_vpc_endpoints", {"VpcEndpoints": [s3(tables=[PUBLIC]), ddb()]}, LISTED)
    stub.add_client_error(
        "modify_vpc_endpoint",
        service_error_code="InternalError",
        http_status_code=500,
        expected_params={"VpcEndpointId": VPCE_S3, "AddRouteTableIds": [PRIV_A, PRIV_B]},
    )
    stub.add_response("describe_vpc_endpoints", {"VpcEndpoints": [s3()]}, {"VpcEndpointIds": [VPCE_S3]})
    stub.add_response("describe_vpc_endpoints", {"VpcEndpoints": [s3()]}, {"VpcEndpointIds": [VPCE_S3]})
    result, code = run(ec2, monkeypatch, capsys)
    assert code == 0, result
    assert [op for op, _params in writes(ec2_sent)] == ["ModifyVpcEndpoint"]


def test_tag_drift_is_named_and_repaired(ec2, monkeypatch, capsys, ec2_sent):
    stub = ec2[1]
    drifted = s3()
    drifted["Tags"] = tag_list(dict(STACK, Name="finproc-dev-s3", CostCentre="43", Owner="someone"))
    stub.add_response("describe_vpc_endpoints", {"VpcEndpoints": [drifted, ddb()]}, LISTED)
    stub.add_response("delete_tags", {}, {"Resources": [VPCE_S3], "Tags": [{"Key": "Owner"}]})
    stub.add_response("create_tags", {}, {"Resources": [VPCE_S3], "Tags": [{"Key": "CostCentre", "Value": "42"}]})
    stub.add_response("describe_vpc_endpoints", {"VpcEndpoints": [s3()]}, {"VpcEndpointIds": [VPCE_S3]})
    result, code = run(ec2, monkeypatch, capsys, diff=True)
    assert code == 0, result
    assert result["diff"]["before"] == {
        S3: {"tags": dict(STACK, Name="finproc-dev-s3", CostCentre="43", Owner="someone")}
    }
    assert result["diff"]["after"] == {S3: {"tags": dict(STACK, Name="finproc-dev-s3")}}
    assert [op for op, _params in writes(ec2_sent)] == ["DeleteTags", "CreateTags"]


def test_check_mode_creates_nothing_and_returns_the_endpoints_without_an_id(ec2, monkeypatch, capsys, ec2_sent):
    ec2[1].add_response("describe_vpc_endpoints", {"VpcEndpoints": [s3()]}, LISTED)
    result, code = run(ec2, monkeypatch, capsys, check_mode=True, diff=True)
    assert code == 0, result
    assert result["changed"] is True
    assert writes(ec2_sent) == []
    assert [e.get("vpc_endpoint_id") for e in result["vpc_endpoints"]] == [VPCE_S3, None]
    assert list(result["diff"]["after"]) == [DDB]
    assert result["diff"]["before"] == {}


def test_two_endpoints_of_a_service_the_one_with_the_identity_tags_is_ours(ec2, monkeypatch, capsys, ec2_sent):
    theirs = endpoint("vpce-00000000000theirs", S3, tables=["rtb-0000000000000other"])
    theirs["Tags"] = tag_list({"finproc:stack": "payments-prod"})
    ec2[1].add_response("describe_vpc_endpoints", {"VpcEndpoints": [theirs, s3(), ddb()]}, LISTED)
    result, code = run(ec2, monkeypatch, capsys)
    assert code == 0, result
    assert result["changed"] is False
    assert result["vpc_endpoints"][0]["vpc_endpoint_id"] == VPCE_S3


def test_two_endpoints_of_a_service_neither_ours_fail_naming_them_before_any_write(ec2, monkeypatch, capsys, ec2_sent):
    one, two = endpoint("vpce-0000000000000one1", S3), endpoint("vpce-0000000000000two2", S3)
    one["Tags"] = two["Tags"] = []
    ec2[1].add_response("describe_vpc_endpoints", {"VpcEndpoints": [one, two, ddb()]}, LISTED)
    result, code = run(ec2, monkeypatch, capsys)
    assert code == 1
    assert "vpce-0000000000000one1, vpce-0000000000000two2" in result["msg"]
    assert writes(ec2_sent) == []


def test_purge_deletes_only_unlisted_endpoints_of_the_stack(ec2, monkeypatch, capsys, ec2_sent):
    ours = endpoint("vpce-0000000000000ours", "com.amazonaws.us-east-2.sqs")
    theirs = endpoint("vpce-00000000000theirs", "com.amazonaws.us-east-2.sns")
    theirs["Tags"] = tag_list({"finproc:stack": "payments-prod"})
    untagged = endpoint("vpce-000000000untagged", "com.amazonaws.us-east-2.kms")
    untagged["Tags"] = []
    args = dict(copy.deepcopy(ARGS), purge_endpoints=True)
    stub = ec2[1]
    everything = {"Filters": LISTED["Filters"][:2]}
    stub.add_response("describe_vpc_endpoints", {"VpcEndpoints": [s3(), ddb(), ours, theirs, untagged]}, everything)
    stub.add_response("delete_vpc_endpoints", {"Unsuccessful": []}, {"VpcEndpointIds": ["vpce-0000000000000ours"]})
    result, code = run(ec2, monkeypatch, capsys, args=args, diff=True)
    assert code == 0, result
    assert result["changed"] is True
    assert [e["vpc_endpoint_id"] for e in result["deleted_vpc_endpoints"]] == ["vpce-0000000000000ours"]
    assert list(result["diff"]["before"]) == ["com.amazonaws.us-east-2.sqs"]
    assert result["diff"]["after"] == {}
    assert [op for op, _params in writes(ec2_sent)] == ["DeleteVpcEndpoints"]


def test_without_purge_an_unlisted_endpoint_is_not_even_read(ec2, monkeypatch, capsys, ec2_sent):
    # The describe names the listed services: an endpoint of another service never reaches the module.
    ec2[1].add_response("describe_vpc_endpoints", {"VpcEndpoints": [s3(), ddb()]}, LISTED)
    result, code = run(ec2, monkeypatch, capsys)
    assert code == 0, result
    assert result["changed"] is False


def test_no_endpoint_listed_and_none_to_purge_makes_no_call(ec2, monkeypatch, capsys, ec2_sent):
    result, code = run(ec2, monkeypatch, capsys, args=dict(copy.deepcopy(ARGS), endpoints=[]))
    assert code == 0, result
    assert result["changed"] is False
    assert result["vpc_endpoints"] == []
    assert ec2_sent == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"endpoints": ARGS["endpoints"] + ARGS["endpoints"][:1]}, "is listed twice"),
        ({"identity_tags": ["Owner"]}, "identity_tags: Owner is not a key of tags"),
        ({"purge_endpoints": True, "identity_tags": []}, "purge_endpoints needs identity_tags"),
        ({"wait_timeout": 0}, "wait_timeout must be at least 1 second"),
    ],
)
def test_bad_input_is_refused_before_any_call(ec2, monkeypatch, capsys, ec2_sent, change, message):
    result, code = run(ec2, monkeypatch, capsys, args=dict(copy.deepcopy(ARGS), **change))
    assert code == 1
    assert message in result["msg"]
    assert ec2_sent == []


def test_a_policy_that_is_not_a_json_object_is_refused_before_any_call(ec2, monkeypatch, capsys, ec2_sent):
    args = copy.deepcopy(ARGS)
    args["endpoints"][0]["policy"] = '["not", "a", "policy"]'
    result, code = run(ec2, monkeypatch, capsys, args=args)
    assert code == 1
    assert "endpoints[0].policy" in result["msg"]
    assert ec2_sent == []


def test_wait_waits_for_the_created_endpoints_only(ec2, monkeypatch, capsys, ec2_sent):
    stub = ec2[1]
    args = dict(copy.deepcopy(ARGS), wait=True)
    stub.add_response("describe_vpc_endpoints", {"VpcEndpoints": [s3()]}, LISTED)
    stub.add_response(
        "create_vpc_endpoint", {"VpcEndpoint": ddb(state="pending")}, create_params(DDB, "finproc-dev-dynamodb")
    )
    stub.add_response(
        "describe_vpc_endpoints", {"VpcEndpoints": [ddb(state="pending")]}, {"VpcEndpointIds": [VPCE_DDB]}
    )
    stub.add_response("describe_vpc_endpoints", {"VpcEndpoints": [ddb()]}, {"VpcEndpointIds": [VPCE_DDB]})
    stub.add_response("describe_vpc_endpoints", {"VpcEndpoints": [ddb()]}, {"VpcEndpointIds": [VPCE_DDB]})
    result, code = run(ec2, monkeypatch, capsys, args=args)
    assert code == 0, result
    assert result["vpc_endpoints"][1]["state"] == "available"
