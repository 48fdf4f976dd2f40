#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: finproc.dr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: route53_health_check
version_added: 0.1.0
short_description: Manage a Route53 health check of an endpoint, found by its Name tag, replaced when it must be
description:
  - Creates or updates a Route53 health check of an HTTP(S) or TCP endpoint, found by its C(Name) tag
    (I(name)), with its tags.
  - The endpoint (I(fqdn), I(port)), I(resource_path) and I(failure_threshold) are updated in place
    with UpdateHealthCheck, at the C(HealthCheckVersion) that was read.
  - Route53 cannot change the type, the request interval or latency measurement of a health check
    after it is created. When one of them differs, the module creates a new health check with the
    wanted settings and tags, and returns the old one(s) in C(replaced_ids), without deleting
    them, since records and alarms still name them. Point those at C(health_check.id) first, then delete
    the replaced ones (amazon.aws.route53_health_check with I(health_check_id) and I(state=absent)).
  - Of several health checks with the Name tag (a replacement whose old check was not deleted yet),
    the one with the wanted type, interval and latency measurement is kept and the others are
    returned in C(replaced_ids).
  - amazon.aws.route53_health_check neither reports nor repairs a request interval changed behind
    its back, and returns no diff.
  - With I(state=absent), every health check with the Name tag is deleted.
author:
  - finproc.dr maintainers (@finproc)
options:
  name:
    description: The value of the health check's C(Name) tag, by which it is found.
    type: str
    required: true
  type:
    description: The type of the health check. Cannot be changed in place (the check is replaced).
    type: str
    choices: [HTTP, HTTPS, TCP]
    default: HTTPS
  fqdn:
    description: The domain name of the endpoint. Required with I(state=present).
    type: str
  port:
    description: The port of the endpoint (default 443 for HTTPS, 80 for HTTP; required for TCP).
    type: int
  resource_path:
    description: The path Route53 requests (HTTP and HTTPS only).
    type: str
  request_interval:
    description: Seconds between two requests of each checker. Cannot be changed in place (the check is replaced).
    type: int
    choices: [10, 30]
    default: 30
  failure_threshold:
    description: Consecutive failed checks before the endpoint is unhealthy.
    type: int
    default: 3
  measure_latency:
    description: Whether Route53 measures the latency. Cannot be changed in place (the check is replaced).
    type: bool
    default: false
  state:
    description: Whether the health check should exist.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - finproc.dr.aws
  - amazon.aws.tags
notes:
  - Route53 health checks are global; I(region) only selects the endpoint of the API.
  - The C(Name) tag is always set to I(name), whatever I(tags) holds.
  - Check mode is supported; diff mode shows the settings that differ (all of them for a health check
    created or deleted).
"""

EXAMPLES = r"""
- name: The health check of the region's load balancer
  finproc.dr.route53_health_check:
    name: finproc-prod-us-east-2
    type: HTTPS
    fqdn: "{{ alb_dns_name }}"
    resource_path: /health
    request_interval: 30
    failure_threshold: 3
    measure_latency: true
    tags:
      App: finproc
  register: health_check

- name: Delete the health checks it replaced, once the records and alarms name the new one
  amazon.aws.route53_health_check:
    health_check_id: "{{ item }}"
    state: absent
  loop: "{{ health_check.replaced_ids }}"
"""

RETURN = r"""
health_check:
  description:
    - The health check as GetHealthCheck returns it after the run, keys in snake case, with its C(tags);
      in check mode, the health check as it is ({} when it would be created).
  returned: state=present
  type: dict
  contains:
    id:
      description: The ID of the health check.
      type: str
      sample: 0a1b2c3d-4e5f-4a7b-8c9d-0e1f2a3b4c5d
    health_check_config:
      description: Its configuration.
      type: dict
replaced_ids:
  description:
    - Health checks with the Name tag that the kept one replaces (their type, interval or latency
      measurement differ), not deleted; empty in check mode.
  returned: state=present
  type: list
  elements: str
  sample: [1b2c3d4e-5f6a-4b8c-9d0e-1f2a3b4c5d6e]
