#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: finproc.dr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: cloudwatch_log_groups
version_added: 0.1.0
short_description: Manage CloudWatch Logs log groups - KMS key, retention and tags - in one run
description:
  - Creates the listed log groups that are missing (with their KMS key and tags in the create call, the
    retention right after) and brings the KMS key, the retention and the tags of every listed group in
    line, in one module run (amazon.aws.cloudwatchlogs_log_group manages one group per run and sets the
    key only when it creates the group).
  - The groups are read with one C(DescribeLogGroups) call naming them (C(logGroupIdentifiers), up to 50
    names a call), and the tags of each group that exists with one C(ListTagsForResource) (CloudWatch
    Logs has no call that reads the tags of several groups). When everything matches, those are the only
    calls made.
  - A group that exists with another KMS key, or with none, gets the key of I(groups[].kms_key_id)
    (C(AssociateKmsKey)). Only the log events ingested after that are encrypted with the new key, and
    CloudWatch Logs says the association can take up to 5 minutes to take effect.
  - C(CreateLogGroup) takes no client token. It is sent once; after an answer whose outcome is unknown (a
    5xx answer, a timeout, a closed connection) the group is looked up by name before any new attempt,
    and a group of that name (made by the lost call, or answered C(ResourceAlreadyExistsException)) is
    adopted and brought in line like any other.
  - Groups that are not listed are left alone. Groups are never deleted.
author:
  - finproc.dr maintainers (@finproc)
options:
  groups:
    description: The log groups this module manages; their names must be distinct.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: The name of the log group (unique in the region).
        type: str
        required: true
      kms_key_id:
        description:
          - The ARN of the symmetric KMS key that encrypts the group's log events (a key ARN, not a key ID
            or an alias). The key policy must let CloudWatch Logs (C(logs.<region>.amazonaws.com)) use it.
          - Not given or empty - the group's key is left as it is (a new group gets none).
        type: str
      retention:
        description:
          - How many days the log events are kept; one of the retentions C(PutRetentionPolicy) accepts.
          - Not given - the retention is left as it is (a new group keeps its events forever).
        type: int
      tags:
        description: The tags of the group. See I(purge_tags) for the tags that are not listed.
        type: dict
        default: {}
  purge_tags:
    description:
      - Whether the tags of a listed group that are not in its I(tags) are removed.
      - Tags whose key starts with C(aws:) are never removed.
    type: bool
    default: true
extends_documentation_fragment:
  - finproc.dr.aws
notes:
  - Check mode is supported; a group that would be created is returned without its ARN.
  - Diff mode shows, per group by name, only the settings that differ (C(kms_key_id), C(retention),
    C(tags)); a group still to be created is shown whole.
  - When an account-level retention policy applies to a group, C(DescribeLogGroups) reports that
    policy's retention and not the group's own, so the group's retention cannot be compared; it is then
    left alone, with a warning.
"""

EXAMPLES = r"""
- name: The function's and the application's log groups, encrypted with the region's key
  finproc.dr.cloudwatch_log_groups:
    groups:
      - name: /aws/lambda/finproc-dev-health-monitor
        kms_key_id: arn:aws:kms:us-east-2:123456789012:key/11111111-2222-3333-4444-555555555555
        retention: 30
        tags: {Name: /aws/lambda/finproc-dev-health-monitor}
      - name: /finproc/dev/application
        kms_key_id: arn:aws:kms:us-east-2:123456789012:key/11111111-2222-3333-4444-555555555555
        retention: 30
        tags: {Name: /finproc/dev/application}
  register: log_groups

- name: The ARN of the first one
  ansible.builtin.debug:
    msg: "{{ log_groups.log_groups[0].log_group_arn }}"
