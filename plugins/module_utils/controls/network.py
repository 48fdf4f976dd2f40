# -*- coding: utf-8 -*-
# Copyright: finproc.dr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Network controls: the stack's VPC, its two security groups, its flow log."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress

from ansible_collections.finproc.dr.plugins.module_utils.controls.base import STACK_TAG, control, verdict
from ansible_collections.finproc.dr.plugins.module_utils.client import paginate

PROTOCOLS = {"6": "tcp", "17": "udp", "1": "icmp", "-1": "all"}


def vpc_of_the_stack(stack):
    return "VPC %s=%s" % (STACK_TAG, stack.prefix)


def sg_rules(permissions):
    """Every rule of a group as (protocol, from port, to port, source or destination)."""
    rules = set()
    for permission in permissions or []:
        protocol = PROTOCOLS.get(str(permission.get("IpProtocol")), permission.get("IpProtocol"))
        head = (protocol, permission.get("FromPort"), permission.get("ToPort"))
        for item in permission.get("IpRanges", []):
            rules.add(head + (item["CidrIp"],))
        for item in permission.get("Ipv6Ranges", []):
            rules.add(head + (item["CidrIpv6"],))
        for item in permission.get("UserIdGroupPairs", []):
            rules.add(head + (item["GroupId"],))
        for item in permission.get("PrefixListIds", []):
            rules.add(head + (item["PrefixListId"],))
    return rules


def rule_text(rule, direction):
    protocol, low, high, peer = rule
    if protocol == "all":
        ports = "all traffic"
    elif low == high:
        ports = "%s %s" % (protocol, low)
    else:
        ports = "%s %s-%s" % (protocol, low, high)
    return "%s %s %s" % (ports, "from" if direction == "in" else "to", peer)


@control("vpc-cidr", "VPC of the stack with the designed CIDR", resource=vpc_of_the_stack)
def vpc_cidr(ctx):
    vpc = ctx.stack.vpc()
    wanted = ipaddress.ip_network(ctx.params["vpc_cidr"], strict=False)
    found = vpc.get("CidrBlock")
    if ipaddress.ip_network(found, strict=False) == wanted:
        yield vpc["VpcId"], True, "CIDR %s" % found
    else:
        yield vpc["VpcId"], False, "CIDR %s, wanted %s" % (found, wanted)


@control("security-groups", "Security groups allow exactly the designed traffic", resource=vpc_of_the_stack)
def security_groups(ctx):
    s = ctx.stack
    groups = s.security_groups()
    alb, app = groups.get(s.prefix + "-alb"), groups.get(s.prefix + "-app")
    port = ctx.params["app_port"]
    alb_id = alb["GroupId"] if alb else s.prefix + "-alb"
    app_id = app["GroupId"] if app else s.prefix + "-app"
    designed = [
        (s.prefix + "-alb", alb,
         set([("tcp", 80, 80, "0.0.0.0/0"), ("tcp", 443, 443, "0.0.0.0/0")]),
         set([("tcp", port, port, app_id)])),
        (s.prefix + "-app", app,
         set([("tcp", port, port, alb_id)]),
         set([("tcp", 443, 443, "0.0.0.0/0")])),
    ]
    for name, group, ingress, egress in designed:
        if group is None:
            yield name, False, "security group %s not found in %s" % (name, s.vpc()["VpcId"])
            continue
        problems = []
        for direction, wanted, found in (("in", ingress, sg_rules(group.get("IpPermissions"))),
                                         ("out", egress, sg_rules(group.get("IpPermissionsEgress")))):
            label = "ingress" if direction == "in" else "egress"
            extra = sorted(found - wanted, key=str)
            absent = sorted(wanted - found, key=str)
            if extra:
                problems.append("unexpected %s: %s" % (label, ", ".join(rule_text(r, direction) for r in extra)))
            if absent:
                problems.append("missing %s: %s" % (label, ", ".join(rule_text(r, direction) for r in absent)))
        resource = "%s (%s)" % (group["GroupId"], name)
        yield verdict(resource, problems, "exactly %s in, %s out" % (
            ", ".join(rule_text(r, "in") for r in sorted(ingress, key=str)),
            ", ".join(rule_text(r, "out") for r in sorted(egress, key=str))))


@control("flow-logs", "VPC flow log of all traffic to the flow-log group, active", resource=vpc_of_the_stack)
def flow_logs(ctx):
    s = ctx.stack
    vpc_id = s.vpc()["VpcId"]
    flow_logs = s.cached(("flow-logs",), lambda: paginate(
        s.client("ec2"), "describe_flow_logs", Filters=[{"Name": "resource-id", "Values": [vpc_id]}])["FlowLogs"])
    summaries = []
    for flow_log in flow_logs:
        problems = []
        if flow_log.get("TrafficType") != "ALL":
            problems.append("traffic %s" % flow_log.get("TrafficType"))
        if flow_log.get("LogDestinationType", "cloud-watch-logs") != "cloud-watch-logs" or \
                flow_log.get("LogGroupName") != s.flow_log_group:
            problems.append("to %s" % (flow_log.get("LogGroupName") or flow_log.get("LogDestination")))
        if flow_log.get("FlowLogStatus") != "ACTIVE":
            problems.append("status %s" % flow_log.get("FlowLogStatus"))
        if flow_log.get("DeliverLogsStatus", "SUCCESS") != "SUCCESS":
            problems.append("delivery %s (%s)" % (flow_log.get("DeliverLogsStatus"),
                                                  flow_log.get("DeliverLogsErrorMessage", "")))
        if not problems:
            yield flow_log["FlowLogId"], True, "%s: traffic ALL to %s, ACTIVE" % (vpc_id, s.flow_log_group)
            return
        summaries.append("%s %s" % (flow_log["FlowLogId"], ", ".join(problems)))
    yield vpc_id, False, "no active flow log of all traffic to %s (found: %s)" % (
        s.flow_log_group, "; ".join(summaries) or "no flow log")