replacement:
  description: Whether the health check is (or, in check mode, would be) replaced by a new one.
  returned: state=present
  type: bool
"""

import uuid

from ansible_collections.finproc.dr.plugins.module_utils.client import aws_client
from ansible_collections.finproc.dr.plugins.module_utils.client import paginate_or_fail
from ansible_collections.finproc.dr.plugins.module_utils.idempotency import client_token
from ansible_collections.finproc.dr.plugins.module_utils.resource import AWSResource
from ansible_collections.finproc.dr.plugins.module_utils.resource import resource_argument_spec
from ansible_collections.finproc.dr.plugins.module_utils.resource import run_module
from ansible_collections.finproc.dr.plugins.module_utils.results import changes
from ansible_collections.finproc.dr.plugins.module_utils.results import snake
from ansible_collections.finproc.dr.plugins.module_utils.tagging import apply_tags
from ansible_collections.finproc.dr.plugins.module_utils.tagging import plan_tags

# "You can't change the value of Type / RequestInterval / MeasureLatency after you create a health check"
# (HealthCheckConfig - Amazon Route 53,
# https://docs.aws.amazon.com/Route53/latest/APIReference/API_HealthCheckConfig.html); UpdateHealthCheck takes
# none of them (UpdateHealthCheck - Amazon Route 53,
# https://docs.aws.amazon.com/Route53/latest/APIReference/API_UpdateHealthCheck.html).
# (option, HealthCheckConfig field, default when Route53 omits it)
IMMUTABLE = (
    ("type", "Type", None),
    ("request_interval", "RequestInterval", 30),
    ("measure_latency", "MeasureLatency", False),
)
# What UpdateHealthCheck changes in place: (option, field of HealthCheckConfig and of UpdateHealthCheck).
UPDATABLE = (
    ("fqdn", "FullyQualifiedDomainName"),
    ("port", "Port"),
    ("resource_path", "ResourcePath"),
    ("failure_threshold", "FailureThreshold"),
)
# ListTagsForResources takes at most 10 resource IDs ("ListTagsForResources - Amazon Route 53",
# https://docs.aws.amazon.com/Route53/latest/APIReference/API_ListTagsForResources.html).
TAGS_PER_REQUEST = 10
DEFAULT_PORTS = {"HTTP": 80, "HTTPS": 443}


def view(config, tags):
    """The settings this module manages, for diff."""
    settings = dict((option, config.get(field, default)) for option, field, default in IMMUTABLE)
    settings.update((option, config.get(field)) for option, field in UPDATABLE)
    settings["tags"] = dict(tags)
    return settings


class HealthCheck(AWSResource):
    """A state is {"check": a HealthCheck of ListHealthChecks, "tags": dict, "others": [HealthCheck]}."""

    kind = "Route53 health check"

    def __init__(self, module):
        super(HealthCheck, self).__init__(module)
        # Route 53 throttles with Throttling and PriorRequestNotComplete (client.THROTTLE_CODES).
        self.client = aws_client(module, "route53")
        self.replaced = []
        self.replacement = False

    # -- reading ---------------------------------------------------------------------------------
    def tagged(self):
        """[(HealthCheck, tags)] of every health check whose Name tag is name, by ID."""
        checks = paginate_or_fail(
            self.module, self.client, "list_health_checks", "HealthChecks", resource="the health checks"
        )
        found = []
        for start in range(0, len(checks), TAGS_PER_REQUEST):
            chunk = checks[start : start + TAGS_PER_REQUEST]
            reply = self.call(
                self.client.list_tags_for_resources,
                "ListTagsForResources",
                ResourceType="healthcheck",
                ResourceIds=[c["Id"] for c in chunk],
            )
            tags = dict(
                (s["ResourceId"], dict((t["Key"], t.get("Value", "")) for t in s.get("Tags", [])))
                for s in reply.get("ResourceTagSets", [])
            )
            for c in chunk:
                held = tags.get(c["Id"], {})
                # ... and a check with no Name tag that this module created for this name (its CallerReference
                # says so): a run cut off between CreateHealthCheck and ChangeTagsForResource, or whose create's
                # answers were all lost, left it untagged; it is adopted (and tagged), not made again.
                if held.get("Name") == self.name or (
                    "Name" not in held and c.get("CallerReference", "").startswith(self.reference_prefix())
                ):
                    found.append((c, held))
        return sorted(found, key=lambda pair: pair[0]["Id"])

    def reference_prefix(self):
        """The start of the CallerReference of every check this module creates for this name: 32 characters
        (the name's first 14, for a person reading it, and a hash of the whole name), leaving 32 for the
        random part within CreateHealthCheck's CallerReference (HealthCheckNonce, max 64 in the model)."""
        return "%s-%s-" % (self.name[:14], client_token("route53 health check", self.name, length=16))

    def new_reference(self):
        """A CallerReference of this name's prefix and a random part, as long as the model allows: botocore
        checks only minimum lengths on the client side, so a longer one would reach Route53 and be refused."""
        shape = self.client.meta.service_model.operation_model("CreateHealthCheck").input_shape
        room = shape.members["CallerReference"].metadata["max"] - len(self.reference_prefix())
        return self.reference_prefix() + uuid.uuid4().hex[:room]

    def wanted_config(self):
        config = dict((field, self.params[option]) for option, field, default in IMMUTABLE)
        config.update((field, self.params[option]) for option, field in UPDATABLE if self.params[option] is not None)
        return config

    def same_kind(self, check):
        """Whether the check has the wanted type, interval and latency measurement."""
        config = check.get("HealthCheckConfig", {})
        return all(config.get(field, default) == self.params[option] for option, field, default in IMMUTABLE)

    def read(self):
        found = self.tagged()
        if not found:
            return None
        if self.params["state"] == "present":
            kept = [pair for pair in found if self.same_kind(pair[0])] or found
        else:
            kept = found
        check, tags = kept[0]
        self.arn = check["Id"]
        return {"check": check, "tags": tags, "others": [c for c, t in found if c["Id"] != check["Id"]]}

    def identity(self):
        return self.name + (" (%s)" % self.arn if self.arn else "")

    def settings(self, state):
        return view(state["check"].get("HealthCheckConfig", {}), state["tags"])

    # -- creating --------------------------------------------------------------------------------
    def wanted_tags(self):
        return dict(self.params.get("tags") or {}, Name=self.name)

    def desired(self):
        return view(self.wanted_config(), self.wanted_tags())

    def create(self):
        # A CallerReference of this run: a retry of the call after a lost answer gets the same health check
        # back ("If you send a CreateHealthCheck request with the same CallerReference and settings as a previous
        # request, and if the health check doesn't exist, Amazon Route 53 creates the health check. If the health
        # check does exist, Route 53 returns the settings for the existing health check"), and the next run finds
        # it by its Name tag. Not derived from the name alone: "If you send a CreateHealthCheck request with the
        # same CallerReference as a deleted health check, regardless of the settings, Route 53 returns a
        # HealthCheckAlreadyExists error" (CreateHealthCheck - Amazon Route 53,
        # https://docs.aws.amazon.com/Route53/latest/APIReference/API_CreateHealthCheck.html), and a replacement
        # or a stack made again would be refused. Its prefix names the check (reference_prefix): an untagged
        # check left by a cut-off run is found by it.
        reference = self.new_reference()
        check = self.call(
            self.client.create_health_check,
            "CreateHealthCheck",
            CallerReference=reference,
            HealthCheckConfig=self.wanted_config(),
        )["HealthCheck"]
        self.arn = check["Id"]
        # CreateHealthCheck takes no tags: the Name tag right away, with the others.
        plan = plan_tags({}, self.wanted_tags())
        apply_tags(self.module, self.client, "route53", ("healthcheck", check["Id"]), plan, self.label())
        return {"check": check, "tags": plan.after, "others": []}

    # -- changing --------------------------------------------------------------------------------
    def plan(self, state):
        check = state["check"]
        config = check.get("HealthCheckConfig", {})
        self.replacement = not self.same_kind(check)
        update = {}
        if not self.replacement:
            update = dict(
                (field, self.params[option])
                for option, field in UPDATABLE
                if self.params[option] is not None and config.get(field) != self.params[option]
            )
        tags = plan_tags(state["tags"], self.wanted_tags(), self.params["purge_tags"])
        writes = {
            "replace": [check["Id"]] if self.replacement else [],
            "update": update,
            "tags": tags if tags.changed and not self.replacement else {},
        }
        after = self.desired() if self.replacement else view(dict(config, **update), tags.after)
        return writes, after

    def apply(self, state, writes):
        if writes["replace"]:
            created = self.create()
            self.replaced = writes["replace"] + [c["Id"] for c in state["others"]]
            return created
        check, tags = state["check"], state["tags"]
        if writes["update"]:
            check = self.call(
                self.client.update_health_check,
                "UpdateHealthCheck",
                HealthCheckId=check["Id"],
                HealthCheckVersion=check["HealthCheckVersion"],
                **writes["update"],
            )["HealthCheck"]
        if writes["tags"]:
            tags = apply_tags(
                self.module, self.client, "route53", ("healthcheck", check["Id"]), writes["tags"], self.label()
            )
        return {"check": check, "tags": tags, "others": state["others"]}

    # -- deleting --------------------------------------------------------------------------------
    def delete(self, state):
        for check in [state["check"]] + state["others"]:
            self.call(
                self.client.delete_health_check,
                "DeleteHealthCheck",
                ignore=("NoSuchHealthCheck",),
                HealthCheckId=check["Id"],
            )

    # -- result ----------------------------------------------------------------------------------
    def result(self, changed, state, before, after):
        out = dict(changed=changed, diff=changes(before, after))
        if self.params["state"] == "absent":
            return out
        if not self.module.check_mode and state is not None and not self.replaced:
            # Health checks with the Name tag left over from a replacement (not deleted yet).
            self.replaced = [c["Id"] for c in state.get("others", [])]
        out["replacement"] = self.replacement
        out["replaced_ids"] = [] if self.module.check_mode else self.replaced
        out["health_check"] = {}
        if state is not None:
            out["health_check"] = dict(snake(state["check"], keep=()), tags=dict(state["tags"]))
        return out


def validate(module):
    """Bad input is refused before any AWS call."""
    params = module.params
    if params["state"] != "present":
        return
    if not params["fqdn"]:
        module.fail_json(msg="fqdn is required with state=present")
    if params["port"] is None:
        if params["type"] == "TCP":
            module.fail_json(msg="port is required for a TCP health check")
        params["port"] = DEFAULT_PORTS[params["type"]]
    if params["type"] == "TCP" and params["resource_path"]:
        module.fail_json(msg="resource_path is only for HTTP and HTTPS health checks")
    if not 1 <= params["failure_threshold"] <= 10:
        module.fail_json(msg="failure_threshold must be 1 to 10, not %d" % params["failure_threshold"])


def main():
    argument_spec = resource_argument_spec(
        name=dict(type="str", required=True),
        type=dict(type="str", default="HTTPS", choices=["HTTP", "HTTPS", "TCP"]),
        fqdn=dict(type="str"),
        port=dict(type="int"),
        resource_path=dict(type="str"),
        request_interval=dict(type="int", default=30, choices=[10, 30]),
        failure_threshold=dict(type="int", default=3),
        measure_latency=dict(type="bool", default=False),
    )
    run_module(argument_spec, HealthCheck, validate)


if __name__ == "__main__":
    main()