"""

RETURN = r"""
log_groups:
  description:
    - The listed groups, in the order of I(groups), as C(DescribeLogGroups) describes them after the run
      (in check mode, as they are), the keys in snake case, with their tags as a dictionary.
    - A group that would be created (check mode) has only C(log_group_name), C(kms_key_id),
      C(retention_in_days) and C(tags).
  returned: always
  type: list
  elements: dict
  contains:
    log_group_name:
      description: The name of the group.
      type: str
      sample: /finproc/dev/application
    arn:
      description: The ARN of the group, with the trailing C(:*) that IAM policies use.
      type: str
      sample: "arn:aws:logs:us-east-2:123456789012:log-group:/finproc/dev/application:*"
    log_group_arn:
      description: The ARN of the group, without the trailing C(:*) (the tagging APIs use this one).
      type: str
      sample: arn:aws:logs:us-east-2:123456789012:log-group:/finproc/dev/application
    kms_key_id:
      description: The ARN of the KMS key of the group; absent when it has none.
      type: str
      sample: arn:aws:kms:us-east-2:123456789012:key/11111111-2222-3333-4444-555555555555
    retention_in_days:
      description: The retention in days; absent when events are kept forever.
      type: int
      sample: 30
    creation_time:
      description: When the group was made, in milliseconds since the epoch.
      type: int
      sample: 1767225600000
    tags:
      description: The tags of the group.
      type: dict
      sample: {"Name": "/finproc/dev/application"}
