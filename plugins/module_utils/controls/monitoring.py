# -*- coding: utf-8 -*-
# Copyright: finproc.dr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Monitoring controls: the alarms and the topics they notify, the log groups, the health
monitor's function, schedule and role."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.finproc.dr.plugins.module_utils.controls.base import (
    as_list, condition_value, control, key_matches, policy_document, verdict)
from ansible_collections.finproc.dr.plugins.module_utils.client import paginate


def topic_problems(ctx, arn, region):
    s = ctx.stack
    attributes = s.topic_attributes(arn, region)
    if attributes is None:
        return ["topic %s not found" % arn]
    key = s.key(region)
    found = attributes.get("KmsMasterKeyId")
    if key is None:
        return ["no KMS key %s in %s to encrypt the topic" % (s.alias, region)]
    if not key_matches(found, key, s.alias):
        return ["topic encrypted with %s, wanted %s" % (found or "nothing", key["Arn"])]
    return []


def action_problems(alarms, topic_arn):
    problems = []
    for alarm in sorted(alarms, key=lambda a: a["AlarmName"]):
        wrong = []
        if alarm.get("AlarmActions") != [topic_arn]:
            wrong.append("AlarmActions %s" % (alarm.get("AlarmActions") or "empty"))
        if alarm.get("OKActions") != [topic_arn]:
            wrong.append("OKActions %s" % (alarm.get("OKActions") or "empty"))
        if not alarm.get("ActionsEnabled"):
            wrong.append("actions disabled")
        if wrong:
            problems.append("%s: %s" % (alarm["AlarmName"], ", ".join(wrong)))
    return problems


@control(
    "alarm-actions",
    "Alarms complete, notifying an encrypted topic on ALARM and OK",
    resource=lambda s: s.topic_arn(s.topic_name, s.region),
)
def alarm_actions(ctx):
    s = ctx.stack
    topic_arn = s.topic_arn(s.topic_name, s.region)
    yield ctx.guard(topic_arn, lambda: monitoring_alarm_actions(ctx, topic_arn))
    if s.is_primary:
        dns_topic = s.topic_arn(s.dns_topic_name, ctx.params["metrics_region"])
        yield ctx.guard(dns_topic, lambda: health_check_alarm_actions(ctx, dns_topic))


def monitoring_alarm_actions(ctx, topic_arn):
    s = ctx.stack
    alarms = s.monitoring_alarms()
    by_name = dict((a["AlarmName"], a) for a in alarms)
    wanted = ["self", "lambda-errors", "service-name"]
    wanted += ["endpoint-" + p["region"] for p in s.peers]
    wanted += ["replication-lag-" + region for region in s.other_regions]
    wanted += ["heartbeat-write"] if s.other_regions else []
    missing = [s.alarm_prefix + name for name in wanted if s.alarm_prefix + name not in by_name]
    problems = topic_problems(ctx, topic_arn, s.region)
    if missing:
        problems.append("missing alarms: %s" % ", ".join(missing))
    for region in s.other_regions:
        alarm = by_name.get(s.alarm_prefix + "replication-lag-" + region)
        if alarm is not None and alarm.get("Threshold") != ctx.params["rpo_target_seconds"]:
            problems.append("%s: threshold %s s, wanted the RPO target %d s" % (
                alarm["AlarmName"], alarm.get("Threshold"), ctx.params["rpo_target_seconds"]))
        # A lag that is not measured must raise the RPO alarm: CloudWatch user guide, "Configuring
        # how CloudWatch alarms treat missing data",
        # https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarms-and-missing-data.html:
        # with `missing` an alarm without data goes to INSUFFICIENT_DATA and notifies nobody.
        if alarm is not None and alarm.get("TreatMissingData", "missing") != "breaching":
            problems.append("%s: TreatMissingData %s, wanted breaching" % (
                alarm["AlarmName"], alarm.get("TreatMissingData", "missing")))
    problems.extend(action_problems(alarms, topic_arn))
    return verdict(topic_arn, problems, "%d alarms %s* notify the encrypted topic on ALARM and OK" % (
        len(alarms), s.alarm_prefix))


def health_check_alarm_actions(ctx, dns_topic):
    s = ctx.stack
    region = ctx.params["metrics_region"]
    names = ["%s-%s-endpoint-unhealthy" % (s.prefix, p["region"]) for p in s.peers]
    alarms = s.alarms_named(names, region)
    found = set(a["AlarmName"] for a in alarms)
    problems = topic_problems(ctx, dns_topic, region)
    missing = [name for name in names if name not in found]
    if missing:
        problems.append("missing alarms in %s: %s" % (region, ", ".join(missing)))
    problems.extend(action_problems(alarms, dns_topic))
    return verdict(dns_topic, problems, "%d health-check alarms in %s notify the encrypted topic on ALARM and OK" % (
        len(alarms), region))


@control("log-groups", "Log group encrypted with the region's key, retention as designed")
def log_groups(ctx):
    for name in ctx.stack.log_groups:
        yield ctx.guard(name, lambda name=name: log_group_entry(ctx, name))


