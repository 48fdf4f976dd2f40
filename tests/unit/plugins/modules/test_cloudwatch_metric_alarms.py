import copy

import pytest
from ansible_collections.finproc.dr.plugins.modules import cloudwatch_metric_alarms
from aws_stub import record_requests, run_module

ACCOUNT_ARN = "arn:aws:cloudwatch:us-east-2:123456789012:alarm:"
TOPIC = "arn:aws:sns:us-east-2:123456789012:finproc-dev-dr-alerts"
PAGER = "arn:aws:sns:us-east-2:123456789012:finproc-dev-pager"
PREFIX = "finproc-dev-dr-"
LATENCY = PREFIX + "ledger-replication-latency"
P99 = PREFIX + "alb-p99"
STRAY = PREFIX + "eu-west-1-endpoint-unhealthy"
TAGS = {"App": "finproc", "Environment": "dev"}


def latency_args(**overrides):
    alarm = {
        "name": LATENCY,
        "description": "S3 replication of the ledger is late",
        "namespace": "AWS/S3",
        "metric_name": "ReplicationLatency",
        "dimensions": {"SourceBucket": "finproc-dev-ledger-us-east-2", "RuleId": "ledger-to-dr"},
        "statistic": "Maximum",
        "period": 300,
        "evaluation_periods": 3,
        "threshold": 900,
        "comparison": "GreaterThanOrEqualToThreshold",
        "alarm_actions": [TOPIC, PAGER],
        "ok_actions": [TOPIC],
    }
    alarm.update(overrides)
    return alarm


def p99_args(**overrides):
    alarm = {
        "name": P99,
        "namespace": "AWS/ApplicationELB",
        "metric_name": "TargetResponseTime",
        "dimensions": {"LoadBalancer": "app/finproc-dev/0123456789abcdef"},
        "extended_statistic": "p99",
        "period": 60,
        "evaluation_periods": 5,
        "datapoints_to_alarm": 3,
        "threshold": 1.5,
        "comparison": "GreaterThanThreshold",
        "treat_missing_data": "notBreaching",
        "unit": "Seconds",
        "tags": {"Name": "ALB p99 latency"},
    }
    alarm.update(overrides)
    return alarm


def args(*alarms, **options):
    result = {"alarms": list(alarms) if alarms else [latency_args(), p99_args()], "tags": dict(TAGS)}
    result.update(options)
    return result


def latency_put(**overrides):
    """The PutMetricAlarm of latency_args(), as the module must send it."""
    request = {
        "AlarmName": LATENCY,
        "AlarmDescription": "S3 replication of the ledger is late",
        "ActionsEnabled": True,
        "Namespace": "AWS/S3",
        "MetricName": "ReplicationLatency",
        "Dimensions": [
            {"Name": "RuleId", "Value": "ledger-to-dr"},
            {"Name": "SourceBucket", "Value": "finproc-dev-ledger-us-east-2"},
        ],
        "Statistic": "Maximum",
        "Period": 300,
        "EvaluationPeriods": 3,
        "Threshold": 900.0,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        "TreatMissingData": "missing",
        "AlarmActions": sorted([TOPIC, PAGER]),
        "OKActions": [TOPIC],
        "InsufficientDataActions": [],
    }
    request.update(overrides)
    return request


def p99_put(**overrides):
    request = {
        "AlarmName": P99,
        "AlarmDescription": "",
        "ActionsEnabled": True,
        "Namespace": "AWS/ApplicationELB",
        "MetricName": "TargetResponseTime",
        "Dimensions": [{"Name": "LoadBalancer", "Value": "app/finproc-dev/0123456789abcdef"}],
        "ExtendedStatistic": "p99",
        "Period": 60,
        "EvaluationPeriods": 5,
        "DatapointsToAlarm": 3,
        "Threshold": 1.5,
        "ComparisonOperator": "GreaterThanThreshold",
        "TreatMissingData": "notBreaching",
        "Unit": "Seconds",
        "AlarmActions": [],
        "OKActions": [],
        "InsufficientDataActions": [],
    }
    request.update(overrides)
    return request