"""

import re

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.finproc.dr.plugins.module_utils import aws_limits
from ansible_collections.finproc.dr.plugins.module_utils.client import aws_client
from ansible_collections.finproc.dr.plugins.module_utils.client import just_created_client
from ansible_collections.finproc.dr.plugins.module_utils.client import paginate_or_fail
from ansible_collections.finproc.dr.plugins.module_utils.errors import aws_call
from ansible_collections.finproc.dr.plugins.module_utils.idempotency import create_once
from ansible_collections.finproc.dr.plugins.module_utils.idempotency import settle_listed
from ansible_collections.finproc.dr.plugins.module_utils.results import changes
from ansible_collections.finproc.dr.plugins.module_utils.results import exit_result
from ansible_collections.finproc.dr.plugins.module_utils.results import snake
from ansible_collections.finproc.dr.plugins.module_utils.tagging import apply_tags
from ansible_collections.finproc.dr.plugins.module_utils.tagging import plan_tags
from ansible_collections.finproc.dr.plugins.module_utils.tagging import read_tags

# DescribeLogGroups' logGroupIdentifiers: 1 to 50 names a call (the Logs model, LogGroupIdentifiers).
NAMES_PER_CALL = 50
# CreateLogGroup's and AssociateKmsKey's kmsKeyId: "The Amazon Resource Name (ARN) of the KMS key to use
# when encrypting log data" (CreateLogGroup - Amazon CloudWatch Logs,
# https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html), and
# DescribeLogGroups reports the key by that ARN: a key ID or an alias would never compare equal.
KEY_ARN = re.compile(r"^arn:[a-z-]+:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]+$")


def group_arn(group):
    """The ARN without the trailing ":*", which the tagging APIs take (LogGroup's logGroupArn, the Logs
    model: "Use this version to refer to the ARN ... In the resourceArn field in tagging APIs")."""
    return group.get("logGroupArn") or re.sub(r":\*$", "", group["arn"])


class LogGroups(object):
    def __init__(self, module):
        self.module = module
        self.specs = module.params["groups"]
        self.names = [spec["name"] for spec in self.specs]
        self.purge = module.params["purge_tags"]
        self.client = aws_client(module, "logs")

    # Also retries ResourceNotFoundException for a group this run has just created.
    fresh = just_created_client("logs")

    # -- reads -------------------------------------------------------------------------------------

    def describe(self, names):
        """{name: group} of the groups named `names` that exist: one DescribeLogGroups per 50 names.

        logGroupIdentifiers: "If you are using this operation in an account that is not a cross-account
        monitoring account, you can specify only log group names in the same account as the operation"
        (DescribeLogGroups - Amazon CloudWatch Logs,
        https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_DescribeLogGroups.html).
        A prefix (logGroupNamePrefix, what amazon.aws sends) names one group, or every group under a
        common prefix; the names are matched exactly here either way.
        """
        found = {}
        for start in range(0, len(names), NAMES_PER_CALL):
            chunk = list(names[start : start + NAMES_PER_CALL])
            groups = paginate_or_fail(
                self.module,
                self.client,
                "describe_log_groups",
                "logGroups",
                "the log groups " + ", ".join(chunk),
                logGroupIdentifiers=chunk,
            )
            found.update((group["logGroupName"], group) for group in groups if group["logGroupName"] in chunk)
        return found

    def settle(self, names):
        """{name: group} of every group of `names` (some just created): read again until all are listed."""
        found, missing = settle_listed(self.describe, names)
        if missing:
            listed = ", ".join(missing)
            self.module.fail_json(msg="log groups %s: created, but not listed by DescribeLogGroups" % listed)
        return found

    # -- writes ------------------------------------------------------------------------------------
    def create(self, spec):
        """CreateLogGroup with the key and the tags; None when this call made the group, else the group
        found by name (a lost answer's, or the one ResourceAlreadyExistsException names), to bring in line.

        CreateLogGroup takes no client token (its parameters: logGroupName, kmsKeyId, tags, logGroupClass,
        deletionProtectionEnabled) and refuses a name in use: "ResourceAlreadyExistsException: The
        specified resource already exists" (CreateLogGroup - Amazon CloudWatch Logs,
        https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html; "Log
        group names must be unique within a Region for an AWS account"). So it is sent once (create_once),
        the group looked up by name after an unknown outcome, and a group of that name adopted.
        """
        name = spec["name"]
        request = {"logGroupName": name}
        if spec["kms_key_id"]:
            request["kmsKeyId"] = spec["kms_key_id"]
        if spec["tags"]:
            request["tags"] = dict(sorted((key, "%s" % value) for key, value in spec["tags"].items()))
        return create_once(
            self.module,
            self.client,
            "create_log_group",
            request,
            lambda: self.describe([name]).get(name),
            lambda answer: None,
            "log group %s" % name,
            exists_codes=["ResourceAlreadyExistsException"],
        )

    # -- the run -----------------------------------------------------------------------------------
    @staticmethod
    def view(group, tags):
        return {"kms_key_id": group.get("kmsKeyId"), "retention": group.get("retentionInDays"), "tags": tags}

    def plan(self, spec, group, tags):
        """(after, writes) of a group that exists: the view after the run; writes a dict of what to send."""
        name = spec["name"]
        after = self.view(group, tags)
        writes = {}
        if spec["kms_key_id"] and group.get("kmsKeyId") != spec["kms_key_id"]:
            writes["key"] = after["kms_key_id"] = spec["kms_key_id"]
        if spec["retention"] is not None and group.get("retentionInDays") != spec["retention"]:
            if group.get("retentionPolicyName"):
                # "If an account-level retention policy applies to a log group, retentionInDays shows the
                # retention period from that policy, and retentionPolicyName shows the name of the policy"
                # (DescribeLogGroups, above): the group's own retention cannot be read, so it is not sent
                # on every run.
                policy, days = group["retentionPolicyName"], group["retentionInDays"]
                self.module.warn(
                    "log group %s: the account-level retention policy %s applies (%s days): its own retention "
                    "cannot be read and is left as it is" % (name, policy, days)
                )
            else:
                writes["retention"] = after["retention"] = spec["retention"]
        tag_plan = plan_tags(tags, spec["tags"], self.purge)
        if tag_plan.changed:
            writes["tags"] = tag_plan
            after["tags"] = tag_plan.after
        return after, writes

    def check_retentions(self, retentions):
        """Fail before any write when a retention to send is not one PutRetentionPolicy accepts (read from
        the Logs model's documentation, aws_limits.log_retention_days: read only when one is to be sent)."""
        if not retentions:
            return
        accepted = aws_limits.log_retention_days()
        bad = ["%s: %s" % (name, days) for name, days in retentions if days not in accepted]
        if bad:
            self.module.fail_json(
                msg="retention not accepted by CloudWatch Logs (PutRetentionPolicy takes %s days): %s"
                % (", ".join(map(str, accepted)), "; ".join(bad))
            )

    def apply(self, name, arn, writes, client):
        label = "log group %s" % name
        if "key" in writes:
            # AssociateKmsKey: "Associating a KMS key with a log group overrides any existing associations
            # ... Only the log events ingested after the key is associated are encrypted with that key",
            # and "It can take up to 5 minutes for this operation to take effect" (AssociateKmsKey - Amazon
            # CloudWatch Logs, https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_AssociateKmsKey.html).
            # The key policy must let logs.<region>.amazonaws.com use the key for this group's encryption
            # context ("Encrypt log data in CloudWatch Logs using AWS Key Management Service",
            # https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html): the
            # encryption role's key policy has that statement (roles/encryption/templates/key_policy.json.j2).
            key = writes["key"]
            aws_call(self.module, client.associate_kms_key, "AssociateKmsKey", label, logGroupName=name, kmsKeyId=key)
        if "retention" in writes:
            aws_call(
                self.module,
                client.put_retention_policy,
                "PutRetentionPolicy",
                label,
                logGroupName=name,
                retentionInDays=writes["retention"],
            )
        if "tags" in writes:
            apply_tags(self.module, client, "logs", arn, writes["tags"], label)

    def run(self):
        check = self.module.check_mode
        existing = self.describe(self.names)
        missing = [spec for spec in self.specs if spec["name"] not in existing]
        # The retentions to send: a new group's, and those that differ.
        self.check_retentions(
            [
                (spec["name"], spec["retention"])
                for spec in self.specs
                if spec["retention"] is not None
                and (spec["name"] not in existing or existing[spec["name"]].get("retentionInDays") != spec["retention"])
            ]
        )

        created, adopted = [], []
        if not check:
            for spec in missing:
                found = self.create(spec)
                if found is None:
                    created.append(spec["name"])
                else:
                    existing[spec["name"]] = found
                    adopted.append(spec["name"])

        before, after, writes, tags_after = {}, {}, [], {}
        for spec in self.specs:
            name = spec["name"]
            if name not in existing or name in created:
                # To be created (check mode), or made by this run with its key and tags: only the
                # retention is left to set.
                view = {"kms_key_id": spec["kms_key_id"] or None, "retention": spec["retention"], "tags": spec["tags"]}
                after[name] = view
                tags_after[name] = spec["tags"]
                if name in created and spec["retention"] is not None:
                    writes.append((name, None, {"retention": spec["retention"]}, True))
                continue
            group = existing[name]
            fresh = name in adopted
            reader = self.fresh if fresh else self.client
            tags = read_tags(self.module, reader, "logs", group_arn(group), "log group " + name)
            group_after, group_writes = self.plan(spec, group, tags)
            diff = changes(self.view(group, tags), group_after)
            if diff["before"] or diff["after"]:
                before[name], after[name] = diff["before"], diff["after"]
            tags_after[name] = group_after["tags"] if not check else tags
            if group_writes:
                writes.append((name, group_arn(group), group_writes, fresh))
        changed = bool(missing) or bool(after)

        if not check:
            for name, arn, group_writes, fresh in writes:
                self.apply(name, arn, group_writes, self.fresh if fresh else self.client)
            if missing or writes:
                existing = self.settle(self.names)

        log_groups = []
        for spec in self.specs:
            name = spec["name"]
            group = existing.get(name)
            if group is None:  # check mode: the group as it would be made
                shown = {"log_group_name": name, "kms_key_id": spec["kms_key_id"] or None}
                shown["retention_in_days"] = spec["retention"]
            else:
                shown = snake(group)
            shown["tags"] = tags_after[name]
            log_groups.append(shown)
        exit_result(self.module, changed, before, after, log_groups=log_groups)


def validate(module):
    problems = []
    names = [spec["name"] for spec in module.params["groups"]]
    if not names:
        problems.append("groups: list at least one log group")
    for name in sorted(set(name for name in names if names.count(name) > 1)):
        problems.append("groups: the name %s is listed %d times" % (name, names.count(name)))
    for index, spec in enumerate(module.params["groups"]):
        if spec["kms_key_id"] and not KEY_ARN.match(spec["kms_key_id"]):
            problems.append(
                "groups[%d] (%s): kms_key_id %r is not a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<id>)"
                % (index, spec["name"], spec["kms_key_id"])
            )
    if problems:
        module.fail_json(msg="; ".join(problems))


def main():
    group = dict(
        name=dict(type="str", required=True),
        kms_key_id=dict(type="str"),
        retention=dict(type="int"),
        tags=dict(type="dict", default={}),
    )
    argument_spec = dict(
        groups=dict(type="list", elements="dict", required=True, options=group),
        purge_tags=dict(type="bool", default=True),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    validate(module)
    LogGroups(module).run()


if __name__ == "__main__":
    main()
