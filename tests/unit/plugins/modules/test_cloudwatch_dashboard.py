import json

import pytest
from ansible_collections.finproc.dr.plugins.modules import cloudwatch_dashboard
from aws_stub import record_requests, run_module

NAME = "finproc-dev-dr"
ARN = "arn:aws:cloudwatch::123456789012:dashboard/" + NAME
GET = {"DashboardName": NAME}
BODY = {
    "widgets": [
        {
            "type": "metric",
            "x": 0,
            "y": 0,
            "width": 12,
            "height": 6,
            "properties": {
                "title": "Ledger replication latency",
                "region": "us-east-2",
                "metrics": [["AWS/S3", "ReplicationLatency", "RuleId", "ledger-to-dr"]],
            },
        }
    ]
}
OTHER = {"widgets": [{"type": "text", "x": 0, "y": 0, "width": 6, "height": 3, "properties": {"markdown": "DR"}}]}


def run(cloudwatch, monkeypatch, capsys, module_args, **kw):
    return run_module(cloudwatch_dashboard.main, module_args, cloudwatch[0], monkeypatch, capsys, **kw)


def got(body, text=None):
    return {"DashboardArn": ARN, "DashboardName": NAME, "DashboardBody": text or json.dumps(body)}


def not_found(stub):
    stub.add_client_error("get_dashboard", "ResourceNotFound", "Dashboard does not exist", 404, expected_params=GET)


def put(stub, body, messages=None):
    stub.add_response(
        "put_dashboard",
        {"DashboardValidationMessages": messages or []},
        {"DashboardName": NAME, "DashboardBody": json.dumps(body, sort_keys=True)},
    )


def writes(calls):
    return [call for call in calls if call[0] not in ("GetDashboard", "ListTagsForResource")]


def tag_list(tags):
    return [{"Key": key, "Value": value} for key, value in tags.items()]


def list_tags(stub, tags):
    stub.add_response("list_tags_for_resource", {"Tags": tag_list(tags)}, {"ResourceARN": ARN})


def test_creates_a_missing_dashboard(cloudwatch, monkeypatch, capsys):
    client, stub = cloudwatch
    not_found(stub)
    put(stub, BODY)
    stub.add_response("get_dashboard", got(BODY), GET)
    result, code = run(cloudwatch, monkeypatch, capsys, {"name": NAME, "body": BODY}, diff=True)
    assert code == 0, result
    assert result["changed"] is True
    assert result["dashboard"] == {"name": NAME, "arn": ARN, "body": BODY}
    assert result["diff"] == {"before": {}, "after": {"body": BODY}}


def test_the_same_body_as_a_differently_ordered_json_string_is_no_change(cloudwatch, monkeypatch, capsys):
    client, stub = cloudwatch
    stub.add_response("get_dashboard", got(BODY, json.dumps(BODY, separators=(",", ":"))), GET)
    calls = record_requests(client)
    text = json.dumps(BODY, sort_keys=True, indent=2)
    assert text.index('"height"') < text.index('"type"')  # another order than the stored body
    result, code = run(cloudwatch, monkeypatch, capsys, {"name": NAME, "body": text}, diff=True)
    assert code == 0, result
    assert result["changed"] is False
    assert writes(calls) == []
    assert result["dashboard"] == {"name": NAME, "arn": ARN, "body": BODY}
    assert result["diff"]["before"] == result["diff"]["after"]


def test_a_different_body_is_put(cloudwatch, monkeypatch, capsys):
    client, stub = cloudwatch
    stub.add_response("get_dashboard", got(OTHER), GET)
    put(stub, BODY)
    stub.add_response("get_dashboard", got(BODY), GET)
    result, code = run(cloudwatch, monkeypatch, capsys, {"name": NAME, "body": BODY}, diff=True)
    assert code == 0, result
    assert result["changed"] is True
    assert result["diff"] == {"before": {"body": OTHER}, "after": {"body": BODY}}
    assert result["dashboard"]["body"] == BODY