def latency_described(**overrides):
    """latency_args() as DescribeAlarms reports it: no DatapointsToAlarm nor TreatMissingData (never set),
    dimensions and actions in another order."""
    alarm = {
        "AlarmName": LATENCY,
        "AlarmArn": ACCOUNT_ARN + LATENCY,
        "AlarmDescription": "S3 replication of the ledger is late",
        "ActionsEnabled": True,
        "OKActions": [TOPIC],
        "AlarmActions": [PAGER, TOPIC],
        "InsufficientDataActions": [],
        "StateValue": "OK",
        "MetricName": "ReplicationLatency",
        "Namespace": "AWS/S3",
        "Statistic": "Maximum",
        "Dimensions": [
            {"Name": "SourceBucket", "Value": "finproc-dev-ledger-us-east-2"},
            {"Name": "RuleId", "Value": "ledger-to-dr"},
        ],
        "Period": 300,
        "EvaluationPeriods": 3,
        "Threshold": 900.0,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
    }
    alarm.update(overrides)
    return alarm


def p99_described(**overrides):
    alarm = {
        "AlarmName": P99,
        "AlarmArn": ACCOUNT_ARN + P99,
        "ActionsEnabled": True,
        "OKActions": [],
        "AlarmActions": [],
        "InsufficientDataActions": [],
        "StateValue": "INSUFFICIENT_DATA",
        "MetricName": "TargetResponseTime",
        "Namespace": "AWS/ApplicationELB",
        "ExtendedStatistic": "p99",
        "Dimensions": [{"Name": "LoadBalancer", "Value": "app/finproc-dev/0123456789abcdef"}],
        "Period": 60,
        "Unit": "Seconds",
        "EvaluationPeriods": 5,
        "DatapointsToAlarm": 3,
        "Threshold": 1.5,
        "ComparisonOperator": "GreaterThanThreshold",
        "TreatMissingData": "notBreaching",
    }
    alarm.update(overrides)
    return alarm


def stray_described():
    return latency_described(AlarmName=STRAY, AlarmArn=ACCOUNT_ARN + STRAY, MetricName="HealthCheckStatus")


def tag_list(tags):
    return [{"Key": key, "Value": value} for key, value in tags.items()]


def by_names(*names):
    return {"AlarmTypes": ["MetricAlarm"], "AlarmNames": list(names)}


def by_prefix(prefix=PREFIX):
    return {"AlarmTypes": ["MetricAlarm"], "AlarmNamePrefix": prefix}


def describe(stub, alarms, params):
    stub.add_response("describe_alarms", {"MetricAlarms": alarms}, params)


def list_tags(stub, name, tags):
    stub.add_response("list_tags_for_resource", {"Tags": tag_list(tags)}, {"ResourceARN": ACCOUNT_ARN + name})


def run(cloudwatch, monkeypatch, capsys, module_args, **kw):
    return run_module(cloudwatch_metric_alarms.main, module_args, cloudwatch[0], monkeypatch, capsys, **kw)


def writes(calls):
    return [call for call in calls if not call[0].startswith(("Describe", "List"))]


# -- create, no-op, update ---------------------------------------------------------------------------
def test_creates_two_alarms_with_their_tags_in_put_metric_alarm(cloudwatch, monkeypatch, capsys):
    client, stub = cloudwatch
    describe(stub, [], by_names(LATENCY, P99))
    stub.add_response("put_metric_alarm", {}, latency_put(Tags=tag_list(TAGS)))
    stub.add_response(
        "put_metric_alarm",
        {},
        p99_put(Tags=tag_list({"App": "finproc", "Environment": "dev", "Name": "ALB p99 latency"})),
    )
    describe(stub, [latency_described(), p99_described()], by_names(LATENCY, P99))
    calls = record_requests(client)
    result, code = run(cloudwatch, monkeypatch, capsys, args(), diff=True)
    assert code == 0, result
    assert result["changed"] is True
    assert result["created"] == [LATENCY, P99]
    assert result["updated"] == [] and result["deleted"] == []
    assert [call[0] for call in calls] == ["DescribeAlarms", "PutMetricAlarm", "PutMetricAlarm", "DescribeAlarms"]
    assert [alarm["alarm_name"] for alarm in result["alarms"]] == [LATENCY, P99]
    assert result["alarms"][0]["alarm_arn"] == ACCOUNT_ARN + LATENCY
    assert result["alarms"][0]["ok_actions"] == [TOPIC]
    assert result["alarms"][0]["tags"] == TAGS
    assert result["alarms"][1]["tags"] == {"App": "finproc", "Environment": "dev", "Name": "ALB p99 latency"}
    assert result["diff"]["before"] == {}
    after = result["diff"]["after"][LATENCY]
    assert after["threshold"] == 900.0
    assert after["datapoints_to_alarm"] == 3
    assert after["dimensions"] == {"RuleId": "ledger-to-dr", "SourceBucket": "finproc-dev-ledger-us-east-2"}
    assert after["tags"] == TAGS


