#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: finproc.dr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: s3_bucket_replication
version_added: 0.1.0
short_description: Manage the replication configuration of an S3 bucket
description:
  - Creates, updates or deletes the replication configuration of one S3 bucket
    (PutBucketReplication, GetBucketReplication, DeleteBucketReplication), including
    S3 Replication Time Control (RTC) and replication metrics.
  - Neither amazon.aws nor community.aws has a module that manages S3 replication or
    Replication Time Control.
  - The module manages the whole configuration of the bucket; rules not listed in I(rules) are removed.
  - Rules use the current (V2, filter-based) schema. The wanted and the current configuration are
    normalised to one form before they are compared (rules are matched by ID, in any order; an empty
    filter, a missing delete marker setting and other AWS defaults count as their default value),
    so a second run with the same options changes nothing.
  - Versioning must be enabled on the source and on every destination bucket (for example with
    M(amazon.aws.s3_bucket) and I(versioning=true)); this module does not manage it.
author:
  - finproc.dr maintainers (@finproc)
options:
  bucket:
    description: The name of the source bucket.
    type: str
    required: true
  role:
    description:
      - The ARN of the IAM role S3 assumes to replicate objects.
      - Required when I(state=present).
    type: str
  rules:
    description:
      - The replication rules. At least one is required when I(state=present).
      - Ignored when I(state=absent).
    type: list
    elements: dict
    suboptions:
      id:
        description: The unique ID of the rule.
        type: str
        required: true
      priority:
        description:
          - The priority of the rule; the higher the number, the higher the priority.
          - Priorities must be unique in the configuration.
          - Defaults to the position of the rule in I(rules), counting from 1.
        type: int
      status:
        description: Whether the rule is applied.
        type: str
        choices: [Enabled, Disabled]
        default: Enabled
      filter:
        description:
          - The objects the rule applies to. All objects of the bucket when omitted or empty.
        type: dict
        suboptions:
          prefix:
            description: An object key prefix.
            type: str
          tags:
            description:
              - Object tags that must all be present on an object.
              - S3 does not replicate delete markers for a rule that filters on tags, so
                I(delete_marker_replication) must be C(false) when I(tags) are given.
            type: dict
      destination:
        description: Where the objects are replicated to.
        type: dict
        required: true
        suboptions:
          bucket:
            description:
              - The name or the ARN of the destination bucket.
              - A name is turned into an ARN in the partition of I(role).
            type: str
            required: true
          account:
            description:
              - The ID of the account that owns the destination bucket.
              - When set, the replicas are also owned by that account (AccessControlTranslation
                C(Owner=Destination)).
            type: str
          storage_class:
            description:
              - The storage class of the replicas, for example C(STANDARD), C(STANDARD_IA) or C(GLACIER_IR).
              - The storage class of the source object when omitted.
            type: str
          replica_kms_key_id:
            description:
              - The ARN of the KMS key S3 encrypts the replicas with, in the destination region.
              - Required when I(sse_kms_encrypted_objects=true).
            type: str
      replication_time:
        description:
          - S3 Replication Time Control (RTC). Not enabled when omitted.
          - RTC needs replication metrics; I(metrics) follows I(replication_time.enabled) unless set.
        type: dict
        suboptions:
          enabled:
            description: Whether RTC is enabled.
            type: bool
            default: true
          minutes:
            description: The time within which objects are replicated. S3 only accepts C(15).
            type: int
            default: 15
      metrics:
        description:
          - Whether replication metrics and events are enabled (with a 15 minute event threshold).
          - Defaults to I(replication_time.enabled), or C(false) when I(replication_time) is omitted.
          - Cannot be C(false) when RTC is enabled.
        type: bool
      delete_marker_replication:
        description: Whether delete markers are replicated.
        type: bool
        default: true
      sse_kms_encrypted_objects:
        description:
          - Whether objects encrypted with SSE-KMS are replicated.
          - Needs I(destination.replica_kms_key_id).
        type: bool
        default: false
      replica_modifications:
        description:
          - Whether metadata changes made to replicas are replicated back (for two-way replication).
        type: bool
        default: false
  state:
    description: Whether the bucket should have a replication configuration.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - finproc.dr.aws
