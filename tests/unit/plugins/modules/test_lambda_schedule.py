"""lambda_schedule against botocore Stubbers (EventBridge and Lambda).

Every request is checked against the API model and its expected parameters; every reply against
the model. A request nobody queued fails, and the Stubbers must be drained.
"""

import copy
import json

import pytest
from ansible_collections.finproc.dr.plugins.modules import lambda_schedule
from aws_stub import run_module

NAME = "finproc-dev-replication-check"
ACCOUNT = "123456789012"
FUNCTION = f"arn:aws:lambda:us-east-2:{ACCOUNT}:function:finproc-dev-replication-check"
OTHER_FUNCTION = f"arn:aws:lambda:us-east-2:{ACCOUNT}:function:finproc-dev-other"
RULE_ARN = f"arn:aws:events:us-east-2:{ACCOUNT}:rule/{NAME}"
OTHER_RULE_ARN = f"arn:aws:events:us-east-2:{ACCOUNT}:rule/finproc-dev-something-else"
SID = f"{NAME}-invoke"
INPUT = {"table": "finproc-dev-ledger", "max_lag_seconds": 900}
INPUT_JSON = '{"max_lag_seconds":900,"table":"finproc-dev-ledger"}'
TAGS = {"Environment": "dev", "Service": "finproc-dr"}
TAG_LIST = [{"Key": "Environment", "Value": "dev"}, {"Key": "Service", "Value": "finproc-dr"}]
ARGS = {
    "name": NAME,
    "function_arn": FUNCTION,
    "schedule_expression": "rate(2 minutes)",
    "description": "Checks the replication lag",
    "input": INPUT,
    "tags": TAGS,
}
RULE = {"Name": NAME, "EventBusName": "default"}
BY_RULE = {"Rule": NAME, "EventBusName": "default"}
BY_ARN = {"ResourceARN": RULE_ARN}
BY_FUNCTION = {"FunctionName": FUNCTION}
READS = ("Describe", "List", "Get")


def statement(source_arn=RULE_ARN, sid=SID, function=FUNCTION):
    """A statement as Lambda's GetPolicy returns the one AddPermission made."""
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Principal": {"Service": "events.amazonaws.com"},
        "Action": "lambda:InvokeFunction",
        "Resource": function,
        "Condition": {
            "StringEquals": {"AWS:SourceAccount": ACCOUNT},
            "ArnLike": {"AWS:SourceArn": source_arn},
        },
    }


OTHER_STATEMENT = {
    "Sid": "s3-invoke",
    "Effect": "Allow",
    "Principal": {"Service": "s3.amazonaws.com"},
    "Action": "lambda:InvokeFunction",
    "Resource": FUNCTION,
}
ADD_PERMISSION = {
    "FunctionName": FUNCTION,
    "StatementId": SID,
    "Action": "lambda:InvokeFunction",
    "Principal": "events.amazonaws.com",
    "SourceArn": RULE_ARN,
    "SourceAccount": ACCOUNT,
}


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch):
    monkeypatch.setattr("time.sleep", lambda seconds: None)


@pytest.fixture
def sent(events, awslambda):
    """The operation and parameters of every request the module makes, both services in one order."""
    calls = []
    for client in (events[0], awslambda[0]):
        event = "before-parameter-build." + client.meta.service_model.service_id.hyphenize()
        client.meta.events.register(
            event, lambda params, model, **kw: calls.append((model.name, copy.deepcopy(params)))
        )
    return calls


def ops(sent):
    return [op for op, _params in sent]


def writes(sent):
    return [op for op, _params in sent if not op.startswith(READS)]


def run(events, awslambda, monkeypatch, capsys, args=None, **kw):
    clients = {"events": events[0], "lambda": awslambda[0]}
    return run_module(lambda_schedule.main, ARGS if args is None else args, clients, monkeypatch, capsys, **kw)


# -- replies ---------------------------------------------------------------------------------------
def rule(schedule="rate(2 minutes)", state="ENABLED", description="Checks the replication lag", **extra):
    reply = {
        "Name": NAME,
        "Arn": RULE_ARN,
        "ScheduleExpression": schedule,
        "State": state,
        "EventBusName": "default",
        "CreatedBy": ACCOUNT,
    }
    if description:
        reply["Description"] = description
    reply.update(extra)
    return reply


def target(target_id="lambda", arn=FUNCTION, input_json=INPUT_JSON, **extra):
    found = {"Id": target_id, "Arn": arn}
    if input_json is not None:
        found["Input"] = input_json
    found.update(extra)
    return found