def test_an_alarm_as_aws_describes_it_is_not_written(cloudwatch, monkeypatch, capsys):
    client, stub = cloudwatch
    describe(stub, [latency_described(), p99_described()], by_names(LATENCY, P99))
    list_tags(stub, LATENCY, {"Environment": "dev", "App": "finproc"})
    list_tags(stub, P99, {"Name": "ALB p99 latency", "App": "finproc", "Environment": "dev"})
    calls = record_requests(client)
    result, code = run(cloudwatch, monkeypatch, capsys, args(), diff=True)
    assert code == 0, result
    assert result["changed"] is False
    assert writes(calls) == []
    assert result["created"] == result["updated"] == result["deleted"] == []
    assert result["diff"] == {"before": {}, "after": {}}
    assert [alarm["alarm_name"] for alarm in result["alarms"]] == [LATENCY, P99]
    assert result["alarms"][0]["tags"] == TAGS
    assert result["alarms"][0]["threshold"] == 900.0


def test_only_the_alarm_whose_threshold_changed_is_put_without_tags(cloudwatch, monkeypatch, capsys):
    client, stub = cloudwatch
    describe(stub, [latency_described(Threshold=600.0), p99_described()], by_names(LATENCY, P99))
    list_tags(stub, LATENCY, TAGS)
    list_tags(stub, P99, dict(TAGS, Name="ALB p99 latency"))
    stub.add_response("put_metric_alarm", {}, latency_put())
    describe(stub, [latency_described()], by_names(LATENCY))
    calls = record_requests(client)
    result, code = run(cloudwatch, monkeypatch, capsys, args(), diff=True)
    assert code == 0, result
    assert result["changed"] is True
    assert result["updated"] == [LATENCY]
    assert result["created"] == [] and result["deleted"] == []
    assert [call[0] for call in writes(calls)] == ["PutMetricAlarm"]
    assert "Tags" not in writes(calls)[0][1]
    assert list(result["diff"]["before"]) == [LATENCY]
    assert result["diff"]["before"][LATENCY]["threshold"] == 600.0
    assert result["diff"]["after"][LATENCY]["threshold"] == 900.0
    assert result["alarms"][0]["threshold"] == 900.0
    assert result["alarms"][1]["alarm_name"] == P99


@pytest.mark.parametrize(
    "described, put",
    [
        (latency_described(Dimensions=[{"Name": "RuleId", "Value": "ledger-to-dr"}]), latency_put()),
        (latency_described(AlarmActions=[TOPIC]), latency_put()),
        (latency_described(Statistic="Average"), latency_put()),
        (latency_described(TreatMissingData="breaching"), latency_put()),
        (latency_described(Unit="Seconds"), latency_put()),
        (latency_described(ActionsEnabled=False), latency_put()),
        (latency_described(AlarmDescription="old"), latency_put()),
        (latency_described(Period=60), latency_put()),
        (latency_described(ComparisonOperator="GreaterThanThreshold"), latency_put()),
    ],
    ids=["dimension", "actions", "statistic", "missing-data", "unit", "actions-enabled", "description", "period", "op"],
)
def test_each_field_is_compared(cloudwatch, monkeypatch, capsys, described, put):
    client, stub = cloudwatch
    describe(stub, [described], by_names(LATENCY))
    list_tags(stub, LATENCY, {})
    stub.add_response("put_metric_alarm", {}, put)
    describe(stub, [latency_described()], by_names(LATENCY))
    result, code = run(cloudwatch, monkeypatch, capsys, args(latency_args(), tags=None))
    assert code == 0, result
    assert result["updated"] == [LATENCY]