"""

EXAMPLES = r"""
- name: Replicate everything to the DR region within 15 minutes (RTC), SSE-KMS objects included
  finproc.dr.s3_bucket_replication:
    bucket: finproc-prod-ledger-us-east-2
    role: arn:aws:iam::123456789012:role/finproc-prod-s3-replication
    rules:
      - id: ledger-to-dr
        destination:
          bucket: finproc-prod-ledger-us-west-2
          storage_class: STANDARD_IA
          replica_kms_key_id: arn:aws:kms:us-west-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab
        replication_time:
          enabled: true
        sse_kms_encrypted_objects: true

- name: Replicate one prefix to a bucket of the DR account, owned by that account
  finproc.dr.s3_bucket_replication:
    bucket: finproc-prod-reports
    role: arn:aws:iam::123456789012:role/finproc-prod-s3-replication
    rules:
      - id: reports-to-vault
        priority: 10
        filter:
          prefix: monthly/
        destination:
          bucket: arn:aws:s3:::finproc-vault-reports
          account: "210987654321"
          storage_class: GLACIER_IR

- name: One side of a two-way replication
  finproc.dr.s3_bucket_replication:
    bucket: finproc-prod-docs-us-east-2
    role: arn:aws:iam::123456789012:role/finproc-prod-s3-replication
    rules:
      - id: docs-east-to-west
        destination:
          bucket: finproc-prod-docs-us-west-2
        replica_modifications: true

- name: Remove the replication configuration
  finproc.dr.s3_bucket_replication:
    bucket: finproc-prod-reports
    state: absent
"""

RETURN = r"""
replication:
  description:
    - The replication configuration as S3 describes it (GetBucketReplication) after the change,
      keys in snake case.
    - In check mode, the current configuration.
    - An empty dictionary when the bucket has no replication configuration.
  returned: always
  type: dict
  contains:
    role:
      description: The IAM role S3 assumes.
      type: str
      sample: arn:aws:iam::123456789012:role/finproc-prod-s3-replication
    rules:
      description: The rules.
      type: list
      elements: dict
      contains:
        id:
          description: The rule ID.
          type: str
          sample: ledger-to-dr
        priority:
          description: The priority of the rule.
          type: int
          sample: 1
        status:
          description: Whether the rule is applied.
          type: str
          sample: Enabled
        filter:
          description: The objects the rule applies to (C(prefix), C(tag) or C(and)).
          type: dict
          sample: {"prefix": ""}
        destination:
          description:
            - The destination, with C(bucket) (an ARN), C(account), C(storage_class),
              C(access_control_translation), C(encryption_configuration), C(replication_time)
              and C(metrics) where set.
          type: dict
          sample:
            bucket: arn:aws:s3:::finproc-prod-ledger-us-west-2
            storage_class: STANDARD_IA
            replication_time: {"status": "Enabled", "time": {"minutes": 15}}
            metrics: {"status": "Enabled", "event_threshold": {"minutes": 15}}
        delete_marker_replication:
          description: Whether delete markers are replicated.
          type: dict
          sample: {"status": "Enabled"}
        source_selection_criteria:
          description: The SSE-KMS and replica modification settings, where set.
          type: dict
          sample: {"sse_kms_encrypted_objects": {"status": "Enabled"}}