def rule_found(stub, reply=None, targets=None, tags=None):
    """DescribeRule, ListTargetsByRule and ListTagsForResource of an existing rule."""
    stub.add_response("describe_rule", reply or rule(), RULE)
    targets = [target()] if targets is None else targets
    # ListTargetsByRule leaves Targets out when there are none (the model wants at least one).
    stub.add_response("list_targets_by_rule", {"Targets": targets} if targets else {}, BY_RULE)
    stub.add_response("list_tags_for_resource", {"Tags": TAG_LIST if tags is None else tags}, BY_ARN)


def no_rule(stub):
    stub.add_client_error(
        "describe_rule",
        service_error_code="ResourceNotFoundException",
        service_message=f"Rule {NAME} does not exist on EventBus default.",
        http_status_code=400,
        expected_params=RULE,
    )


def policy_found(stub, *statements, function=FUNCTION):
    policy = {"Version": "2012-10-17", "Id": "default", "Statement": list(statements)}
    stub.add_response(
        "get_policy",
        {"Policy": json.dumps(policy), "RevisionId": "11111111-2222-3333-4444-555555555555"},
        {"FunctionName": function},
    )


def no_policy(stub, function=FUNCTION):
    stub.add_client_error(
        "get_policy",
        service_error_code="ResourceNotFoundException",
        service_message="The resource you requested does not exist.",
        http_status_code=404,
        expected_params={"FunctionName": function},
    )


def permission_added(stub, source_arn=RULE_ARN):
    stub.add_response(
        "add_permission", {"Statement": json.dumps(statement(source_arn))}, dict(ADD_PERMISSION, SourceArn=source_arn)
    )


def settings(schedule="rate(2 minutes)", state="ENABLED", targets=None, permission=None, tags=None):
    """The diff of a rule as the module reports it."""
    return {
        "schedule_expression": schedule,
        "description": "Checks the replication lag",
        "state": state,
        "targets": [{"id": "lambda", "arn": FUNCTION, "input": INPUT_JSON}] if targets is None else targets,
        "permission": statement() if permission is None else permission,
        "tags": TAGS if tags is None else tags,
    }


NOTHING = {
    "schedule_expression": None,
    "description": None,
    "state": None,
    "targets": [],
    "permission": None,
    "tags": {},
}


# -- create ----------------------------------------------------------------------------------------
def test_create_from_nothing(events, awslambda, monkeypatch, capsys, sent):
    no_rule(events[1])
    no_policy(awslambda[1])
    events[1].add_response(
        "put_rule",
        {"RuleArn": RULE_ARN},
        {
            "Name": NAME,
            "EventBusName": "default",
            "ScheduleExpression": "rate(2 minutes)",
            "Description": "Checks the replication lag",
            "State": "ENABLED",
            "Tags": TAG_LIST,
        },
    )
    permission_added(awslambda[1])
    events[1].add_response(
        "put_targets",
        {"FailedEntryCount": 0, "FailedEntries": []},
        {"Rule": NAME, "EventBusName": "default", "Targets": [{"Id": "lambda", "Arn": FUNCTION, "Input": INPUT_JSON}]},
    )
    rule_found(events[1])
    result, code = run(events, awslambda, monkeypatch, capsys, diff=True)
    assert code == 0, result
    assert result["changed"] is True
    assert ops(sent) == [
        "DescribeRule",
        "GetPolicy",
        "PutRule",
        "AddPermission",
        "PutTargets",
        "DescribeRule",
        "ListTargetsByRule",
        "ListTagsForResource",
    ]
    assert result["rule_arn"] == RULE_ARN
    assert "msg" not in result
    assert result["rule"] == {
        "name": NAME,
        "arn": RULE_ARN,
        "schedule_expression": "rate(2 minutes)",
        "state": "ENABLED",
        "description": "Checks the replication lag",
        "event_bus_name": "default",
        "created_by": ACCOUNT,
        "tags": TAGS,
    }
    assert result["targets"] == [{"id": "lambda", "arn": FUNCTION, "input": INPUT_JSON}]
    assert result["permission"] == statement()
    assert result["diff"] == {"before": NOTHING, "after": settings()}


def test_create_without_input_tags_or_description_sends_none(events, awslambda, monkeypatch, capsys, sent):
    no_rule(events[1])
    no_policy(awslambda[1])
    events[1].add_response(
        "put_rule",
        {"RuleArn": RULE_ARN},
        {
            "Name": NAME,
            "EventBusName": "default",
            "ScheduleExpression": "rate(1 day)",
            "Description": "",
            "State": "ENABLED",
        },
    )
    permission_added(awslambda[1])
    events[1].add_response(
        "put_targets",
        {"FailedEntryCount": 0, "FailedEntries": []},
        {"Rule": NAME, "EventBusName": "default", "Targets": [{"Id": "lambda", "Arn": FUNCTION}]},
    )
    rule_found(events[1], rule("rate(1 day)", description=""), targets=[target(input_json=None)], tags=[])
    args = {"name": NAME, "function_arn": FUNCTION, "schedule_expression": "rate(1 day)"}
    result, code = run(events, awslambda, monkeypatch, capsys, args=args)
    assert code == 0, result
    assert writes(sent) == ["PutRule", "AddPermission", "PutTargets"]
    assert result["targets"] == [{"id": "lambda", "arn": FUNCTION}]
    assert result["rule"]["tags"] == {}


