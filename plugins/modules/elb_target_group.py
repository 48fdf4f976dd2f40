#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: finproc.dr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: elb_target_group
version_added: 0.1.0
short_description: Manage an Application Load Balancer target group, with check mode and diff
description:
  - Creates, updates or deletes one ALB (HTTP or HTTPS) target group, identified by its I(name) in
    the region, with its health check, the target group attributes given in I(attributes) and its
    tags.
  - community.aws.elb_target_group does not support check mode (Ansible skips it under C(--check),
    so C(--check --diff) cannot tell whether a target group would change) and returns no diff.
    This module makes no write in check mode, reports C(changed) truthfully and returns a diff.
  - The protocol, protocol version, port, VPC and target type of a target group cannot change.
    When the existing target group differs in one of them, the module fails before any write (in
    check mode too), naming each difference; the target group must be replaced.
  - The health check is compared field by field with what DescribeTargetGroups reports; the
    fields that differ are changed with one ModifyTargetGroup. Only the attributes named in
    I(attributes) are compared and changed.
  - Targets are not managed; the application's deployment registers and deregisters them.
author:
  - finproc.dr maintainers (@finproc)
options:
  name:
    description:
      - The target group's name, unique in the region. 1 to 32 letters, digits and hyphens, not
        beginning or ending with a hyphen.
    type: str
    required: true
  state:
    description:
      - Whether the target group should exist.
      - With C(absent), the target group named I(name) is deleted. While a listener or a listener
        rule still forwards to it, AWS refuses (C(ResourceInUse)); the module tries again for
        I(wait_timeout) seconds, then fails.
    type: str
    choices: [present, absent]
    default: present
  protocol:
    description: The protocol the load balancer uses to reach the targets. Cannot change.
    type: str
    choices: [HTTP, HTTPS]
    default: HTTP
  protocol_version:
    description: The protocol version of the requests to the targets. Cannot change.
    type: str
    choices: [HTTP1, HTTP2, GRPC]
    default: HTTP1
  port:
    description:
      - The port the targets receive traffic on. Cannot change.
      - Required to create the target group; when omitted, the port of an existing one is not
        compared.
    type: int
  vpc_id:
    description:
      - The VPC of the targets. Cannot change.
      - Required to create the target group; when omitted, the VPC of an existing one is not
        compared.
    type: str
  target_type:
    description: How targets are registered, by IP address or by instance ID. Cannot change.
    type: str
    choices: [ip, instance]
    default: ip
  health_check:
    description:
      - The health check of the targets. Omitted, the defaults below are applied (those of AWS for
        an HTTP target group) and enforced on an existing target group.
    type: dict
    suboptions:
      enabled:
        description:
          - Whether health checks are enabled. AWS always enables them for target types C(ip) and
            C(instance), so C(false) is refused.
        type: bool
        default: true
      protocol:
        description: The protocol of the health check requests.
        type: str
        choices: [HTTP, HTTPS]
        default: HTTP
      port:
        description: The port of the health check requests, or C(traffic-port) for I(port).
        type: str
        default: traffic-port
      path:
        description:
          - The path of the health check requests (for C(GRPC), the path of the method, like
            C(/package.service/method)).
          - Defaults to C(/), or to C(/AWS.ALB/healthcheck) when I(protocol_version=GRPC).
        type: str
      interval_seconds:
        description: Seconds between health checks of a target, 5 to 300.
        type: int
        default: 30
      timeout_seconds:
        description: Seconds without an answer that fail a health check, 2 to 120, less than I(interval_seconds).
        type: int
        default: 5
      healthy_threshold:
        description: Consecutive successful health checks that make an unhealthy target healthy, 2 to 10.
        type: int
        default: 5
      unhealthy_threshold:
        description: Consecutive failed health checks that make a target unhealthy, 2 to 10.
        type: int
        default: 2
      matcher:
        description:
          - The codes of a healthy answer, like C(200), C(200,202) or C(200-299); HTTP status
            codes (the C(HttpCode) of the C(Matcher)), or gRPC codes (C(GrpcCode)) when
            I(protocol_version=GRPC).
          - Defaults to C(200), or to C(12) when I(protocol_version=GRPC).
        type: str
  attributes:
    description:
      - Target group attributes, by their AWS names (for example
        C(deregistration_delay.timeout_seconds) or C(load_balancing.algorithm.type)).
      - Only these keys are compared and changed; the others keep their values. Values are
        compared as strings; numbers become strings and booleans C(true) or C(false).
    type: dict
    default: {}
  wait_timeout:
    description:
      - With I(state=absent), how many seconds to keep trying to delete a target group that a
        listener still forwards to.
    type: int
    default: 120
