# -*- coding: utf-8 -*-
# Copyright: finproc.dr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Evaluates the registered controls of one region, in order, and the access paths.

The areas are imported in AREAS order; each registers its controls (base.control) in the order they
are defined, which is the order of the report. A new control is one function in its area file."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.finproc.dr.plugins.module_utils.controls import base
from ansible_collections.finproc.dr.plugins.module_utils.controls import kms
from ansible_collections.finproc.dr.plugins.module_utils.controls import data
from ansible_collections.finproc.dr.plugins.module_utils.controls import network
from ansible_collections.finproc.dr.plugins.module_utils.controls import traffic
from ansible_collections.finproc.dr.plugins.module_utils.controls import monitoring
from ansible_collections.finproc.dr.plugins.module_utils.controls import tags
from ansible_collections.finproc.dr.plugins.module_utils.controls.access import ACCESS_PATHS, evaluate_access_paths
from ansible_collections.finproc.dr.plugins.module_utils.controls.base import Missing, describe_error
from ansible_collections.finproc.dr.plugins.module_utils.controls.stack import Stack
from ansible_collections.finproc.dr.plugins.module_utils.errors import AWS_ERRORS, is_fatal

# The area files, in report order (importing them registers their controls).
AREAS = (kms, data, network, traffic, monitoring, tags)
CONTROLS = dict((c.id, c) for c in base.REGISTRY)
CONTROL_IDS = [c.id for c in base.REGISTRY]


class Controls(object):
    """Evaluates the controls; each is a generator of (resource, passed, detail)."""

    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.stack = Stack(module)
        self.results = []
        self.bucket_regions = {}

    def run(self):
        wanted = self.params["controls"] or CONTROL_IDS
        for control_id in CONTROL_IDS:
            if control_id in wanted:
                self.evaluate(CONTROLS[control_id])
        if ACCESS_PATHS in self.params["controls"] or (not self.params["controls"] and self.params["access_paths"]):
            evaluate_access_paths(self)
        failed = []
        for entry in self.results:
            if not entry["passed"] and entry["id"] not in failed:
                failed.append(entry["id"])
        # Not "failed": Ansible would take a non-empty list for the task's failure ("Module failed:
        # Unknown error") and verify.yml could not report which controls failed.
        return dict(changed=False, controls=self.results, passed=not failed, failed_controls=failed)

    def add(self, control, resource, passed, detail):
        self.results.append(dict(id=control.id, title=control.title, region=self.stack.region,
                                 resource=resource, passed=bool(passed), detail=detail))

    def evaluate(self, control):
        """Adds the entries of one control; an error before its first entry fails the control."""
        try:
            for resource, passed, detail in control.evaluate(self):
                self.add(control, resource, passed, detail)
        except Missing as e:
            self.add(control, control.resource(self.stack), False, str(e))
        except AWS_ERRORS as e:
            if is_fatal(e):
                self.module.fail_json_aws(e, msg="Control %s in %s: the credentials or the endpoint failed"
                                          % (control.id, self.stack.region))
            self.add(control, control.resource(self.stack), False, describe_error(e))

    @staticmethod
    def guard(resource, check):
        """check() -> (resource, passed, detail), for one entry of a control with several: a missing
        resource or an AWS error fails that entry only (credentials and endpoint errors go on up)."""
        try:
            return check()
        except Missing as e:
            return resource, False, str(e)
        except AWS_ERRORS as e:
            if is_fatal(e):
                raise
            return resource, False, describe_error(e)