def test_a_stale_statement_of_the_new_rule_is_replaced(events, awslambda, monkeypatch, capsys, sent):
    """A statement left by an older rule of the same name but another account is not the right one."""
    no_rule(events[1])
    stale = statement()
    stale["Condition"]["StringEquals"]["AWS:SourceAccount"] = "210987654321"
    policy_found(awslambda[1], stale)
    events[1].add_response(
        "put_rule",
        {"RuleArn": RULE_ARN},
        dict(
            RULE,
            ScheduleExpression="rate(2 minutes)",
            Description="Checks the replication lag",
            State="ENABLED",
            Tags=TAG_LIST,
        ),
    )
    awslambda[1].add_response("remove_permission", {}, {"FunctionName": FUNCTION, "StatementId": SID})
    permission_added(awslambda[1])
    events[1].add_response("put_targets", {"FailedEntryCount": 0}, dict(BY_RULE, Targets=[target()]))
    rule_found(events[1])
    result, code = run(events, awslambda, monkeypatch, capsys)
    assert code == 0, result
    assert writes(sent) == ["PutRule", "RemovePermission", "AddPermission", "PutTargets"]


# -- update ----------------------------------------------------------------------------------------
def test_identical_only_reads(events, awslambda, monkeypatch, capsys, sent):
    rule_found(events[1])
    policy_found(awslambda[1], OTHER_STATEMENT, statement())
    result, code = run(events, awslambda, monkeypatch, capsys, diff=True)
    assert code == 0, result
    assert result["changed"] is False
    assert ops(sent) == ["DescribeRule", "ListTargetsByRule", "ListTagsForResource", "GetPolicy"]
    assert writes(sent) == []
    assert result["diff"]["before"] == result["diff"]["after"] == settings()
    assert result["permission"] == statement()
    assert result["rule"]["tags"] == TAGS


def test_the_same_statement_in_other_forms_is_no_change(events, awslambda, monkeypatch, capsys, sent):
    """Lists of one, lower-case condition keys, another key order: the same permission."""
    found = {
        "Condition": {
            "ArnLike": {"aws:SourceArn": [RULE_ARN]},
            "StringEquals": {"aws:sourceaccount": ACCOUNT},
        },
        "Resource": [FUNCTION],
        "Action": ["lambda:InvokeFunction"],
        "Principal": {"Service": ["events.amazonaws.com"]},
        "Effect": "Allow",
        "Sid": SID,
    }
    rule_found(events[1])
    policy_found(awslambda[1], found)
    result, code = run(events, awslambda, monkeypatch, capsys)
    assert code == 0, result
    assert result["changed"] is False
    assert writes(sent) == []


def test_the_same_input_in_another_form_is_no_change(events, awslambda, monkeypatch, capsys, sent):
    rule_found(events[1], targets=[target(input_json='{"table": "finproc-dev-ledger", "max_lag_seconds": 900}')])
    policy_found(awslambda[1], statement())
    result, code = run(events, awslambda, monkeypatch, capsys)
    assert code == 0, result
    assert result["changed"] is False
    assert writes(sent) == []


def test_a_schedule_change_is_one_put_rule(events, awslambda, monkeypatch, capsys, sent):
    rule_found(events[1], rule("rate(5 minutes)"))
    policy_found(awslambda[1], statement())
    events[1].add_response(
        "put_rule",
        {"RuleArn": RULE_ARN},
        {
            "Name": NAME,
            "EventBusName": "default",
            "ScheduleExpression": "rate(2 minutes)",
            "Description": "Checks the replication lag",
            "State": "ENABLED",
        },
    )
    events[1].add_response("describe_rule", rule(), RULE)
    result, code = run(events, awslambda, monkeypatch, capsys, diff=True)
    assert code == 0, result
    assert result["changed"] is True
    assert writes(sent) == ["PutRule"]
    assert ops(sent)[-1] == "DescribeRule"
    assert result["rule"]["schedule_expression"] == "rate(2 minutes)"
    assert result["diff"]["before"] == settings(schedule="rate(5 minutes)")
    assert result["diff"]["after"] == settings()


