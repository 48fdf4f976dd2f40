import copy
import datetime

import pytest
from ansible_collections.finproc.dr.plugins.module_utils import idempotency
from ansible_collections.finproc.dr.plugins.module_utils.idempotency import run_token
from ansible_collections.finproc.dr.plugins.modules import ec2_vpc_flow_log
from aws_stub import run_module

VPC = "vpc-0123456789abcdef0"
ROLE = "arn:aws:iam::123456789012:role/finproc-dev-flow-logs-us-east-2"
GROUP = "/finproc/dev/vpc-flow-logs"
ARGS = {
    "resource_id": VPC,
    "log_group_name": GROUP,
    "deliver_logs_permission_arn": ROLE,
    "max_aggregation_interval": 60,
    "tags": {"Name": "finproc-dev-vpc", "App": "finproc"},
}
EXISTING = {
    "CreationTime": datetime.datetime(2026, 11, 1, tzinfo=datetime.timezone.utc),
    "DeliverLogsPermissionArn": ROLE,
    "DeliverLogsStatus": "SUCCESS",
    "FlowLogId": "fl-0000000000000000a",
    "FlowLogStatus": "ACTIVE",
    "LogGroupName": GROUP,
    "ResourceId": VPC,
    "TrafficType": "ALL",
    "LogDestinationType": "cloud-watch-logs",
    "MaxAggregationInterval": 60,
    "Tags": [{"Key": "Name", "Value": "finproc-dev-vpc"}, {"Key": "App", "Value": "finproc"}],
}
BY_RESOURCE = {"Filters": [{"Name": "resource-id", "Values": [VPC]}]}
CREATE = {
    "ResourceIds": [VPC],
    "ResourceType": "VPC",
    "TrafficType": "ALL",
    "LogDestinationType": "cloud-watch-logs",
    "LogGroupName": GROUP,
    "DeliverLogsPermissionArn": ROLE,
    "MaxAggregationInterval": 60,
    "TagSpecifications": [
        {
            "ResourceType": "vpc-flow-log",
            "Tags": [{"Key": "Name", "Value": "finproc-dev-vpc"}, {"Key": "App", "Value": "finproc"}],
        }
    ],
}


def create(replacing=""):
    """CreateFlowLogs' parameters: CREATE with the ClientToken of the request, region and replaced flow log."""
    return dict(CREATE, ClientToken=run_token("CreateFlowLogs", "us-east-2", CREATE, replacing))


def run(ec2, monkeypatch, capsys, args=None, **kw):
    return run_module(ec2_vpc_flow_log.main, args or ARGS, ec2[0], monkeypatch, capsys, **kw)


def test_creates_a_missing_flow_log(ec2, monkeypatch, capsys):
    client, stub = ec2
    stub.add_response("describe_flow_logs", {"FlowLogs": []}, BY_RESOURCE)
    stub.add_response("create_flow_logs", {"FlowLogIds": [EXISTING["FlowLogId"]], "Unsuccessful": []}, create())
    stub.add_response("describe_flow_logs", {"FlowLogs": [EXISTING]}, {"FlowLogIds": [EXISTING["FlowLogId"]]})
    result, code = run(ec2, monkeypatch, capsys, diff=True)
    assert code == 0
    assert result["changed"] is True
    assert result["flow_log"]["flow_log_id"] == "fl-0000000000000000a"
    assert result["flow_log"]["tags"] == {"Name": "finproc-dev-vpc", "App": "finproc"}
    assert result["diff"]["before"] == {}
    assert result["diff"]["after"]["max_aggregation_interval"] == 60


@pytest.mark.parametrize(("code", "status"), [("InternalError", 500), ("ServiceUnavailable", 503)])
def test_a_lost_create_answer_is_retried_with_the_same_client_token(ec2, monkeypatch, capsys, code, status):
    """AWSRetry retries InternalError and ServiceUnavailable: the same token, so EC2 makes one flow log."""
    client, stub = ec2
    monkeypatch.setattr("time.sleep", lambda seconds: None)
    stub.add_response("describe_flow_logs", {"FlowLogs": []}, BY_RESOURCE)
    stub.add_client_error("create_flow_logs", code, http_status_code=status, expected_params=create())
    stub.add_response("create_flow_logs", {"FlowLogIds": [EXISTING["FlowLogId"]], "Unsuccessful": []}, create())
    stub.add_response("describe_flow_logs", {"FlowLogs": [EXISTING]}, {"FlowLogIds": [EXISTING["FlowLogId"]]})
    result, code = run(ec2, monkeypatch, capsys)
    assert code == 0, result
    assert result["flow_log"]["flow_log_id"] == EXISTING["FlowLogId"]


