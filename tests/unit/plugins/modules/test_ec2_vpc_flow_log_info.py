import datetime

from ansible_collections.finproc.dr.plugins.modules import ec2_vpc_flow_log_info
from aws_stub import run_module

FLOW_LOG = {
    "CreationTime": datetime.datetime(2026, 11, 1, tzinfo=datetime.timezone.utc),
    "FlowLogId": "fl-0000000000000000a",
    "FlowLogStatus": "ACTIVE",
    "ResourceId": "vpc-0123456789abcdef0",
    "TrafficType": "ALL",
    "LogGroupName": "/finproc/dev/vpc-flow-logs",
    "MaxAggregationInterval": 60,
    "Tags": [{"Key": "Name", "Value": "finproc-dev-vpc"}],
}


def test_filters_are_passed_and_results_snake_cased(ec2, monkeypatch, capsys):
    client, stub = ec2
    stub.add_response(
        "describe_flow_logs",
        {"FlowLogs": [FLOW_LOG]},
        {"Filters": [{"Name": "resource-id", "Values": ["vpc-0123456789abcdef0"]}]},
    )
    result, code = run_module(
        ec2_vpc_flow_log_info.main, {"filters": {"resource-id": "vpc-0123456789abcdef0"}}, client, monkeypatch, capsys
    )
    assert code == 0
    assert result["changed"] is False
    assert result["flow_logs"][0]["flow_log_id"] == "fl-0000000000000000a"
    assert result["flow_logs"][0]["max_aggregation_interval"] == 60
    assert result["flow_logs"][0]["tags"] == {"Name": "finproc-dev-vpc"}


def test_by_id(ec2, monkeypatch, capsys):
    client, stub = ec2
    stub.add_response("describe_flow_logs", {"FlowLogs": []}, {"FlowLogIds": ["fl-0000000000000000a"]})
    result, code = run_module(
        ec2_vpc_flow_log_info.main, {"flow_log_ids": ["fl-0000000000000000a"]}, client, monkeypatch, capsys
    )
    assert result["flow_logs"] == []