def test_a_description_removed_is_put_as_empty(events, awslambda, monkeypatch, capsys, sent):
    rule_found(events[1], rule(description="old"))
    policy_found(awslambda[1], statement())
    events[1].add_response(
        "put_rule",
        {"RuleArn": RULE_ARN},
        {
            "Name": NAME,
            "EventBusName": "default",
            "ScheduleExpression": "rate(2 minutes)",
            "Description": "",
            "State": "ENABLED",
        },
    )
    events[1].add_response("describe_rule", rule(description=""), RULE)
    result, code = run(events, awslambda, monkeypatch, capsys, args=dict(ARGS, description=""))
    assert code == 0, result
    assert writes(sent) == ["PutRule"]
    assert "description" not in result["rule"]


def test_disabled(events, awslambda, monkeypatch, capsys, sent):
    rule_found(events[1])
    policy_found(awslambda[1], statement())
    events[1].add_response(
        "put_rule",
        {"RuleArn": RULE_ARN},
        {
            "Name": NAME,
            "EventBusName": "default",
            "ScheduleExpression": "rate(2 minutes)",
            "Description": "Checks the replication lag",
            "State": "DISABLED",
        },
    )
    events[1].add_response("describe_rule", rule(state="DISABLED"), RULE)
    result, code = run(events, awslambda, monkeypatch, capsys, args=dict(ARGS, enabled=False), diff=True)
    assert code == 0, result
    assert writes(sent) == ["PutRule"]
    assert result["rule"]["state"] == "DISABLED"
    assert result["diff"]["before"]["state"] == "ENABLED"
    assert result["diff"]["after"]["state"] == "DISABLED"


def test_a_disabled_rule_stays_disabled(events, awslambda, monkeypatch, capsys, sent):
    rule_found(events[1], rule(state="DISABLED"))
    policy_found(awslambda[1], statement())
    result, code = run(events, awslambda, monkeypatch, capsys, args=dict(ARGS, enabled=False))
    assert code == 0, result
    assert result["changed"] is False


def test_a_stray_target_is_removed(events, awslambda, monkeypatch, capsys, sent):
    stray = target("old-checker", OTHER_FUNCTION, None)
    rule_found(events[1], targets=[stray, target()])
    policy_found(awslambda[1], statement())
    events[1].add_response(
        "remove_targets", {"FailedEntryCount": 0, "FailedEntries": []}, dict(BY_RULE, Ids=["old-checker"])
    )
    events[1].add_response("list_targets_by_rule", {"Targets": [target()]}, BY_RULE)
    result, code = run(events, awslambda, monkeypatch, capsys, diff=True)
    assert code == 0, result
    assert result["changed"] is True
    assert writes(sent) == ["RemoveTargets"]
    assert result["targets"] == [{"id": "lambda", "arn": FUNCTION, "input": INPUT_JSON}]
    assert result["diff"]["before"]["targets"] == [
        {"id": "lambda", "arn": FUNCTION, "input": INPUT_JSON},
        {"id": "old-checker", "arn": OTHER_FUNCTION},
    ]
    assert result["diff"]["after"] == settings()


def test_a_changed_input_is_put(events, awslambda, monkeypatch, capsys, sent):
    rule_found(events[1], targets=[target(input_json='{"table":"old"}')])
    policy_found(awslambda[1], statement())
    events[1].add_response("put_targets", {"FailedEntryCount": 0}, dict(BY_RULE, Targets=[target()]))
    events[1].add_response("list_targets_by_rule", {"Targets": [target()]}, BY_RULE)
    result, code = run(events, awslambda, monkeypatch, capsys)
    assert code == 0, result
    assert writes(sent) == ["PutTargets"]


def test_a_target_with_other_settings_is_replaced(events, awslambda, monkeypatch, capsys, sent):
    rule_found(events[1], targets=[target(RetryPolicy={"MaximumRetryAttempts": 3})])
    policy_found(awslambda[1], statement())
    events[1].add_response("put_targets", {"FailedEntryCount": 0}, dict(BY_RULE, Targets=[target()]))
    events[1].add_response("list_targets_by_rule", {"Targets": [target()]}, BY_RULE)
    result, code = run(events, awslambda, monkeypatch, capsys)
    assert code == 0, result
    assert writes(sent) == ["PutTargets"]


def test_a_failed_target_entry_fails(events, awslambda, monkeypatch, capsys, sent):
    rule_found(events[1], targets=[])
    policy_found(awslambda[1], statement())
    failure = {"TargetId": "lambda", "ErrorCode": "InternalException", "ErrorMessage": "try again"}
    events[1].add_response(
        "put_targets", {"FailedEntryCount": 1, "FailedEntries": [failure]}, dict(BY_RULE, Targets=[target()])
    )
    result, code = run(events, awslambda, monkeypatch, capsys)
    assert code == 1
    assert result["failed"] is True
    assert "PutTargets failed" in result["msg"]
    assert result["failed_entries"] == [failure]


