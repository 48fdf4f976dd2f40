"""cloudwatch_log_groups against a botocore Stubber (every request and reply checked against the Logs model).

DescribeLogGroups answers each group with "arn" (ending in ":*") and "logGroupArn" (without it), the key as
kmsKeyId and the retention as retentionInDays (the LogGroup shape of the Logs model; "DescribeLogGroups -
Amazon CloudWatch Logs", https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_DescribeLogGroups.html).
"""

import pytest
from aws_stub import record_requests, run_module

from ansible_collections.finproc.dr.plugins.modules import cloudwatch_log_groups

ACCOUNT = "123456789012"
KEY = f"arn:aws:kms:us-east-2:{ACCOUNT}:key/11111111-2222-4333-8444-555555555555"
OTHER_KEY = f"arn:aws:kms:us-east-2:{ACCOUNT}:key/99999999-2222-4333-8444-555555555555"
FUNCTION = "/aws/lambda/finproc-dev-health-monitor"
APPLICATION = "/finproc/dev/application"
NAMES = [FUNCTION, APPLICATION]
STACK = {"finproc:stack": "finproc-dev", "CostCenter": "CC-1"}


def tags_of(name):
    return dict(STACK, Name=name)


def spec(name, key=KEY, retention=30):
    return {"name": name, "kms_key_id": key, "retention": retention, "tags": tags_of(name)}


ARGS = {"groups": [spec(FUNCTION), spec(APPLICATION)]}


def group_arn(name):
    return f"arn:aws:logs:us-east-2:{ACCOUNT}:log-group:{name}"


def group(name, key=KEY, retention=30, **more):
    found = {
        "logGroupName": name,
        "creationTime": 1767225600000,
        "metricFilterCount": 0,
        "arn": group_arn(name) + ":*",
        "logGroupArn": group_arn(name),
        "storedBytes": 0,
        "logGroupClass": "STANDARD",
    }
    if key:
        found["kmsKeyId"] = key
    if retention:
        found["retentionInDays"] = retention
    found.update(more)
    return found


def describe(stub, groups, names=None):
    names = NAMES if names is None else names
    stub.add_response("describe_log_groups", {"logGroups": groups}, {"logGroupIdentifiers": list(names)})


def list_tags(stub, name, tags=None):
    stub.add_response(
        "list_tags_for_resource",
        {"tags": tags_of(name) if tags is None else tags},
        {"resourceArn": group_arn(name)},
    )


def create_request(name):
    return {"logGroupName": name, "kmsKeyId": KEY, "tags": dict(sorted(tags_of(name).items()))}


def writes(sent):
    return [(op, params) for op, params in sent if not op.startswith(("Describe", "List"))]


def run(logs, monkeypatch, capsys, args=None, **kw):
    args = ARGS if args is None else args
    return run_module(cloudwatch_log_groups.main, args, logs[0], monkeypatch, capsys, **kw)


def test_two_missing_groups_are_created_with_key_and_tags_then_their_retention_set(logs, monkeypatch, capsys):
    client, stub = logs
    sent = record_requests(client)
    describe(stub, [])
    for name in NAMES:
        stub.add_response("create_log_group", {}, create_request(name))
    for name in NAMES:
        stub.add_response("put_retention_policy", {}, {"logGroupName": name, "retentionInDays": 30})
    describe(stub, [group(APPLICATION), group(FUNCTION)])  # ASCII-sorted, as AWS lists them

    result, code = run(logs, monkeypatch, capsys, diff=True)

    assert code == 0, result
    assert result["changed"] is True
    assert [g["log_group_name"] for g in result["log_groups"]] == NAMES  # the order of the list
    assert result["log_groups"][0]["arn"] == group_arn(FUNCTION) + ":*"
    assert result["log_groups"][0]["log_group_arn"] == group_arn(FUNCTION)
    assert result["log_groups"][1]["kms_key_id"] == KEY
    assert result["log_groups"][1]["tags"] == tags_of(APPLICATION)
    assert result["diff"]["before"] == {}
    assert result["diff"]["after"][FUNCTION] == {"kms_key_id": KEY, "retention": 30, "tags": tags_of(FUNCTION)}
    # Tagged and encrypted at birth: no AssociateKmsKey, no TagResource.
    assert [op for op, _p in writes(sent)] == [
        "CreateLogGroup",
        "CreateLogGroup",
        "PutRetentionPolicy",
        "PutRetentionPolicy",
    ]


def test_a_no_op_is_one_describe_and_one_tag_read_per_group_and_no_write(logs, monkeypatch, capsys):
    client, stub = logs
    sent = record_requests(client)
    describe(stub, [group(APPLICATION), group(FUNCTION)])
    for name in NAMES:
        list_tags(stub, name)

    result, code = run(logs, monkeypatch, capsys, diff=True)

    assert code == 0, result
    assert result["changed"] is False
    assert result["diff"] == {"before": {}, "after": {}}
    assert [op for op, _p in sent] == ["DescribeLogGroups", "ListTagsForResource", "ListTagsForResource"]
    assert result["log_groups"][0]["retention_in_days"] == 30