extends_documentation_fragment:
  - finproc.dr.aws
  - amazon.aws.tags
notes:
  - Tags given at creation are set by CreateTargetGroup itself; later changes use AddTags and
    RemoveTags.
"""

EXAMPLES = r"""
- name: The target group of the application's ALB
  finproc.dr.elb_target_group:
    region: us-east-2
    name: finproc-dev-app
    protocol: HTTP
    port: 8080
    vpc_id: vpc-0123456789abcdef0
    target_type: ip
    health_check:
      path: /health
      interval_seconds: 15
      timeout_seconds: 5
      healthy_threshold: 3
      unhealthy_threshold: 3
      matcher: "200"
    attributes:
      deregistration_delay.timeout_seconds: 30
      load_balancing.algorithm.type: least_outstanding_requests
    tags:
      Name: finproc-dev-app
      App: finproc
  register: app_target_group

- name: Delete it (waits up to 5 minutes for the listeners to stop forwarding to it)
  finproc.dr.elb_target_group:
    region: us-east-2
    name: finproc-dev-app
    state: absent
    wait_timeout: 300
"""

RETURN = r"""
target_group:
  description:
    - The target group as DescribeTargetGroups returns it, keys in snake case, with its
      attributes and its tags as dictionaries.
    - Empty when there is no target group (I(state=absent), or one that would be created in check
      mode).
  returned: always
  type: dict
  contains:
    target_group_arn:
      description: The target group's ARN.
      type: str
      sample: arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/finproc-dev-app/0123456789abcdef
    target_group_name:
      description: The target group's name.
      type: str
      sample: finproc-dev-app
    protocol:
      description: The protocol to the targets.
      type: str
      sample: HTTP
    protocol_version:
      description: The protocol version to the targets.
      type: str
      sample: HTTP1
    port:
      description: The port of the targets.
      type: int
      sample: 8080
    vpc_id:
      description: The VPC of the targets.
      type: str
      sample: vpc-0123456789abcdef0
    target_type:
      description: How targets are registered.
      type: str
      sample: ip
    health_check_protocol:
      description: The protocol of the health checks.
      type: str
      sample: HTTP
    health_check_port:
      description: The port of the health checks.
      type: str
      sample: traffic-port
    health_check_enabled:
      description: Whether health checks are enabled.
      type: bool
      sample: true
    health_check_path:
      description: The path of the health checks.
      type: str
      sample: /health
    health_check_interval_seconds:
      description: Seconds between health checks.
      type: int
      sample: 15
    health_check_timeout_seconds:
      description: Seconds before a health check fails.
      type: int
      sample: 5
    healthy_threshold_count:
      description: Successes that make a target healthy.
      type: int
      sample: 3
    unhealthy_threshold_count:
      description: Failures that make a target unhealthy.
      type: int
      sample: 3
    matcher:
      description: The codes of a healthy answer.
      type: dict
      sample: {"http_code": "200"}
    load_balancer_arns:
      description: The load balancers that forward to the target group.
      type: list
      elements: str
    attributes:
      description:
        - Every attribute AWS reports for the target group (not only those of I(attributes)), keys
          as AWS names them.
      type: dict
      sample: {"deregistration_delay.timeout_seconds": "30", "stickiness.enabled": "false"}
    tags:
      description: The target group's tags.
      type: dict
      sample: {"Name": "finproc-dev-app", "App": "finproc"}
target_group_arn:
  description: The target group's ARN; null when there is none.
  returned: always
  type: str
  sample: arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/finproc-dev-app/0123456789abcdef
