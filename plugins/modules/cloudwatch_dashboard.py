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
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
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

try:
    import botocore
except ImportError:
    pass

from ansible.module_utils.common.text.converters import to_text
from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict
from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags

NAME_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,255}$")
# GetDashboard of a missing dashboard: the error shape is DashboardNotFoundError, its code ResourceNotFound.
NOT_FOUND = ["ResourceNotFound", "DashboardNotFoundError"]
# Two writers tagging the same dashboard at once: CloudWatch asks the later one to try again.
RETRY_CODES = ["ConcurrentModificationException"]


def validation_text(messages):
    return "; ".join(
        "%s%s" % (m.get("Message", ""), " (at %s)" % m["DataPath"] if m.get("DataPath") else "") for m in messages
    )


def wanted_tags(params):
    """The tags the dashboard should have (keys and values as text); None when its tags are not managed."""
    if params["tags"] is None:
        return None
    return dict((to_text(key), to_text(value)) for key, value in params["tags"].items())


class Dashboard(object):
    def __init__(self, module, body):
        self.module = module
        self.name = module.params["name"]
        self.body = body
        self.tags = wanted_tags(module.params)
        self.client = module.client(
            "cloudwatch", retry_decorator=AWSRetry.jittered_backoff(catch_extra_error_codes=RETRY_CODES)
        )

    def fail_aws(self, e, operation):
        self.module.fail_json_aws(e, msg="%s failed for CloudWatch dashboard %s" % (operation, self.name))

    def get(self):
        """The dashboard {name, arn, body}; None when there is none."""
        try:
            dashboard = self.client.get_dashboard(aws_retry=True, DashboardName=self.name)
        except is_boto3_error_code(NOT_FOUND):
            return None
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:  # pylint: disable=duplicate-except
            self.fail_aws(e, "GetDashboard")
        text = dashboard.get("DashboardBody") or "{}"
        try:
            body = json.loads(text)
        except ValueError as e:
            self.module.fail_json(
                msg="GetDashboard returned a body of dashboard %s that is not JSON: %s" % (self.name, e)
            )
        return {"name": dashboard.get("DashboardName", self.name), "arn": dashboard.get("DashboardArn"), "body": body}

    def put(self, tags=None):
        """PutDashboard; `tags` only for a new dashboard (PutDashboard ignores them for an existing one)."""
        request = dict(DashboardName=self.name, DashboardBody=json.dumps(self.body, sort_keys=True))
        if tags:
            request["Tags"] = ansible_dict_to_boto3_tag_list(dict(sorted(tags.items())))
        try:
            response = self.client.put_dashboard(aws_retry=True, **request)
        except is_boto3_error_code("InvalidParameterInput") as e:
            messages = e.response.get("dashboardValidationMessages") or e.response.get("DashboardValidationMessages")
            self.module.fail_json_aws(
                e,
                msg="PutDashboard refused the body of CloudWatch dashboard %s%s"
                % (self.name, ": " + validation_text(messages) if messages else ""),
            )
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:  # pylint: disable=duplicate-except
            self.fail_aws(e, "PutDashboard")
        messages = response.get("DashboardValidationMessages") or []
        if messages:
            self.module.fail_json(
                msg="PutDashboard returned validation messages for CloudWatch dashboard %s (it may have been saved, "
                "but parts of it may not render): %s" % (self.name, validation_text(messages)),
                validation_messages=[{"data_path": m.get("DataPath"), "message": m.get("Message")} for m in messages],
            )

    def list_tags(self, dashboard):
        if not dashboard["arn"]:
            self.module.fail_json(msg="GetDashboard returned no DashboardArn for CloudWatch dashboard %s" % self.name)
        try:
            tags = self.client.list_tags_for_resource(aws_retry=True, ResourceARN=dashboard["arn"]).get("Tags", [])
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            self.fail_aws(e, "ListTagsForResource")
        return boto3_tag_list_to_ansible_dict(tags)

    def update_tags(self, dashboard, to_set, to_unset):
        arn = dashboard["arn"]
        # Untag first, so the dashboard never holds more tags than it will in the end; keys sorted, so
        # the requests are the same from run to run.
        if to_unset:
            try:
                self.client.untag_resource(aws_retry=True, ResourceARN=arn, TagKeys=sorted(to_unset))
            except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
                self.fail_aws(e, "UntagResource")
        if to_set:
            try:
                tags = ansible_dict_to_boto3_tag_list(dict(sorted(to_set.items())))
                self.client.tag_resource(aws_retry=True, ResourceARN=arn, Tags=tags)
            except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
                self.fail_aws(e, "TagResource")

    def delete(self):
        try:
            self.client.delete_dashboards(aws_retry=True, DashboardNames=[self.name])
        except is_boto3_error_code(NOT_FOUND):
            pass  # gone meanwhile
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:  # pylint: disable=duplicate-except
            self.fail_aws(e, "DeleteDashboards")

    def present(self):
        current = self.get()
        if current is None:
            return self.create()
        before = {"body": current["body"]}
        after = {"body": self.body}
        to_set, to_unset = {}, []
        if self.tags is not None:
            before["tags"] = self.list_tags(current)
            to_set, to_unset = compare_aws_tags(before["tags"], self.tags, purge_tags=self.module.params["purge_tags"])
            after["tags"] = dict((k, v) for k, v in before["tags"].items() if k not in to_unset)
            after["tags"].update(to_set)
        put_body = current["body"] != self.body
        changed = bool(put_body or to_set or to_unset)
        diff = dict(before=before, after=after)
        if not changed or self.module.check_mode:
            return dict(changed=changed, dashboard=self.result(current, before), diff=diff)
        if put_body:
            self.put()
        if to_set or to_unset:
            self.update_tags(current, to_set, to_unset)
        final = self.get() if put_body else current
        return dict(changed=True, dashboard=self.result(final, after), diff=diff)

    def create(self):
        after = {"body": self.body}
        if self.tags is not None:
            after["tags"] = dict(self.tags)
        diff = dict(before={}, after=after)
        if self.module.check_mode:
            return dict(changed=True, dashboard={}, diff=diff)
        self.put(tags=self.tags)
        final = self.get()
        return dict(changed=True, dashboard=self.result(final, after), diff=diff)

    def result(self, dashboard, settings):
        """The dashboard to return, with `settings`' tags when the tags are managed."""
        if not dashboard:
            return {}
        if "tags" in settings:
            return dict(dashboard, tags=settings["tags"])
        return dashboard

    def absent(self):
        current = self.get()
        if current is None:
            return dict(changed=False, dashboard={}, diff=dict(before={}, after={}))
        if not self.module.check_mode:
            self.delete()
        return dict(
            changed=True,
            dashboard=current if self.module.check_mode else {},
            diff=dict(before={"body": current["body"]}, after={}),
        )


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
    argument_spec = dict(
        name=dict(type="str", required=True),
        body=dict(type="json"),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
        state=dict(type="str", default="present", choices=["present", "absent"]),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        required_if=[("state", "present", ["body"])],
        supports_check_mode=True,
    )
    name = module.params["name"]
    if not NAME_PATTERN.match(name):
        module.fail_json(
            msg="%s is not a valid dashboard name: 1 to 255 letters, digits, hyphens (-) and underscores (_)" % name
        )
    body = parse_body(module)
    dashboard = Dashboard(module, body)
    result = dashboard.present() if module.params["state"] == "present" else dashboard.absent()
    module.exit_json(**result)


if __name__ == "__main__":
    main()