def test_an_extended_statistic_replaces_the_statistic(cloudwatch, monkeypatch, capsys):
    client, stub = cloudwatch
    describe(stub, [latency_described()], by_names(LATENCY))
    list_tags(stub, LATENCY, TAGS)
    put = latency_put(ExtendedStatistic="p90")
    del put["Statistic"]
    stub.add_response("put_metric_alarm", {}, put)
    describe(stub, [latency_described()], by_names(LATENCY))
    alarm = latency_args(statistic=None, extended_statistic="p90")
    result, code = run(cloudwatch, monkeypatch, capsys, args(alarm), diff=True)
    assert code == 0, result
    assert result["diff"]["before"][LATENCY]["statistic"] == "Maximum"
    assert result["diff"]["after"][LATENCY]["extended_statistic"] == "p90"


# -- tags --------------------------------------------------------------------------------------------
def test_tag_drift_is_fixed_with_untag_and_tag_only(cloudwatch, monkeypatch, capsys):
    client, stub = cloudwatch
    describe(stub, [latency_described(), p99_described()], by_names(LATENCY, P99))
    list_tags(stub, LATENCY, TAGS)
    list_tags(stub, P99, {"App": "finproc", "Environment": "test", "Name": "ALB p99 latency", "Owner": "someone"})
    stub.add_response("untag_resource", {}, {"ResourceARN": ACCOUNT_ARN + P99, "TagKeys": ["Owner"]})
    stub.add_response(
        "tag_resource", {}, {"ResourceARN": ACCOUNT_ARN + P99, "Tags": [{"Key": "Environment", "Value": "dev"}]}
    )
    calls = record_requests(client)
    result, code = run(cloudwatch, monkeypatch, capsys, args(), diff=True)
    assert code == 0, result
    assert result["changed"] is True
    assert result["updated"] == [P99]
    assert [call[0] for call in writes(calls)] == ["UntagResource", "TagResource"]
    assert result["alarms"][1]["tags"] == {"App": "finproc", "Environment": "dev", "Name": "ALB p99 latency"}
    assert result["diff"]["before"][P99]["tags"]["Owner"] == "someone"
    assert "Owner" not in result["diff"]["after"][P99]["tags"]
    assert list(result["diff"]["after"]) == [P99]


def test_purge_tags_false_keeps_the_other_tags(cloudwatch, monkeypatch, capsys):
    client, stub = cloudwatch
    describe(stub, [latency_described()], by_names(LATENCY))
    list_tags(stub, LATENCY, {"App": "finproc", "Owner": "someone"})
    stub.add_response(
        "tag_resource", {}, {"ResourceARN": ACCOUNT_ARN + LATENCY, "Tags": [{"Key": "Environment", "Value": "dev"}]}
    )
    result, code = run(cloudwatch, monkeypatch, capsys, args(latency_args(), purge_tags=False))
    assert code == 0, result
    assert result["alarms"][0]["tags"] == {"App": "finproc", "Owner": "someone", "Environment": "dev"}


def test_without_any_tags_option_the_tags_are_left_alone(cloudwatch, monkeypatch, capsys):
    client, stub = cloudwatch
    describe(stub, [latency_described()], by_names(LATENCY))
    list_tags(stub, LATENCY, {"Owner": "someone"})
    result, code = run(cloudwatch, monkeypatch, capsys, args(latency_args(), tags=None))
    assert code == 0, result
    assert result["changed"] is False
    assert result["alarms"][0]["tags"] == {"Owner": "someone"}


def test_an_alarm_without_tags_and_no_module_tags_is_created_without_tags(cloudwatch, monkeypatch, capsys):
    client, stub = cloudwatch
    describe(stub, [], by_names(LATENCY))
    stub.add_response("put_metric_alarm", {}, latency_put())
    describe(stub, [latency_described()], by_names(LATENCY))
    result, code = run(cloudwatch, monkeypatch, capsys, args(latency_args(), tags=None))
    assert code == 0, result
    assert result["alarms"][0]["tags"] == {}


def test_alarm_tags_win_over_module_tags(cloudwatch, monkeypatch, capsys):
    client, stub = cloudwatch
    describe(stub, [], by_names(LATENCY))
    stub.add_response(
        "put_metric_alarm", {}, latency_put(Tags=tag_list({"App": "finproc", "CostCentre": "42", "Environment": "x"}))
    )
    describe(stub, [latency_described()], by_names(LATENCY))
    alarm = latency_args(tags={"Environment": "x", "CostCentre": 42})
    result, code = run(cloudwatch, monkeypatch, capsys, args(alarm))
    assert code == 0, result
    assert result["alarms"][0]["tags"] == {"App": "finproc", "CostCentre": "42", "Environment": "x"}


