#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: finproc.dr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: cloudwatch_metric_alarms
version_added: 0.1.0
short_description: Manage a set of CloudWatch metric alarms of a region, with their tags, in one run
description:
  - Creates, updates or deletes the CloudWatch metric alarms given in I(alarms), in I(region), with
    their tags, in one module run; with I(purge_prefix), also deletes the other metric alarms whose
    names start with that prefix.
  - amazon.aws.cloudwatch_metric_alarm manages one alarm per task and cannot tag alarms, so a role
    with ten alarms per region needs twenty tasks (each about a second). This module reads every
    alarm of the set with one paginated DescribeAlarms (by I(purge_prefix) when given, else by the
    names, 100 at a time) and one ListTagsForResource per existing alarm, then writes only what
    differs.
  - Each alarm is compared with what DescribeAlarms reports, field by field (dimensions as a set,
    action lists in any order, the threshold as a number, an unset C(DatapointsToAlarm) as
    I(evaluation_periods), an unset C(TreatMissingData) as C(missing), an unset description as
    empty). An alarm that differs gets one PutMetricAlarm with its whole configuration (which
    replaces the alarm's configuration, keeping its tags and its history).
  - A new alarm gets its tags with PutMetricAlarm. PutMetricAlarm ignores tags when it updates an
    alarm, so the tags of an existing alarm are changed with UntagResource and TagResource.
  - Alarms are deleted with DeleteAlarms, 100 at a time.
  - Only alarms on one metric with a static threshold are managed. Metric-math alarms (C(Metrics)),
    anomaly-detection alarms (C(ThresholdMetricId)), composite alarms and log alarms are out of
    scope. C(EvaluateLowSampleCountPercentile) is neither set nor compared (a PutMetricAlarm of
    this module resets it).
  - Every alarm is validated before any AWS call; all problems are reported at once, each naming the
    alarm and the field.
author:
  - finproc.dr maintainers (@finproc)
options:
  alarms:
    description:
      - The metric alarms. Their names must be unique.
      - With I(state=absent), only I(name) is used.
      - May be empty, with I(purge_prefix) to delete every alarm with that prefix.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description:
          - The alarm's name, unique in the region; 1 to 255 characters.
          - With I(purge_prefix), it must start with I(purge_prefix).
        type: str
        required: true
      description:
        description: The alarm's description; at most 1024 characters.
        type: str
        default: ''
      namespace:
        description: The namespace of the metric, for example C(AWS/Route53). Required with I(state=present).
        type: str
      metric_name:
        description: The name of the metric. Required with I(state=present).
        type: str
      dimensions:
        description:
          - The dimensions of the metric, name to value (at most 30). Values are compared as text.
        type: dict
      statistic:
        description:
          - The statistic of the metric, one of C(SampleCount), C(Average), C(Sum), C(Minimum) and
            C(Maximum).
          - Exactly one of I(statistic) and I(extended_statistic) is required with I(state=present).
        type: str
      extended_statistic:
        description:
          - A percentile or other extended statistic, for example C(p99) or C(tm90).
          - Exactly one of I(statistic) and I(extended_statistic) is required with I(state=present).
        type: str
      period:
        description:
          - The length in seconds of each evaluation of the metric. Required with I(state=present).
          - C(10), C(20), C(30) (high resolution) or a multiple of C(60).
          - I(period) x I(evaluation_periods) may not exceed a day when I(period) is shorter than an
            hour, and seven days otherwise.
        type: int
      evaluation_periods:
        description: The number of periods evaluated (the N of "M out of N"). Required with I(state=present).
        type: int
      datapoints_to_alarm:
        description:
          - The number of breaching data points that trigger the alarm (the M of "M out of N"); at most
            I(evaluation_periods).
          - Not given, it is I(evaluation_periods), as for AWS (which then leaves C(DatapointsToAlarm) unset).
        type: int
      threshold:
        description: The value the statistic is compared with. Required with I(state=present).
        type: float
      comparison:
        description:
          - How the statistic is compared with I(threshold), one of C(GreaterThanThreshold),
            C(GreaterThanOrEqualToThreshold), C(LessThanThreshold) and C(LessThanOrEqualToThreshold).
          - Required with I(state=present).
        type: str
      treat_missing_data:
        description:
          - How missing data points are treated, one of C(breaching), C(notBreaching), C(ignore) and
            C(missing).
          - Alarms on C(AWS/DynamoDB) metrics always ignore missing data, whatever this says.
        type: str
        default: missing
      unit:
        description:
          - The unit of the metric, as CloudWatch names it (C(Seconds), C(Percent), C(Count),
            C(Bytes/Second), ...). Not given, the alarm has none.
        type: str
      alarm_actions:
        description: The ARNs of the actions (SNS topics, ...) run when the alarm goes to C(ALARM); at most 5.
        type: list
        elements: str
        default: []
      ok_actions:
        description: The ARNs of the actions run when the alarm goes to C(OK); at most 5.
        type: list
        elements: str
        default: []
      insufficient_data_actions:
        description: The ARNs of the actions run when the alarm goes to C(INSUFFICIENT_DATA); at most 5.
        type: list
        elements: str
        default: []
      actions_enabled:
        description: Whether the actions run on state changes.
        type: bool
        default: true
      tags:
        description:
          - Tags of this alarm, merged over the module's I(tags) (this alarm's value wins).
        type: dict
  tags:
    description:
      - Tags every alarm of I(alarms) should have (each alarm's I(tags) are merged over them).
      - When neither this nor an alarm's I(tags) is given, that alarm's tags are not changed.
    type: dict
    aliases: ['resource_tags']
  purge_tags:
    description:
      - Whether an alarm's tags that are neither in I(tags) nor in the alarm's I(tags) are removed
        (except C(aws:) tags). Ignored for an alarm when neither is given.
    type: bool
    default: true
  purge_prefix:
    description:
      - A prefix of alarm names owned by this task. The metric alarms whose names start with it and
        that are not in I(alarms) are deleted (for example those of a region that was removed).
      - Every name in I(alarms) must start with it; it may not be empty.
      - Not given, no alarm outside I(alarms) is touched.
      - Composite alarms with the prefix are not touched.
    type: str
  state:
    description:
      - C(present) creates or updates the alarms of I(alarms) (and deletes the other alarms with
        I(purge_prefix)).
      - C(absent) deletes the alarms of I(alarms) (and, with I(purge_prefix), every metric alarm
        with the prefix).
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - finproc.dr.aws
notes:
  - Check mode is supported; no write is made, C(changed), I(created), I(updated) and I(deleted) say
    what a run would do.
  - Diff mode reports, for each alarm that changes, its settings (with the option names of this
    module) and its tags before and after. The tags of an alarm that is deleted are not read, so its
    C(before) has no tags.
  - Needs C(cloudwatch:DescribeAlarms), C(cloudwatch:PutMetricAlarm), C(cloudwatch:DeleteAlarms),
    C(cloudwatch:ListTagsForResource), C(cloudwatch:TagResource) and C(cloudwatch:UntagResource).
"""

EXAMPLES = r"""
- name: The replication alarms of a region, tagged, with those of removed regions deleted
  finproc.dr.cloudwatch_metric_alarms:
    region: us-east-2
    purge_prefix: finproc-prod-dr-
    tags:
      App: finproc
      Environment: prod
    alarms:
      - name: finproc-prod-dr-ledger-replication-latency
        description: S3 replication of the ledger bucket is late
        namespace: AWS/S3
        metric_name: ReplicationLatency
        dimensions:
          SourceBucket: finproc-prod-ledger-us-east-2
          DestinationBucket: finproc-prod-ledger-us-west-2
          RuleId: ledger-to-dr
        statistic: Maximum
        comparison: GreaterThanOrEqualToThreshold
        threshold: 900
        period: 300
        evaluation_periods: 3
        datapoints_to_alarm: 2
        alarm_actions: [arn:aws:sns:us-east-2:123456789012:finproc-prod-dr-alerts]
        ok_actions: [arn:aws:sns:us-east-2:123456789012:finproc-prod-dr-alerts]
      - name: finproc-prod-dr-alb-latency-p99
        namespace: AWS/ApplicationELB
        metric_name: TargetResponseTime
        dimensions:
          LoadBalancer: app/finproc-prod/0123456789abcdef
        extended_statistic: p99
        comparison: GreaterThanThreshold
        threshold: 1.5
        unit: Seconds
        period: 60
        evaluation_periods: 5
        treat_missing_data: notBreaching
        alarm_actions: [arn:aws:sns:us-east-2:123456789012:finproc-prod-dr-alerts]
        tags:
          Name: ALB p99 latency
  register: dr_alarms

- name: Remove every alarm of the prefix (a region taken out of the stack)
  finproc.dr.cloudwatch_metric_alarms:
    region: us-west-2
    alarms: []
    purge_prefix: finproc-prod-dr-
    state: absent
"""

RETURN = r"""
alarms:
  description:
    - The alarms of I(alarms) as DescribeAlarms describes them after the run (keys in snake case), in
      the order of I(alarms), each with its tags.
    - In check mode, the alarms as they are (an alarm that would be created is missing).
    - Empty with I(state=absent).
  returned: always
  type: list
  elements: dict
  contains:
    alarm_name:
      description: The alarm's name.
      type: str
      sample: finproc-prod-dr-ledger-replication-latency
    alarm_arn:
      description: The alarm's ARN.
      type: str
      sample: arn:aws:cloudwatch:us-east-2:123456789012:alarm:finproc-prod-dr-ledger-replication-latency
    alarm_description:
      description: The description.
      type: str
      sample: S3 replication of the ledger bucket is late
    namespace:
      description: The namespace of the metric.
      type: str
      sample: AWS/S3
    metric_name:
      description: The metric.
      type: str
      sample: ReplicationLatency
    dimensions:
      description: The dimensions of the metric.
      type: list
      elements: dict
      sample: [{"name": "RuleId", "value": "ledger-to-dr"}]
    statistic:
      description: The statistic, when the alarm has no extended statistic.
      type: str
      sample: Maximum
    extended_statistic:
      description: The extended statistic, when the alarm has one.
      type: str
      sample: p99
    period:
      description: The period in seconds.
      type: int
      sample: 300
    evaluation_periods:
      description: The number of periods evaluated.
      type: int
      sample: 3
    datapoints_to_alarm:
      description: The number of breaching data points that trigger the alarm, when it was set.
      type: int
      sample: 2
    threshold:
      description: The threshold.
      type: float
      sample: 900.0
    comparison_operator:
      description: The comparison.
      type: str
      sample: GreaterThanOrEqualToThreshold
    treat_missing_data:
      description: How missing data is treated, when it was set.
      type: str
      sample: missing
    actions_enabled:
      description: Whether the actions run.
      type: bool
      sample: true
    alarm_actions:
      description: The actions on C(ALARM).
      type: list
      elements: str
      sample: [arn:aws:sns:us-east-2:123456789012:finproc-prod-dr-alerts]
    ok_actions:
      description: The actions on C(OK).
      type: list
      elements: str
      sample: []
    insufficient_data_actions:
      description: The actions on C(INSUFFICIENT_DATA).
      type: list
      elements: str
      sample: []
    state_value:
      description: The alarm's state.
      type: str
      sample: OK
    tags:
      description: The alarm's tags.
      type: dict
      sample: {"App": "finproc", "Environment": "prod"}
created:
  description: The names of the alarms created (in check mode, that would be created).
  returned: always
  type: list
  elements: str
  sample: [finproc-prod-dr-alb-latency-p99]
updated:
  description:
    - The names of the existing alarms whose settings or tags were changed (in check mode, would be).
  returned: always
  type: list
  elements: str
  sample: [finproc-prod-dr-ledger-replication-latency]
deleted:
  description: The names of the alarms deleted (in check mode, that would be deleted).
  returned: always
  type: list
  elements: str
  sample: [finproc-prod-dr-eu-west-1-endpoint-unhealthy]
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list

from ansible_collections.finproc.dr.plugins.module_utils.client import aws_client
from ansible_collections.finproc.dr.plugins.module_utils.client import paginate_or_fail
from ansible_collections.finproc.dr.plugins.module_utils.errors import aws_call
from ansible_collections.finproc.dr.plugins.module_utils.results import exit_result
from ansible_collections.finproc.dr.plugins.module_utils.results import snake
from ansible_collections.finproc.dr.plugins.module_utils.tagging import apply_tags
from ansible_collections.finproc.dr.plugins.module_utils.tagging import plan_tags
from ansible_collections.finproc.dr.plugins.module_utils.tagging import read_tags
from ansible_collections.finproc.dr.plugins.module_utils.resource import resource_argument_spec

# DescribeAlarms (AlarmNames) and DeleteAlarms take at most 100 names.
CHUNK = 100

STATISTICS = ["SampleCount", "Average", "Sum", "Minimum", "Maximum"]
COMPARISONS = [
    "GreaterThanThreshold",
    "GreaterThanOrEqualToThreshold",
    "LessThanThreshold",
    "LessThanOrEqualToThreshold",
]
TREAT_MISSING_DATA = ["breaching", "notBreaching", "ignore", "missing"]
UNITS = [
    "Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes", "Terabytes",
    "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count", "Bytes/Second",
    "Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second", "Terabytes/Second", "Bits/Second",
    "Kilobits/Second", "Megabits/Second", "Gigabits/Second", "Terabits/Second", "Count/Second", "None",
]
ACTION_LISTS = (
    ("alarm_actions", "AlarmActions"),
    ("ok_actions", "OKActions"),
    ("insufficient_data_actions", "InsufficientDataActions"),
)
REQUIRED = ("namespace", "metric_name", "period", "evaluation_periods", "threshold", "comparison")
DAY = 86400
WEEK = 7 * DAY


def chunks(items):
    return [items[i:i + CHUNK] for i in range(0, len(items), CHUNK)]


# -- validation ------------------------------------------------------------------------------------
def alarm_problems(alarm, state):
    """What is wrong with one alarm of the options (as text naming the field)."""
    problems = []
    name = alarm["name"]
    if not 1 <= len(name) <= 255:
        problems.append("name must be 1 to 255 characters")
    if state == "absent":
        return problems
    for field in REQUIRED:
        if alarm[field] is None or alarm[field] == "":
            problems.append("%s is required" % field)
    if bool(alarm["statistic"]) == bool(alarm["extended_statistic"]):
        problems.append("exactly one of statistic and extended_statistic is required")
    if alarm["statistic"] and alarm["statistic"] not in STATISTICS:
        problems.append("statistic %s is not one of %s" % (alarm["statistic"], ", ".join(STATISTICS)))
    if alarm["comparison"] and alarm["comparison"] not in COMPARISONS:
        problems.append("comparison %s is not one of %s" % (alarm["comparison"], ", ".join(COMPARISONS)))
    if alarm["treat_missing_data"] not in TREAT_MISSING_DATA:
        problems.append(
            "treat_missing_data %s is not one of %s" % (alarm["treat_missing_data"], ", ".join(TREAT_MISSING_DATA))
        )
    if alarm["unit"] is not None and alarm["unit"] not in UNITS:
        problems.append("unit %s is not a CloudWatch unit (%s)" % (alarm["unit"], ", ".join(UNITS)))
    period, evaluation_periods, datapoints = alarm["period"], alarm["evaluation_periods"], alarm["datapoints_to_alarm"]
    if period is not None:
        if period <= 0:
            problems.append("period must be positive (got %d)" % period)
        elif period not in (10, 20, 30) and period % 60:
            problems.append("period must be 10, 20, 30 or a multiple of 60 (got %d)" % period)
    if evaluation_periods is not None and evaluation_periods <= 0:
        problems.append("evaluation_periods must be positive (got %d)" % evaluation_periods)
    if datapoints is not None:
        if datapoints <= 0:
            problems.append("datapoints_to_alarm must be positive (got %d)" % datapoints)
        elif evaluation_periods is not None and evaluation_periods < datapoints:
            problems.append(
                "evaluation_periods (%d) must be at least datapoints_to_alarm (%d)" % (evaluation_periods, datapoints)
            )
    if period and evaluation_periods and period > 0 and evaluation_periods > 0:
        limit = DAY if period < 3600 else WEEK
        if period * evaluation_periods > limit:
            problems.append(
                "period x evaluation_periods (%d s) exceeds %d s (%s)"
                % (period * evaluation_periods, limit, "a day, the limit for periods under an hour" if limit == DAY
                   else "seven days")
            )
    if len(alarm["description"] or "") > 1024:
        problems.append("description is longer than 1024 characters")
    if len(alarm["dimensions"] or {}) > 30:
        problems.append("more than 30 dimensions")
    for option in ("alarm_actions", "ok_actions", "insufficient_data_actions"):
        if len(set(alarm[option])) > 5:
            problems.append("more than 5 %s" % option)
    return problems


def validate(module):
    params = module.params
    problems = []
    if not module.region:
        problems.append("region is required")
    prefix = params["purge_prefix"]
    if prefix is not None and not prefix:
        problems.append("purge_prefix may not be empty (it would delete every metric alarm of the region)")
    seen = set()
    for index, alarm in enumerate(params["alarms"]):
        name = alarm["name"]
        label = "alarm %s" % name if name else "alarm #%d" % (index + 1)
        if name in seen:
            problems.append("%s: the name is given more than once" % label)
        seen.add(name)
        if prefix and not name.startswith(prefix):
            problems.append("%s: the name does not start with purge_prefix %s" % (label, prefix))
        problems.extend("%s: %s" % (label, problem) for problem in alarm_problems(alarm, params["state"]))
    if problems:
        module.fail_json(msg="Invalid alarms: " + "; ".join(problems), problems=problems)


# -- settings --------------------------------------------------------------------------------------
def wanted_settings(alarm):
    """An alarm of the options in the comparable form (the diff shows it)."""
    return {
        "description": alarm["description"] or "",
        "namespace": alarm["namespace"],
        "metric_name": alarm["metric_name"],
        "dimensions": dict(sorted((str(k), str(v)) for k, v in (alarm["dimensions"] or {}).items())),
        "statistic": alarm["statistic"] or None,
        "extended_statistic": alarm["extended_statistic"] or None,
        "period": alarm["period"],
        "evaluation_periods": alarm["evaluation_periods"],
        "datapoints_to_alarm": alarm["datapoints_to_alarm"] or alarm["evaluation_periods"],
        "threshold": float(alarm["threshold"]),
        "comparison": alarm["comparison"],
        "treat_missing_data": alarm["treat_missing_data"],
        "unit": alarm["unit"],
        "alarm_actions": sorted(set(alarm["alarm_actions"])),
        "ok_actions": sorted(set(alarm["ok_actions"])),
        "insufficient_data_actions": sorted(set(alarm["insufficient_data_actions"])),
        "actions_enabled": alarm["actions_enabled"],
    }


def described_settings(described):
    """An alarm as DescribeAlarms describes it, in the form of wanted_settings."""
    threshold = described.get("Threshold")
    settings = {
        "description": described.get("AlarmDescription") or "",
        "namespace": described.get("Namespace"),
        "metric_name": described.get("MetricName"),
        "dimensions": dict(sorted((d["Name"], d["Value"]) for d in described.get("Dimensions") or [])),
        "statistic": described.get("Statistic"),
        "extended_statistic": described.get("ExtendedStatistic"),
        "period": described.get("Period"),
        "evaluation_periods": described.get("EvaluationPeriods"),
        "datapoints_to_alarm": described.get("DatapointsToAlarm") or described.get("EvaluationPeriods"),
        "threshold": float(threshold) if threshold is not None else None,
        "comparison": described.get("ComparisonOperator"),
        "treat_missing_data": described.get("TreatMissingData") or "missing",
        "unit": described.get("Unit"),
    }
    for option, key in ACTION_LISTS:
        settings[option] = sorted(set(described.get(key) or []))
    settings["actions_enabled"] = described.get("ActionsEnabled", True)
    return settings


def wanted_tags(params, alarm):
    """The tags an alarm should have; None when its tags are not managed."""
    if params["tags"] is None and alarm["tags"] is None:
        return None
    tags = dict(params["tags"] or {})
    tags.update(alarm["tags"] or {})
    return dict((str(key), str(value)) for key, value in tags.items())


def put_request(alarm, settings, tags=None):
    request = {
        "AlarmName": alarm["name"],
        "AlarmDescription": settings["description"],
        "ActionsEnabled": settings["actions_enabled"],
        "Namespace": settings["namespace"],
        "MetricName": settings["metric_name"],
        "Dimensions": [{"Name": name, "Value": value} for name, value in settings["dimensions"].items()],
        "Period": settings["period"],
        "EvaluationPeriods": settings["evaluation_periods"],
        "Threshold": settings["threshold"],
        "ComparisonOperator": settings["comparison"],
        "TreatMissingData": settings["treat_missing_data"],
    }
    for option, key in ACTION_LISTS:
        request[key] = settings[option]
    if settings["statistic"] is not None:
        request["Statistic"] = settings["statistic"]
    else:
        request["ExtendedStatistic"] = settings["extended_statistic"]
    if alarm["datapoints_to_alarm"] is not None:
        request["DatapointsToAlarm"] = alarm["datapoints_to_alarm"]
    if settings["unit"] is not None:
        request["Unit"] = settings["unit"]
    if tags:
        request["Tags"] = ansible_dict_to_boto3_tag_list(dict(sorted(tags.items())))
    return request


def alarm_result(described, tags):
    result = snake(described)
    result["tags"] = tags
    return result


class Alarms(object):
    def __init__(self, module):
        self.module = module
        self.params = module.params
        # Two writers tagging the same alarm at once: ConcurrentModificationException, among the throttle
        # codes of the shared client.
        self.client = aws_client(module, "cloudwatch")

    # -- calls -----------------------------------------------------------------------------------
    def describe_alarms(self, what, **params):
        """Every metric alarm DescribeAlarms lists for `params` (all pages)."""
        return paginate_or_fail(self.module, self.client, "describe_alarms", "MetricAlarms", resource=what,
                                AlarmTypes=["MetricAlarm"], **params)

    def describe(self, names):
        """The metric alarms of the prefix or, without it, of `names`, by name."""
        prefix = self.params["purge_prefix"]
        if not prefix:
            return self.describe_names(names)
        described = self.describe_alarms("the alarms with the prefix %s" % prefix, AlarmNamePrefix=prefix)
        # Only names with the prefix, whatever the endpoint replies: nothing else may be deleted.
        return dict((alarm["AlarmName"], alarm) for alarm in described if alarm["AlarmName"].startswith(prefix))

    def describe_names(self, names):
        """The metric alarms of `names` (100 names a request), by name."""
        described = []
        for chunk in chunks(names):
            described.extend(self.describe_alarms("alarms %s" % ", ".join(chunk), AlarmNames=chunk))
        return dict((alarm["AlarmName"], alarm) for alarm in described)

    def put(self, request):
        aws_call(self.module, self.client.put_metric_alarm, "PutMetricAlarm", "alarm %s" % request["AlarmName"],
                 **request)

    def delete(self, names):
        for chunk in chunks(names):
            # An alarm gone meanwhile: CloudWatch still deletes the others.
            aws_call(self.module, self.client.delete_alarms, "DeleteAlarms", "alarms %s" % ", ".join(chunk),
                     ignore=("ResourceNotFound",), AlarmNames=chunk)

    # -- plan ------------------------------------------------------------------------------------
    def plan_present(self, described):
        """One entry per alarm of the options: what to write, and its settings before and after."""
        plans = []
        for alarm in self.params["alarms"]:
            name = alarm["name"]
            after = wanted_settings(alarm)
            tags = wanted_tags(self.params, alarm)
            current = described.get(name)
            if current is None:
                after["tags"] = tags or {}
                plans.append(dict(name=name, action="create", put=put_request(alarm, after, tags), after=after))
                continue
            before = described_settings(current)
            before["tags"] = read_tags(self.module, self.client, "cloudwatch", current["AlarmArn"], "alarm %s" % name)
            tag_plan = plan_tags(before["tags"], tags, purge=self.params["purge_tags"])
            after["tags"] = tag_plan.after
            put = put_request(alarm, after) if dict(before, tags=None) != dict(after, tags=None) else None
            action = "update" if put or tag_plan.changed else None
            plans.append(dict(name=name, action=action, put=put, tags=tag_plan, before=before, after=after))
        return plans

    # -- states ----------------------------------------------------------------------------------
    def present(self):
        names = [alarm["name"] for alarm in self.params["alarms"]]
        described = self.describe(names) if names or self.params["purge_prefix"] else {}
        plans = self.plan_present(described)
        strays = sorted(name for name in described if name not in names)

        before, after = {}, {}
        for plan in plans:
            if plan["action"] == "create":
                after[plan["name"]] = plan["after"]
            elif plan["action"] == "update":
                before[plan["name"]] = plan["before"]
                after[plan["name"]] = plan["after"]
        for name in strays:
            before[name] = described_settings(described[name])

        created = [plan["name"] for plan in plans if plan["action"] == "create"]
        updated = [plan["name"] for plan in plans if plan["action"] == "update"]
        changed = bool(created or updated or strays)

        if changed and not self.module.check_mode:
            for plan in plans:
                if plan.get("put"):
                    self.put(plan["put"])
                if plan["action"] == "update":
                    arn = described[plan["name"]]["AlarmArn"]
                    apply_tags(self.module, self.client, "cloudwatch", arn, plan["tags"], "alarm %s" % plan["name"])
            self.delete(strays)
            written = [plan["name"] for plan in plans if plan.get("put")]
            if written:
                described = dict(described, **self.describe_names(written))

        alarms = []
        for plan in plans:
            if plan["name"] not in described:
                if not self.module.check_mode:
                    self.module.warn("alarm %s was written, but DescribeAlarms does not list it yet" % plan["name"])
                continue  # in check mode, one that would be created
            tags = plan["before"]["tags"] if self.module.check_mode else plan["after"]["tags"]
            alarms.append(alarm_result(described[plan["name"]], tags))
        exit_result(self.module, changed, before, after, alarms=alarms, created=created, updated=updated,
                    deleted=strays)

    def absent(self):
        names = [alarm["name"] for alarm in self.params["alarms"]]
        described = self.describe(names) if names or self.params["purge_prefix"] else {}
        deleted = sorted(described)
        before = dict((name, described_settings(described[name])) for name in deleted)
        if deleted and not self.module.check_mode:
            self.delete(deleted)
        exit_result(self.module, bool(deleted), before, {}, alarms=[], created=[], updated=[], deleted=deleted)


def main():
    alarm_spec = dict(
        name=dict(type="str", required=True),
        description=dict(type="str", default=""),
        namespace=dict(type="str"),
        metric_name=dict(type="str"),
        dimensions=dict(type="dict"),
        statistic=dict(type="str"),
        extended_statistic=dict(type="str"),
        period=dict(type="int"),
        evaluation_periods=dict(type="int"),
        datapoints_to_alarm=dict(type="int"),
        threshold=dict(type="float"),
        comparison=dict(type="str"),
        treat_missing_data=dict(type="str", default="missing"),
        unit=dict(type="str"),
        alarm_actions=dict(type="list", elements="str", default=[]),
        ok_actions=dict(type="list", elements="str", default=[]),
        insufficient_data_actions=dict(type="list", elements="str", default=[]),
        actions_enabled=dict(type="bool", default=True),
        tags=dict(type="dict"),
    )
    argument_spec = resource_argument_spec(
        alarms=dict(type="list", elements="dict", required=True, options=alarm_spec),
        purge_prefix=dict(type="str"),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    validate(module)
    alarms = Alarms(module)
    if module.params["state"] == "present":
        alarms.present()
    else:
        alarms.absent()


if __name__ == "__main__":
    main()