def test_a_retention_changed_behind_our_back_is_named_on_its_group_and_put_back(logs, monkeypatch, capsys):
    client, stub = logs
    sent = record_requests(client)
    describe(stub, [group(APPLICATION, retention=7), group(FUNCTION)])
    for name in NAMES:
        list_tags(stub, name)
    stub.add_response("put_retention_policy", {}, {"logGroupName": APPLICATION, "retentionInDays": 30})
    describe(stub, [group(APPLICATION), group(FUNCTION)])

    result, code = run(logs, monkeypatch, capsys, diff=True)

    assert code == 0, result
    assert result["changed"] is True
    assert result["diff"] == {"before": {APPLICATION: {"retention": 7}}, "after": {APPLICATION: {"retention": 30}}}
    assert writes(sent) == [("PutRetentionPolicy", {"logGroupName": APPLICATION, "retentionInDays": 30})]


def test_a_group_with_another_key_or_none_gets_the_regions_key_associated(logs, monkeypatch, capsys):
    client, stub = logs
    sent = record_requests(client)
    describe(stub, [group(APPLICATION, key=OTHER_KEY), group(FUNCTION, key=None)])
    for name in NAMES:
        list_tags(stub, name)
    for name in NAMES:
        stub.add_response("associate_kms_key", {}, {"logGroupName": name, "kmsKeyId": KEY})
    describe(stub, [group(APPLICATION), group(FUNCTION)])

    result, code = run(logs, monkeypatch, capsys, diff=True)

    assert code == 0, result
    assert result["changed"] is True
    assert result["diff"]["before"] == {FUNCTION: {"kms_key_id": None}, APPLICATION: {"kms_key_id": OTHER_KEY}}
    assert result["diff"]["after"] == {FUNCTION: {"kms_key_id": KEY}, APPLICATION: {"kms_key_id": KEY}}
    assert [op for op, _p in writes(sent)] == ["AssociateKmsKey", "AssociateKmsKey"]
    assert [g["kms_key_id"] for g in result["log_groups"]] == [KEY, KEY]


def test_tags_changed_behind_our_back_are_set_and_unset_on_the_arn_without_the_star(logs, monkeypatch, capsys):
    client, stub = logs
    sent = record_requests(client)
    describe(stub, [group(APPLICATION), group(FUNCTION)])
    list_tags(stub, FUNCTION, dict(tags_of(FUNCTION), CostCenter="CC-9", Extra="x"))
    list_tags(stub, APPLICATION)
    stub.add_response("untag_resource", {}, {"resourceArn": group_arn(FUNCTION), "tagKeys": ["Extra"]})
    stub.add_response("tag_resource", {}, {"resourceArn": group_arn(FUNCTION), "tags": {"CostCenter": "CC-1"}})
    describe(stub, [group(APPLICATION), group(FUNCTION)])

    result, code = run(logs, monkeypatch, capsys, diff=True)

    assert code == 0, result
    assert result["diff"]["before"] == {FUNCTION: {"tags": dict(tags_of(FUNCTION), CostCenter="CC-9", Extra="x")}}
    assert result["diff"]["after"] == {FUNCTION: {"tags": tags_of(FUNCTION)}}
    assert [op for op, _p in writes(sent)] == ["UntagResource", "TagResource"]
    assert result["log_groups"][0]["tags"] == tags_of(FUNCTION)


def create_fails(logs, code, status, found):
    """The function's group is missing, CreateLogGroup answers `code`, the look-up by name finds `found`."""
    client, stub = logs
    sent = record_requests(client)
    describe(stub, [], names=[FUNCTION])
    stub.add_client_error(
        "create_log_group", service_error_code=code, http_status_code=status, expected_params=create_request(FUNCTION)
    )
    describe(stub, [found], names=[FUNCTION])
    return stub, sent


def test_a_lost_create_answer_adopts_the_group_it_made_and_sends_no_second_create(
    logs, monkeypatch, capsys, instant_backoff
):
    # The answer is lost (500): the group may have been made. It is looked up by name, found, adopted.
    found = group(FUNCTION, retention=None)
    stub, sent = create_fails(logs, "ServiceUnavailableException", 500, found)
    args = {"groups": [spec(FUNCTION)]}
    list_tags(stub, FUNCTION)
    stub.add_response("put_retention_policy", {}, {"logGroupName": FUNCTION, "retentionInDays": 30})
    describe(stub, [group(FUNCTION)], names=[FUNCTION])

    result, code = run(logs, monkeypatch, capsys, args=args)

    assert code == 0, result
    assert result["changed"] is True
    assert [op for op, _p in writes(sent)] == ["CreateLogGroup", "PutRetentionPolicy"]
    assert result["log_groups"][0]["log_group_arn"] == group_arn(FUNCTION)