# -- purge_prefix and absent -------------------------------------------------------------------------
def test_purge_prefix_deletes_a_stray_alarm_but_not_one_outside_the_prefix(cloudwatch, monkeypatch, capsys):
    client, stub = cloudwatch
    outside = latency_described(AlarmName="finproc-dev-other", AlarmArn=ACCOUNT_ARN + "finproc-dev-other")
    # An endpoint that replied with an alarm outside the prefix: it must not be deleted anyway.
    describe(stub, [latency_described(), outside, stray_described()], by_prefix())
    list_tags(stub, LATENCY, TAGS)
    stub.add_response("put_metric_alarm", {}, p99_put(Tags=tag_list(dict(TAGS, Name="ALB p99 latency"))))
    stub.add_response("delete_alarms", {}, {"AlarmNames": [STRAY]})
    describe(stub, [p99_described()], by_names(P99))
    result, code = run(cloudwatch, monkeypatch, capsys, args(purge_prefix=PREFIX), diff=True)
    assert code == 0, result
    assert result["changed"] is True
    assert result["created"] == [P99]
    assert result["deleted"] == [STRAY]
    assert result["diff"]["before"][STRAY]["metric_name"] == "HealthCheckStatus"
    assert STRAY not in result["diff"]["after"]
    assert [alarm["alarm_name"] for alarm in result["alarms"]] == [LATENCY, P99]


def test_purge_prefix_with_nothing_stray_is_no_change(cloudwatch, monkeypatch, capsys):
    client, stub = cloudwatch
    describe(stub, [latency_described()], by_prefix())
    list_tags(stub, LATENCY, TAGS)
    result, code = run(cloudwatch, monkeypatch, capsys, args(latency_args(), purge_prefix=PREFIX))
    assert code == 0, result
    assert result["changed"] is False


def test_without_purge_prefix_nothing_else_is_deleted(cloudwatch, monkeypatch, capsys):
    client, stub = cloudwatch
    describe(stub, [latency_described()], by_names(LATENCY))
    list_tags(stub, LATENCY, TAGS)
    calls = record_requests(client)
    result, code = run(cloudwatch, monkeypatch, capsys, args(latency_args()))
    assert code == 0, result
    assert calls[0][1] == by_names(LATENCY)
    assert result["deleted"] == []


def test_absent_deletes_the_named_alarms_that_exist(cloudwatch, monkeypatch, capsys):
    client, stub = cloudwatch
    describe(stub, [latency_described()], by_names(LATENCY, P99))
    stub.add_response("delete_alarms", {}, {"AlarmNames": [LATENCY]})
    result, code = run(cloudwatch, monkeypatch, capsys, args(state="absent"), diff=True)
    assert code == 0, result
    assert result["changed"] is True
    assert result["deleted"] == [LATENCY]
    assert result["alarms"] == []
    assert result["diff"]["after"] == {}
    assert list(result["diff"]["before"]) == [LATENCY]


def test_absent_with_purge_prefix_deletes_every_alarm_of_the_prefix(cloudwatch, monkeypatch, capsys):
    client, stub = cloudwatch
    describe(stub, [latency_described(), stray_described()], by_prefix())
    stub.add_response("delete_alarms", {}, {"AlarmNames": [STRAY, LATENCY]})
    result, code = run(cloudwatch, monkeypatch, capsys, {"alarms": [], "purge_prefix": PREFIX, "state": "absent"})
    assert code == 0, result
    assert result["deleted"] == [STRAY, LATENCY]


def test_absent_of_alarms_that_do_not_exist_is_no_change(cloudwatch, monkeypatch, capsys):
    client, stub = cloudwatch
    describe(stub, [], by_names(LATENCY))
    calls = record_requests(client)
    result, code = run(cloudwatch, monkeypatch, capsys, {"alarms": [{"name": LATENCY}], "state": "absent"})
    assert code == 0, result
    assert result["changed"] is False
    assert writes(calls) == []