def test_a_statement_for_another_rule_is_removed_and_added(events, awslambda, monkeypatch, capsys, sent):
    rule_found(events[1])
    policy_found(awslambda[1], OTHER_STATEMENT, statement(OTHER_RULE_ARN))
    awslambda[1].add_response("remove_permission", {}, {"FunctionName": FUNCTION, "StatementId": SID})
    permission_added(awslambda[1])
    result, code = run(events, awslambda, monkeypatch, capsys, diff=True)
    assert code == 0, result
    assert result["changed"] is True
    assert writes(sent) == ["RemovePermission", "AddPermission"]
    assert result["permission"] == statement()
    assert result["diff"]["before"]["permission"] == statement(OTHER_RULE_ARN)
    assert result["diff"]["after"]["permission"] == statement()


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda s: s["Condition"].pop("StringEquals"), id="no-source-account"),
        pytest.param(lambda s: s.update(Principal={"Service": "s3.amazonaws.com"}), id="other-principal"),
        pytest.param(lambda s: s.update(Action="lambda:*"), id="other-action"),
        pytest.param(lambda s: s.update(Effect="Deny"), id="deny"),
        pytest.param(lambda s: s.update(Resource=OTHER_FUNCTION), id="other-resource"),
        pytest.param(lambda s: s["Condition"].update(StringLike={"AWS:SourceOrgID": "o-x"}), id="extra-condition"),
    ],
)
def test_a_statement_that_differs_is_replaced(events, awslambda, monkeypatch, capsys, sent, change):
    found = statement()
    change(found)
    rule_found(events[1])
    policy_found(awslambda[1], found)
    awslambda[1].add_response("remove_permission", {}, {"FunctionName": FUNCTION, "StatementId": SID})
    permission_added(awslambda[1])
    result, code = run(events, awslambda, monkeypatch, capsys)
    assert code == 0, result
    assert writes(sent) == ["RemovePermission", "AddPermission"]


def test_a_missing_statement_is_added(events, awslambda, monkeypatch, capsys, sent):
    rule_found(events[1])
    policy_found(awslambda[1], OTHER_STATEMENT)
    permission_added(awslambda[1])
    result, code = run(events, awslambda, monkeypatch, capsys)
    assert code == 0, result
    assert writes(sent) == ["AddPermission"]


def test_a_custom_statement_id(events, awslambda, monkeypatch, capsys, sent):
    rule_found(events[1])
    policy_found(awslambda[1], statement())
    awslambda[1].add_response(
        "add_permission",
        {"Statement": json.dumps(statement(sid="schedule"))},
        dict(ADD_PERMISSION, StatementId="schedule"),
    )
    result, code = run(events, awslambda, monkeypatch, capsys, args=dict(ARGS, statement_id="schedule"))
    assert code == 0, result
    assert writes(sent) == ["AddPermission"]
    assert result["permission"]["Sid"] == "schedule"


def test_a_missing_function_fails_on_add_permission(events, awslambda, monkeypatch, capsys, sent):
    rule_found(events[1])
    no_policy(awslambda[1])
    awslambda[1].add_client_error(
        "add_permission",
        service_error_code="ResourceNotFoundException",
        service_message=f"Function not found: {FUNCTION}",
        http_status_code=404,
        expected_params=ADD_PERMISSION,
    )
    result, code = run(events, awslambda, monkeypatch, capsys)
    assert code == 1
    assert "AddPermission" in result["msg"] and FUNCTION in result["msg"]


def test_tag_drift(events, awslambda, monkeypatch, capsys, sent):
    rule_found(events[1], tags=[{"Key": "Environment", "Value": "prod"}, {"Key": "Owner", "Value": "someone"}])
    policy_found(awslambda[1], statement())
    events[1].add_response("untag_resource", {}, dict(BY_ARN, TagKeys=["Owner"]))
    events[1].add_response("tag_resource", {}, dict(BY_ARN, Tags=TAG_LIST))
    events[1].add_response("list_tags_for_resource", {"Tags": TAG_LIST}, BY_ARN)
    result, code = run(events, awslambda, monkeypatch, capsys, diff=True)
    assert code == 0, result
    assert writes(sent) == ["UntagResource", "TagResource"]
    assert result["rule"]["tags"] == TAGS
    assert result["diff"]["before"]["tags"] == {"Environment": "prod", "Owner": "someone"}
    assert result["diff"]["after"]["tags"] == TAGS


