#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: finproc.dr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: route53_health_check_inversion
version_added: 0.1.0
short_description: Invert a Route53 health check, or restore it
description:
  - Sets the C(Inverted) flag of an existing Route53 health check. An inverted check of a healthy
    endpoint reports unhealthy, so the failover records tied to it stop answering with that
    endpoint; setting the flag back restores them. This is the reversible way a failover drill
    takes a region out of the service name and brings it back, without touching the endpoint,
    the records or the rest of the check.
  - amazon.aws.route53_health_check has no option for C(Inverted).
  - The health check is read with GetHealthCheck; only when its C(Inverted) flag differs from
    I(inverted) is it written, with UpdateHealthCheck and the C(HealthCheckVersion) that was read,
    so that a concurrent change of the check is never overwritten. When Route53 answers
    C(HealthCheckVersionMismatch) (the check changed in between), the check is read and written
    again, up to three more times.
  - Nothing but C(Inverted) is changed.
author:
  - finproc.dr maintainers (@finproc)
options:
  health_check_id:
    description:
      - The ID of the health check (as amazon.aws.route53_health_check returns it).
    type: str
    required: true
  inverted:
    description:
      - Whether the health check is inverted. C(true) takes the region whose endpoint it checks out
        of the failover records (when the endpoint is healthy); C(false) restores it.
    type: bool
    required: true
extends_documentation_fragment:
  - finproc.dr.aws
notes:
  - Route53 health checks are global; I(region) only selects the endpoint of the API.
  - Route53 takes some time (the check's request interval times its failure threshold, plus the
    propagation of DNS) to act on an inverted check; finproc.dr.failover_probe measures it.
  - Check mode is supported; diff mode reports the C(inverted) flag before and after.
"""

EXAMPLES = r"""
- name: Take us-east-2 out of the service name (its health check reports unhealthy)
  finproc.dr.route53_health_check_inversion:
    health_check_id: "{{ primary_health_check_id }}"
    inverted: true
  register: inversion

- name: Bring it back
  finproc.dr.route53_health_check_inversion:
    health_check_id: "{{ primary_health_check_id }}"
    inverted: false
"""

RETURN = r"""
health_check:
  description:
    - The health check as GetHealthCheck returns it after the run, keys in snake case; in check
      mode, as it is.
  returned: always
  type: dict
  contains:
    id:
      description: The ID of the health check.
      type: str
      sample: 0a1b2c3d-4e5f-4a7b-8c9d-0e1f2a3b4c5d
    health_check_version:
      description: The version of the health check; every update increments it.
      type: int
      sample: 3
    health_check_config:
      description: The configuration of the health check.
      type: dict
      contains:
        inverted:
          description: Whether the health check is inverted.
          type: bool
          sample: true
        type:
          description: The type of the health check.
          type: str
          sample: HTTPS
        fully_qualified_domain_name:
          description: The name of the endpoint that is checked.
          type: str
          sample: finproc-prod-alb-1234567890.us-east-2.elb.amazonaws.com
previous_inverted:
  description: The C(Inverted) flag of the health check before the run.
  returned: always
  type: bool
  sample: false
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.finproc.dr.plugins.module_utils.client import aws_client
from ansible_collections.finproc.dr.plugins.module_utils.errors import aws_call
from ansible_collections.finproc.dr.plugins.module_utils.results import exit_result
from ansible_collections.finproc.dr.plugins.module_utils.results import snake

# How many times the check is read and written again when another change came in between:
# "If the value of HealthCheckVersion in the health check is greater, the health check was changed after
# you got the version number. Route 53 does not update the health check, and it returns a
# HealthCheckVersionMismatch error." (UpdateHealthCheck - Amazon Route 53,
# https://docs.aws.amazon.com/Route53/latest/APIReference/API_UpdateHealthCheck.html)
VERSION_RETRIES = 3


class HealthCheckInversion(object):
    def __init__(self, module):
        self.module = module
        self.health_check_id = module.params["health_check_id"]
        self.what = "health check %s" % self.health_check_id
        # Route 53 throttles with Throttling and PriorRequestNotComplete (client.THROTTLE_CODES).
        self.client = aws_client(module, "route53")

    def read(self):
        found = aws_call(self.module, self.client.get_health_check, "GetHealthCheck", self.what,
                         ignore=("NoSuchHealthCheck",), HealthCheckId=self.health_check_id)
        if found is None:
            self.module.fail_json(
                msg="Route53 health check %s does not exist (NoSuchHealthCheck)" % self.health_check_id,
                health_check_id=self.health_check_id)
        return found["HealthCheck"]

    def update(self, version, inverted):
        """UpdateHealthCheck at `version`; None when Route53 answers that the check is at another version.

        A check deleted meanwhile (NoSuchHealthCheck) is also None: the next read fails saying so.
        """
        return aws_call(self.module, self.client.update_health_check, "UpdateHealthCheck", self.what,
                        ignore=("HealthCheckVersionMismatch", "NoSuchHealthCheck"),
                        HealthCheckId=self.health_check_id, HealthCheckVersion=version, Inverted=inverted)

    def run(self):
        wanted = self.module.params["inverted"]
        for _attempt in range(VERSION_RETRIES + 1):
            check = self.read()
            previous = bool(check.get("HealthCheckConfig", {}).get("Inverted", False))
            if previous == wanted or self.module.check_mode:
                return self.exit(previous != wanted, check, previous)
            if self.update(check["HealthCheckVersion"], wanted) is not None:
                return self.exit(True, self.read(), previous)
        self.module.fail_json(
            msg="UpdateHealthCheck of health check %s answered HealthCheckVersionMismatch %d times: the check keeps "
            "changing while it is updated; run again once the other change is done"
            % (self.health_check_id, VERSION_RETRIES + 1),
            health_check_id=self.health_check_id)

    def exit(self, changed, check, previous):
        exit_result(self.module, changed, {"inverted": previous}, {"inverted": self.module.params["inverted"]},
                    health_check=snake(check), previous_inverted=previous)


def main():
    argument_spec = dict(
        health_check_id=dict(type="str", required=True),
        inverted=dict(type="bool", required=True),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    if not module.params["health_check_id"].strip():
        module.fail_json(msg="health_check_id must not be empty")
    HealthCheckInversion(module).run()


if __name__ == "__main__":
    main()