def test_the_token_changes_with_the_vpc_the_settings_and_the_replaced_flow_log():
    tokens = {
        create()["ClientToken"],
        create("fl-00000000000000old")["ClientToken"],
        run_token("CreateFlowLogs", "us-east-2", dict(CREATE, ResourceIds=["vpc-0fedcba9876543210"]), ""),
        run_token("CreateFlowLogs", "us-east-2", dict(CREATE, MaxAggregationInterval=600), ""),
    }
    assert len(tokens) == 4 and all(len(token) == 64 for token in tokens)


def test_a_later_run_never_sends_the_token_of_a_flow_log_deleted_since(monkeypatch):
    """A flow log deleted behind our back (its VPC kept) must not come back as the deleted one: EC2 answers
    a token it has seen with the first call's flow log. The token holds for this module run only."""
    this_run = create()["ClientToken"]
    monkeypatch.setattr(idempotency, "RUN_NONCE", "another module run")
    assert create()["ClientToken"] != this_run


def test_an_identical_flow_log_is_left_alone(ec2, monkeypatch, capsys):
    client, stub = ec2
    stub.add_response("describe_flow_logs", {"FlowLogs": [EXISTING]}, BY_RESOURCE)
    result, code = run(ec2, monkeypatch, capsys)
    assert code == 0
    assert result["changed"] is False
    assert result["flow_log"]["log_group_name"] == GROUP


def test_check_mode_reports_creation_without_writing(ec2, monkeypatch, capsys):
    client, stub = ec2
    stub.add_response("describe_flow_logs", {"FlowLogs": []}, BY_RESOURCE)
    result, code = run(ec2, monkeypatch, capsys, check_mode=True, diff=True)
    assert code == 0
    assert result["changed"] is True
    assert result["flow_log"] == {}
    assert result["diff"]["after"]["log_group_name"] == GROUP


def test_tags_are_brought_in_line(ec2, monkeypatch, capsys):
    client, stub = ec2
    drifted = copy.deepcopy(EXISTING)
    drifted["Tags"] = [{"Key": "Name", "Value": "finproc-dev-vpc"}, {"Key": "Owner", "Value": "someone"}]
    stub.add_response("describe_flow_logs", {"FlowLogs": [drifted]}, BY_RESOURCE)
    stub.add_response("delete_tags", {}, {"Resources": [EXISTING["FlowLogId"]], "Tags": [{"Key": "Owner"}]})
    stub.add_response(
        "create_tags", {}, {"Resources": [EXISTING["FlowLogId"]], "Tags": [{"Key": "App", "Value": "finproc"}]}
    )
    stub.add_response("describe_flow_logs", {"FlowLogs": [EXISTING]}, {"FlowLogIds": [EXISTING["FlowLogId"]]})
    result, code = run(ec2, monkeypatch, capsys, diff=True)
    assert result["changed"] is True
    assert result["diff"]["before"]["tags"] == {"Name": "finproc-dev-vpc", "Owner": "someone"}
    assert result["diff"]["after"]["tags"] == {"Name": "finproc-dev-vpc", "App": "finproc"}


def test_tags_in_check_mode_are_reported_not_written(ec2, monkeypatch, capsys):
    client, stub = ec2
    drifted = copy.deepcopy(EXISTING)
    drifted["Tags"] = [{"Key": "Name", "Value": "finproc-dev-vpc"}]
    stub.add_response("describe_flow_logs", {"FlowLogs": [drifted]}, BY_RESOURCE)
    result, code = run(ec2, monkeypatch, capsys, check_mode=True)
    assert result["changed"] is True