def test_a_reordered_list_is_a_change(cloudwatch, monkeypatch, capsys):
    client, stub = cloudwatch
    two = {"widgets": BODY["widgets"] + OTHER["widgets"]}
    stub.add_response("get_dashboard", got({"widgets": OTHER["widgets"] + BODY["widgets"]}), GET)
    put(stub, two)
    stub.add_response("get_dashboard", got(two), GET)
    result, code = run(cloudwatch, monkeypatch, capsys, {"name": NAME, "body": two})
    assert code == 0, result
    assert result["changed"] is True


def test_validation_messages_fail_the_task(cloudwatch, monkeypatch, capsys):
    client, stub = cloudwatch
    not_found(stub)
    put(stub, BODY, messages=[{"DataPath": "/widgets/0/properties/metrics", "Message": "Should NOT be shorter"}])
    result, code = run(cloudwatch, monkeypatch, capsys, {"name": NAME, "body": BODY})
    assert code == 1
    assert result["failed"] is True
    assert "Should NOT be shorter (at /widgets/0/properties/metrics)" in result["msg"]
    assert result["validation_messages"] == [
        {"data_path": "/widgets/0/properties/metrics", "message": "Should NOT be shorter"}
    ]


def test_an_invalid_body_refused_by_put_dashboard_fails_with_the_messages(cloudwatch, monkeypatch, capsys):
    client, stub = cloudwatch
    not_found(stub)
    stub.add_client_error(
        "put_dashboard",
        "InvalidParameterInput",
        "The input for the dashboard body is invalid",
        400,
        expected_params={"DashboardName": NAME, "DashboardBody": json.dumps(BODY, sort_keys=True)},
        modeled_fields={"dashboardValidationMessages": [{"DataPath": "/widgets/0/type", "Message": "Invalid type"}]},
    )
    result, code = run(cloudwatch, monkeypatch, capsys, {"name": NAME, "body": BODY})
    assert code == 1
    assert (
        "PutDashboard refused the body of CloudWatch dashboard %s: Invalid type (at /widgets/0/type)" % NAME
        in result["msg"]
    )


def test_absent_deletes_the_dashboard(cloudwatch, monkeypatch, capsys):
    client, stub = cloudwatch
    stub.add_response("get_dashboard", got(BODY), GET)
    stub.add_response("delete_dashboards", {}, {"DashboardNames": [NAME]})
    result, code = run(cloudwatch, monkeypatch, capsys, {"name": NAME, "state": "absent"}, diff=True)
    assert code == 0, result
    assert result["changed"] is True
    assert result["dashboard"] == {}
    assert result["diff"] == {"before": {"body": BODY}, "after": {}}


def test_absent_of_a_missing_dashboard_is_no_change(cloudwatch, monkeypatch, capsys):
    client, stub = cloudwatch
    not_found(stub)
    calls = record_requests(client)
    result, code = run(cloudwatch, monkeypatch, capsys, {"name": NAME, "state": "absent"})
    assert code == 0, result
    assert result["changed"] is False
    assert writes(calls) == []


@pytest.mark.parametrize(
    "current, module_args, changed",
    [
        (None, {"name": NAME, "body": BODY}, True),
        (OTHER, {"name": NAME, "body": BODY}, True),
        (BODY, {"name": NAME, "body": BODY}, False),
        (BODY, {"name": NAME, "state": "absent"}, True),
    ],
    ids=["create", "update", "same", "delete"],
)
def test_check_mode_writes_nothing(cloudwatch, monkeypatch, capsys, current, module_args, changed):
    client, stub = cloudwatch
    if current is None:
        not_found(stub)
    else:
        stub.add_response("get_dashboard", got(current), GET)
    calls = record_requests(client)
    result, code = run(cloudwatch, monkeypatch, capsys, module_args, check_mode=True, diff=True)
    assert code == 0, result
    assert writes(calls) == []
    assert result["changed"] is changed
    assert result["dashboard"] == ({"name": NAME, "arn": ARN, "body": current} if current else {})
    assert result["diff"]["before"] == ({"body": current} if current else {})
    assert result["diff"]["after"] == ({"body": module_args["body"]} if "body" in module_args else {})