def test_tags_kept_without_purge_and_left_alone_without_tags(events, awslambda, monkeypatch, capsys, sent):
    rule_found(events[1], tags=TAG_LIST + [{"Key": "Owner", "Value": "someone"}])
    policy_found(awslambda[1], statement())
    result, code = run(events, awslambda, monkeypatch, capsys, args=dict(ARGS, purge_tags=False))
    assert code == 0, result
    assert result["changed"] is False
    rule_found(events[1], tags=[{"Key": "Owner", "Value": "someone"}])
    policy_found(awslambda[1], statement())
    result, code = run(events, awslambda, monkeypatch, capsys, args={k: v for k, v in ARGS.items() if k != "tags"})
    assert code == 0, result
    assert result["changed"] is False
    assert writes(sent) == []


def test_everything_wrong_is_fixed_in_order(events, awslambda, monkeypatch, capsys, sent):
    rule_found(events[1], rule("rate(1 hour)"), targets=[target("x", OTHER_FUNCTION, None)], tags=[])
    no_policy(awslambda[1])
    events[1].add_response(
        "put_rule",
        {"RuleArn": RULE_ARN},
        dict(RULE, ScheduleExpression="rate(2 minutes)", Description="Checks the replication lag", State="ENABLED"),
    )
    permission_added(awslambda[1])
    events[1].add_response("remove_targets", {"FailedEntryCount": 0}, dict(BY_RULE, Ids=["x"]))
    events[1].add_response("put_targets", {"FailedEntryCount": 0}, dict(BY_RULE, Targets=[target()]))
    events[1].add_response("tag_resource", {}, dict(BY_ARN, Tags=TAG_LIST))
    events[1].add_response("describe_rule", rule(), RULE)
    events[1].add_response("list_targets_by_rule", {"Targets": [target()]}, BY_RULE)
    events[1].add_response("list_tags_for_resource", {"Tags": TAG_LIST}, BY_ARN)
    result, code = run(events, awslambda, monkeypatch, capsys)
    assert code == 0, result
    assert writes(sent) == ["PutRule", "AddPermission", "RemoveTargets", "PutTargets", "TagResource"]


def test_a_throttled_call_is_retried(events, awslambda, monkeypatch, capsys, sent):
    events[1].add_client_error("describe_rule", service_error_code="ThrottlingException", http_status_code=400)
    rule_found(events[1])
    awslambda[1].add_client_error("get_policy", service_error_code="TooManyRequestsException", http_status_code=429)
    policy_found(awslambda[1], statement())
    result, code = run(events, awslambda, monkeypatch, capsys)
    assert code == 0, result
    assert ops(sent).count("DescribeRule") == 2
    assert ops(sent).count("GetPolicy") == 2


def test_a_rule_with_an_event_pattern_is_refused(events, awslambda, monkeypatch, capsys, sent):
    events[1].add_response("describe_rule", rule(EventPattern='{"source":["aws.s3"]}'), RULE)
    events[1].add_response("list_targets_by_rule", {}, BY_RULE)
    events[1].add_response("list_tags_for_resource", {"Tags": []}, BY_ARN)
    policy_found(awslambda[1], statement())
    result, code = run(events, awslambda, monkeypatch, capsys)
    assert code == 1
    assert "event pattern" in result["msg"]
    assert writes(sent) == []


# -- check mode ------------------------------------------------------------------------------------
def test_check_mode_create_writes_nothing(events, awslambda, monkeypatch, capsys, sent):
    no_rule(events[1])
    no_policy(awslambda[1])
    result, code = run(events, awslambda, monkeypatch, capsys, check_mode=True, diff=True)
    assert code == 0, result
    assert result["changed"] is True
    assert ops(sent) == ["DescribeRule", "GetPolicy"]
    assert result["rule_arn"] == RULE_ARN
    assert "predicted" in result["msg"]
    assert result["rule"] == {}
    assert result["targets"] == []
    assert result["permission"] == {}
    assert result["diff"] == {"before": NOTHING, "after": settings()}


def test_check_mode_create_with_the_right_statement_already_there(events, awslambda, monkeypatch, capsys, sent):
    """The predicted ARN is the one AWS gives: a statement already made for it stays."""
    no_rule(events[1])
    policy_found(awslambda[1], statement())
    result, code = run(events, awslambda, monkeypatch, capsys, check_mode=True, diff=True)
    assert code == 0, result
    assert result["diff"]["before"]["permission"] == statement()
    assert result["diff"]["after"]["permission"] == statement()
    assert result["permission"] == statement()


def test_check_mode_create_predicts_the_arn_in_another_partition(events, awslambda, monkeypatch, capsys, sent):
    function = f"arn:aws-us-gov:lambda:us-east-2:{ACCOUNT}:function:checker"
    no_rule(events[1])
    no_policy(awslambda[1], function=function)
    result, code = run(
        events, awslambda, monkeypatch, capsys, args=dict(ARGS, function_arn=function), check_mode=True, diff=True
    )
    assert code == 0, result
    arn = f"arn:aws-us-gov:events:us-east-2:{ACCOUNT}:rule/{NAME}"
    assert result["rule_arn"] == arn
    assert result["diff"]["after"]["permission"]["Condition"]["ArnLike"] == {"AWS:SourceArn": arn}


