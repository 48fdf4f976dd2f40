"""The monitoring controls (plugins/module_utils/controls/monitoring.py): alarms, log groups, the
monitor, against the moto stack of live_stack.py, broken one thing at a time."""

import json

from live_stack import (
    ACCOUNT,
    APP_LOG,
    FLOW_LOG,
    METRICS,
    PREFIX,
    PRIMARY,
    SECONDARY,
    STACK_TAGS,
    assert_broken,
    broken_cases,
    by_id,
    client,
    monitor_policy,
    put_alarm,
    run,
)


def _flow_log_group_without_key(stack):
    """(moto has no DisassociateKmsKey: the group is made again without the key.)"""
    logs = client("logs", SECONDARY)
    logs.delete_log_group(logGroupName=FLOW_LOG)
    logs.create_log_group(logGroupName=FLOW_LOG, tags=dict(STACK_TAGS, Name=FLOW_LOG))
    logs.put_retention_policy(logGroupName=FLOW_LOG, retentionInDays=30)


def _attach_a_managed_policy(stack):
    iam = client("iam")
    arn = iam.create_policy(PolicyName="broad", PolicyDocument=monitor_policy(SECONDARY))["Policy"]["Arn"]
    iam.attach_role_policy(RoleName=stack[SECONDARY].role, PolicyArn=arn)


BREAKS = [
    (
        "an alarm without OK action",
        SECONDARY,
        lambda s: put_alarm(SECONDARY, f"{PREFIX}-{SECONDARY}-monitor-self", s[SECONDARY].topic, ok_actions=False),
        {},
        {"alarm-actions"},
        f"{PREFIX}-{SECONDARY}-monitor-self: OKActions empty",
    ),
    (
        "a replication-lag alarm missing",
        SECONDARY,
        lambda s: client("cloudwatch", SECONDARY).delete_alarms(
            AlarmNames=[f"{PREFIX}-{SECONDARY}-monitor-replication-lag-{PRIMARY}"]
        ),
        {},
        {"alarm-actions"},
        f"missing alarms: {PREFIX}-{SECONDARY}-monitor-replication-lag-{PRIMARY}",
    ),
    (
        "the heartbeat-write alarm missing",
        SECONDARY,
        lambda s: client("cloudwatch", SECONDARY).delete_alarms(
            AlarmNames=[f"{PREFIX}-{SECONDARY}-monitor-heartbeat-write"]
        ),
        {},
        {"alarm-actions"},
        f"missing alarms: {PREFIX}-{SECONDARY}-monitor-heartbeat-write",
    ),
    (
        "a replication-lag alarm that stays silent without data",
        SECONDARY,
        lambda s: put_alarm(
            SECONDARY,
            f"{PREFIX}-{SECONDARY}-monitor-replication-lag-{PRIMARY}",
            s[SECONDARY].topic,
            threshold=60.0,
            missing="missing",
        ),
        {},
        {"alarm-actions"},
        f"{PREFIX}-{SECONDARY}-monitor-replication-lag-{PRIMARY}: TreatMissingData missing, wanted breaching",
    ),
    (
        "a health-check alarm missing in the metrics region",
        PRIMARY,
        lambda s: client("cloudwatch", METRICS).delete_alarms(AlarmNames=[f"{PREFIX}-{SECONDARY}-endpoint-unhealthy"]),
        {},
        {"alarm-actions"},
        f"missing alarms in {METRICS}: {PREFIX}-{SECONDARY}-endpoint-unhealthy",
    ),
    (
        "the monitoring topic unencrypted",
        PRIMARY,
        lambda s: client("sns", PRIMARY).set_topic_attributes(
            TopicArn=s[PRIMARY].topic, AttributeName="KmsMasterKeyId", AttributeValue=""
        ),
        {},
        {"alarm-actions"},
        "topic encrypted with nothing",
    ),
    (
        "log retention 7 days",
        PRIMARY,
        lambda s: client("logs", PRIMARY).put_retention_policy(logGroupName=APP_LOG, retentionInDays=7),
        {},
        {"log-groups"},
        "retention 7 days, wanted 30 days",
    ),
    (
        "flow-log group without its key",
        SECONDARY,
        _flow_log_group_without_key,
        {},
        {"log-groups"},
        "encrypted with the service key",
    ),
    (
        "a '*' resource in the monitor policy",
        PRIMARY,
        lambda s: client("iam").put_role_policy(
            RoleName=s[PRIMARY].role,
            PolicyName="health-monitor",
            PolicyDocument=monitor_policy(
                PRIMARY, [{"Sid": "Everything", "Effect": "Allow", "Action": "logs:PutLogEvents", "Resource": "*"}]
            ),
        ),
        {},
        {"monitor-role-least-privilege"},
        "health-monitor/Everything: resource * for logs:PutLogEvents",
    ),
    (
        "a wildcard action in the monitor policy",
        SECONDARY,
        lambda s: client("iam").put_role_policy(
            RoleName=s[SECONDARY].role,
            PolicyName="extra",
            PolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": "dynamodb:*",
                            "Resource": f"arn:aws:dynamodb:{SECONDARY}:{ACCOUNT}:table/x",
                        }
                    ],
                }
            ),
        ),
        {},
        {"monitor-role-least-privilege"},
        "extra/#1: wildcard action dynamodb:*",
    ),
    (
        "a managed policy on the monitor role",
        SECONDARY,
        _attach_a_managed_policy,
        {},
        {"monitor-role-least-privilege"},
        f"managed policies attached: arn:aws:iam::{ACCOUNT}:policy/broad",
    ),
    (
        "the schedule disabled",
        SECONDARY,
        lambda s: client("events", SECONDARY).disable_rule(Name=f"{PREFIX}-health-monitor"),
        {},
        {"monitor-function"},
        f"rule {PREFIX}-health-monitor DISABLED, wanted ENABLED",
    ),
    (
        "the monitor function gone (its role is then found by name)",
        PRIMARY,
        lambda s: client("lambda", PRIMARY).delete_function(FunctionName=f"{PREFIX}-health-monitor"),
        {},
        {"monitor-function", "tags"},
        f"function {PREFIX}-health-monitor not found in {PRIMARY}",
    ),
    (
        "the monitor on another runtime",
        PRIMARY,
        lambda s: client("lambda", PRIMARY).update_function_configuration(
            FunctionName=f"{PREFIX}-health-monitor", Runtime="python3.11"
        ),
        {},
        {"monitor-function"},
        "runtime python3.11, wanted python3.12",
    ),
]


