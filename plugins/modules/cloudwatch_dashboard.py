#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: finproc.dr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: cloudwatch_dashboard
version_added: 0.1.0
short_description: Manage a CloudWatch dashboard and its tags
description:
  - Creates, updates or deletes the CloudWatch dashboard I(name), with the body I(body) and the
    tags I(tags).
  - The dashboard is read with GetDashboard and its body compared with I(body) as parsed JSON (the
    order of keys and the layout of the text do not matter, the order of list items does). Only a
    dashboard whose body differs is written, with one PutDashboard that replaces the whole body.
  - When PutDashboard returns validation messages, the module fails with them.
  - A new dashboard gets its tags with PutDashboard. PutDashboard ignores tags when it updates a
    dashboard, so the tags of an existing dashboard are read with ListTagsForResource (by the
    C(DashboardArn) GetDashboard returns) and changed with UntagResource and TagResource, only
    where they differ from I(tags).
  - Without I(tags), the tags of the dashboard are neither read nor changed.
  - Dashboards are global to the account; I(region) only selects the endpoint the module calls.
  - Neither amazon.aws nor community.aws has a module for CloudWatch dashboards.
author:
  - finproc.dr maintainers (@finproc)
options:
  name:
    description:
      - The dashboard's name; 1 to 255 letters, digits, hyphens (-) and underscores (_).
    type: str
    required: true
  body:
    description:
      - The dashboard body (its widgets, ...) as a dictionary or as a JSON text of an object; see
        U(https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html).
      - Required with I(state=present).
    type: json
  state:
    description:
      - C(present) creates or updates the dashboard.
      - C(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - finproc.dr.aws
  - amazon.aws.tags
notes:
  - Check mode is supported; no write is made, C(changed) says whether a run would change the
    dashboard (its body or its tags).
  - Diff mode reports the body before and after and, with I(tags), the tags before and after. The
    tags of a dashboard that is deleted are not read, so its C(before) has no tags.
  - Needs C(cloudwatch:GetDashboard), C(cloudwatch:PutDashboard) and C(cloudwatch:DeleteDashboards);
    with I(tags), also C(cloudwatch:ListTagsForResource), C(cloudwatch:TagResource) and
    C(cloudwatch:UntagResource).
"""

EXAMPLES = r"""
- name: The DR dashboard, tagged (other tags it has are removed)
  finproc.dr.cloudwatch_dashboard:
    region: us-east-2
    name: finproc-prod-dr
    tags:
      App: finproc
      Environment: prod
    body:
      widgets:
        - type: metric
          x: 0
          y: 0
          width: 12
          height: 6
          properties:
            title: Ledger replication latency
            region: us-east-2
            stat: Maximum
            period: 300
            metrics:
              - [AWS/S3, ReplicationLatency, SourceBucket, finproc-prod-ledger-us-east-2,
                 DestinationBucket, finproc-prod-ledger-us-west-2, RuleId, ledger-to-dr]

- name: A dashboard from a template
  finproc.dr.cloudwatch_dashboard:
    region: us-east-2
    name: finproc-prod-traffic
    body: "{{ lookup('ansible.builtin.template', 'dashboard.json.j2') }}"

- name: Add a tag to a dashboard, keeping its other tags
  finproc.dr.cloudwatch_dashboard:
    region: us-east-2
    name: finproc-prod-traffic
    body: "{{ lookup('ansible.builtin.template', 'dashboard.json.j2') }}"
    tags:
      Owner: platform
    purge_tags: false

- name: Delete a dashboard
  finproc.dr.cloudwatch_dashboard:
    region: us-east-2
    name: finproc-prod-old
    state: absent
"""

RETURN = r"""
dashboard:
  description:
    - The dashboard after the run, as GetDashboard returns it, with its tags when I(tags) is given.
    - Empty when there is none (I(state=absent), or one that would be created in check mode); in
      check mode, the dashboard as it is.
  returned: always
  type: dict
  contains:
    name:
      description: The dashboard's name.
      type: str
      sample: finproc-prod-dr
    arn:
      description: The dashboard's ARN.
      type: str
      sample: arn:aws:cloudwatch::123456789012:dashboard/finproc-prod-dr
    body:
      description: The dashboard's body, parsed.
      type: dict
      sample: {"widgets": []}
    tags:
      description:
        - The dashboard's tags.
        - Only when I(tags) is given (without it, the tags are not read).
      type: dict
      returned: when I(tags) is given and there is a dashboard
      sample: {"App": "finproc", "Environment": "prod"}
"""

import json
import re

from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list

from ansible_collections.finproc.dr.plugins.module_utils.client import aws_client
from ansible_collections.finproc.dr.plugins.module_utils.errors import AWS_ERRORS
from ansible_collections.finproc.dr.plugins.module_utils.errors import error_code
from ansible_collections.finproc.dr.plugins.module_utils.resource import AWSResource
from ansible_collections.finproc.dr.plugins.module_utils.resource import resource_argument_spec
from ansible_collections.finproc.dr.plugins.module_utils.resource import run_module
from ansible_collections.finproc.dr.plugins.module_utils.results import diff
from ansible_collections.finproc.dr.plugins.module_utils.tagging import apply_tags
from ansible_collections.finproc.dr.plugins.module_utils.tagging import plan_tags
from ansible_collections.finproc.dr.plugins.module_utils.tagging import read_tags

# GetDashboard of a missing dashboard: the error shape is DashboardNotFoundError, its code ResourceNotFound.
NOT_FOUND = ("ResourceNotFound", "DashboardNotFoundError")


def validation_text(messages):
    return "; ".join(
        "%s%s" % (m.get("Message", ""), " (at %s)" % m["DataPath"] if m.get("DataPath") else "") for m in messages
    )


class Dashboard(AWSResource):
    """The dashboard {name, arn, body} (its body parsed), with its tags when they are managed."""

    kind = "CloudWatch dashboard"
    name_pattern = re.compile(r"^[A-Za-z0-9_-]{1,255}\Z")
    name_rule = "1 to 255 letters, digits, hyphens (-) and underscores (_)"

    def __init__(self, module):
        super(Dashboard, self).__init__(module)
        self.body = parse_body(module)
        # The tags the dashboard should have; None when its tags are not managed (nor read). A deleted
        # dashboard's tags are not read.
        self.tags = module.params["tags"] if module.params["state"] == "present" else None
        # Two writers tagging the same dashboard at once: ConcurrentModificationException, among the
        # throttle codes of the shared client.
        self.client = aws_client(module, "cloudwatch")
        self.tags_after = None

    def get(self):
        """The dashboard {name, arn, body} without its tags; None when there is none."""
        dashboard = self.call(self.client.get_dashboard, "GetDashboard", ignore=NOT_FOUND, DashboardName=self.name)
        if dashboard is None:
            return None
        text = dashboard.get("DashboardBody") or "{}"
        try:
            body = json.loads(text)
        except ValueError as e:
            self.module.fail_json(
                msg="GetDashboard returned a body of dashboard %s that is not JSON: %s" % (self.name, e)
            )
        return {"name": dashboard.get("DashboardName", self.name), "arn": dashboard.get("DashboardArn"), "body": body}

    def read(self):
        dashboard = self.get()
        if dashboard is not None and self.tags is not None:
            if not dashboard["arn"]:
                self.module.fail_json(
                    msg="GetDashboard returned no DashboardArn for CloudWatch dashboard %s" % self.name
                )
            dashboard["tags"] = read_tags(self.module, self.client, "cloudwatch", dashboard["arn"], self.label())
        return dashboard

    def settings(self, state):
        return dict((key, state[key]) for key in ("body", "tags") if key in state)

    def desired(self):
        wanted = {"body": self.body}
        if self.tags is not None:
            wanted["tags"] = plan_tags({}, self.tags).after
        return wanted

    def put(self, tags=None):
        """PutDashboard; `tags` only for a new dashboard (PutDashboard ignores them for an existing one)."""
        request = dict(DashboardName=self.name, DashboardBody=json.dumps(self.body, sort_keys=True))
        if tags:
            request["Tags"] = ansible_dict_to_boto3_tag_list(dict(sorted(tags.items())))
        try:
            response = self.client.put_dashboard(aws_retry=True, **request)
        except AWS_ERRORS as e:
            if error_code(e) != "InvalidParameterInput":
                self.fail_aws(e, "PutDashboard")
            messages = e.response.get("dashboardValidationMessages") or e.response.get("DashboardValidationMessages")
            self.module.fail_json_aws(
                e,
                msg="PutDashboard refused the body of CloudWatch dashboard %s%s"
                % (self.name, ": " + validation_text(messages) if messages else ""),
            )
        messages = response.get("DashboardValidationMessages") or []
        if messages:
            self.module.fail_json(
                msg="PutDashboard returned validation messages for CloudWatch dashboard %s (it may have been saved, "
                "but parts of it may not render): %s" % (self.name, validation_text(messages)),
                validation_messages=[{"data_path": m.get("DataPath"), "message": m.get("Message")} for m in messages],
            )

    def create(self):
        tags = self.desired().get("tags")
        self.put(tags=tags)
        final = self.get()
        if final is not None and tags is not None:
            final["tags"] = tags
        return final

    def plan(self, state):
        tags = plan_tags(state.get("tags"), self.tags, self.params["purge_tags"])
        after = {"body": self.body}
        if self.tags is not None:
            after["tags"] = self.tags_after = tags.after
        writes = {"put": [self.body] if state["body"] != self.body else [], "tags": tags if tags.changed else None}
        return writes, after

    def apply(self, state, writes):
        if writes["put"]:
            self.put()
        if writes["tags"]:
            apply_tags(self.module, self.client, "cloudwatch", state["arn"], writes["tags"], self.label())
        final = self.get() if writes["put"] else dict(state)
        if final is not None and self.tags is not None:
            final["tags"] = self.tags_after
        return final

    def delete(self, state):
        self.call(self.client.delete_dashboards, "DeleteDashboards", ignore=NOT_FOUND, DashboardNames=[self.name])

    def result(self, changed, state, before, after):
        return dict(changed=changed, dashboard=state or {}, diff=diff(before, after))


def parse_body(module):
    """The body option as a dict (it comes as JSON text); None when not given."""
    text = module.params["body"]
    if text is None:
        return None
    try:
        body = json.loads(text)
    except ValueError as e:
        module.fail_json(msg="body of dashboard %s is not valid JSON: %s" % (module.params["name"], e))
    if not isinstance(body, dict):
        module.fail_json(
            msg="body of dashboard %s must be a JSON object (with widgets), not %s"
            % (module.params["name"], type(body).__name__)
        )
    return body


def main():
    argument_spec = resource_argument_spec(
        name=dict(type="str", required=True),
        body=dict(type="json"),
    )
    run_module(argument_spec, Dashboard, required_if=[("state", "present", ["body"])])


if __name__ == "__main__":
    main()