@pytest.mark.parametrize(
    "module_args, message",
    [
        ({"name": NAME, "body": "{not json"}, "body of dashboard %s is not valid JSON" % NAME),
        ({"name": NAME, "body": "[1, 2]"}, "body of dashboard %s must be a JSON object" % NAME),
        ({"name": "finproc dev", "body": BODY}, "finproc dev is not a valid CloudWatch dashboard name: 1 to 255"),
        ({"name": NAME}, "state is present but all of the following are missing: body"),
    ],
)
def test_invalid_options_fail_before_any_request(cloudwatch, monkeypatch, capsys, module_args, message):
    client, stub = cloudwatch
    calls = record_requests(client)
    result, code = run(cloudwatch, monkeypatch, capsys, module_args)
    assert code == 1
    assert message in result["msg"]
    assert calls == []


def test_a_get_error_fails_with_the_step(cloudwatch, monkeypatch, capsys):
    client, stub = cloudwatch
    stub.add_client_error("get_dashboard", "InvalidParameterValue", "bad name", 400, expected_params=GET)
    result, code = run(cloudwatch, monkeypatch, capsys, {"name": NAME, "body": BODY})
    assert code == 1
    assert "GetDashboard failed for CloudWatch dashboard " + NAME in result["msg"]
    assert result["error"]["code"] == "InvalidParameterValue"


# -- tags --------------------------------------------------------------------------------------------
TAGS = {"App": "finproc", "Environment": "dev"}


def test_a_new_dashboard_gets_its_tags_with_put_dashboard(cloudwatch, monkeypatch, capsys):
    client, stub = cloudwatch
    not_found(stub)
    stub.add_response(
        "put_dashboard",
        {"DashboardValidationMessages": []},
        {
            "DashboardName": NAME,
            "DashboardBody": json.dumps(BODY, sort_keys=True),
            "Tags": tag_list({"App": "finproc", "CostCenter": "42", "Environment": "dev"}),  # sorted by key
        },
    )
    stub.add_response("get_dashboard", got(BODY), GET)
    tags = {"Environment": "dev", "CostCenter": 42, "App": "finproc"}
    result, code = run(cloudwatch, monkeypatch, capsys, {"name": NAME, "body": BODY, "tags": tags}, diff=True)
    assert code == 0, result
    assert result["changed"] is True
    wanted = {"App": "finproc", "CostCenter": "42", "Environment": "dev"}
    assert result["dashboard"] == {"name": NAME, "arn": ARN, "body": BODY, "tags": wanted}
    assert result["diff"] == {"before": {}, "after": {"body": BODY, "tags": wanted}}


def test_a_new_dashboard_with_empty_tags_is_put_without_tags(cloudwatch, monkeypatch, capsys):
    client, stub = cloudwatch
    not_found(stub)
    put(stub, BODY)  # the expected parameters have no Tags
    stub.add_response("get_dashboard", got(BODY), GET)
    result, code = run(cloudwatch, monkeypatch, capsys, {"name": NAME, "body": BODY, "resource_tags": {}})
    assert code == 0, result
    assert result["dashboard"]["tags"] == {}


def test_the_same_body_and_tags_is_no_change_and_only_reads(cloudwatch, monkeypatch, capsys):
    client, stub = cloudwatch
    stub.add_response("get_dashboard", got(BODY), GET)
    list_tags(stub, {"Environment": "dev", "App": "finproc", "CostCenter": "42"})
    calls = record_requests(client)
    tags = {"App": "finproc", "Environment": "dev", "CostCenter": 42}
    result, code = run(cloudwatch, monkeypatch, capsys, {"name": NAME, "body": BODY, "tags": tags}, diff=True)
    assert code == 0, result
    assert result["changed"] is False
    assert [call[0] for call in calls] == ["GetDashboard", "ListTagsForResource"]
    assert writes(calls) == []
    wanted = {"App": "finproc", "CostCenter": "42", "Environment": "dev"}
    assert result["dashboard"] == {"name": NAME, "arn": ARN, "body": BODY, "tags": wanted}
    assert result["diff"]["before"] == result["diff"]["after"] == {"body": BODY, "tags": wanted}


