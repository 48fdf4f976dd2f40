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
# The areas of resources (one role's, or two for traffic: load_balancing and dns_failover). Naming one
# in I(controls) selects the area's controls, the `tags` entries of its resources and the access paths
# decided by its documents only; so a stack with only some roles (molecule localstack: encryption,
# network, data) is verified without reading, or calling the services of, the others.
RESOURCE_AREAS = ["kms", "data", "network", "traffic", "monitoring"]
# What I(controls) accepts.
SELECTORS = CONTROL_IDS + [ACCESS_PATHS] + RESOURCE_AREAS


def selection(controls, access_paths=True):
    """(ids, tag_areas, path_areas) for I(controls): the control ids to evaluate, in report order; the
    areas whose resources the `tags` control reads; the areas whose documents decide the access paths
    evaluated (None: every area; an empty set: none). Empty `controls` is every control, and the
    access paths with `access_paths`."""
    if not controls:
        return list(CONTROL_IDS), None, None if access_paths else set()
    areas = set(a for a in RESOURCE_AREAS if a in controls)
    ids = [c.id for c in base.REGISTRY if c.id in controls or c.area in areas or (areas and c.id == "tags")]
    tag_areas = None if "tags" in controls else areas
    path_areas = None if ACCESS_PATHS in controls else (areas if access_paths else set())
    return ids, tag_areas, path_areas


class Controls(object):
    """Evaluates the controls; each is a generator of (resource, passed, detail)."""

    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.ids, self.tag_areas, self.path_areas = selection(self.params["controls"], self.params["access_paths"])
        self.stack = Stack(module)
        self.results = []
        self.bucket_regions = {}

    def run(self):
        for control_id in self.ids:
            self.evaluate(CONTROLS[control_id])
        if self.path_areas is None or self.path_areas:
            evaluate_access_paths(self)
        failed = []
        for entry in self.results:
            if not entry["passed"] and entry["id"] not in failed:
                failed.append(entry["id"])
        # Not "failed": Ansible would take a non-empty list for the task's failure ("Module failed:
        # Unknown error") and verify.yml could not report which controls failed.
        return dict(changed=False, controls=self.results, passed=not failed, failed_controls=failed)

    @staticmethod
    def in_scope(areas, area):
        """Whether `area` (or one of a tuple of areas) is among `areas` (None: every area)."""
        return areas is None or any(a in areas for a in ((area,) if isinstance(area, str) else area))

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