def test_check_mode_update_writes_nothing(events, awslambda, monkeypatch, capsys, sent):
    rule_found(events[1], rule("rate(5 minutes)"), targets=[target("x", OTHER_FUNCTION, None), target()], tags=[])
    policy_found(awslambda[1], statement(OTHER_RULE_ARN))
    result, code = run(events, awslambda, monkeypatch, capsys, check_mode=True, diff=True)
    assert code == 0, result
    assert result["changed"] is True
    assert writes(sent) == []
    assert "msg" not in result
    assert result["rule"]["schedule_expression"] == "rate(5 minutes)"
    assert result["permission"] == statement(OTHER_RULE_ARN)
    assert result["diff"]["before"] == settings(
        schedule="rate(5 minutes)",
        targets=[{"id": "lambda", "arn": FUNCTION, "input": INPUT_JSON}, {"id": "x", "arn": OTHER_FUNCTION}],
        permission=statement(OTHER_RULE_ARN),
        tags={},
    )
    assert result["diff"]["after"] == settings()


def test_check_mode_identical_is_no_change(events, awslambda, monkeypatch, capsys, sent):
    rule_found(events[1])
    policy_found(awslambda[1], statement())
    result, code = run(events, awslambda, monkeypatch, capsys, check_mode=True)
    assert code == 0, result
    assert result["changed"] is False


# -- absent ----------------------------------------------------------------------------------------
ABSENT = {"name": NAME, "function_arn": FUNCTION, "state": "absent"}


def test_absent_removes_targets_rule_and_permission(events, awslambda, monkeypatch, capsys, sent):
    rule_found(events[1], targets=[target(), target("x", OTHER_FUNCTION, None)])
    policy_found(awslambda[1], OTHER_STATEMENT, statement())
    events[1].add_response("remove_targets", {"FailedEntryCount": 0}, dict(BY_RULE, Ids=["lambda", "x"]))
    events[1].add_response("delete_rule", {}, RULE)
    awslambda[1].add_response("remove_permission", {}, {"FunctionName": FUNCTION, "StatementId": SID})
    result, code = run(events, awslambda, monkeypatch, capsys, args=ABSENT, diff=True)
    assert code == 0, result
    assert result["changed"] is True
    assert writes(sent) == ["RemoveTargets", "DeleteRule", "RemovePermission"]
    assert result["rule"] == {}
    assert result["targets"] == []
    assert result["permission"] == {}
    assert result["diff"]["before"]["permission"] == statement()
    assert result["diff"]["after"] == NOTHING


def test_absent_in_check_mode_writes_nothing(events, awslambda, monkeypatch, capsys, sent):
    rule_found(events[1])
    policy_found(awslambda[1], statement())
    result, code = run(events, awslambda, monkeypatch, capsys, args=ABSENT, check_mode=True, diff=True)
    assert code == 0, result
    assert result["changed"] is True
    assert writes(sent) == []
    assert result["diff"]["before"] == settings()
    assert result["diff"]["after"] == NOTHING


def test_already_absent(events, awslambda, monkeypatch, capsys, sent):
    no_rule(events[1])
    policy_found(awslambda[1], OTHER_STATEMENT)
    result, code = run(events, awslambda, monkeypatch, capsys, args=ABSENT, diff=True)
    assert code == 0, result
    assert result["changed"] is False
    assert ops(sent) == ["DescribeRule", "GetPolicy"]
    assert result["diff"]["before"] == result["diff"]["after"] == NOTHING


def test_absent_with_a_missing_function(events, awslambda, monkeypatch, capsys, sent):
    rule_found(events[1], targets=[])
    no_policy(awslambda[1])
    events[1].add_response("delete_rule", {}, RULE)
    result, code = run(events, awslambda, monkeypatch, capsys, args=ABSENT)
    assert code == 0, result
    assert writes(sent) == ["DeleteRule"]


def test_absent_only_a_leftover_statement(events, awslambda, monkeypatch, capsys, sent):
    no_rule(events[1])
    policy_found(awslambda[1], statement())
    awslambda[1].add_response("remove_permission", {}, {"FunctionName": FUNCTION, "StatementId": SID})
    result, code = run(events, awslambda, monkeypatch, capsys, args=ABSENT)
    assert code == 0, result
    assert result["changed"] is True
    assert writes(sent) == ["RemovePermission"]