"""

import re
import time

from ansible.module_utils.common.text.converters import to_text
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list

from ansible_collections.finproc.dr.plugins.module_utils.client import aws_client
from ansible_collections.finproc.dr.plugins.module_utils.errors import AWS_ERRORS
from ansible_collections.finproc.dr.plugins.module_utils.errors import error_code
from ansible_collections.finproc.dr.plugins.module_utils.resource import AWSResource
from ansible_collections.finproc.dr.plugins.module_utils.resource import resource_argument_spec
from ansible_collections.finproc.dr.plugins.module_utils.resource import run_module
from ansible_collections.finproc.dr.plugins.module_utils.results import diff
from ansible_collections.finproc.dr.plugins.module_utils.results import snake
from ansible_collections.finproc.dr.plugins.module_utils.tagging import apply_tags
from ansible_collections.finproc.dr.plugins.module_utils.tagging import plan_tags
from ansible_collections.finproc.dr.plugins.module_utils.tagging import read_tags
from ansible_collections.finproc.dr.plugins.module_utils.waiters import poll_until

IN_USE_POLL_SECONDS = 5

NAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]{0,30}[A-Za-z0-9])?$")
CODES = re.compile(r"^[0-9]+(-[0-9]+)?(,[0-9]+(-[0-9]+)?)*$")
# The settings of a target group AWS cannot change: (option, API field, default when AWS omits it).
IMMUTABLE = (
    ("protocol", "Protocol", None),
    ("protocol_version", "ProtocolVersion", "HTTP1"),
    ("port", "Port", None),
    ("vpc_id", "VpcId", None),
    ("target_type", "TargetType", None),
)
# health_check suboption -> DescribeTargetGroups / CreateTargetGroup / ModifyTargetGroup field.
HEALTH_CHECK = (
    ("protocol", "HealthCheckProtocol"),
    ("port", "HealthCheckPort"),
    ("enabled", "HealthCheckEnabled"),
    ("path", "HealthCheckPath"),
    ("interval_seconds", "HealthCheckIntervalSeconds"),
    ("timeout_seconds", "HealthCheckTimeoutSeconds"),
    ("healthy_threshold", "HealthyThresholdCount"),
    ("unhealthy_threshold", "UnhealthyThresholdCount"),
)


def attribute_text(value):
    """An attribute value as AWS holds it: a string, booleans in lower case."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return to_text(value)


def matcher_key(params):
    return "GrpcCode" if params["protocol_version"] == "GRPC" else "HttpCode"


def health_check_fields(params):
    """The wanted health check, as API fields (Matcher included)."""
    check = params["health_check"]
    fields = dict((api, check[option]) for option, api in HEALTH_CHECK)
    fields["Matcher"] = {matcher_key(params): check["matcher"]}
    return fields


def health_check_changes(tg, params):
    """The health check fields of tg that differ from the wanted ones, with their wanted values."""
    changes = {}
    for api, value in health_check_fields(params).items():
        if api == "Matcher":
            key = matcher_key(params)
            if (tg.get("Matcher") or {}).get(key) != value[key]:
                changes[api] = value
        elif tg.get(api) != value:
            changes[api] = value
    return changes


def view(tg, attributes, tags, params):
    """The settings this module manages, for diff; {} when there is no target group."""
    if not tg:
        return {}
    matcher = tg.get("Matcher") or {}
    return {
        "protocol": tg.get("Protocol"),
        "protocol_version": tg.get("ProtocolVersion"),
        "port": tg.get("Port"),
        "vpc_id": tg.get("VpcId"),
        "target_type": tg.get("TargetType"),
        "health_check": {
            "protocol": tg.get("HealthCheckProtocol"),
            "port": tg.get("HealthCheckPort"),
            "enabled": tg.get("HealthCheckEnabled"),
            "path": tg.get("HealthCheckPath"),
            "interval_seconds": tg.get("HealthCheckIntervalSeconds"),
            "timeout_seconds": tg.get("HealthCheckTimeoutSeconds"),
            "healthy_threshold": tg.get("HealthyThresholdCount"),
            "unhealthy_threshold": tg.get("UnhealthyThresholdCount"),
            "matcher": matcher.get("GrpcCode" if tg.get("ProtocolVersion") == "GRPC" else "HttpCode"),
        },
        "attributes": dict((key, attributes.get(key)) for key in sorted(params["attributes"])),
        "tags": dict(tags),
    }