def log_group_entry(ctx, name):
    s = ctx.stack
    days = s.log_group_retention[name]
    group = s.log_group(name)
    if group is None:
        return name, False, "log group %s not found in %s" % (name, s.region)
    key = s.need_key()
    problems = []
    if not key_matches(group.get("kmsKeyId"), key, s.alias):
        problems.append("encrypted with %s, wanted %s" % (group.get("kmsKeyId") or "the service key", key["Arn"]))
    if group.get("retentionInDays") != days:
        problems.append("retention %s, wanted %d days" % (
            "%s days" % group["retentionInDays"] if group.get("retentionInDays") else "never expire", days))
    return verdict(name, problems, "encrypted with %s, kept %d days" % (key["Arn"], days))


@control(
    "monitor-function",
    "Health monitor function active, encrypted, with its runtime, run on its schedule",
    resource=lambda s: s.function_name,
)
def monitor_function(ctx):
    s = ctx.stack
    config = s.need_function()["Configuration"]
    key = s.need_key()
    problems = []
    if config.get("State") != "Active":
        problems.append("state %s, wanted Active" % config.get("State"))
    runtime, schedule = ctx.params["monitor_runtime"], ctx.params["monitor_schedule_expression"]
    if config.get("Runtime") != runtime:
        problems.append("runtime %s, wanted %s" % (config.get("Runtime"), runtime))
    if not key_matches(config.get("KMSKeyArn"), key, s.alias):
        problems.append("environment encrypted with %s, wanted %s" % (
            config.get("KMSKeyArn") or "the AWS managed key", key["Arn"]))
    rule = s.rule()
    if rule is None:
        problems.append("no EventBridge rule %s" % s.rule_name)
    else:
        if rule.get("State") != "ENABLED":
            problems.append("rule %s %s, wanted ENABLED" % (s.rule_name, rule.get("State")))
        if rule.get("ScheduleExpression") != schedule:
            problems.append("rule %s runs %s, wanted %s"
                            % (s.rule_name, rule.get("ScheduleExpression"), schedule))
        targets = [t.get("Arn") for t in s.rule_targets()]
        if config["FunctionArn"] not in targets:
            problems.append("rule %s targets %s, not the function" % (s.rule_name, ", ".join(targets) or "nothing"))
    yield verdict(config["FunctionArn"], problems, "Active, %s, environment encrypted with %s, rule %s ENABLED %s"
                  % (runtime, key["Arn"], s.rule_name, schedule))


def statement_problems(ctx, policy_name, index, statement):
    name = "%s/%s" % (policy_name, statement.get("Sid") or "#%d" % (index + 1))
    if statement.get("Effect") != "Allow":
        return []
    problems = []
    actions = as_list(statement.get("Action"))
    resources = as_list(statement.get("Resource"))
    if "NotAction" in statement:
        problems.append("%s allows NotAction" % name)
    if "NotResource" in statement:
        problems.append("%s allows NotResource" % name)
    wildcards = [a for a in actions if "*" in a]
    if wildcards:
        problems.append("%s: wildcard action %s" % (name, ", ".join(wildcards)))
    if "*" in resources:
        namespace = condition_value(statement.get("Condition"), ("StringEquals",), "cloudwatch:namespace")
        if [a.lower() for a in actions] != ["cloudwatch:putmetricdata"]:
            problems.append("%s: resource * for %s" % (name, ", ".join(actions)))
        elif namespace != [ctx.params["monitoring_namespace"].lower()]:
            problems.append("%s: cloudwatch:PutMetricData on * without a StringEquals cloudwatch:namespace %s "
                            "condition" % (name, ctx.params["monitoring_namespace"]))
    return problems


@control("monitor-role-least-privilege", "Health monitor role is least privilege",
         resource=lambda s: s.function_name)
def monitor_role_least_privilege(ctx):
    s = ctx.stack
    function = s.function()
    if function is not None:
        role_name = function["Configuration"]["Role"].split("/")[-1]
    else:
        role_name = "%s-monitor-%s" % (s.prefix, s.region)
    iam = s.client("iam")
    try:
        policy_names = paginate(iam, "list_role_policies", RoleName=role_name)["PolicyNames"]
    except is_boto3_error_code("NoSuchEntity"):
        yield role_name, False, "role %s not found" % role_name
        return
    attached = paginate(iam, "list_attached_role_policies", RoleName=role_name)["AttachedPolicies"]
    problems = []
    if attached:
        problems.append("managed policies attached: %s" % ", ".join(p["PolicyArn"] for p in attached))
    for policy_name in policy_names:
        document = policy_document(iam.get_role_policy(
            aws_retry=True, RoleName=role_name, PolicyName=policy_name)["PolicyDocument"])
        for index, statement in enumerate(as_list(document.get("Statement"))):
            problems.extend(statement_problems(ctx, policy_name, index, statement))
    yield verdict(role_name, problems, "inline %s: no wildcard action, * only for cloudwatch:PutMetricData in %s; "
                  "no managed policy" % (", ".join(policy_names) or "none", ctx.params["monitoring_namespace"]))