def test_tag_drift_is_untagged_then_tagged_without_put_dashboard(cloudwatch, monkeypatch, capsys):
    client, stub = cloudwatch
    stub.add_response("get_dashboard", got(BODY), GET)
    list_tags(stub, {"App": "finproc", "Environment": "test", "Owner": "someone", "Team": "ops"})
    stub.add_response("untag_resource", {}, {"ResourceARN": ARN, "TagKeys": ["Owner", "Team"]})
    stub.add_response(
        "tag_resource", {}, {"ResourceARN": ARN, "Tags": tag_list({"CostCenter": "42", "Environment": "dev"})}
    )
    calls = record_requests(client)
    tags = dict(TAGS, CostCenter="42")
    result, code = run(cloudwatch, monkeypatch, capsys, {"name": NAME, "body": BODY, "tags": tags}, diff=True)
    assert code == 0, result
    assert result["changed"] is True
    assert [call[0] for call in writes(calls)] == ["UntagResource", "TagResource"]
    assert result["dashboard"] == {"name": NAME, "arn": ARN, "body": BODY, "tags": tags}
    assert result["diff"] == {
        "before": {"body": BODY, "tags": {"App": "finproc", "Environment": "test", "Owner": "someone", "Team": "ops"}},
        "after": {"body": BODY, "tags": tags},
    }


def test_a_body_and_tag_change_puts_the_body_without_tags_then_tags(cloudwatch, monkeypatch, capsys):
    client, stub = cloudwatch
    stub.add_response("get_dashboard", got(OTHER), GET)
    list_tags(stub, {"App": "finproc"})
    put(stub, BODY)  # the expected parameters have no Tags: PutDashboard ignores them for an existing dashboard
    stub.add_response("tag_resource", {}, {"ResourceARN": ARN, "Tags": tag_list({"Environment": "dev"})})
    stub.add_response("get_dashboard", got(BODY), GET)
    result, code = run(cloudwatch, monkeypatch, capsys, {"name": NAME, "body": BODY, "tags": TAGS}, diff=True)
    assert code == 0, result
    assert result["changed"] is True
    assert result["dashboard"] == {"name": NAME, "arn": ARN, "body": BODY, "tags": TAGS}
    assert result["diff"] == {
        "before": {"body": OTHER, "tags": {"App": "finproc"}},
        "after": {"body": BODY, "tags": TAGS},
    }


def test_empty_tags_remove_every_tag_but_the_aws_ones(cloudwatch, monkeypatch, capsys):
    client, stub = cloudwatch
    stub.add_response("get_dashboard", got(BODY), GET)
    list_tags(stub, {"aws:cloudformation:stack-name": "dr", "App": "finproc"})
    stub.add_response("untag_resource", {}, {"ResourceARN": ARN, "TagKeys": ["App"]})
    result, code = run(cloudwatch, monkeypatch, capsys, {"name": NAME, "body": BODY, "tags": {}})
    assert code == 0, result
    assert result["changed"] is True
    assert result["dashboard"]["tags"] == {"aws:cloudformation:stack-name": "dr"}


def test_purge_tags_false_keeps_the_other_tags(cloudwatch, monkeypatch, capsys):
    client, stub = cloudwatch
    stub.add_response("get_dashboard", got(BODY), GET)
    list_tags(stub, {"App": "finproc", "Owner": "someone"})
    stub.add_response("tag_resource", {}, {"ResourceARN": ARN, "Tags": tag_list({"Environment": "dev"})})
    calls = record_requests(client)
    module_args = {"name": NAME, "body": BODY, "tags": TAGS, "purge_tags": False}
    result, code = run(cloudwatch, monkeypatch, capsys, module_args)
    assert code == 0, result
    assert result["changed"] is True
    assert [call[0] for call in writes(calls)] == ["TagResource"]
    assert result["dashboard"]["tags"] == {"App": "finproc", "Owner": "someone", "Environment": "dev"}