def test_absent_tolerates_an_alarm_deleted_meanwhile(cloudwatch, monkeypatch, capsys):
    client, stub = cloudwatch
    describe(stub, [latency_described()], by_names(LATENCY))
    stub.add_client_error(
        "delete_alarms", "ResourceNotFound", "not found", 404, expected_params={"AlarmNames": [LATENCY]}
    )
    result, code = run(cloudwatch, monkeypatch, capsys, {"alarms": [{"name": LATENCY}], "state": "absent"})
    assert code == 0, result
    assert result["changed"] is True


# -- check mode --------------------------------------------------------------------------------------
def test_check_mode_create_update_delete_writes_nothing(cloudwatch, monkeypatch, capsys):
    client, stub = cloudwatch
    describe(stub, [latency_described(Threshold=600.0), stray_described()], by_prefix())
    list_tags(stub, LATENCY, {"App": "finproc"})
    calls = record_requests(client)
    result, code = run(cloudwatch, monkeypatch, capsys, args(purge_prefix=PREFIX), check_mode=True, diff=True)
    assert code == 0, result
    assert writes(calls) == []
    assert result["changed"] is True
    assert result["created"] == [P99]
    assert result["updated"] == [LATENCY]
    assert result["deleted"] == [STRAY]
    diff = result["diff"]
    assert sorted(diff["before"]) == [STRAY, LATENCY]
    assert sorted(diff["after"]) == [P99, LATENCY]
    assert diff["before"][LATENCY]["threshold"] == 600.0 and diff["after"][LATENCY]["threshold"] == 900.0
    assert diff["before"][LATENCY]["tags"] == {"App": "finproc"}
    assert diff["after"][LATENCY]["tags"] == TAGS
    assert diff["after"][P99]["tags"] == dict(TAGS, Name="ALB p99 latency")
    # The alarms as they are: the one to be created is missing, the updated one has its old threshold.
    assert [alarm["alarm_name"] for alarm in result["alarms"]] == [LATENCY]
    assert result["alarms"][0]["threshold"] == 600.0
    assert result["alarms"][0]["tags"] == {"App": "finproc"}


def test_check_mode_of_a_converged_set_is_no_change(cloudwatch, monkeypatch, capsys):
    client, stub = cloudwatch
    describe(stub, [latency_described()], by_prefix())
    list_tags(stub, LATENCY, TAGS)
    result, code = run(cloudwatch, monkeypatch, capsys, args(latency_args(), purge_prefix=PREFIX), check_mode=True)
    assert code == 0, result
    assert result["changed"] is False


def test_check_mode_absent_deletes_nothing(cloudwatch, monkeypatch, capsys):
    client, stub = cloudwatch
    describe(stub, [latency_described()], by_names(LATENCY))
    calls = record_requests(client)
    result, code = run(
        cloudwatch, monkeypatch, capsys, {"alarms": [{"name": LATENCY}], "state": "absent"}, check_mode=True, diff=True
    )
    assert code == 0, result
    assert writes(calls) == []
    assert result["changed"] is True
    assert result["deleted"] == [LATENCY]
    assert list(result["diff"]["before"]) == [LATENCY]


# -- DatapointsToAlarm -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "given, described, put",
    [
        (None, None, None),  # neither: no change
        (None, 3, None),  # AWS holds it equal to evaluation_periods: no change
        (3, None, None),  # given equal to evaluation_periods, AWS holds none: no change
        (3, 3, None),
        (2, None, 2),  # M out of N: written
        (2, 3, 2),
        (None, 2, "unset"),  # AWS holds 2 of 3, the option wants 3 of 3: written without it
    ],
)
def test_datapoints_to_alarm_defaults_to_evaluation_periods(cloudwatch, monkeypatch, capsys, given, described, put):
    client, stub = cloudwatch
    current = latency_described()
    if described is not None:
        current["DatapointsToAlarm"] = described
    describe(stub, [current], by_names(LATENCY))
    list_tags(stub, LATENCY, TAGS)
    if put is not None:
        stub.add_response(
            "put_metric_alarm", {}, latency_put() if put == "unset" else latency_put(DatapointsToAlarm=put)
        )
        describe(stub, [latency_described()], by_names(LATENCY))
    result, code = run(cloudwatch, monkeypatch, capsys, args(latency_args(datapoints_to_alarm=given)))
    assert code == 0, result
    assert result["changed"] is (put is not None)