@broken_cases(BREAKS)
def test_one_thing_broken_fails_exactly_its_control(stack, monkeypatch, capsys, region, breaker, args, failed, text):
    assert_broken(stack, monkeypatch, capsys, region, breaker, args, failed, text)


def _monitor_on_python313_every_5_minutes(stack):
    """The monitoring role with monitoring_function_runtime python3.13, monitoring_schedule_minutes 5."""
    client("lambda", PRIMARY).update_function_configuration(
        FunctionName=f"{PREFIX}-health-monitor", Runtime="python3.13"
    )
    client("events", PRIMARY).put_rule(Name=f"{PREFIX}-health-monitor", ScheduleExpression="rate(5 minutes)")


def test_the_runtime_and_the_schedule_are_the_ones_given(stack, monkeypatch, capsys):
    """monitor_runtime and monitor_schedule_expression come from the monitoring role's settings: a
    stack converged with others passes with them, and fails with the defaults, naming both."""
    _monitor_on_python313_every_5_minutes(stack)
    given = dict(monitor_runtime="python3.13", monitor_schedule_expression="rate(5 minutes)")
    result, _code, _calls = run(stack, monkeypatch, capsys, PRIMARY, controls=["monitor-function"], **given)
    (entry,) = by_id(result, "monitor-function")
    assert entry["passed"], entry
    assert "python3.13" in entry["detail"] and "rate(5 minutes)" in entry["detail"]
    result, _code, _calls = run(stack, monkeypatch, capsys, PRIMARY, controls=["monitor-function"])
    (entry,) = by_id(result, "monitor-function")
    assert not entry["passed"]
    assert "runtime python3.13, wanted python3.12" in entry["detail"]
    assert f"rule {PREFIX}-health-monitor runs rate(5 minutes), wanted rate(2 minutes)" in entry["detail"]


def test_the_flow_log_group_has_its_own_retention(stack, monkeypatch, capsys):
    """flow_log_retention_days (the network role's network_flow_logs_retention_days) holds the
    flow-log group only; the other groups keep log_retention_days."""
    result, _code, _calls = run(
        stack, monkeypatch, capsys, SECONDARY, controls=["log-groups"], flow_log_retention_days=90
    )
    failed = [e for e in by_id(result, "log-groups") if not e["passed"]]
    assert [e["resource"] for e in failed] == [FLOW_LOG]
    assert failed[0]["detail"] == "retention 30 days, wanted 90 days"