def test_purge_tags_false_with_the_tags_present_is_no_change(cloudwatch, monkeypatch, capsys):
    client, stub = cloudwatch
    stub.add_response("get_dashboard", got(BODY), GET)
    list_tags(stub, dict(TAGS, Owner="someone"))
    calls = record_requests(client)
    module_args = {"name": NAME, "body": BODY, "tags": TAGS, "purge_tags": False}
    result, code = run(cloudwatch, monkeypatch, capsys, module_args)
    assert code == 0, result
    assert result["changed"] is False
    assert writes(calls) == []


def test_without_tags_the_tags_are_neither_read_nor_changed(cloudwatch, monkeypatch, capsys):
    client, stub = cloudwatch
    stub.add_response("get_dashboard", got(OTHER), GET)
    put(stub, BODY)
    stub.add_response("get_dashboard", got(BODY), GET)
    calls = record_requests(client)
    result, code = run(cloudwatch, monkeypatch, capsys, {"name": NAME, "body": BODY, "purge_tags": True}, diff=True)
    assert code == 0, result
    assert [call[0] for call in calls] == ["GetDashboard", "PutDashboard", "GetDashboard"]
    assert "Tags" not in calls[1][1]
    assert "tags" not in result["dashboard"]
    assert result["diff"] == {"before": {"body": OTHER}, "after": {"body": BODY}}


@pytest.mark.parametrize(
    "current, held, module_args, changed, after_tags",
    [
        (None, None, {"tags": TAGS}, True, TAGS),
        (BODY, {"App": "finproc", "Owner": "someone"}, {"tags": TAGS}, True, TAGS),
        (
            BODY,
            {"App": "finproc", "Owner": "someone"},
            {"tags": TAGS, "purge_tags": False},
            True,
            {"App": "finproc", "Owner": "someone", "Environment": "dev"},
        ),
        (
            BODY,
            {"App": "finproc", "Owner": "someone"},
            {"tags": {"App": "finproc"}, "purge_tags": False},
            False,
            {"App": "finproc", "Owner": "someone"},
        ),
        (BODY, TAGS, {"tags": TAGS}, False, TAGS),
        (OTHER, TAGS, {"tags": TAGS}, True, TAGS),
    ],
    ids=["create", "drift", "add-only", "present-no-purge", "same", "body-only"],
)
def test_check_mode_with_tags_writes_nothing(
    cloudwatch, monkeypatch, capsys, current, held, module_args, changed, after_tags
):
    client, stub = cloudwatch
    if current is None:
        not_found(stub)
    else:
        stub.add_response("get_dashboard", got(current), GET)
        list_tags(stub, held)
    calls = record_requests(client)
    module_args = dict(module_args, name=NAME, body=BODY)
    result, code = run(cloudwatch, monkeypatch, capsys, module_args, check_mode=True, diff=True)
    assert code == 0, result
    assert writes(calls) == []
    assert result["changed"] is changed
    assert result["dashboard"] == ({"name": NAME, "arn": ARN, "body": current, "tags": held} if current else {})
    assert result["diff"]["before"] == ({"body": current, "tags": held} if current else {})
    assert result["diff"]["after"] == {"body": BODY, "tags": after_tags}


def test_a_list_tags_error_fails_with_the_step(cloudwatch, monkeypatch, capsys):
    client, stub = cloudwatch
    stub.add_response("get_dashboard", got(BODY), GET)
    stub.add_client_error("list_tags_for_resource", "AccessDenied", "no", 403, expected_params={"ResourceARN": ARN})
    result, code = run(cloudwatch, monkeypatch, capsys, {"name": NAME, "body": BODY, "tags": TAGS})
    assert code == 1
    assert "Reading tags failed for CloudWatch dashboard " + NAME in result["msg"]
    assert "ListTagsForResource" in result["msg"]