# -- paging and chunks -------------------------------------------------------------------------------
def test_describe_alarms_is_read_to_the_last_page(cloudwatch, monkeypatch, capsys):
    client, stub = cloudwatch
    stub.add_response("describe_alarms", {"MetricAlarms": [latency_described()], "NextToken": "page-2"}, by_prefix())
    stub.add_response("describe_alarms", {"MetricAlarms": [p99_described()]}, dict(by_prefix(), NextToken="page-2"))
    list_tags(stub, LATENCY, TAGS)
    list_tags(stub, P99, dict(TAGS, Name="ALB p99 latency"))
    result, code = run(cloudwatch, monkeypatch, capsys, args(purge_prefix=PREFIX))
    assert code == 0, result
    assert result["changed"] is False
    assert [alarm["alarm_name"] for alarm in result["alarms"]] == [LATENCY, P99]


def test_names_are_described_and_deleted_100_at_a_time(cloudwatch, monkeypatch, capsys):
    client, stub = cloudwatch
    names = ["%salarm-%03d" % (PREFIX, i) for i in range(150)]
    described = [latency_described(AlarmName=name, AlarmArn=ACCOUNT_ARN + name) for name in names]
    describe(stub, described[:100], by_names(*names[:100]))
    describe(stub, described[100:], by_names(*names[100:]))
    stub.add_response("delete_alarms", {}, {"AlarmNames": names[:100]})
    stub.add_response("delete_alarms", {}, {"AlarmNames": names[100:]})
    result, code = run(cloudwatch, monkeypatch, capsys, {"alarms": [{"name": n} for n in names], "state": "absent"})
    assert code == 0, result
    assert result["deleted"] == names


# -- validation --------------------------------------------------------------------------------------
def without(alarm, *fields):
    alarm = copy.deepcopy(alarm)
    for field in fields:
        del alarm[field]
    return alarm


INVALID = [
    ({"alarms": [without(latency_args(), "metric_name")]}, "alarm %s: metric_name is required" % LATENCY),
    ({"alarms": [without(latency_args(), "namespace")]}, "alarm %s: namespace is required" % LATENCY),
    ({"alarms": [without(latency_args(), "threshold")]}, "alarm %s: threshold is required" % LATENCY),
    (
        {"alarms": [without(latency_args(), "statistic")]},
        "alarm %s: exactly one of statistic and extended_statistic is required" % LATENCY,
    ),
    (
        {"alarms": [latency_args(extended_statistic="p99")]},
        "alarm %s: exactly one of statistic and extended_statistic is required" % LATENCY,
    ),
    ({"alarms": [latency_args(statistic="Median")]}, "alarm %s: statistic Median is not one of" % LATENCY),
    ({"alarms": [latency_args(comparison="GreaterThan")]}, "alarm %s: comparison GreaterThan is not one of" % LATENCY),
    ({"alarms": [latency_args(treat_missing_data="zero")]}, "alarm %s: treat_missing_data zero is not one" % LATENCY),
    ({"alarms": [latency_args(unit="Hours")]}, "alarm %s: unit Hours is not a CloudWatch unit" % LATENCY),
    ({"alarms": [latency_args(period=0)]}, "alarm %s: period must be positive (got 0)" % LATENCY),
    ({"alarms": [latency_args(period=-60)]}, "alarm %s: period must be positive (got -60)" % LATENCY),
    ({"alarms": [latency_args(period=45)]}, "alarm %s: period must be 10, 20, 30 or a multiple of 60" % LATENCY),
    ({"alarms": [latency_args(evaluation_periods=0)]}, "alarm %s: evaluation_periods must be positive" % LATENCY),
    (
        {"alarms": [latency_args(datapoints_to_alarm=4)]},
        "alarm %s: evaluation_periods (3) must be at least datapoints_to_alarm (4)" % LATENCY,
    ),
    ({"alarms": [latency_args(datapoints_to_alarm=0)]}, "alarm %s: datapoints_to_alarm must be positive" % LATENCY),
    (
        {"alarms": [latency_args(period=60, evaluation_periods=1441)]},
        "alarm %s: period x evaluation_periods (86460 s) exceeds 86400 s" % LATENCY,
    ),
    (
        {"alarms": [latency_args(alarm_actions=[TOPIC + str(i) for i in range(6)])]},
        "alarm %s: more than 5 alarm_actions" % LATENCY,
    ),
    ({"alarms": [latency_args(), latency_args()]}, "alarm %s: the name is given more than once" % LATENCY),
    (
        {"alarms": [latency_args()], "purge_prefix": "finproc-prod-"},
        "alarm %s: the name does not start with purge_prefix finproc-prod-" % LATENCY,
    ),
    (
        {"alarms": [{"name": LATENCY}], "purge_prefix": "finproc-prod-", "state": "absent"},
        "alarm %s: the name does not start with purge_prefix finproc-prod-" % LATENCY,
    ),
    ({"alarms": [], "purge_prefix": ""}, "purge_prefix may not be empty"),
]


