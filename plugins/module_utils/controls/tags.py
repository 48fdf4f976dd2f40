# -*- coding: utf-8 -*-
# Copyright: finproc.dr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The tags control: every resource of the stack carries the required tags."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict
from ansible_collections.finproc.dr.plugins.module_utils.controls.base import Missing, control, missing_tags


def tag_entry(ctx, label, resources):
    """resources: [(id, tags)] (tags None: not found). One (resource, passed, detail)."""
    wanted = ctx.stack.wanted_tags
    problems = []
    for resource_id, tags in resources:
        if tags is None:
            problems.append("%s not found" % resource_id)
            continue
        missing = missing_tags(tags, wanted)
        if missing:
            problems.append("%s: %s" % (resource_id, ", ".join(missing)))
    if not resources:
        raise Missing("none found")
    if len(resources) == 1:
        resource, what = resources[0][0], "the %s carries" % label
    else:
        resource, what = "%s (%d)" % (label, len(resources)), "all %d %s carry" % (len(resources), label)
    if problems:
        return resource, False, "%s missing required tags: %s" % (label, "; ".join(problems))
    return resource, True, "%s %s" % (what, ", ".join("%s=%s" % (k, wanted[k]) for k in sorted(wanted)))


def tag_sources(ctx):
    """(label, area, reader) per resource type; a reader returns [(id, tags or None)]. The area
    (runner.RESOURCE_AREAS, or a tuple when the type spans areas) is the role's that makes it."""
    s = ctx.stack

    def key():
        return [(s.need_key()["Arn"], s.key_tags())]

    def vpc():
        vpc = s.vpc()
        return [(vpc["VpcId"], boto3_tag_list_to_ansible_dict(vpc.get("Tags", [])))]

    def subnets():
        found = s.subnets()
        if not found:
            raise Missing("no subnet in %s" % s.vpc()["VpcId"])
        return [(n["SubnetId"], boto3_tag_list_to_ansible_dict(n.get("Tags", []))) for n in found]

    def groups():
        found = s.security_groups()
        return [(found[name]["GroupId"] if name in found else name,
                 boto3_tag_list_to_ansible_dict(found[name].get("Tags", [])) if name in found else None)
                for name in (s.prefix + "-alb", s.prefix + "-app")]

    def alb():
        alb = s.need_alb()
        group = s.target_group()
        arns = [alb["LoadBalancerArn"]] + ([group["TargetGroupArn"]] if group else [])
        return [(alb["LoadBalancerArn"], s.elb_tags(arns).get(alb["LoadBalancerArn"], {}))]

    def target_group():
        group = s.target_group()
        if group is None:
            return [(s.target_group_name, None)]
        alb = s.alb()
        arns = ([alb["LoadBalancerArn"]] if alb else []) + [group["TargetGroupArn"]]
        return [(group["TargetGroupArn"], s.elb_tags(arns).get(group["TargetGroupArn"], {}))]

    def table():
        return [(s.need_table()["TableArn"], s.table_tags())]

    def bucket():
        found = s.bucket_call("get_bucket_tagging", ["NoSuchTagSet"])
        return [(s.bucket_name, boto3_tag_list_to_ansible_dict((found or {}).get("TagSet", [])))]

    def function():
        found = s.need_function()
        return [(found["Configuration"]["FunctionArn"], found.get("Tags") or {})]

    def rule():
        return [(s.need_rule()["Arn"], s.rule_tags())]

    def topics():
        wanted = [(s.topic_arn(s.topic_name, s.region), s.region)]
        if s.is_primary:
            region = ctx.params["metrics_region"]
            wanted.append((s.topic_arn(s.dns_topic_name, region), region))
        return [(arn, s.topic_tags(arn, region) if s.topic_attributes(arn, region) is not None else None)
                for arn, region in wanted]

    def alarms():
        found = s.monitoring_alarms()
        if not found:
            raise Missing("no alarm named %s* in %s" % (s.alarm_prefix, s.region))
        return [(a["AlarmName"], s.alarm_tags(a["AlarmArn"])) for a in found]

    def log_groups():
        found = []
        for name in s.log_groups:
            if not ctx.in_scope(ctx.tag_areas, s.log_group_areas[name]):
                continue
            group = s.log_group(name)
            found.append((name, s.log_group_tags(group) if group is not None else None))
        return found

    def health_check():
        check, tags = s.health_check()
        return [(check["Id"], tags)]

    return [
        ("KMS key", "kms", key), ("VPC", "network", vpc), ("subnets", "network", subnets),
        ("security groups", "network", groups), ("load balancer", "traffic", alb),
        ("target group", "traffic", target_group), ("table", "data", table), ("bucket", "data", bucket),
        ("function", "monitoring", function), ("schedule rule", "monitoring", rule),
        ("topics", "monitoring", topics), ("monitoring alarms", "monitoring", alarms),
        ("log groups", ("monitoring", "network"), log_groups), ("health check", "traffic", health_check),
    ]


@control("tags", "Resources carry the required tags")
def tags(ctx):
    for label, area, reader in tag_sources(ctx):
        if not ctx.in_scope(ctx.tag_areas, area):
            continue  # an area not asked for (dr_controls_info's controls): its services are not called
        resource, passed, detail = ctx.guard(
            label, lambda label=label, reader=reader: tag_entry(ctx, label, reader()))
        yield resource, passed, detail if passed or detail.startswith(label) else "%s: %s" % (label, detail)
