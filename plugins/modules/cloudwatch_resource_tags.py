#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: finproc.dr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: cloudwatch_resource_tags
version_added: 0.1.0
short_description: Manage the tags of a CloudWatch alarm or Contributor Insights rule
description:
  - Sets the tags of an existing CloudWatch resource, an alarm (metric or composite) or a
    Contributor Insights rule, the only CloudWatch resources that can be tagged
    (ListTagsForResource, TagResource, UntagResource).
  - amazon.aws.cloudwatch_metric_alarm cannot tag alarms (it has no tags option, and
    PutMetricAlarm ignores tags when it updates an existing alarm), and community.aws has no module
    that tags CloudWatch resources; create the alarm with amazon.aws.cloudwatch_metric_alarm, then
    tag it with this module.
  - Only the tags are changed; the resource must exist.
author:
  - finproc.dr maintainers (@finproc)
options:
  resource_arn:
    description:
      - The ARN of the alarm or of the Contributor Insights rule. The resource must be in I(region).
    type: str
    required: true
  tags:
    description:
      - The tags the resource should have.
      - With I(purge_tags=false), tags not listed here are kept.
    type: dict
    required: true
    aliases: ['resource_tags']
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Create the replication lag alarm
  amazon.aws.cloudwatch_metric_alarm:
    name: finproc-prod-ledger-replication-latency
    metric_name: ReplicationLatency
    namespace: AWS/S3
    statistic: Maximum
    comparison: GreaterThanOrEqualToThreshold
    threshold: 900
    period: 300
    evaluation_periods: 1
    dimensions:
      SourceBucket: finproc-prod-ledger-us-east-2
      DestinationBucket: finproc-prod-ledger-us-west-2
      RuleId: ledger-to-dr
  register: alarm

- name: Tag it (exactly these tags)
  finproc.dr.cloudwatch_resource_tags:
    resource_arn: "{{ alarm.alarm_arn }}"
    tags:
      App: finproc
      Environment: prod

- name: Add a tag to an alarm, keeping the others
  finproc.dr.cloudwatch_resource_tags:
    resource_arn: arn:aws:cloudwatch:us-east-2:123456789012:alarm:finproc-prod-ledger-replication-latency
    tags:
      Owner: platform
    purge_tags: false

- name: Remove every tag (except the aws:* ones) of a Contributor Insights rule
  finproc.dr.cloudwatch_resource_tags:
    resource_arn: arn:aws:cloudwatch:us-east-2:123456789012:insight-rule/finproc-prod-top-talkers
    tags: {}
"""

RETURN = r"""
resource_arn:
  description: The ARN of the resource.
  returned: always
  type: str
  sample: arn:aws:cloudwatch:us-east-2:123456789012:alarm:finproc-prod-ledger-replication-latency
tags:
  description: The resource's tags as CloudWatch lists them after the change; in check mode, the current ones.
  returned: always
  type: dict
  sample:
    App: finproc
    Environment: prod
"""

try:
    import botocore
except ImportError:
    pass

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict
from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags

# Two writers tagging the same resource at once: CloudWatch asks the later one to try again.
RETRY_CODES = ["ConcurrentModificationException"]


def not_found(module, error, arn):
    module.fail_json_aws(
        error,
        msg="CloudWatch resource %s does not exist (in region %s); only alarms and Contributor Insights "
        "rules can be tagged, and they must be created first" % (arn, module.region),
    )


def list_tags(module, client, arn):
    try:
        tags = client.list_tags_for_resource(aws_retry=True, ResourceARN=arn).get("Tags", [])
    except is_boto3_error_code("ResourceNotFoundException") as e:
        not_found(module, e, arn)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg="ListTagsForResource failed for %s" % arn)
    return boto3_tag_list_to_ansible_dict(tags)


def update_tags(module, client, arn, to_set, to_unset):
    try:
        # Untag first, so the resource never holds more tags than it will in the end; keys sorted, so
        # the requests are the same from run to run.
        if to_unset:
            client.untag_resource(aws_retry=True, ResourceARN=arn, TagKeys=to_unset)
        if to_set:
            client.tag_resource(
                aws_retry=True, ResourceARN=arn, Tags=ansible_dict_to_boto3_tag_list(dict(sorted(to_set.items())))
            )
    except is_boto3_error_code("ResourceNotFoundException") as e:
        not_found(module, e, arn)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg="Tagging %s failed" % arn)


def main():
    argument_spec = dict(
        resource_arn=dict(type="str", required=True),
        tags=dict(type="dict", required=True, aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    arn = params["resource_arn"]

    client = module.client("cloudwatch", retry_decorator=AWSRetry.jittered_backoff(catch_extra_error_codes=RETRY_CODES))
    current = list_tags(module, client, arn)
    to_set, to_unset = compare_aws_tags(current, params["tags"], purge_tags=params["purge_tags"])
    changed = bool(to_set or to_unset)

    wanted = {key: value for key, value in current.items() if key not in to_unset}
    wanted.update({key: str(value) for key, value in to_set.items()})
    if changed and not module.check_mode:
        update_tags(module, client, arn, to_set, sorted(to_unset))
        final = list_tags(module, client, arn)
        after = final
    else:
        final = current
        after = wanted

    module.exit_json(
        changed=changed,
        resource_arn=arn,
        tags=final,
        diff={"before": {"tags": current}, "after": {"tags": after}},
    )


if __name__ == "__main__":
    main()