@pytest.mark.parametrize("module_args, message", INVALID)
def test_invalid_alarms_fail_before_any_request(cloudwatch, monkeypatch, capsys, module_args, message):
    client, stub = cloudwatch  # no reply queued: any request would fail the test
    calls = record_requests(client)
    result, code = run(cloudwatch, monkeypatch, capsys, module_args)
    assert code == 1
    assert result["failed"] is True
    assert message in result["msg"]
    assert result["msg"].startswith("Invalid alarms: ")
    assert calls == []


def test_every_problem_is_reported_at_once(cloudwatch, monkeypatch, capsys):
    client, stub = cloudwatch
    module_args = {"alarms": [without(latency_args(), "metric_name"), p99_args(comparison="Bigger", period=0)]}
    result, code = run(cloudwatch, monkeypatch, capsys, module_args)
    assert code == 1
    assert result["problems"] == [
        "alarm %s: metric_name is required" % LATENCY,
        "alarm %s: comparison Bigger is not one of %s" % (P99, ", ".join(cloudwatch_metric_alarms.COMPARISONS)),
        "alarm %s: period must be positive (got 0)" % P99,
    ]


def test_absent_needs_only_the_names(cloudwatch, monkeypatch, capsys):
    client, stub = cloudwatch
    describe(stub, [], by_names(LATENCY))
    result, code = run(cloudwatch, monkeypatch, capsys, {"alarms": [{"name": LATENCY}], "state": "absent"})
    assert code == 0, result


# -- API errors --------------------------------------------------------------------------------------
def test_a_refused_put_fails_naming_the_alarm(cloudwatch, monkeypatch, capsys):
    client, stub = cloudwatch
    describe(stub, [], by_names(LATENCY))
    stub.add_client_error(
        "put_metric_alarm", "LimitExceeded", "too many alarms", 400, expected_params=latency_put(Tags=tag_list(TAGS))
    )
    result, code = run(cloudwatch, monkeypatch, capsys, args(latency_args()))
    assert code == 1
    assert "PutMetricAlarm failed for alarm %s" % LATENCY in result["msg"]
    assert result["error"]["code"] == "LimitExceeded"


def test_a_concurrent_tag_modification_is_retried(cloudwatch, monkeypatch, capsys):
    client, stub = cloudwatch
    monkeypatch.setattr("time.sleep", lambda s: None)
    request = {"ResourceARN": ACCOUNT_ARN + LATENCY, "Tags": [{"Key": "Environment", "Value": "dev"}]}
    describe(stub, [latency_described()], by_names(LATENCY))
    list_tags(stub, LATENCY, {"App": "finproc"})
    stub.add_client_error("tag_resource", "ConcurrentModificationException", "again", 429, expected_params=request)
    stub.add_response("tag_resource", {}, request)
    result, code = run(cloudwatch, monkeypatch, capsys, args(latency_args()))
    assert code == 0, result
    assert result["updated"] == [LATENCY]


def test_a_refused_describe_fails_naming_the_prefix(cloudwatch, monkeypatch, capsys):
    client, stub = cloudwatch
    stub.add_client_error("describe_alarms", "AccessDenied", "no", 403, expected_params=by_prefix())
    result, code = run(cloudwatch, monkeypatch, capsys, args(purge_prefix=PREFIX))
    assert code == 1
    assert result["msg"].startswith("DescribeAlarms failed for the alarms with the prefix %s in us-east-2" % PREFIX)
    assert result["error"]["code"] == "AccessDenied"
