#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: finproc.dr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: sns_topic_encryption
version_added: 0.1.0
short_description: Manage the server-side encryption of an SNS topic
description:
  - Encrypts an existing SNS topic with a KMS key, changes its key, or removes its server-side
    encryption (the topic's C(KmsMasterKeyId) attribute, GetTopicAttributes and SetTopicAttributes).
  - community.aws.sns_topic cannot set a topic's server-side encryption (it has no option for
    C(KmsMasterKeyId)) and amazon.aws has no SNS module; create the topic with
    community.aws.sns_topic, then encrypt it with this module.
  - SNS keeps the key as it was given (key ARN, key ID or alias) and reports it that way. The
    module compares I(kms_master_key_id) with what SNS reports as text, so give the key in the
    same form every time; the same key in another form is written again and reported as a change.
  - The module does not check that the key exists or that SNS and the publishers may use it.
author:
  - finproc.dr maintainers (@finproc)
options:
  topic_arn:
    description:
      - The ARN of the topic. The topic must exist, in I(region).
    type: str
    required: true
  kms_master_key_id:
    description:
      - The KMS key that encrypts the topic's messages at rest, as a key ARN, a key ID, an alias
        ARN or an alias name (C(alias/...)); C(alias/aws/sns) is the AWS managed key for SNS.
      - Required when I(state=present). Ignored when I(state=absent).
    type: str
  state:
    description:
      - C(present) encrypts the topic with I(kms_master_key_id).
      - C(absent) removes the topic's server-side encryption. The topic itself is kept.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Create the alerts topic
  community.aws.sns_topic:
    name: finproc-prod-dr-alerts
  register: alerts_topic

- name: Encrypt it with the region's customer managed key
  finproc.dr.sns_topic_encryption:
    topic_arn: "{{ alerts_topic.sns_arn }}"
    kms_master_key_id: arn:aws:kms:us-east-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab

- name: Encrypt a topic with the AWS managed key for SNS
  finproc.dr.sns_topic_encryption:
    topic_arn: arn:aws:sns:us-east-2:123456789012:finproc-dev-dr-alerts
    kms_master_key_id: alias/aws/sns

- name: Remove the server-side encryption of a topic
  finproc.dr.sns_topic_encryption:
    topic_arn: arn:aws:sns:us-east-2:123456789012:finproc-dev-dr-alerts
    state: absent
"""

RETURN = r"""
topic_arn:
  description: The ARN of the topic.
  returned: always
  type: str
  sample: arn:aws:sns:us-east-2:123456789012:finproc-prod-dr-alerts
kms_master_key_id:
  description:
    - The topic's C(KmsMasterKeyId) as SNS reports it after the change; in check mode, the current one.
    - C(null) when the topic is not encrypted.
  returned: always
  type: str
  sample: arn:aws:kms:us-east-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab
"""

try:
    import botocore
except ImportError:
    pass

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict
from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

ATTRIBUTE = "KmsMasterKeyId"


def not_found(module, error, topic_arn):
    module.fail_json_aws(
        error,
        msg="SNS topic %s does not exist (in region %s); create it first, for example with "
        "community.aws.sns_topic" % (topic_arn, module.region),
    )


def get_encryption(module, client, topic_arn):
    """What SNS reports: TopicArn and KmsMasterKeyId (None when the topic is not encrypted)."""
    try:
        attributes = client.get_topic_attributes(aws_retry=True, TopicArn=topic_arn)["Attributes"]
    except is_boto3_error_code("NotFound") as e:
        not_found(module, e, topic_arn)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg="GetTopicAttributes failed for %s" % topic_arn)
    # An unencrypted topic has no KmsMasterKeyId; an empty one means the same.
    return {"TopicArn": attributes.get("TopicArn", topic_arn), ATTRIBUTE: attributes.get(ATTRIBUTE) or None}


def set_encryption(module, client, topic_arn, key_id):
    try:
        client.set_topic_attributes(aws_retry=True, TopicArn=topic_arn, AttributeName=ATTRIBUTE, AttributeValue=key_id)
    except is_boto3_error_code("NotFound") as e:
        not_found(module, e, topic_arn)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg="SetTopicAttributes (%s) failed for %s" % (ATTRIBUTE, topic_arn))


def main():
    argument_spec = dict(
        topic_arn=dict(type="str", required=True),
        kms_master_key_id=dict(type="str", no_log=False),
        state=dict(type="str", default="present", choices=["present", "absent"]),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        required_if=[["state", "present", ["kms_master_key_id"]]],
    )
    params = module.params
    if params["state"] == "present" and not params["kms_master_key_id"].strip():
        module.fail_json(msg="kms_master_key_id must not be empty; use state=absent to remove the encryption")
    wanted = params["kms_master_key_id"].strip() if params["state"] == "present" else None

    client = module.client("sns", retry_decorator=AWSRetry.jittered_backoff())
    current = get_encryption(module, client, params["topic_arn"])
    changed = current[ATTRIBUTE] != wanted

    if changed and not module.check_mode:
        # SNS removes the encryption when the attribute is set to an empty string.
        set_encryption(module, client, params["topic_arn"], wanted or "")
        final = get_encryption(module, client, params["topic_arn"])
        after = final[ATTRIBUTE]
    else:
        final = current
        after = wanted

    result = camel_dict_to_snake_dict(final)
    module.exit_json(
        changed=changed,
        diff={"before": {"kms_master_key_id": current[ATTRIBUTE]}, "after": {"kms_master_key_id": after}},
        **result,
    )


if __name__ == "__main__":
    main()