"""

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict
from ansible_collections.amazon.aws.plugins.module_utils.arn import parse_aws_arn
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

from ansible_collections.finproc.dr.plugins.module_utils.client import aws_client
from ansible_collections.finproc.dr.plugins.module_utils.errors import AWS_ERRORS
from ansible_collections.finproc.dr.plugins.module_utils.errors import error_code
from ansible_collections.finproc.dr.plugins.module_utils.errors import fail_aws
from ansible_collections.finproc.dr.plugins.module_utils.resource import AWSResource
from ansible_collections.finproc.dr.plugins.module_utils.resource import resource_argument_spec
from ansible_collections.finproc.dr.plugins.module_utils.resource import run_module
from ansible_collections.finproc.dr.plugins.module_utils.results import diff
from ansible_collections.finproc.dr.plugins.module_utils.results import snake

RTC_MINUTES = 15
# S3 answers OperationAborted on conflicting bucket operations (its throttling, SlowDown, is among
# client.THROTTLE_CODES).
RETRY_CODES = ["OperationAborted"]
NOT_FOUND = ("ReplicationConfigurationNotFoundError",)


def enabled(status):
    return "Enabled" if status else "Disabled"


def is_enabled(container):
    """True when a {"Status": ...} element says Enabled; a missing element means Disabled."""
    return (container or {}).get("Status") == "Enabled"


# ---------------------------------------------------------------- validation and the wanted configuration


def rule_metrics(rule):
    if rule.get("metrics") is not None:
        return rule["metrics"]
    return bool(rule.get("replication_time") and rule["replication_time"]["enabled"])


def validate(module):
    """Everything that can be checked without AWS; fails before any request."""
    params = module.params
    if params["state"] != "present":
        return
    if not params.get("role"):
        module.fail_json(msg="role is required when state is present")
    if parse_aws_arn(params["role"]) is None:
        module.fail_json(msg="role must be the ARN of an IAM role, got %s" % params["role"])
    rules = params.get("rules") or []
    if not rules:
        module.fail_json(msg="at least one rule is required when state is present")

    seen_ids = set()
    seen_priorities = {}
    for index, rule in enumerate(rules):
        rule_id = rule["id"]
        if rule_id in seen_ids:
            module.fail_json(msg="rule ids must be unique: %s is used more than once" % rule_id)
        seen_ids.add(rule_id)

        priority = rule_priority(rule, index)
        if priority < 0:
            module.fail_json(msg="rule %s: priority must not be negative" % rule_id)
        if priority in seen_priorities:
            module.fail_json(
                msg="rule priorities must be unique: rules %s and %s both have priority %d"
                % (seen_priorities[priority], rule_id, priority)
            )
        seen_priorities[priority] = rule_id

        if not rule["destination"]["bucket"]:
            module.fail_json(msg="rule %s: destination.bucket must not be empty" % rule_id)
        if rule["sse_kms_encrypted_objects"] and not rule["destination"].get("replica_kms_key_id"):
            module.fail_json(
                msg="rule %s: destination.replica_kms_key_id is required when sse_kms_encrypted_objects is true"
                % rule_id
            )
        rtc = rule.get("replication_time")
        if rtc:
            if rtc["minutes"] != RTC_MINUTES:
                module.fail_json(
                    msg="rule %s: replication_time.minutes must be %d (the only value S3 accepts), got %d"
                    % (rule_id, RTC_MINUTES, rtc["minutes"])
                )
            if rtc["enabled"] and rule.get("metrics") is False:
                module.fail_json(
                    msg="rule %s: metrics cannot be false when replication_time is enabled (RTC needs metrics)"
                    % rule_id
                )
        if (rule.get("filter") or {}).get("tags") and rule["delete_marker_replication"]:
            module.fail_json(
                msg="rule %s: delete_marker_replication must be false for a rule that filters on tags "
                "(S3 does not replicate delete markers for tag-based rules)" % rule_id
            )


def rule_priority(rule, index):
    return rule["priority"] if rule.get("priority") is not None else index + 1


def bucket_arn(bucket, partition):
    if bucket.startswith("arn:"):
        return bucket
    return "arn:%s:s3:::%s" % (partition, bucket)


def wanted_filter(rule_filter):
    prefix = (rule_filter or {}).get("prefix") or ""
    tags = (rule_filter or {}).get("tags") or {}
    if not tags:
        return {"Prefix": prefix}
    tag_list = ansible_dict_to_boto3_tag_list(tags)
    if not prefix and len(tag_list) == 1:
        return {"Tag": tag_list[0]}
    operator = {"Tags": tag_list}
    if prefix:
        operator = {"Prefix": prefix, "Tags": tag_list}
    return {"And": operator}


def wanted_rule(rule, index, partition):
    destination_options = rule["destination"]
    destination = {"Bucket": bucket_arn(destination_options["bucket"], partition)}
    if destination_options.get("account"):
        destination["Account"] = destination_options["account"]
        destination["AccessControlTranslation"] = {"Owner": "Destination"}
    if destination_options.get("storage_class"):
        destination["StorageClass"] = destination_options["storage_class"]
    if destination_options.get("replica_kms_key_id"):
        destination["EncryptionConfiguration"] = {"ReplicaKmsKeyID": destination_options["replica_kms_key_id"]}
    rtc = rule.get("replication_time")
    if rtc and rtc["enabled"]:
        destination["ReplicationTime"] = {"Status": "Enabled", "Time": {"Minutes": rtc["minutes"]}}
    if rule_metrics(rule):
        destination["Metrics"] = {"Status": "Enabled", "EventThreshold": {"Minutes": RTC_MINUTES}}

    result = {
        "ID": rule["id"],
        "Priority": rule_priority(rule, index),
        "Status": rule["status"],
        "Filter": wanted_filter(rule.get("filter")),
        "DeleteMarkerReplication": {"Status": enabled(rule["delete_marker_replication"])},
        "Destination": destination,
    }
    criteria = {}
    if rule["sse_kms_encrypted_objects"]:
        criteria["SseKmsEncryptedObjects"] = {"Status": "Enabled"}
    if rule["replica_modifications"]:
        criteria["ReplicaModifications"] = {"Status": "Enabled"}
    if criteria:
        result["SourceSelectionCriteria"] = criteria
    return result


def wanted_configuration(params):
    partition = parse_aws_arn(params["role"])["partition"]
    return {
        "Role": params["role"],
        "Rules": [wanted_rule(rule, index, partition) for index, rule in enumerate(params["rules"])],
    }


# ---------------------------------------------------------------- the canonical form (comparison and diff)


def canonical_filter(rule):
    if "Filter" not in rule:
        # V1 schema: a top-level Prefix (or nothing at all).
        return {"prefix": rule.get("Prefix") or "", "tags": {}}
    rule_filter = rule.get("Filter") or {}
    view = {"prefix": rule_filter.get("Prefix") or "", "tags": {}}
    if rule_filter.get("Tag"):
        view["tags"] = boto3_tag_list_to_ansible_dict([rule_filter["Tag"]])
    operator = rule_filter.get("And")
    if operator:
        view["prefix"] = operator.get("Prefix") or view["prefix"]
        view["tags"].update(boto3_tag_list_to_ansible_dict(operator.get("Tags") or []))
        if operator.get("Not"):
            view["not"] = camel_dict_to_snake_dict(operator["Not"])
    if rule_filter.get("Not"):
        # Not managed by this module: kept so that it counts as a difference.
        view["not"] = camel_dict_to_snake_dict(rule_filter["Not"])
    return view


def canonical_rule(rule):
    destination = rule.get("Destination") or {}
    rtc = destination.get("ReplicationTime")
    metrics = destination.get("Metrics")
    criteria = rule.get("SourceSelectionCriteria") or {}
    view = {
        "id": rule.get("ID", ""),
        # Only V1 rules come without a priority; S3 counts them as 0.
        "priority": rule.get("Priority", 0),
        "status": rule.get("Status"),
        "filter": canonical_filter(rule),
        "destination": {
            "bucket": destination.get("Bucket"),
            "account": destination.get("Account"),
            "owner_override": (destination.get("AccessControlTranslation") or {}).get("Owner"),
            "storage_class": destination.get("StorageClass"),
            "replica_kms_key_id": (destination.get("EncryptionConfiguration") or {}).get("ReplicaKmsKeyID"),
        },
        "replication_time": {
            "enabled": is_enabled(rtc),
            "minutes": (rtc.get("Time") or {}).get("Minutes", RTC_MINUTES) if is_enabled(rtc) else None,
        },
        "metrics": {
            "enabled": is_enabled(metrics),
            "minutes": (metrics.get("EventThreshold") or {}).get("Minutes", RTC_MINUTES)
            if is_enabled(metrics)
            else None,
        },
        "delete_marker_replication": is_enabled(rule.get("DeleteMarkerReplication")),
        "sse_kms_encrypted_objects": is_enabled(criteria.get("SseKmsEncryptedObjects")),
        "replica_modifications": is_enabled(criteria.get("ReplicaModifications")),
    }
    # Settings this module does not manage show up only when set, so that they count as a difference.
    if "Filter" not in rule and "Prefix" in rule:
        view["schema_v1"] = True
    if is_enabled(rule.get("ExistingObjectReplication")):
        view["existing_object_replication"] = True
    multi_region = (destination.get("EncryptionConfiguration") or {}).get("UseSourceMultiRegionKey")
    if is_enabled(multi_region):
        view["destination"]["use_source_multi_region_key"] = True
    return view


def canonical(configuration):
    """The configuration in one readable form, rules sorted by ID; {} when there is none."""
    if not configuration:
        return {}
    rules = [canonical_rule(rule) for rule in configuration.get("Rules") or []]
    return {"role": configuration.get("Role"), "rules": sorted(rules, key=lambda rule: rule["id"])}


# ---------------------------------------------------------------- AWS


class Replication(AWSResource):
    """The replication configuration of a bucket: its state is the configuration S3 answers."""

    kind = "bucket"

    def __init__(self, module):
        super(Replication, self).__init__(module)
        self.client = aws_client(module, "s3", extra_codes=RETRY_CODES)

    def identity(self):
        return self.params["bucket"]

    def bucket_call(self, fn, operation, ignore=(), **params):
        """errors.aws_call on this bucket, with its own message for a bucket that does not exist."""
        try:
            return fn(aws_retry=True, Bucket=self.params["bucket"], **params)
        except AWS_ERRORS as e:
            if error_code(e) in ignore:
                return None
            if error_code(e) == "NoSuchBucket":
                self.module.fail_json_aws(e, msg="bucket %s does not exist" % self.params["bucket"])
            fail_aws(self.module, e, operation, self.label())

    def read(self):
        reply = self.bucket_call(self.client.get_bucket_replication, "GetBucketReplication", ignore=NOT_FOUND)
        return reply["ReplicationConfiguration"] if reply else None

    def settings(self, state):
        return canonical(state)

    def desired(self):
        return canonical(wanted_configuration(self.params))

    def create(self):
        self.apply(None, {"put": wanted_configuration(self.params)})

    def plan(self, state):
        after = self.desired()
        return {"put": wanted_configuration(self.params) if canonical(state) != after else {}}, after

    def apply(self, state, writes):
        self.bucket_call(self.client.put_bucket_replication, "PutBucketReplication",
                         ReplicationConfiguration=writes["put"])

    def delete(self, state):
        self.bucket_call(self.client.delete_bucket_replication, "DeleteBucketReplication", ignore=NOT_FOUND)

    def result(self, changed, state, before, after):
        return dict(changed=changed, replication=snake(state, keep=()), diff=diff(before, after))


def main():
    rule_options = dict(
        id=dict(type="str", required=True),
        priority=dict(type="int"),
        status=dict(type="str", default="Enabled", choices=["Enabled", "Disabled"]),
        filter=dict(
            type="dict",
            options=dict(
                prefix=dict(type="str"),
                tags=dict(type="dict"),
            ),
        ),
        destination=dict(
            type="dict",
            required=True,
            options=dict(
                bucket=dict(type="str", required=True),
                account=dict(type="str"),
                storage_class=dict(type="str"),
                replica_kms_key_id=dict(type="str"),
            ),
        ),
        replication_time=dict(
            type="dict",
            options=dict(
                enabled=dict(type="bool", default=True),
                minutes=dict(type="int", default=15),
            ),
        ),
        metrics=dict(type="bool"),
        delete_marker_replication=dict(type="bool", default=True),
        sse_kms_encrypted_objects=dict(type="bool", default=False),
        replica_modifications=dict(type="bool", default=False),
    )
    argument_spec = resource_argument_spec(
        tags=False,
        bucket=dict(type="str", required=True),
        role=dict(type="str"),
        rules=dict(type="list", elements="dict", options=rule_options),
    )
    run_module(argument_spec, Replication, validate)


if __name__ == "__main__":
    main()