def state_view(state, params):
    """view() of a state (a dict of the target group, its attributes and its tags)."""
    return view(state["tg"], state["attributes"], state["tags"], params)


class TargetGroup(AWSResource):
    """A state is {"tg": DescribeTargetGroups entry, "attributes": dict, "tags": dict}."""

    kind = "target group"

    def __init__(self, module):
        super(TargetGroup, self).__init__(module)
        self.client = aws_client(module, "elbv2")
        # Right after CreateTargetGroup, the new group may not be visible to every call yet.
        self.new_client = aws_client(module, "elbv2", just_created=True)

    def identity(self):
        return self.name + (" (%s)" % self.arn if self.arn else "")

    # -- reading ---------------------------------------------------------------------------------
    def find(self):
        """The target group named name, None when there is none."""
        reply = self.call(self.client.describe_target_groups, "DescribeTargetGroups", ignore=("TargetGroupNotFound",),
                          Names=[self.name])
        found = (reply or {}).get("TargetGroups") or []
        return found[0] if found else None

    def describe_attributes(self, client=None):
        reply = self.call((client or self.client).describe_target_group_attributes, "DescribeTargetGroupAttributes",
                          TargetGroupArn=self.arn)
        return dict((a["Key"], a.get("Value")) for a in reply.get("Attributes", []))

    def read(self):
        tg = self.find()
        if tg is None:
            return None
        self.arn = tg["TargetGroupArn"]
        if self.params["state"] == "present":
            self.check_immutable(tg)  # before anything else is read
        return {"tg": tg, "attributes": self.describe_attributes(),
                "tags": read_tags(self.module, self.client, "elbv2", self.arn, self.label())}

    def settings(self, state):
        return state_view(state, self.params)

    def check_immutable(self, tg):
        differences = []
        for option, api, default in IMMUTABLE:
            wanted = self.params.get(option)
            if wanted is None:
                continue  # port and vpc_id are only needed to create
            held = tg.get(api, default)
            if held != wanted:
                differences.append("%s %s (wanted %s)" % (option, held, wanted))
        if differences:
            self.module.fail_json(
                msg="target group %s (%s) has %s. AWS cannot change the protocol, protocol version, port, VPC or "
                "target type of a target group: it must be replaced. Create the new target group under another "
                "name, move the listeners to it, then delete this one (state=absent); or, if no listener forwards "
                "to it, delete it first and run again." % (self.name, tg["TargetGroupArn"], "; ".join(differences)),
                target_group_arn=tg["TargetGroupArn"])

    # -- creating --------------------------------------------------------------------------------
    def wanted_tags(self):
        return dict((k, to_text(v)) for k, v in (self.params.get("tags") or {}).items())

    def desired(self):
        missing = [option for option in ("port", "vpc_id") if self.params.get(option) is None]
        if missing:
            self.module.fail_json(
                msg="target group %s does not exist in %s; %s required to create it"
                % (self.name, self.region, " and ".join(missing) + (" are" if len(missing) > 1 else " is")))
        predicted = dict((api, self.params[option]) for option, api, default in IMMUTABLE)
        predicted.update(health_check_fields(self.params))
        return view(predicted, self.params["attributes"], self.wanted_tags(), self.params)

    def create(self):
        request = {
            "Name": self.name,
            "Protocol": self.params["protocol"],
            "ProtocolVersion": self.params["protocol_version"],
            "Port": self.params["port"],
            "VpcId": self.params["vpc_id"],
            "TargetType": self.params["target_type"],
        }
        request.update(health_check_fields(self.params))
        if self.params.get("tags"):
            request["Tags"] = ansible_dict_to_boto3_tag_list(self.params["tags"])
        tg = self.call(self.client.create_target_group, "CreateTargetGroup", **request)["TargetGroups"][0]
        tg.setdefault("LoadBalancerArns", [])
        self.arn = tg["TargetGroupArn"]
        attributes = self.describe_attributes(client=self.new_client)
        changes = self.attribute_changes(attributes)
        if changes:
            attributes = self.modify_attributes(attributes, changes, client=self.new_client)
        return {"tg": tg, "attributes": attributes, "tags": self.wanted_tags()}

    # -- changing --------------------------------------------------------------------------------
    def attribute_changes(self, current):
        wanted = self.params["attributes"]
        return dict((key, value) for key, value in wanted.items() if current.get(key) != value)

    def plan(self, state):
        tg, attributes = state["tg"], state["attributes"]
        hc_changes = health_check_changes(tg, self.params)
        attr_changes = self.attribute_changes(attributes)
        tags = plan_tags(state["tags"], self.params.get("tags"), self.params["purge_tags"])
        writes = {"health_check": hc_changes, "attributes": attr_changes, "tags": tags if tags.changed else {}}
        after = view(dict(tg, **hc_changes), dict(attributes, **attr_changes), tags.after, self.params)
        return writes, after

    def modify_attributes(self, current, changes, client=None):
        """Set the changed attributes; every attribute afterwards."""
        reply = self.call((client or self.client).modify_target_group_attributes, "ModifyTargetGroupAttributes",
                          TargetGroupArn=self.arn,
                          Attributes=[{"Key": key, "Value": value} for key, value in sorted(changes.items())])
        after = dict(current, **changes)
        after.update((a["Key"], a.get("Value")) for a in reply.get("Attributes", []))
        return after

    def apply(self, state, writes):
        tg, attributes, tags = state["tg"], state["attributes"], state["tags"]
        if writes["health_check"]:
            modified = self.call(self.client.modify_target_group, "ModifyTargetGroup", TargetGroupArn=self.arn,
                                 **writes["health_check"])["TargetGroups"][0]
            tg = dict(tg, **modified)  # ModifyTargetGroup may leave out what it did not change (the load balancers)
        if writes["attributes"]:
            attributes = self.modify_attributes(attributes, writes["attributes"])
        if writes["tags"]:
            tags = apply_tags(self.module, self.client, "elbv2", self.arn, writes["tags"], self.label())
        return {"tg": tg, "attributes": attributes, "tags": tags}

    # -- deleting --------------------------------------------------------------------------------
    def delete(self, state):
        """DeleteTargetGroup, trying again while a listener forwards to the group."""

        def attempt():
            """None once deleted (or gone meanwhile); the ResourceInUse error while in use."""
            try:
                self.client.delete_target_group(aws_retry=True, TargetGroupArn=self.arn)
            except AWS_ERRORS as e:
                if error_code(e) == "ResourceInUse":
                    return e
                if error_code(e) != "TargetGroupNotFound":
                    self.fail_aws(e, "DeleteTargetGroup")
            return None

        poll_until(self.module, attempt, lambda error: error is None, self.params["wait_timeout"],
                   delay=IN_USE_POLL_SECONDS, sleep=time.sleep, clock=time.monotonic,
                   on_timeout=lambda error: self.fail_in_use(error, state["tg"]))

    def fail_in_use(self, error, tg):
        users = tg.get("LoadBalancerArns") or []
        self.module.fail_json_aws(
            error, msg="target group %s (%s) is still in use%s after %d s: a listener or listener rule forwards to "
            "it. Remove it from those listeners and rules (or delete the load balancer), then run again."
            % (self.name, self.arn, " by " + ", ".join(users) if users else "", self.params["wait_timeout"]),
            target_group_arn=self.arn, load_balancer_arns=users)

    # -- result ----------------------------------------------------------------------------------
    def result(self, changed, state, before, after):
        out = {"changed": changed, "diff": diff(before, after), "target_group": {}, "target_group_arn": None}
        if self.params["state"] == "absent":
            users = (state or {}).get("tg", {}).get("LoadBalancerArns")
            if state is not None and self.module.check_mode and users:
                self.module.warn(
                    "target group %s (%s) is in use by %s: deleting it waits (at most wait_timeout, %d s) until no "
                    "listener forwards to it" % (self.name, self.arn, ", ".join(users), self.params["wait_timeout"]))
            return out
        if state is not None:
            # Attributes and tags apart: snake() would mangle keys like deregistration_delay.timeout_seconds.
            out["target_group"] = snake(state["tg"], keep=())
            out["target_group"]["attributes"] = dict(state["attributes"])
            out["target_group"]["tags"] = dict(state["tags"])
            out["target_group_arn"] = state["tg"]["TargetGroupArn"]
        return out


