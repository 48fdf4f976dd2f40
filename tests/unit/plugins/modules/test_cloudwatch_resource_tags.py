from ansible_collections.finproc.dr.plugins.modules import cloudwatch_resource_tags
from aws_stub import run_module

ALARM = "arn:aws:cloudwatch:us-east-2:123456789012:alarm:finproc-dev-ledger-replication-latency"
LIST = {"ResourceARN": ALARM}
ARGS = {"resource_arn": ALARM, "tags": {"App": "finproc", "Environment": "dev"}}


def tag_list(tags):
    return {"Tags": [{"Key": key, "Value": value} for key, value in tags.items()]}


def run(cloudwatch, monkeypatch, capsys, args=None, **kw):
    return run_module(cloudwatch_resource_tags.main, args or ARGS, cloudwatch[0], monkeypatch, capsys, **kw)


def test_adds_tags_to_an_untagged_alarm(cloudwatch, monkeypatch, capsys):
    client, stub = cloudwatch
    stub.add_response("list_tags_for_resource", {"Tags": []}, LIST)
    stub.add_response(
        "tag_resource",
        {},
        {
            "ResourceARN": ALARM,
            "Tags": [{"Key": "App", "Value": "finproc"}, {"Key": "Environment", "Value": "dev"}],
        },
    )
    stub.add_response("list_tags_for_resource", tag_list(ARGS["tags"]), LIST)
    result, code = run(cloudwatch, monkeypatch, capsys, diff=True)
    assert code == 0
    assert result["changed"] is True
    assert result["resource_arn"] == ALARM
    assert result["tags"] == {"App": "finproc", "Environment": "dev"}
    assert result["diff"] == {"before": {"tags": {}}, "after": {"tags": {"App": "finproc", "Environment": "dev"}}}


def test_identical_tags_are_not_written(cloudwatch, monkeypatch, capsys):
    client, stub = cloudwatch
    stub.add_response("list_tags_for_resource", tag_list({"Environment": "dev", "App": "finproc"}), LIST)
    result, code = run(cloudwatch, monkeypatch, capsys, diff=True)
    assert code == 0
    assert result["changed"] is False
    assert result["tags"] == {"App": "finproc", "Environment": "dev"}
    assert result["diff"]["before"] == result["diff"]["after"]


def test_a_changed_value_is_written(cloudwatch, monkeypatch, capsys):
    client, stub = cloudwatch
    stub.add_response("list_tags_for_resource", tag_list({"App": "finproc", "Environment": "test"}), LIST)
    stub.add_response("tag_resource", {}, {"ResourceARN": ALARM, "Tags": [{"Key": "Environment", "Value": "dev"}]})
    stub.add_response("list_tags_for_resource", tag_list(ARGS["tags"]), LIST)
    result, code = run(cloudwatch, monkeypatch, capsys)
    assert result["changed"] is True
    assert result["tags"]["Environment"] == "dev"


def test_purge_removes_the_other_keys(cloudwatch, monkeypatch, capsys):
    client, stub = cloudwatch
    current = {"App": "finproc", "Environment": "dev", "Owner": "someone", "Team": "x", "aws:cloudformation:x": "y"}
    stub.add_response("list_tags_for_resource", tag_list(current), LIST)
    stub.add_response("untag_resource", {}, {"ResourceARN": ALARM, "TagKeys": ["Owner", "Team"]})
    stub.add_response("list_tags_for_resource", tag_list(dict(ARGS["tags"], **{"aws:cloudformation:x": "y"})), LIST)
    result, code = run(cloudwatch, monkeypatch, capsys, diff=True)
    assert code == 0
    assert result["changed"] is True
    assert result["tags"] == {"App": "finproc", "Environment": "dev", "aws:cloudformation:x": "y"}
    assert result["diff"]["before"]["tags"] == current


def test_purge_tags_false_keeps_the_other_keys(cloudwatch, monkeypatch, capsys):
    client, stub = cloudwatch
    stub.add_response("list_tags_for_resource", tag_list({"Owner": "someone", "App": "finproc"}), LIST)
    stub.add_response("tag_resource", {}, {"ResourceARN": ALARM, "Tags": [{"Key": "Environment", "Value": "dev"}]})
    stub.add_response(
        "list_tags_for_resource", tag_list({"Owner": "someone", "App": "finproc", "Environment": "dev"}), LIST
    )
    result, code = run(cloudwatch, monkeypatch, capsys, args=dict(ARGS, purge_tags=False), diff=True)
    assert result["changed"] is True
    assert result["tags"] == {"Owner": "someone", "App": "finproc", "Environment": "dev"}
    assert result["diff"]["after"]["tags"] == {"Owner": "someone", "App": "finproc", "Environment": "dev"}