def test_absent_without_function_arn_uses_the_target(events, awslambda, monkeypatch, capsys, sent):
    rule_found(events[1])
    policy_found(awslambda[1], statement())
    events[1].add_response("remove_targets", {"FailedEntryCount": 0}, dict(BY_RULE, Ids=["lambda"]))
    events[1].add_response("delete_rule", {}, RULE)
    awslambda[1].add_response("remove_permission", {}, {"FunctionName": FUNCTION, "StatementId": SID})
    result, code = run(events, awslambda, monkeypatch, capsys, args={"name": NAME, "state": "absent"})
    assert code == 0, result
    assert writes(sent) == ["RemoveTargets", "DeleteRule", "RemovePermission"]


# -- validation ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "args, problem",
    [
        ({"schedule_expression": "rate(1 minutes)"}, "the unit must be minute"),
        ({"schedule_expression": "rate(2 minute)"}, "the unit must be minutes"),
        ({"schedule_expression": "rate(1 hours)"}, "the unit must be hour"),
        ({"schedule_expression": "rate(3 day)"}, "the unit must be days"),
        ({"schedule_expression": "rate(0 minutes)"}, "positive"),
        ({"schedule_expression": "rate(2 seconds)"}, "minute(s), hour(s) or day(s)"),
        ({"schedule_expression": "rate(2minutes)"}, "rate(<value> <unit>) or cron"),
        ({"schedule_expression": "every 2 minutes"}, "rate(<value> <unit>) or cron"),
        ({"schedule_expression": "cron(0 12 * * *)"}, "six fields"),
        ({"schedule_expression": "cron(0 12 * * MON *)"}, "a ?"),
        ({"statement_id": "invoke.by.events"}, "not a valid Lambda statement ID"),
        ({"statement_id": "x" * 101}, "not a valid Lambda statement ID"),
        ({"name": "finproc.dev.check"}, "give statement_id"),
        ({"name": "finproc dev"}, "not a valid EventBridge rule name"),
        ({"target_id": "lambda target"}, "not a valid target ID"),
        ({"function_arn": FUNCTION + ":live"}, "unqualified ARN"),
        ({"function_arn": "finproc-dev-replication-check"}, "unqualified ARN"),
        ({"function_arn": f"arn:aws:lambda:us-west-2:{ACCOUNT}:function:checker"}, "functions of their own region"),
        ({"event_bus_name": "finproc"}, "only on the default event bus"),
        ({"schedule_expression": None}, "missing: schedule_expression"),
        ({"function_arn": None}, "missing: function_arn"),
    ],
)
def test_invalid_options_fail_before_any_request(events, awslambda, monkeypatch, capsys, sent, args, problem):
    args = {k: v for k, v in dict(ARGS, **args).items() if v is not None}
    result, code = run(events, awslambda, monkeypatch, capsys, args=args)
    assert code == 1
    assert result["failed"] is True
    assert problem in result["msg"], result["msg"]
    assert sent == []


@pytest.mark.parametrize(
    "expression",
    [
        "rate(1 minute)",
        "rate(2 minutes)",
        "rate(1 hour)",
        "rate(12 hours)",
        "rate(1 day)",
        "rate(7 days)",
        "cron(0 12 * * ? *)",
        "cron(15 10 ? * MON-FRI *)",
        "cron(0/5 8-17 ? * MON-FRI *)",
    ],
)
def test_valid_expressions_pass(expression):
    assert lambda_schedule.schedule_problem(expression) is None


def test_the_default_bus_by_arn_is_accepted(events, awslambda, monkeypatch, capsys, sent):
    bus = f"arn:aws:events:us-east-2:{ACCOUNT}:event-bus/default"
    events[1].add_response("describe_rule", rule(), dict(RULE, EventBusName=bus))
    events[1].add_response("list_targets_by_rule", {"Targets": [target()]}, dict(BY_RULE, EventBusName=bus))
    events[1].add_response("list_tags_for_resource", {"Tags": TAG_LIST}, BY_ARN)
    policy_found(awslambda[1], statement())
    result, code = run(events, awslambda, monkeypatch, capsys, args=dict(ARGS, event_bus_name=bus))
    assert code == 0, result
    assert result["changed"] is False


def test_a_refused_list_targets_fails_naming_the_rule(events, awslambda, monkeypatch, capsys, sent):
    events[1].add_response("describe_rule", rule(), RULE)
    events[1].add_client_error(
        "list_targets_by_rule",
        service_error_code="AccessDeniedException",
        http_status_code=400,
        expected_params=BY_RULE,
    )
    result, code = run(events, awslambda, monkeypatch, capsys)
    assert code == 1
    assert result["msg"].startswith(f"ListTargetsByRule failed for EventBridge rule {NAME} in us-east-2")
    assert writes(sent) == []