def test_an_immutable_difference_replaces_the_flow_log_new_one_first(ec2, monkeypatch, capsys):
    client, stub = ec2
    old = copy.deepcopy(EXISTING)
    old["MaxAggregationInterval"] = 600
    old["FlowLogId"] = "fl-00000000000000old"
    stub.add_response("describe_flow_logs", {"FlowLogs": [old]}, BY_RESOURCE)
    stub.add_response("create_flow_logs", {"FlowLogIds": [EXISTING["FlowLogId"]]}, create("fl-00000000000000old"))
    stub.add_response("delete_flow_logs", {"Unsuccessful": []}, {"FlowLogIds": ["fl-00000000000000old"]})
    stub.add_response("describe_flow_logs", {"FlowLogs": [EXISTING]}, {"FlowLogIds": [EXISTING["FlowLogId"]]})
    result, code = run(ec2, monkeypatch, capsys, diff=True)
    assert result["changed"] is True
    assert result["flow_log"]["flow_log_id"] == EXISTING["FlowLogId"]
    assert result["diff"]["before"]["max_aggregation_interval"] == 600
    assert result["diff"]["after"]["max_aggregation_interval"] == 60


def test_another_destination_is_not_ours(ec2, monkeypatch, capsys):
    client, stub = ec2
    other = copy.deepcopy(EXISTING)
    other["LogGroupName"] = "/someone/else"
    other["FlowLogId"] = "fl-0000000000000other"
    stub.add_response("describe_flow_logs", {"FlowLogs": [other]}, BY_RESOURCE)
    stub.add_response("create_flow_logs", {"FlowLogIds": [EXISTING["FlowLogId"]]}, create())
    stub.add_response("describe_flow_logs", {"FlowLogs": [EXISTING]}, {"FlowLogIds": [EXISTING["FlowLogId"]]})
    result, code = run(ec2, monkeypatch, capsys)
    assert result["changed"] is True


def test_a_refused_creation_names_the_aws_error(ec2, monkeypatch, capsys):
    client, stub = ec2
    stub.add_response("describe_flow_logs", {"FlowLogs": []}, BY_RESOURCE)
    stub.add_response(
        "create_flow_logs",
        {
            "FlowLogIds": [],
            "Unsuccessful": [
                {"ResourceId": VPC, "Error": {"Code": "AccessDenied", "Message": "role cannot be assumed"}}
            ],
        },
        create(),
    )
    result, code = run(ec2, monkeypatch, capsys)
    assert code == 1
    assert result["failed"] is True
    assert "AccessDenied: role cannot be assumed" in result["msg"]


def test_an_api_error_fails_with_the_step(ec2, monkeypatch, capsys):
    client, stub = ec2
    stub.add_client_error(
        "describe_flow_logs",
        service_error_code="UnauthorizedOperation",
        service_message="not allowed",
        expected_params=BY_RESOURCE,
    )
    result, code = run(ec2, monkeypatch, capsys)
    assert code == 1
    assert "DescribeFlowLogs failed for " + VPC in result["msg"]
    assert result["error"]["code"] == "UnauthorizedOperation"


def test_throttling_is_retried(ec2, monkeypatch, capsys):
    client, stub = ec2
    monkeypatch.setattr("time.sleep", lambda s: None)
    stub.add_client_error(
        "describe_flow_logs",
        service_error_code="RequestLimitExceeded",
        service_message="slow down",
        expected_params=BY_RESOURCE,
    )
    stub.add_response("describe_flow_logs", {"FlowLogs": [EXISTING]}, BY_RESOURCE)
    result, code = run(ec2, monkeypatch, capsys)
    assert code == 0
    assert result["changed"] is False


def test_absent_deletes_every_matching_flow_log(ec2, monkeypatch, capsys):
    client, stub = ec2
    stub.add_response("describe_flow_logs", {"FlowLogs": [EXISTING]}, BY_RESOURCE)
    stub.add_response("delete_flow_logs", {"Unsuccessful": []}, {"FlowLogIds": [EXISTING["FlowLogId"]]})
    result, code = run(ec2, monkeypatch, capsys, args={"resource_id": VPC, "log_group_name": GROUP, "state": "absent"})
    assert result["changed"] is True


def test_absent_when_missing_is_no_change(ec2, monkeypatch, capsys):
    client, stub = ec2
    stub.add_response("describe_flow_logs", {"FlowLogs": []}, BY_RESOURCE)
    result, code = run(ec2, monkeypatch, capsys, args={"resource_id": VPC, "log_group_name": GROUP, "state": "absent"})
    assert result["changed"] is False


def test_a_cloudwatch_destination_needs_a_role(ec2, monkeypatch, capsys):
    args = dict(ARGS)
    del args["deliver_logs_permission_arn"]
    result, code = run(ec2, monkeypatch, capsys, args=args)
    assert code == 1
    assert "deliver_logs_permission_arn is required" in result["msg"]