def test_purge_tags_false_with_nothing_new_is_no_change(cloudwatch, monkeypatch, capsys):
    client, stub = cloudwatch
    stub.add_response(
        "list_tags_for_resource", tag_list({"Owner": "someone", "App": "finproc", "Environment": "dev"}), LIST
    )
    result, code = run(cloudwatch, monkeypatch, capsys, args=dict(ARGS, purge_tags=False))
    assert result["changed"] is False


def test_untag_then_tag_when_both_are_needed(cloudwatch, monkeypatch, capsys):
    client, stub = cloudwatch
    stub.add_response("list_tags_for_resource", tag_list({"Owner": "someone"}), LIST)
    stub.add_response("untag_resource", {}, {"ResourceARN": ALARM, "TagKeys": ["Owner"]})
    stub.add_response(
        "tag_resource",
        {},
        {
            "ResourceARN": ALARM,
            "Tags": [{"Key": "App", "Value": "finproc"}, {"Key": "Environment", "Value": "dev"}],
        },
    )
    stub.add_response("list_tags_for_resource", tag_list(ARGS["tags"]), LIST)
    result, code = run(cloudwatch, monkeypatch, capsys)
    assert result["changed"] is True


def test_non_string_values_are_compared_as_text(cloudwatch, monkeypatch, capsys):
    client, stub = cloudwatch
    stub.add_response("list_tags_for_resource", tag_list({"CostCentre": "42"}), LIST)
    result, code = run(cloudwatch, monkeypatch, capsys, args={"resource_arn": ALARM, "tags": {"CostCentre": 42}})
    assert result["changed"] is False


def test_check_mode_writes_nothing(cloudwatch, monkeypatch, capsys):
    client, stub = cloudwatch
    stub.add_response("list_tags_for_resource", tag_list({"Owner": "someone", "App": "finproc"}), LIST)
    result, code = run(cloudwatch, monkeypatch, capsys, check_mode=True, diff=True)
    assert code == 0
    assert result["changed"] is True
    assert result["tags"] == {"Owner": "someone", "App": "finproc"}
    assert result["diff"]["after"]["tags"] == {"App": "finproc", "Environment": "dev"}


def test_a_missing_resource_fails_clearly(cloudwatch, monkeypatch, capsys):
    client, stub = cloudwatch
    stub.add_client_error(
        "list_tags_for_resource",
        service_error_code="ResourceNotFoundException",
        service_message="Alarm does not exist",
        http_status_code=404,
        expected_params=LIST,
    )
    result, code = run(cloudwatch, monkeypatch, capsys)
    assert code == 1
    assert result["failed"] is True
    assert "CloudWatch resource %s does not exist" % ALARM in result["msg"]
    assert result["error"]["code"] == "ResourceNotFoundException"


def test_a_resource_gone_while_tagging_fails_clearly(cloudwatch, monkeypatch, capsys):
    client, stub = cloudwatch
    stub.add_response("list_tags_for_resource", {"Tags": []}, LIST)
    stub.add_client_error(
        "tag_resource",
        service_error_code="ResourceNotFoundException",
        service_message="Alarm does not exist",
        http_status_code=404,
        expected_params={
            "ResourceARN": ALARM,
            "Tags": [{"Key": "App", "Value": "finproc"}, {"Key": "Environment", "Value": "dev"}],
        },
    )
    result, code = run(cloudwatch, monkeypatch, capsys)
    assert code == 1
    assert "CloudWatch resource %s does not exist" % ALARM in result["msg"]
    assert result["error"]["code"] == "ResourceNotFoundException"


def test_a_concurrent_modification_is_retried(cloudwatch, monkeypatch, capsys):
    client, stub = cloudwatch
    monkeypatch.setattr("time.sleep", lambda s: None)
    tag_request = {"ResourceARN": ALARM, "Tags": [{"Key": "Environment", "Value": "dev"}]}
    stub.add_response("list_tags_for_resource", tag_list({"App": "finproc"}), LIST)
    stub.add_client_error(
        "tag_resource",
        service_error_code="ConcurrentModificationException",
        service_message="try again",
        http_status_code=429,
        expected_params=tag_request,
    )
    stub.add_response("tag_resource", {}, tag_request)
    stub.add_response("list_tags_for_resource", tag_list(ARGS["tags"]), LIST)
    result, code = run(cloudwatch, monkeypatch, capsys)
    assert code == 0
    assert result["changed"] is True


def test_an_api_error_fails_with_the_step(cloudwatch, monkeypatch, capsys):
    client, stub = cloudwatch
    stub.add_client_error(
        "list_tags_for_resource",
        service_error_code="InvalidParameterValue",
        service_message="bad arn",
        expected_params=LIST,
    )
    result, code = run(cloudwatch, monkeypatch, capsys)
    assert code == 1
    assert "ListTagsForResource failed for " + ALARM in result["msg"]
    assert result["error"]["code"] == "InvalidParameterValue"