def test_resource_already_exists_adopts_the_group_of_that_name_and_brings_it_in_line(
    logs, monkeypatch, capsys, instant_backoff
):
    """Lambda makes /aws/lambda/<function> itself, unencrypted, when the function logs before the group
    exists: CreateLogGroup then answers ResourceAlreadyExistsException and the group is adopted, its key
    associated."""
    found = group(FUNCTION, key=None, retention=None)
    stub, sent = create_fails(logs, "ResourceAlreadyExistsException", 400, found)
    args = {"groups": [spec(FUNCTION)]}
    list_tags(stub, FUNCTION, {})
    stub.add_response("associate_kms_key", {}, {"logGroupName": FUNCTION, "kmsKeyId": KEY})
    stub.add_response("put_retention_policy", {}, {"logGroupName": FUNCTION, "retentionInDays": 30})
    stub.add_response("tag_resource", {}, {"resourceArn": group_arn(FUNCTION), "tags": tags_of(FUNCTION)})
    describe(stub, [group(FUNCTION)], names=[FUNCTION])

    result, code = run(logs, monkeypatch, capsys, args=args)

    assert code == 0, result
    assert [op for op, _p in writes(sent)] == ["CreateLogGroup", "AssociateKmsKey", "PutRetentionPolicy", "TagResource"]


def test_check_mode_writes_nothing_and_shows_what_would_change(logs, monkeypatch, capsys):
    client, stub = logs
    sent = record_requests(client)
    describe(stub, [group(APPLICATION, key=None, retention=7)])
    list_tags(stub, APPLICATION)

    result, code = run(logs, monkeypatch, capsys, check_mode=True, diff=True)

    assert code == 0, result
    assert result["changed"] is True
    assert writes(sent) == []
    assert result["diff"]["before"] == {APPLICATION: {"kms_key_id": None, "retention": 7}}
    assert result["diff"]["after"] == {
        FUNCTION: {"kms_key_id": KEY, "retention": 30, "tags": tags_of(FUNCTION)},
        APPLICATION: {"kms_key_id": KEY, "retention": 30},
    }
    # As they are: the missing group as it would be made (no ARN), the other one unchanged.
    assert result["log_groups"][0] == {
        "log_group_name": FUNCTION,
        "kms_key_id": KEY,
        "retention_in_days": 30,
        "tags": tags_of(FUNCTION),
    }
    assert result["log_groups"][1]["retention_in_days"] == 7
    assert "kms_key_id" not in result["log_groups"][1]


def test_check_mode_of_a_no_op_is_unchanged(logs, monkeypatch, capsys):
    _client, stub = logs
    describe(stub, [group(APPLICATION), group(FUNCTION)])
    for name in NAMES:
        list_tags(stub, name)

    result, code = run(logs, monkeypatch, capsys, check_mode=True, diff=True)

    assert code == 0, result
    assert result["changed"] is False


def test_an_account_retention_policy_is_not_fought_with_on_every_run(logs, monkeypatch, capsys):
    """ "If an account-level retention policy applies to a log group, retentionInDays shows the retention
    period from that policy, and retentionPolicyName shows the name of the policy" (DescribeLogGroups)."""
    client, stub = logs
    sent = record_requests(client)
    describe(stub, [group(APPLICATION), group(FUNCTION, retention=365, retentionPolicyName="org-logs")])
    for name in NAMES:
        list_tags(stub, name)

    result, code = run(logs, monkeypatch, capsys)

    assert code == 0, result
    assert result["changed"] is False
    assert writes(sent) == []
    assert any("org-logs" in warning for warning in result["warnings"])


def test_an_empty_key_leaves_the_groups_key_alone(logs, monkeypatch, capsys):
    _client, stub = logs
    args = {"groups": [spec(FUNCTION, key="")]}
    describe(stub, [group(FUNCTION, key=OTHER_KEY)], names=[FUNCTION])
    list_tags(stub, FUNCTION)

    result, code = run(logs, monkeypatch, capsys, args=args)

    assert code == 0, result
    assert result["changed"] is False


@pytest.mark.parametrize(
    "groups, message",
    [
        ([spec(FUNCTION, key="alias/finproc-dev")], "kms_key_id 'alias/finproc-dev' is not a KMS key ARN"),
        ([spec(FUNCTION, key="11111111-2222-4333-8444-555555555555")], "is not a KMS key ARN"),
        ([spec(FUNCTION), spec(FUNCTION)], f"the name {FUNCTION} is listed 2 times"),
        ([], "list at least one log group"),
    ],
)
def test_bad_input_fails_before_any_aws_call(logs, monkeypatch, capsys, groups, message):
    result, code = run(logs, monkeypatch, capsys, args={"groups": groups})

    assert code == 1
    assert message in result["msg"]


def test_a_retention_cloudwatch_logs_refuses_fails_before_any_write(logs, monkeypatch, capsys):
    client, stub = logs
    sent = record_requests(client)
    describe(stub, [], names=[FUNCTION])

    result, code = run(logs, monkeypatch, capsys, args={"groups": [spec(FUNCTION, retention=31)]})

    assert code == 1
    assert "%s: 31" % FUNCTION in result["msg"] and "3653" in result["msg"]
    assert writes(sent) == []