def validate(module):
    """Bad input is rejected before any AWS call (so check mode fails where a real run would)."""
    params = module.params
    name = params["name"] or ""
    if not NAME.match(name) or name.lower().startswith("internal-"):
        module.fail_json(msg="name %r is not a target group name: 1 to 32 letters, digits and hyphens, neither "
                         "beginning nor ending with a hyphen, nor beginning with internal-" % name)
    if params["wait_timeout"] < 0:
        module.fail_json(msg="wait_timeout must be 0 or more seconds")
    params["attributes"] = dict((to_text(k), attribute_text(v)) for k, v in (params["attributes"] or {}).items())
    if params["state"] != "present":
        return
    check = params["health_check"]
    grpc = params["protocol_version"] == "GRPC"
    if check["path"] is None:
        check["path"] = "/AWS.ALB/healthcheck" if grpc else "/"
    if check["matcher"] is None:
        check["matcher"] = "12" if grpc else "200"
    errors = []
    if not check["enabled"] and params["target_type"] in ("ip", "instance"):
        errors.append("health_check.enabled cannot be false: AWS always checks the health of targets of type %s"
                      % params["target_type"])
    if check["port"] != "traffic-port" and not (check["port"].isdigit() and 1 <= int(check["port"]) <= 65535):
        errors.append("health_check.port must be traffic-port or a port number, not %r" % check["port"])
    if not check["path"].startswith("/") or len(check["path"]) > 1024:
        errors.append("health_check.path must begin with / and be at most 1024 characters")
    if not CODES.match(check["matcher"]):
        errors.append("health_check.matcher must be codes like 200, 200,202 or 200-299, not %r" % check["matcher"])
    ranges = (("interval_seconds", 5, 300), ("timeout_seconds", 2, 120),
              ("healthy_threshold", 2, 10), ("unhealthy_threshold", 2, 10))
    for option, low, high in ranges:
        if not low <= check[option] <= high:
            errors.append("health_check.%s must be %d to %d, not %d" % (option, low, high, check[option]))
    if check["timeout_seconds"] >= check["interval_seconds"]:
        errors.append("health_check.timeout_seconds (%d) must be less than health_check.interval_seconds (%d)"
                      % (check["timeout_seconds"], check["interval_seconds"]))
    if params["port"] is not None and not 1 <= params["port"] <= 65535:
        errors.append("port must be 1 to 65535, not %d" % params["port"])
    if errors:
        module.fail_json(msg="; ".join(errors))


def main():
    health_check_spec = dict(
        enabled=dict(type="bool", default=True),
        protocol=dict(type="str", default="HTTP", choices=["HTTP", "HTTPS"]),
        port=dict(type="str", default="traffic-port"),
        path=dict(type="str"),
        interval_seconds=dict(type="int", default=30),
        timeout_seconds=dict(type="int", default=5),
        healthy_threshold=dict(type="int", default=5),
        unhealthy_threshold=dict(type="int", default=2),
        matcher=dict(type="str"),
    )
    argument_spec = resource_argument_spec(
        name=dict(type="str", required=True),
        protocol=dict(type="str", default="HTTP", choices=["HTTP", "HTTPS"]),
        protocol_version=dict(type="str", default="HTTP1", choices=["HTTP1", "HTTP2", "GRPC"]),
        port=dict(type="int"),
        vpc_id=dict(type="str"),
        target_type=dict(type="str", default="ip", choices=["ip", "instance"]),
        health_check=dict(type="dict", options=health_check_spec, apply_defaults=True),
        attributes=dict(type="dict", default={}),
        wait_timeout=dict(type="int", default=120),
    )
    run_module(argument_spec, TargetGroup, validate)


if __name__ == "__main__":
    main()
